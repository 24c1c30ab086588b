import pytest

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
