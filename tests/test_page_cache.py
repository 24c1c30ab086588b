"""Rendered fragments kept in the cache (``views.common``): a list's filter form and
table, the dashboard's content.

A fragment is read from the cache by the next reader of the same releasability,
language and time zone, and then costs no query of its own (the list's rows are
not read at all); a Brazilian never gets what a Colombian was shown; "mine" and
the dashboard are the reader's own; any write through the ORM is seen by the very
next request; a table is at most a minute old (it may depend on the time).
"""

import datetime
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.models import Initiative
from cooperation.views import common
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = {
    "initiatives": reverse("cooperation:initiative-list"),
    "recommendations": reverse("cooperation:recommendation-list"),
    "meetings": reverse("cooperation:meeting-list"),
    "nations": reverse("cooperation:nation-list"),
}


def reader(user):
    client = Client()
    client.force_login(user)
    return client


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.fixture
def records(colombia, brazil, colombian_user):
    """One record of each kind released to all, and one to Colombia only."""
    for released in ({}, {"released_to_all": False, "released_to": [colombia]}):
        prefix = "Colombian-only" if released else "Shared"
        factories.InitiativeFactory(title=f"{prefix} initiative", **released)
        factories.RecommendationFactory(
            title=f"{prefix} recommendation", owner=colombian_user, **released
        )
        factories.AssessmentMeetingFactory(title=f"{prefix} meeting", **released)


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_is_drawn_once_then_read_from_the_cache(
    name, records, colombian_user, colombia
):
    other_colombian = factories.UserFactory(nation=colombia)
    first, first_queries = get(reader(colombian_user), LISTS[name])
    again, again_queries = get(reader(other_colombian), LISTS[name])

    # The same table and filter form, without reading the rows again.
    table = first[first.index("<table") : first.index("</table>")]
    assert table in again
    assert again_queries < first_queries


@pytest.mark.parametrize("name", ["initiatives", "recommendations", "meetings"])
def test_a_kept_table_never_crosses_releasability(
    name, records, colombian_user, brazilian_user
):
    colombian, _ = get(reader(colombian_user), LISTS[name])
    assert "Colombian-only" in colombian

    brazilian, _ = get(reader(brazilian_user), LISTS[name])

    assert "Colombian-only" not in brazilian
    assert "Shared" in brazilian


def test_mine_is_each_readers_own(records, colombian_user, colombia):
    other_colombian = factories.UserFactory(nation=colombia)
    url = LISTS["recommendations"] + "?mine=1"
    owner, _ = get(reader(colombian_user), url)
    other, _ = get(reader(other_colombian), url)

    assert "Shared recommendation" in owner
    assert "Shared recommendation" not in other


def test_a_change_is_seen_by_the_very_next_request(records, colombian_user):
    client = reader(colombian_user)
    get(client, LISTS["initiatives"])
    initiative = Initiative.objects.get(title="Shared initiative")

    initiative.title = "Renamed initiative"
    initiative.save()
    page, _ = get(client, LISTS["initiatives"])

    assert "Renamed initiative" in page
    assert "Shared initiative" not in page


def test_the_language_is_part_of_the_key(records, colombian_user):
    english, _ = get(reader(colombian_user), LISTS["initiatives"])
    colombian_user.language = "es"
    colombian_user.save()

    spanish, _ = get(reader(colombian_user), LISTS["initiatives"])

    assert "Apply filters" in english
    assert "Apply filters" not in spanish


def test_a_kept_table_is_at_most_a_minute_old(records, colombian_user, monkeypatch):
    client = reader(colombian_user)
    now = time.time()
    monkeypatch.setattr(common.time, "time", lambda: now)
    _, first = get(client, LISTS["recommendations"])
    _, cached = get(client, LISTS["recommendations"])
    monkeypatch.setattr(common.time, "time", lambda: now + 61)

    _, later = get(client, LISTS["recommendations"])

    assert cached < first
    assert later > cached  # drawn again: the rows are read


