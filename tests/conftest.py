import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from tests import factories

# ------------------------------------------------------------------ the slow tiers
# Each test of a slow tier is marked with its tier and with ``slow``: ``make
# test-fast`` runs ``-m "not slow"``, ``make test`` and ``.ci/run`` run everything.
# The tiers are told apart by where a test lives and what it starts, so a test added
# to one of these modules, or using one of these servers, joins its tier by itself.

# Modules whose every test is in a tier (paths from the project's root).
SLOW_MODULES = {
    "tests/e2e/test_journeys.py": ("browser",),
    "tests/e2e/test_accessibility.py": ("browser", "accessibility"),
    # find-python runs in a shell; settings are imported in a fresh interpreter.
    "tests/test_tooling.py": ("subprocess",),
    # Two gunicorn replicas, task workers and Redis on one PostgreSQL database.
    "tests/test_replicas.py": ("subprocess",),
    # Seeds the demo and follows every link of every page as each demo user.
    "tests/test_navigation.py": ("crawl",),
}
# Module fixtures that start gunicorn (``tests.servers.gunicorn``) for their tests.
SERVER_FIXTURES = {"production_server", "server_without_database"}


def _slow_tiers(item):
    module = item.nodeid.split("::", 1)[0]  # relative to the project's root
    tiers = set(SLOW_MODULES.get(module, ()))
    if SERVER_FIXTURES.intersection(item.fixturenames):
        tiers.add("subprocess")
    # tests/test_translations.py: a test that runs GNU gettext (msgfmt, makemessages)
    # finds the tool through ``gettext_tool``.
    function = getattr(item, "function", None)
    if function is not None and "gettext_tool" in function.__code__.co_names:
        tiers.add("catalogue")
    return tiers


def pytest_collection_modifyitems(config, items):
    for item in items:
        tiers = _slow_tiers(item)
        for tier in sorted(tiers):
            item.add_marker(tier)
        if tiers:
            item.add_marker("slow")


@pytest.fixture
def colombia(db):
    return factories.NationFactory(
        name="Colombia", iso_alpha2="CO", iso_alpha3="COL", time_zone="America/Bogota"
    )


@pytest.fixture
def brazil(db):
    return factories.NationFactory(
        name="Brazil",
        iso_alpha2="BR",
        iso_alpha3="BRA",
        time_zone="America/Sao_Paulo",
        official_languages="pt",
    )


@pytest.fixture
def united_states(db):
    return factories.NationFactory(
        name="United States",
        iso_alpha2="US",
        iso_alpha3="USA",
        region="north_america",
        time_zone="America/New_York",
        official_languages="en",
    )


@pytest.fixture
def colombian_user(colombia):
    return factories.UserFactory(username="col-liaison", nation=colombia)


@pytest.fixture
def brazilian_user(brazil):
    return factories.UserFactory(username="bra-liaison", nation=brazil)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def no_fragment_cache(settings):
    """Pages drawn on every request (``PAGE_FRAGMENT_CACHE`` off): for the tests
    that pin the work of drawing a page, which a kept fragment would skip."""
    settings.PAGE_FRAGMENT_CACHE = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test rolls its database back, but the cache (counts kept per data
    generation, ``cooperation.counts``) outlives it: start every test empty."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _restore_language_and_zone():
    """A request activates its user's language and zone in the thread, which the
    test client shares with the test: start and end every test in the defaults."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
