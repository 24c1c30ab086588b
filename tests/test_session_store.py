"""Sessions with a shared cache in front of the database (``REDIS_URL``): the cache
serves them, and a cache that stops answering costs speed, never a sign-in."""

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse

from tests.test_health import DEAD_REDIS

pytestmark = pytest.mark.django_db

CACHED_DB = {"SESSION_ENGINE": "cooperation.session_store"}


def sign_in_and_open_the_dashboard(user):
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "pw-Secret-123!"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client, client.get(reverse("cooperation:dashboard"))


@pytest.fixture
def person(colombian_user):
    colombian_user.set_password("pw-Secret-123!")
    colombian_user.save()
    return colombian_user


@override_settings(**CACHED_DB)
def test_a_session_is_served_from_the_cache_and_kept_in_the_database(person):
    from django.contrib.sessions.models import Session

    client, page = sign_in_and_open_the_dashboard(person)

    assert page.status_code == 200
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    cached = caches["default"].get("django.contrib.sessions.cached_db" + key)
    assert cached["_auth_user_id"] == str(person.pk)


@override_settings(**CACHED_DB, CACHES=DEAD_REDIS)
def test_a_cache_that_does_not_answer_costs_no_sign_in_or_sign_out(person):
    client, page = sign_in_and_open_the_dashboard(person)

    assert page.status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("cooperation:dashboard")).status_code == 302
