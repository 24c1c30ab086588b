"""Health checks and what users see when something is wrong."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_login_and_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_answers_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok")


# A Redis cache on a port nothing listens on: it refuses at once.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_readyz_answers_503_naming_the_cache_when_the_cache_is_down(client):
    with override_settings(CACHES=DEAD_REDIS):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"cache: unavailable")


def test_readyz_answers_503_when_the_database_is_down(client):
    with mock.patch(
        "cooperation.views.health.connection.cursor",
        side_effect=OperationalError("could not connect to server"),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503


def test_pages_answer_a_friendly_503_without_traceback_when_database_is_down(
    client, colombian_user
):
    client.force_login(colombian_user)
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    body = response.content.decode()
    assert "temporarily unavailable" in body
    assert "Traceback" not in body
    assert "server closed the connection" not in body


def test_a_bug_answers_the_friendly_500_page_not_a_503(colombian_user):
    client = Client(raise_request_exception=False)
    client.force_login(colombian_user)
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=ValueError("a bug"),
    ):
        response = client.get("/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


def test_unknown_page_shows_the_friendly_404(client, colombian_user):
    client.force_login(colombian_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"not released to you" in response.content


def test_missing_csrf_token_gets_the_friendly_403(colombian_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(colombian_user)
    response = client.post("/profile/", {"time_zone": "UTC"})
    assert response.status_code == 403
    assert b"The form expired" in response.content
