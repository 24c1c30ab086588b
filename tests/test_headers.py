"""Response headers: nothing is kept by a cache, and the server does not name itself."""

import socket

import pytest
from django.test import Client
from django.urls import reverse

from cooperation.services import invitations as invitation_services
from tests import factories, servers

pytestmark = pytest.mark.django_db


def assert_not_stored(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


@pytest.fixture
def colombian_client(client, colombian_user):
    client.force_login(colombian_user)
    return client


def test_pages_of_a_signed_in_user_are_private_and_not_stored(colombian_client):
    initiative = factories.InitiativeFactory()
    meeting = factories.AssessmentMeetingFactory()

    responses = [
        colombian_client.get(reverse("cooperation:dashboard")),
        colombian_client.get(reverse("cooperation:initiative-list"), {"format": "csv"}),
        colombian_client.get(reverse("cooperation:meeting-ics", args=[meeting.pk])),
        colombian_client.get(
            reverse("cooperation:initiative-history", args=[initiative.pk])
        ),
        colombian_client.post(
            reverse("cooperation:language-switch"), {"language": "en", "next": "/"}
        ),
    ]

    assert [response.status_code for response in responses] == [
        200,
        200,
        200,
        200,
        302,
    ]
    assert responses[1]["Content-Type"].startswith("text/csv")
    assert responses[2]["Content-Type"].startswith("text/calendar")
    for response in responses:
        assert_not_stored(response)


def test_a_view_that_forbids_caching_keeps_its_own_directives(client):
    response = client.get(reverse("cooperation:healthz"))
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    assert_not_stored(response)


def test_anonymous_pages_are_not_stored_and_cost_no_query(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        login_page = client.get(reverse("login"))
        redirect = client.get(reverse("cooperation:dashboard"))
    assert (login_page.status_code, redirect.status_code) == (200, 302)
    assert_not_stored(login_page)
    assert_not_stored(redirect)


def test_the_calendar_feed_is_not_stored(client, colombian_user):
    token = invitation_services.calendar_token_create(
        user=colombian_user, acting_user=colombian_user
    )
    response = client.get(reverse("cooperation:calendar-feed", args=[token]))
    assert response.status_code == 200
    assert_not_stored(response)


def test_static_files_keep_their_cache_lifetime(settings):
    # The test settings have no collected files; WhiteNoise reads them from the
    # finders when a client's middleware is built.
    settings.WHITENOISE_USE_FINDERS = True
    response = Client().get("/static/css/portal.css")
    assert response.status_code == 200
    assert "max-age=" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


# ---------------------------------------------------------------- the real server


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("gunicorn")
    environment = {"DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}"}
    with servers.gunicorn(environment, directory / "gunicorn.log") as port:
        yield port


def test_gunicorn_does_not_name_itself(production_server):
    status, headers, content, _ = servers.request(production_server, "GET", "/healthz")
    assert (status, content) == (200, "ok")
    assert "Date" in headers
    assert "Server" not in headers


def test_gunicorn_error_responses_do_not_name_it_either(production_server):
    with socket.create_connection(("127.0.0.1", production_server), timeout=5) as raw:
        raw.sendall(b"NOT HTTP\r\n\r\n")
        answer = raw.recv(65536).decode("latin-1")
    head = answer.split("\r\n\r\n", 1)[0]
    assert head.startswith("HTTP/1.1 400")
    assert "server:" not in head.lower()
