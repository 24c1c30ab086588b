import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from tests import factories


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
