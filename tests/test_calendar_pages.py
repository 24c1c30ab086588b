"""Calendar pages: month view, .ics download, RSVP, subscription and feed."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation.models import AssessmentMeeting, Invitation, User
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"


@pytest.fixture
def tokyo_user(colombia):
    # Far east of the meetings' zones, so a meeting's local day differs from UTC's.
    return factories.UserFactory(
        username="tokyo", nation=colombia, time_zone="Asia/Tokyo"
    )


@pytest.fixture
def tokyo_client(client, tokyo_user):
    client.force_login(tokyo_user)
    return client


@pytest.fixture
def colombian_client(client, colombian_user):
    client.force_login(colombian_user)
    return client


def meeting_at(when, **kwargs):
    return factories.AssessmentMeetingFactory(
        starts_at=when, ends_at=when + datetime.timedelta(hours=2), **kwargs
    )


def day_cells(response):
    return {day["date"]: day for week in response.context["weeks"] for day in week}


def parse(response):
    return icalendar.Calendar.from_ical(b"".join(response))


# ------------------------------------------------------------------ month view


def test_month_view_places_meetings_on_the_users_local_day(tokyo_client, brazil):
    # 20:00 UTC on 9 December is 05:00 on 10 December in Tokyo.
    late = meeting_at(
        datetime.datetime(2026, 12, 9, 20, 0, tzinfo=UTC), title="Late in UTC"
    )
    withheld = meeting_at(
        datetime.datetime(2026, 12, 15, 14, 0, tzinfo=UTC),
        title="Brazil only",
        released_to_all=False,
        released_to=[brazil],
    )

    response = tokyo_client.get(reverse("cooperation:calendar"), {"month": "2026-12"})

    assert response.status_code == 200
    cells = day_cells(response)
    assert cells[datetime.date(2026, 12, 10)]["meetings"] == [late]
    assert cells[datetime.date(2026, 12, 9)]["meetings"] == []
    content = response.content.decode()
    assert "Late in UTC" in content
    assert "05:00" in content
    assert late.get_absolute_url() in content
    assert withheld.title not in content
    assert response.context["month_meeting_count"] == 1


def test_month_view_grid_starts_on_monday_and_links_neighbouring_months(
    tokyo_client,
):
    response = tokyo_client.get(reverse("cooperation:calendar"), {"month": "2026-01"})

    weeks = response.context["weeks"]
    assert all(len(week) == 7 for week in weeks)
    assert weeks[0][0]["date"] == datetime.date(2025, 12, 29)  # a Monday
    assert weeks[0][0]["date"].weekday() == 0
    assert not weeks[0][0]["in_month"]
    assert response.context["previous_month"] == "2025-12"
    assert response.context["next_month"] == "2026-02"
    content = response.content.decode()
    assert "?month=2025-12" in content
    assert "?month=2026-02" in content
    assert content.count("<h1") == 1


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "banana", "2026-1", "0000-01", "99999-01", "🙂"]
)
def test_month_view_falls_back_to_this_month_on_a_bad_value(tokyo_client, month):
    response = tokyo_client.get(reverse("cooperation:calendar"), {"month": month})

    assert response.status_code == 200
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert response.context["month_start"] == today.replace(day=1)
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["warning"]


def test_month_view_without_a_month_shows_this_month_without_a_warning(tokyo_client):
    response = tokyo_client.get(reverse("cooperation:calendar"))

    assert response.status_code == 200
    assert list(get_messages(response.wsgi_request)) == []


def test_calendar_needs_a_login(client):
    response = client.get(reverse("cooperation:calendar"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def count_queries(client, url, params=None):
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_month_view_runs_the_same_queries_for_5_and_50_meetings(tokyo_client):
    url = reverse("cooperation:calendar")
    first = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    for number in range(5):
        meeting_at(first + datetime.timedelta(hours=number), chair=None)
    five = count_queries(tokyo_client, url, {"month": "2026-12"})
    for number in range(45):
        meeting_at(first + datetime.timedelta(hours=12 + number * 12))
    fifty = count_queries(tokyo_client, url, {"month": "2026-12"})

    assert five == fifty
    assert fifty <= 12


# -------------------------------------------------------------- .ics download


def test_ics_download_parses_back_with_the_meeting_tzid(colombian_client):
    meeting = meeting_at(
        datetime.datetime(2026, 12, 9, 14, tzinfo=UTC), time_zone="America/Santiago"
    )

    response = colombian_client.get(
        reverse("cooperation:meeting-ics", args=[meeting.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="meeting-{meeting.pk}.ics"' in response["Content-Disposition"]
    calendar = parse(response)
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/Santiago"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Santiago"]
    assert event.decoded("DTSTART") == meeting.starts_at
    assert str(event["UID"]) == f"meeting-{meeting.pk}@portal.example.org"


def test_ics_download_of_a_withheld_or_missing_meeting_is_404(colombian_client, brazil):
    withheld = meeting_at(
        datetime.datetime(2026, 12, 9, 14, tzinfo=UTC),
        released_to_all=False,
        released_to=[brazil],
    )

    assert (
        colombian_client.get(
            reverse("cooperation:meeting-ics", args=[withheld.pk])
        ).status_code
        == 404
    )
    assert (
        colombian_client.get(
            reverse("cooperation:meeting-ics", args=[withheld.pk + 1000])
        ).status_code
        == 404
    )


# ------------------------------------------------------------------------ RSVP


@pytest.fixture
def invited(colombian_user):
    meeting = meeting_at(timezone.now() + datetime.timedelta(days=3))
    invitation = factories.InvitationFactory(meeting=meeting, user=colombian_user)
    return meeting, invitation


def test_rsvp_records_the_answer_and_redirects_to_the_meeting(
    colombian_client, invited
):
    meeting, invitation = invited

    response = colombian_client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "declined"},
    )

    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.DECLINED
    assert invitation.responded_at is not None


def test_rsvp_answer_is_shown_on_the_meeting_page(
    colombian_client, invited, brazilian_user
):
    meeting, _invitation = invited
    factories.InvitationFactory(
        meeting=meeting, user=brazilian_user, response=Invitation.Response.TENTATIVE
    )
    colombian_client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "accepted"},
    )

    response = colombian_client.get(meeting.get_absolute_url())

    content = response.content.decode()
    assert 'id="rsvp"' in content
    # The answer buttons say "Tentative" as well: read the attendees' badges.
    assert '<span class="badge text-bg-success">Accepted</span>' in content
    assert '<span class="badge text-bg-warning">Tentative</span>' in content
    assert reverse("cooperation:meeting-rsvp", args=[meeting.pk]) in content
    assert reverse("cooperation:meeting-ics", args=[meeting.pk]) in content


def test_meeting_page_lists_who_answered_what_and_offers_buttons_to_the_invitee(
    client, invited, colombian_user, brazilian_user
):
    meeting, _invitation = invited
    factories.InvitationFactory(
        meeting=meeting, user=brazilian_user, response=Invitation.Response.DECLINED
    )

    def page(user):
        client.force_login(user)
        response = client.get(meeting.get_absolute_url())
        assert response.status_code == 200
        return response.content.decode()

    html, other = page(colombian_user), page(brazilian_user)
    outsider = page(factories.UserFactory())

    assert str(brazilian_user) in html and "Declined" in html
    assert str(colombian_user) in html and "No answer yet" in html
    for value in ("accepted", "tentative", "declined"):
        assert f'value="{value}"' in html
    assert 'aria-pressed="true"' in other
    assert 'name="response"' not in outsider
    assert reverse("cooperation:meeting-ics", args=[meeting.pk]) in outsider


def test_rsvp_by_someone_not_invited_is_404(client, invited, colombia):
    meeting, invitation = invited
    client.force_login(factories.UserFactory(username="other", nation=colombia))

    response = client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "accepted"},
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.NEEDS_ACTION


def test_rsvp_to_a_withheld_meeting_is_404_even_if_invited(
    client, brazilian_user, colombia
):
    meeting = meeting_at(
        timezone.now() + datetime.timedelta(days=3),
        released_to_all=False,
        released_to=[colombia],
    )
    factories.InvitationFactory(meeting=meeting, user=brazilian_user)
    client.force_login(brazilian_user)

    response = client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "accepted"},
    )

    assert response.status_code == 404
    assert Invitation.objects.get().response == Invitation.Response.NEEDS_ACTION


@pytest.mark.parametrize("value", ["", "needs_action", "yes", "x" * 5000])
def test_rsvp_with_a_forged_answer_is_400(colombian_client, invited, value):
    meeting, invitation = invited

    response = colombian_client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]), {"response": value}
    )

    assert response.status_code == 400
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.NEEDS_ACTION


def test_rsvp_to_a_cancelled_meeting_is_refused_with_a_message(
    colombian_client, invited
):
    meeting, invitation = invited
    AssessmentMeeting.objects.filter(pk=meeting.pk).update(
        status=AssessmentMeeting.Status.CANCELLED
    )

    response = colombian_client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "accepted"},
    )

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.NEEDS_ACTION


def test_rsvp_needs_post_and_a_csrf_token(invited, colombian_user):
    meeting, invitation = invited
    url = reverse("cooperation:meeting-rsvp", args=[meeting.pk])
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(colombian_user)

    assert csrf_client.get(url).status_code == 405
    assert csrf_client.post(url, {"response": "accepted"}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.NEEDS_ACTION


# ------------------------------------------------------- subscription and feed


def create_feed_url(client, action="create"):
    response = client.post(
        reverse("cooperation:calendar-subscription"), {"action": action}
    )
    assert response.status_code == 302
    page = client.get(reverse("cooperation:calendar-subscription"))
    url = page.context["new_feed_url"]
    assert url.startswith("https://portal.example.org/calendar/feed/")
    assert url in page.content.decode()
    return url.removeprefix("https://portal.example.org")


def test_subscription_shows_the_feed_url_only_once(colombian_client, colombian_user):
    page = colombian_client.get(reverse("cooperation:calendar-subscription"))
    assert page.status_code == 200
    assert "Create my feed address" in page.content.decode()

    path = create_feed_url(colombian_client)

    again = colombian_client.get(reverse("cooperation:calendar-subscription"))
    assert again.context["new_feed_url"] is None
    assert path not in again.content.decode()
    assert "Revoke the address" in again.content.decode()
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in User.objects.get(pk=colombian_user.pk).calendar_token_hash


def test_feed_answers_calendar_clients_without_a_login(
    colombian_client, colombian_user, brazil
):
    visible = meeting_at(
        timezone.now() + datetime.timedelta(days=5),
        title="Visible",
        time_zone="America/New_York",
    )
    meeting_at(
        timezone.now() + datetime.timedelta(days=6),
        title="Brazil only",
        released_to_all=False,
        released_to=[brazil],
    )
    path = create_feed_url(colombian_client)

    response = Client().get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = parse(response)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Visible"
    assert str(event["UID"]) == f"meeting-{visible.pk}@portal.example.org"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_feed_is_404_after_revoke_and_a_regenerated_url_works(colombian_client):
    old = create_feed_url(colombian_client)
    assert Client().get(old).status_code == 200

    new = create_feed_url(colombian_client, action="regenerate")
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200

    response = colombian_client.post(
        reverse("cooperation:calendar-subscription"), {"action": "revoke"}
    )
    assert response.status_code == 302
    assert Client().get(new).status_code == 404
    page = colombian_client.get(reverse("cooperation:calendar-subscription"))
    assert "Create my feed address" in page.content.decode()


@pytest.mark.parametrize("token", ["unknown", "x" * 300, "a.b"])
def test_feed_with_an_unknown_token_is_404(client, colombian_user, token):
    colombian_user.calendar_token_hash = ""
    colombian_user.save()

    response = client.get(reverse("cooperation:calendar-feed", args=[token]))

    assert response.status_code == 404


def test_subscription_rejects_an_unknown_action_and_a_missing_csrf_token(
    colombian_client, colombian_user
):
    response = colombian_client.post(
        reverse("cooperation:calendar-subscription"), {"action": "steal"}
    )
    assert response.status_code == 400

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(colombian_user)
    response = csrf_client.post(
        reverse("cooperation:calendar-subscription"), {"action": "create"}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=colombian_user.pk).calendar_token_hash == ""


def test_feed_runs_the_same_queries_for_5_and_50_meetings(colombian_client):
    path = create_feed_url(colombian_client)
    anonymous = Client()
    start = timezone.now() + datetime.timedelta(days=1)
    zones = ["America/Bogota", "America/New_York", "America/Sao_Paulo"]
    for number in range(5):
        meeting = meeting_at(
            start + datetime.timedelta(days=number), time_zone=zones[number % 3]
        )
        factories.AgendaItemFactory(meeting=meeting)
    five = count_queries(anonymous, path)
    for number in range(5, 50):
        meeting = meeting_at(
            start + datetime.timedelta(days=number), time_zone=zones[number % 3]
        )
        factories.AgendaItemFactory(meeting=meeting)
    fifty = count_queries(anonymous, path)

    assert len(parse(anonymous.get(path)).walk("VEVENT")) == 50
    assert five == fifty
    assert fifty <= 12
