"""The counts pages show are kept per data generation (``cooperation.counts``).

A count is computed once and read from the cache until a record changes; a change
through the ORM (save, delete, many-to-many) is seen by the very next request; a
count never crosses releasability (a Brazilian reader never gets a Colombian
reader's number); a cache that does not answer costs the count, not the page.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation import counts
from cooperation.models import Initiative
from tests import factories

# Each request draws its page: the work pinned here is that of drawing it (a kept
# fragment, tests/test_page_cache.py, would skip it).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fragment_cache")]

LIST = reverse("cooperation:initiative-list")


def _get(client, url=LIST):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries]


# The navigation bar's count of unread notifications: one query of every page, per
# user and never cached (it changes as its reader reads), not a list's count.
UNREAD_BADGE = "cooperation_notification"


def _counted(sqls):
    return sum("COUNT(" in sql.upper() and UNREAD_BADGE not in sql for sql in sqls)


@pytest.fixture
def initiatives(colombia, brazil):
    """Five released to all, two to Colombia only, three to Brazil only."""
    factories.InitiativeFactory.create_batch(5)
    factories.InitiativeFactory.create_batch(
        2, released_to_all=False, released_to=[colombia]
    )
    factories.InitiativeFactory.create_batch(
        3, released_to_all=False, released_to=[brazil]
    )


def test_a_count_is_computed_once_then_read_from_the_cache(
    client, colombian_user, initiatives
):
    client.force_login(colombian_user)
    first, first_sqls = _get(client)
    again, again_sqls = _get(client)

    assert first.context["page_obj"].paginator.count == 7
    assert again.context["page_obj"].paginator.count == 7
    assert _counted(first_sqls) == 1
    assert _counted(again_sqls) == 0
    # The count, the reader's permissions (two queries, kept alike), and the
    # navigation bar's unread count and saved filters.
    assert len(again_sqls) == len(first_sqls) - 5


def test_a_change_is_counted_by_the_next_request(
    client, colombian_user, brazil, initiatives
):
    client.force_login(colombian_user)
    assert _get(client)[0].context["page_obj"].paginator.count == 7

    created = factories.InitiativeFactory()
    assert _get(client)[0].context["page_obj"].paginator.count == 8

    # A release changed through the many-to-many relation only.
    created.released_to_all = False
    created.save()
    created.released_to.set([brazil])
    assert _get(client)[0].context["page_obj"].paginator.count == 7

    Initiative.objects.filter(released_to_all=True).first().delete()
    assert _get(client)[0].context["page_obj"].paginator.count == 6


def test_readers_of_different_nations_never_share_a_count(
    client, colombian_user, brazilian_user, superuser, initiatives
):
    expected = {colombian_user: 7, brazilian_user: 8, superuser: 10}
    for user, total in [*expected.items(), *expected.items()]:
        client.force_login(user)
        assert _get(client)[0].context["page_obj"].paginator.count == total, user


def test_the_generation_changes_again_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    before = counts.generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        factories.FocusAreaFactory()
    during = counts.generation()
    for callback in callbacks:
        callback()

    # At once (so this transaction reads its own change) and on commit (so a count
    # another request made in between, before the commit, is not kept).
    assert during != before
    assert counts.generation() != during
    assert callbacks


def test_a_sign_in_keeps_the_cached_counts(client, colombian_user):
    before = counts.generation()
    client.force_login(colombian_user)  # saves last_login
    assert counts.generation() == before


def test_bulk_writes_that_send_no_signal_are_announced_by_their_command(db):
    before = counts.generation()
    counts.data_changed()
    assert counts.generation() != before


def test_a_cache_that_does_not_answer_costs_the_count_not_the_page(
    client, colombian_user, initiatives, settings
):
    # Nothing listens on this port: every cache call fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client.force_login(colombian_user)
    first, first_sqls = _get(client)
    again, again_sqls = _get(client)
    factories.InitiativeFactory()  # the generation cannot be replaced either
    after, _ = _get(client)

    assert first.context["page_obj"].paginator.count == 7
    assert _counted(again_sqls) == 1  # counted every time, without the cache
    assert after.context["page_obj"].paginator.count == 8


# ------------------------------------------------------------------ permissions


def _permission_queries(sqls):
    # The unread badge asks whether its reader sees every record within its query.
    return sum("auth_permission" in sql and UNREAD_BADGE not in sql for sql in sqls)


def test_permissions_are_read_once_then_kept_until_they_change(client, colombian_user):
    from django.contrib.auth.models import Group, Permission

    editors = Group.objects.create(name="Test editors")
    colombian_user.groups.add(editors)
    client.force_login(colombian_user)
    first = _get(client)[1]
    again = _get(client)[1]
    assert _permission_queries(first) == 2
    assert _permission_queries(again) == 0
    assert b"New initiative" not in client.get(LIST).content

    # A permission given to the group is seen by the next request.
    editors.permissions.add(Permission.objects.get(codename="add_initiative"))
    assert b"New initiative" in client.get(LIST).content
    # And taken away again, through the user's groups.
    colombian_user.groups.remove(editors)
    assert b"New initiative" not in client.get(LIST).content


def test_releasability_follows_a_permission_taken_away(
    client, colombian_user, initiatives
):
    from django.contrib.auth.models import Permission

    view_all = Permission.objects.get(codename="view_all_records")
    colombian_user.user_permissions.add(view_all)
    client.force_login(colombian_user)
    assert _get(client)[0].context["page_obj"].paginator.count == 10

    colombian_user.user_permissions.remove(view_all)
    assert _get(client)[0].context["page_obj"].paginator.count == 7


# ----------------------------------------------- each token read once per request


@pytest.fixture
def cache_calls(monkeypatch):
    calls = []
    call = counts._cache_call

    def recorded(method, *args):
        calls.append((method, args[0]))
        return call(method, *args)

    monkeypatch.setattr(counts, "_cache_call", recorded)
    return calls


def test_a_request_reads_its_tokens_in_one_round_trip(cache_calls, colombian_user):
    from cooperation.services.notifications import unread_token

    counts.data_changed()
    cache_calls.clear()
    with counts.request_tokens(colombian_user.pk):
        first = counts.current_generation()
        assert counts.current_generation() == first
        counts.token(unread_token(colombian_user.pk))
        counts.current_generation()

    reads = [call for call in cache_calls if call[0] in {"get", "get_many"}]
    assert reads[0][0] == "get_many"
    assert counts.GENERATION_KEY in reads[0][1]
    assert unread_token(colombian_user.pk) in reads[0][1]
    # The unread token did not exist yet: created once, then remembered.
    assert [call[1] for call in reads[1:]] == [unread_token(colombian_user.pk)]


def test_a_write_within_the_request_is_seen_by_the_rest_of_it(cache_calls, db):
    with counts.request_tokens():
        before = counts.current_generation()
        factories.InitiativeFactory()
        after = counts.current_generation()
    assert after != before
    assert counts.current_generation() == after  # what the cache holds


def test_outside_a_request_every_read_goes_to_the_cache(cache_calls, db):
    """The worker and commands run for long: a token they remembered would miss
    the writes of the other processes."""
    counts.current_generation()
    cache_calls.clear()
    counts.current_generation()
    counts.current_generation()
    assert [call[0] for call in cache_calls] == ["get", "get"]


def test_the_redis_cache_keeps_one_client_per_server():
    """Django's Redis backend builds a client for every call (about 80 µs of CPU
    each); ours builds one per connection pool. No server is needed to build it."""
    from portal.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/13", {})
    client = cache._cache.get_client()
    assert cache._cache.get_client("key") is client
    assert cache._cache.get_client(write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(False)
