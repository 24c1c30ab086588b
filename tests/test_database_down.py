"""With the database down, every page answers the friendly 503 page, and quickly.

The server tests start the portal under gunicorn with production settings and a
PostgreSQL address where nothing listens, whichever database the suite itself uses;
the others use the test client and simulated failures.
"""

from unittest import mock

import psycopg_pool
import pytest
from django.db import OperationalError
from django.test import Client

from cooperation.middleware import database_outage
from tests import servers

pytestmark = pytest.mark.django_db

FRIENDLY_HEADING = "The portal is temporarily unavailable"
# The whole answer, pool wait included (DJANGO_DB_POOL_TIMEOUT, 2 s by default).
BUDGET_SECONDS = 3.0
# A CSRF secret in Django's format (32 letters or digits), sent as the cookie and as
# the form field, so that the login form passes the CSRF check without the database.
CSRF_SECRET = "Abcdefghijklmnopqrstuvwxyz012345"
FAKE_SESSION_KEY = "s3ss10nk3yth4tn0d4t4b4s3c4nl00ku"


@pytest.fixture(scope="module")
def server_without_database(tmp_path_factory):
    closed_port = servers.unused_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "database-down.log"
    environment = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/portal",
        # The production settings, with static URLs that need no collectstatic.
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
        # Every request meets the failure itself, rather than the first one only.
        "DJANGO_DB_RETRY_SECONDS": "0",
    }
    with servers.gunicorn(environment, log_path) as port:
        yield port


@pytest.fixture(autouse=True)
def no_known_outage():
    database_outage.clear()
    yield
    database_outage.clear()


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        pytest.param("GET", "/", {}, None, id="dashboard-anonymous"),
        pytest.param("GET", "/nations/", {}, None, id="nations-anonymous"),
        pytest.param(
            "GET",
            "/nations/",
            {"Cookie": f"sessionid={FAKE_SESSION_KEY}"},
            None,
            id="nations-signed-in",
        ),
        pytest.param("GET", "/accounts/login/", {}, None, id="login-page"),
        pytest.param(
            "POST",
            "/accounts/login/",
            {
                "Cookie": f"csrftoken={CSRF_SECRET}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            f"csrfmiddlewaretoken={CSRF_SECRET}&username=col-liaison&password=secret",
            id="login-post",
        ),
    ],
)
def test_pages_answer_the_friendly_503_in_time_without_a_database(
    server_without_database, method, path, headers, body
):
    status, response_headers, content, seconds = servers.request(
        server_without_database, method, path, headers=headers, body=body
    )
    assert status == 503
    assert seconds < BUDGET_SECONDS
    assert FRIENDLY_HEADING in content
    assert "Traceback" not in content
    assert "couldn't get a connection" not in content
    assert response_headers["Retry-After"] == "60"
    assert "no-store" in response_headers["Cache-Control"]


def test_readyz_names_the_database_without_details(server_without_database):
    status, _, content, seconds = servers.request(
        server_without_database, "GET", "/readyz"
    )
    assert (status, content) == (503, "database: unavailable")
    assert seconds < BUDGET_SECONDS


def test_healthz_stays_up_without_a_database(server_without_database):
    status, _, content, seconds = servers.request(
        server_without_database, "GET", "/healthz"
    )
    assert (status, content) == (200, "ok")
    assert seconds < BUDGET_SECONDS


# ------------------------------------------------- failures the test client simulates


def pool_timeout():
    """What Django raises when the pool could not hand out a connection in time."""
    error = OperationalError("couldn't get a connection after 2.00 sec")
    error.__cause__ = psycopg_pool.PoolTimeout("couldn't get a connection")
    return error


@pytest.fixture
def signed_in_client(colombian_user):
    # Failures outside a view reach Django's 500 handling, which the test client
    # would re-raise instead of returning the page.
    client = Client(raise_request_exception=False)
    client.force_login(colombian_user)
    return client


def assert_friendly_503(response):
    assert response.status_code == 503
    body = response.content.decode()
    assert FRIENDLY_HEADING in body
    assert "Traceback" not in body


def test_a_session_that_cannot_be_loaded_answers_503_not_500(signed_in_client):
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=pool_timeout(),
    ):
        response = signed_in_client.get("/")
    assert_friendly_503(response)


def rendering_failed_after_a_lost_connection():
    error = ValueError("rendering failed")
    error.__context__ = OperationalError("server closed the connection")
    return error


@pytest.mark.parametrize(
    "make_error",
    [
        pytest.param(lambda: psycopg_pool.PoolTimeout("no connection"), id="unwrapped"),
        pytest.param(rendering_failed_after_a_lost_connection, id="while-handling-it"),
    ],
)
def test_a_connection_error_django_did_not_wrap_answers_503(
    signed_in_client, make_error
):
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=make_error(),
    ):
        response = signed_in_client.get("/")
    assert_friendly_503(response)


def test_after_a_pool_timeout_pages_answer_503_without_asking_the_database(
    signed_in_client, django_assert_num_queries
):
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=pool_timeout(),
    ):
        assert_friendly_503(signed_in_client.get("/"))

    # Not even the session is loaded.
    with django_assert_num_queries(0):
        assert_friendly_503(signed_in_client.get("/nations/"))
    assert signed_in_client.get("/healthz").status_code == 200

    # A readiness check that reaches the database ends the outage.
    assert signed_in_client.get("/readyz").status_code == 200
    assert signed_in_client.get("/nations/").status_code == 200


def test_a_pool_timeout_is_not_remembered_when_retry_is_off(signed_in_client, settings):
    settings.PORTAL_DATABASE_RETRY_SECONDS = 0
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=pool_timeout(),
    ):
        assert_friendly_503(signed_in_client.get("/"))
    assert signed_in_client.get("/nations/").status_code == 200


def test_a_connection_lost_in_a_query_is_not_remembered(signed_in_client):
    with mock.patch(
        "cooperation.views.dashboard.Recommendation.objects.visible_to",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        assert_friendly_503(signed_in_client.get("/"))
    assert signed_in_client.get("/nations/").status_code == 200


def test_a_failed_readiness_check_is_remembered(client, signed_in_client):
    with mock.patch(
        "cooperation.views.health.connection.cursor", side_effect=pool_timeout()
    ):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"database: unavailable")
    assert_friendly_503(signed_in_client.get("/nations/"))