class Drawer:
    """A ``draw`` for ``common.kept`` that says how often it was called."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return [f"drawing {self.calls}"]


def test_one_request_draws_a_minute_old_part_again_while_others_get_the_kept_one(
    monkeypatch,
):
    from django.core.cache import cache

    key = "cooperation:fragment:test-dogpile"
    now = time.time()
    monkeypatch.setattr(common.time, "time", lambda: now)
    draw = Drawer()
    assert common.kept(key, draw) == ["drawing 1"]
    assert common.kept(key, draw) == ["drawing 1"]
    assert draw.calls == 1

    monkeypatch.setattr(common.time, "time", lambda: now + 61)
    # Another request is drawing it again: this one is given the kept part.
    assert cache.add(f"{key}:redraw", 1, 10)
    assert common.kept(key, draw) == ["drawing 1"]
    assert draw.calls == 1
    cache.delete(f"{key}:redraw")

    # No one is: this request draws it, and releases the redraw for the next minute.
    assert common.kept(key, draw) == ["drawing 2"]
    assert common.kept(key, draw) == ["drawing 2"]
    assert draw.calls == 2
    assert cache.get(f"{key}:redraw") is None


def test_a_failed_redraw_leaves_the_kept_part_and_the_next_minute_draws(monkeypatch):
    key = "cooperation:fragment:test-failed-redraw"
    now = time.time()
    monkeypatch.setattr(common.time, "time", lambda: now)
    common.kept(key, Drawer())
    monkeypatch.setattr(common.time, "time", lambda: now + 61)

    def fails():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        common.kept(key, fails)
    # While the failed draw's claim lasts, the others still get the kept part.
    assert common.kept(key, fails) == ["drawing 1"]
    # The kept part itself is gone a few seconds later: every request draws.
    monkeypatch.setattr(common.time, "time", lambda: now + 60 + 11)
    assert common.kept(key, Drawer()) == ["drawing 1"]
    assert common.kept(key, fails) == ["drawing 1"]


def test_after_a_write_the_others_wait_for_the_part_being_drawn(monkeypatch):
    """A write renews every key: the first request draws the part, the others wait
    for it (and get the new part, not one drawn before the write) instead of all
    drawing it at once."""
    from django.core.cache import cache

    key = "cooperation:fragment:test-wait"
    assert cache.add(f"{key}:redraw", 1, 10)  # another request is drawing it
    looks = []

    def other_request_finishes(seconds):
        looks.append(seconds)
        cache.set(key, (time.time(), ["drawn by the other"]), 70)

    monkeypatch.setattr(common.time, "sleep", other_request_finishes)
    draw = Drawer()
    assert common.kept(key, draw) == ["drawn by the other"]
    assert draw.calls == 0
    assert looks == [common.DRAW_POLL_SECONDS]


def test_a_request_waiting_for_a_draw_that_fails_draws_the_part_itself(monkeypatch):
    from django.core.cache import cache

    key = "cooperation:fragment:test-wait-failed"

    def fails():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        common.kept(key, fails)
    # The failed draw gave up its claim: the next request draws at once.
    assert cache.get(f"{key}:redraw") is None
    monkeypatch.setattr(common.time, "sleep", lambda _s: pytest.fail("waited"))
    assert common.kept(key, Drawer()) == ["drawing 1"]
    assert cache.get(f"{key}:redraw") is None

    # A claim that ends while another request waits for it: that one draws.
    key = "cooperation:fragment:test-wait-gone"
    assert cache.add(f"{key}:redraw", 1, 10)
    monkeypatch.setattr(common.time, "sleep", lambda _s: cache.delete(f"{key}:redraw"))
    assert common.kept(key, Drawer()) == ["drawing 1"]


def test_a_part_kept_just_before_its_claim_is_released_is_not_drawn_again(
    monkeypatch,
):
    """The one drawing keeps the part, then releases its claim: a request that
    looked for the part just before it was kept, then finds the claim gone, is
    given that part rather than drawing it a second time."""
    from django.core.cache import cache

    key = "cooperation:fragment:test-wait-race"
    assert cache.add(f"{key}:redraw", 1, 10)
    read = common.cache_get

    def cache_get(name):
        if name == f"{key}:redraw":  # the draw ends between the two looks
            cache.set(key, (time.time(), ["drawn by the other"]), 70)
            cache.delete(name)
        return read(name)

    monkeypatch.setattr(common, "cache_get", cache_get)
    draw = Drawer()
    assert common.kept(key, draw) == ["drawn by the other"]
    assert draw.calls == 0


def test_a_request_waits_a_bounded_time_for_another_draw(monkeypatch):
    from django.core.cache import cache

    key = "cooperation:fragment:test-wait-bounded"
    assert cache.add(f"{key}:redraw", 1, 10)  # a draw that never ends
    monkeypatch.setattr(common, "DRAW_WAIT_SECONDS", 0)
    monkeypatch.setattr(common.time, "sleep", lambda _s: pytest.fail("waited"))
    draw = Drawer()
    assert common.kept(key, draw) == ["drawing 1"]
    assert common.kept(key, draw) == ["drawing 1"]
    assert draw.calls == 1


def test_parts_drawn_at_different_times_expire_at_different_times(monkeypatch):
    now = time.time()
    monkeypatch.setattr(common.time, "time", lambda: now)
    early = Drawer()
    common.kept("cooperation:fragment:test-early", early)
    monkeypatch.setattr(common.time, "time", lambda: now + 30)
    late = Drawer()
    common.kept("cooperation:fragment:test-late", late)

    monkeypatch.setattr(common.time, "time", lambda: now + 61)
    common.kept("cooperation:fragment:test-early", early)
    common.kept("cooperation:fragment:test-late", late)

    assert (early.calls, late.calls) == (2, 1)


def test_without_a_cache_the_lists_are_drawn_every_time(
    records, colombian_user, monkeypatch
):
    monkeypatch.setattr(common, "current_generation", lambda: None)
    client = reader(colombian_user)
    client.get(LISTS["initiatives"])

    with CaptureQueriesContext(connection) as queries:
        page = client.get(LISTS["initiatives"]).content.decode()

    assert "Colombian-only initiative" in page
    # The rows are read again (their titles are selected).
    assert any(
        '"cooperation_initiative"."title"' in query["sql"]
        for query in queries.captured_queries
    )


def test_the_dashboard_is_each_readers_own_and_follows_changes(
    records, colombian_user, colombia
):
    other_colombian = factories.UserFactory(nation=colombia)
    mine, first = get(reader(colombian_user), "/")
    _, cached = get(reader(colombian_user), "/")
    others, _ = get(reader(other_colombian), "/")

    assert cached < first
    # My work lists what the reader owns: the other reader owns nothing.
    assert "Shared recommendation" in mine
    assert mine.count("Shared recommendation") > others.count("Shared recommendation")

    factories.RecommendationFactory(
        title="Raised a moment ago", owner=colombian_user, status="accepted"
    )
    page, _ = get(reader(colombian_user), "/")
    assert "Raised a moment ago" in page


def test_a_write_through_a_service_renews_the_dashboard(
    records, colombian_user, superuser
):
    client = reader(colombian_user)
    get(client, "/")
    recommendation = factories.RecommendationFactory(
        title="Before", owner=colombian_user, status="accepted"
    )
    get(client, "/")

    recommendation.title = "After the service"
    services.recommendation_update(
        recommendation=recommendation,
        version=str(recommendation.version),
        acting_user=superuser,
    )
    page, _ = get(client, "/")

    assert "After the service" in page


def test_a_nations_page_is_shared_within_a_releasability_only(
    records, colombia, colombian_user, brazilian_user
):
    initiative = Initiative.objects.get(title="Colombian-only initiative")
    factories.ParticipationFactory(initiative=initiative, nation=colombia)
    url = reverse("cooperation:nation-detail", args=[colombia.iso_alpha2])
    other_colombian = factories.UserFactory(nation=colombia)

    first, first_queries = get(reader(colombian_user), url)
    again, again_queries = get(reader(other_colombian), url)
    brazilian, _ = get(reader(brazilian_user), url)

    assert "Colombian-only initiative" in first
    assert again_queries < first_queries
    assert "Colombian-only initiative" in again
    assert "Colombian-only initiative" not in brazilian


# ------------------------------------------- values of one request in kept parts


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def form_token(page, action):
    """The CSRF token of the page's first form posting to ``action``."""
    start = page.index(f'action="{action}"')
    field = 'name="csrfmiddlewaretoken" value="'
    at = page.index(field, start) + len(field)
    return page[at : page.index('"', at)]


def test_a_kept_list_posts_with_each_readers_own_token(colombian_user, colombia):
    """Two readers share a kept list (its "save these filters" form included), yet
    each one's form carries their own CSRF token, which their post is accepted
    with."""
    other_colombian = factories.UserFactory(nation=colombia)
    url = LISTS["recommendations"] + "?status=proposed"
    save = reverse("cooperation:saved-filter-save")
    first, second = csrf_client(colombian_user), csrf_client(other_colombian)
    first.get(url)

    with CaptureQueriesContext(connection) as queries:
        page = second.get(url).content.decode()
    token = form_token(page, save)

    # Read from the cache: the rows were not read for the second reader.
    assert not any(
        '"cooperation_recommendation"."title"' in query["sql"]
        for query in queries.captured_queries
    )
    # Accepted: a token of another session would be refused (403).
    response = second.post(
        save,
        {
            "list_name": "recommendations",
            "query": "status=proposed",
            "name": "Proposed",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    assert other_colombian.saved_filters.filter(name="Proposed").exists()


def test_the_navigation_bar_is_each_readers_own(colombian_user, colombia):
    other_colombian = factories.UserFactory(
        nation=colombia, first_name="Otra", last_name="Persona"
    )
    factories.NotificationFactory(recipient=colombian_user)
    mine, _ = get(reader(colombian_user), "/")
    mine_again, _ = get(reader(colombian_user), "/")
    others, _ = get(reader(other_colombian), "/")

    assert 'id="unread-notifications"' in mine
    assert 'id="unread-notifications"' in mine_again
    assert 'id="unread-notifications"' not in others
    assert str(other_colombian) in others
    assert str(other_colombian) not in mine_again


def test_the_navigation_bar_follows_what_the_reader_does(colombian_user):
    client = reader(colombian_user)
    factories.NotificationFactory(recipient=colombian_user)
    assert 'id="unread-notifications"' in get(client, "/")[0]

    client.post(reverse("cooperation:notification-read-all"))
    page, _ = get(client, "/")
    assert 'id="unread-notifications"' not in page

    factories.SavedFilterFactory(user=colombian_user, name="Colombian proposals")
    page, _ = get(client, "/")
    assert "Colombian proposals" in page


def test_forms_come_back_to_the_page_they_are_on_escaped(colombian_user):
    client = reader(colombian_user)
    hostile = LISTS["initiatives"] + '?q="><script>alert(1)</script>'
    get(client, LISTS["initiatives"] + "?q=first")

    page, _ = get(client, hostile)

    assert "<script>alert(1)</script>" not in page
    assert (
        'name="next" value="/initiatives/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"'
        in page
    )
    assert 'name="next" value="/initiatives/?q=first"' not in page


def test_the_marks_are_secret_and_never_reach_a_page(colombian_user, colombia):
    from cooperation import page_cache

    meeting = factories.AssessmentMeetingFactory()
    kept_pages = [
        reverse("cooperation:nation-detail", args=[colombia.iso_alpha2]),
        factories.InitiativeFactory().get_absolute_url(),
        meeting.get_absolute_url(),
        reverse("cooperation:meeting-briefing", args=[meeting.pk]),
        reverse("cooperation:regional-picture"),
        reverse("cooperation:regional-briefing"),
        reverse("cooperation:calendar"),
    ]
    marks = [
        page_cache.csrf_mark(),
        page_cache.next_mark(),
        page_cache.nonce_mark(),
        *(
            page_cache.part_mark(name)
            for name in ["content", "list_content", "kept_content", "kept_title"]
        ),
    ]
    client = reader(colombian_user)
    urls = ["/", *LISTS.values(), LISTS["recommendations"] + "?status=proposed"]
    for url in [*urls, *kept_pages]:
        page, _ = get(client, url)
        page_again, _ = get(client, url)
        for mark in marks:
            assert mark not in page
            assert mark not in page_again
    assert len(set(marks)) == len(marks)


def without_token(page: bytes) -> bytes:
    """``page`` but for its CSRF tokens, masked anew on every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", page)


def test_a_kept_page_is_served_as_drawn_whatever_its_characters(colombian_user):
    """Kept parts are kept encoded and put into the page as bytes
    (``page_cache.spliced``): text beyond ASCII, Latin-1 and the BMP comes back
    the same from the cache as when drawn."""
    title = "Operación Ñandú — 防災 ▲ 🚁 <b>&amp;</b>"
    initiative = factories.InitiativeFactory(title=title)
    client = reader(colombian_user)
    drawn = client.get(initiative.get_absolute_url())
    kept = client.get(initiative.get_absolute_url())

    assert drawn["Content-Type"] == kept["Content-Type"] == "text/html; charset=utf-8"
    assert without_token(drawn.content) == without_token(kept.content)
    escaped = "Operación Ñandú — 防災 ▲ 🚁 &lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert escaped in kept.content.decode()
    assert title not in kept.content.decode()


def test_a_kept_part_is_kept_as_bytes_and_put_in_its_place():
    from cooperation import page_cache

    mark = page_cache.part_mark("kept_content")
    page = f"<title>{mark}</title><main>{mark}</main>"
    part = "Año — ▲".encode()

    assert page_cache.spliced(page, {"kept_content": part}) == (
        "<title>Año — ▲</title><main>Año — ▲</main>".encode()
    )
    # A part the page does not show leaves the page as it is.
    assert page_cache.spliced("<p>é</p>", {"kept_content": part}) == "<p>é</p>".encode()


def test_the_kept_parts_are_read_from_the_cache_as_bytes(rf, colombian_user):
    """What makes a large kept page cheap to serve: no decoding of its parts."""
    request = rf.get("/picture/")
    request.user = colombian_user
    parts = common.cached_fragments(
        request,
        "test-bytes",
        ["cooperation/regional_picture.html#content"],
        lambda: {"columns": [], "rows": [], "form": None},
        per_reader=False,
    )
    again = common.cached_fragments(
        request,
        "test-bytes",
        ["cooperation/regional_picture.html#content"],
        lambda: pytest.fail("drawn again"),
        per_reader=False,
    )
    assert all(isinstance(part, bytes) for part in [*parts, *again])
    assert [without_token(part) for part in parts] == [
        without_token(part) for part in again
    ]


# ------------------------------------------------------------- kept record pages

# The records whose pages are kept, by the name the tests give them.
RECORD_FACTORIES = {
    "initiative": factories.InitiativeFactory,
    "meeting": factories.AssessmentMeetingFactory,
    "recommendation": factories.RecommendationFactory,
}


@pytest.mark.parametrize("kind", ["initiative", "meeting", "recommendation"])
def test_a_kept_record_page_is_never_served_once_withdrawn(
    kind, colombia, brazil, colombian_user
):
    """The access check runs on every request, before the kept content is read:
    a record withdrawn from the reader's nation by a write that sends no signal
    (so the data generation stays the same) is a 404 at once."""
    model = RECORD_FACTORIES[kind]
    record = model(title="Colombian-only record", released_to_all=False)
    record.released_to.set([colombia])
    client = reader(colombian_user)
    first, _ = get(client, record.get_absolute_url())
    get(client, record.get_absolute_url())  # now kept
    assert "Colombian-only record" in first

    type(record).objects.filter(pk=record.pk).update(title="Quietly renamed")
    type(record).released_to.through.objects.filter(nation=colombia).delete()

    assert client.get(record.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("kind", "suffix", "heading"),
    [
        ("initiative", "", ["id", "title"]),
        ("meeting", "", ["id", "title"]),
        ("meeting", "briefing/", ["id", "title"]),
        ("recommendation", "", ["id", "reference", "title"]),
    ],
)
def test_a_kept_record_page_reads_only_the_heading_of_its_record(
    kind, suffix, heading, colombia, colombian_user
):
    """Kept content read, the record itself is read only for the access check and
    the page's title and breadcrumbs: its key and heading, no related row."""
    model = RECORD_FACTORIES[kind]
    record = model(title="Kept record", released_to_all=False)
    record.released_to.set([colombia])
    url = record.get_absolute_url() + suffix
    client = reader(colombian_user)
    get(client, url)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()

    table = type(record)._meta.db_table
    reads = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]
    assert len(reads) == 1
    assert " JOIN " not in reads[0]
    selected = reads[0].split(" FROM ")[0].removeprefix("SELECT ").split(", ")
    assert sorted(selected) == sorted(f'"{table}"."{column}"' for column in heading)
    assert "Kept record" in page


@pytest.mark.parametrize("kind", ["initiative", "meeting", "recommendation"])
def test_a_record_page_is_each_readers_own(kind, colombia, colombian_user):
    model = RECORD_FACTORIES[kind]
    record = model(title="Shared record")
    other_colombian = factories.UserFactory(nation=colombia)
    mine, first = get(reader(colombian_user), record.get_absolute_url())
    _, cached = get(reader(colombian_user), record.get_absolute_url())
    others, others_queries = get(reader(other_colombian), record.get_absolute_url())

    assert cached < first  # read from the cache: only the access check remains
    assert others_queries > cached  # another reader's page is drawn for them
    assert "Shared record" in others


def test_a_kept_record_page_follows_a_change(colombian_user, superuser):
    record = factories.InitiativeFactory(title="Before the change")
    client = reader(colombian_user)
    get(client, record.get_absolute_url())

    record.summary = "A summary written a moment ago"
    record.save()
    page, _ = get(client, record.get_absolute_url())

    assert "A summary written a moment ago" in page


def test_the_calendar_is_shared_within_a_releasability_only(
    colombia, colombian_user, brazilian_user
):
    factories.AssessmentMeetingFactory(
        title="Colombian-only meeting", released_to_all=False, released_to=[colombia]
    )
    factories.AssessmentMeetingFactory(title="Shared meeting")
    url = reverse("cooperation:calendar")
    # Meetings start in a week: possibly next month.
    week = timezone.localdate() + datetime.timedelta(days=7)
    url += f"?month={week:%Y-%m}"
    other_colombian = factories.UserFactory(nation=colombia)

    first, first_queries = get(reader(colombian_user), url)
    again, again_queries = get(reader(other_colombian), url)
    brazilian, _ = get(reader(brazilian_user), url)

    assert "Colombian-only meeting" in first
    assert "Colombian-only meeting" in again
    assert again_queries < first_queries
    assert "Colombian-only meeting" not in brazilian
    assert "Shared meeting" in brazilian
