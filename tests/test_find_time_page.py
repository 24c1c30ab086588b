"""The "Find a time" page: the search form, the proposed slots and their links."""

import datetime
import zoneinfo
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import holidays
import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from cooperation.models import AssessmentMeeting
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("cooperation:meeting-find-time")
BOGOTA = zoneinfo.ZoneInfo("America/Bogota")


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def first_day_from(days_ahead, *, holiday_in=(), workday_in=()):
    """The first day ``days_ahead`` days from today or later that is a public
    holiday in every nation of ``holiday_in`` and in none of ``workday_in``; with
    ``workday_in``, a Monday to Friday (the nations' weekend is Saturday–Sunday).

    Computed rather than fixed, so the page (which proposes no past times) keeps
    working as the calendar moves on.
    """
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    calendars = {}

    def is_holiday(code, date):
        if (code, date.year) not in calendars:
            calendars[code, date.year] = holidays.country_holidays(
                code, years=date.year
            )
        return date in calendars[code, date.year]

    while not (
        all(is_holiday(code, day) for code in holiday_in)
        and not any(is_holiday(code, day) for code in workday_in)
        and (not workday_in or day.weekday() < 5)
    ):
        day += datetime.timedelta(days=1)
    return day


def search(**overrides):
    query = {
        "nations": ["CO"],
        "duration": "60",
        "first_day": "",
        "last_day": "",
        "time_zone": "America/Bogota",
    }
    query.update(overrides)
    return query


def bogota_time(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), BOGOTA)


@pytest.fixture
def scheduler(colombian_user):
    colombian_user.time_zone = "Europe/Madrid"
    colombian_user.save()
    return grant(colombian_user, "add_assessmentmeeting")


@pytest.fixture
def scheduler_client(client, scheduler):
    client.force_login(scheduler)
    return client


@pytest.fixture
def free_day(colombia, brazil):
    return first_day_from(7, workday_in=["CO", "BR"])


# ---------------------------------------------------------------------- access


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_user_without_the_add_meeting_permission_is_refused(
    client, brazilian_user, colombia
):
    client.force_login(brazilian_user)
    denied = client.get(URL)
    grant(brazilian_user, "add_assessmentmeeting")
    brazilian_user = type(brazilian_user).objects.get(pk=brazilian_user.pk)
    client.force_login(brazilian_user)
    allowed = client.get(URL)

    assert denied.status_code == 403
    assert allowed.status_code == 200


def test_the_page_answers_only_get(scheduler_client):
    response = scheduler_client.post(URL, {})

    assert response.status_code == 405


# ------------------------------------------------------------------------- form


def test_the_empty_form_defaults_to_the_users_zone_and_proposes_nothing(
    scheduler_client, colombia
):
    response = scheduler_client.get(URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["proposals"] is None
    form = response.context["form"]
    assert not form.is_bound
    assert form["time_zone"].value() == "Europe/Madrid"
    assert "proposals-heading" not in page
    assert '<option value="Europe/Madrid" selected>' in page


def test_a_user_zone_missing_from_the_list_is_still_offered_as_default(
    client, scheduler
):
    scheduler.time_zone = "Etc/GMT+5"
    scheduler.save()
    client.force_login(scheduler)

    form = client.get(URL).context["form"]

    # Grouped: the partner nations' zones, then every zone (the user's among them).
    (_partners, (_all, every_zone)) = form.fields["time_zone"].choices
    assert ("Etc/GMT+5", "Etc/GMT+5") in every_zone
    assert form["time_zone"].value() == "Etc/GMT+5"


def test_inactive_nations_and_users_are_not_offered(scheduler_client, colombia):
    factories.NationFactory(
        name="Peru",
        iso_alpha2="PE",
        iso_alpha3="PER",
        time_zone="America/Lima",
        is_active=False,
    )
    gone = factories.UserFactory(username="gone", is_active=False)

    form = scheduler_client.get(URL).context["form"]

    assert [n.iso_alpha2 for n in form.fields["nations"].queryset] == ["CO"]
    assert gone not in form.fields["attendees"].queryset


def days(first, last):
    return lambda day: {
        "first_day": (day + datetime.timedelta(days=first)).isoformat(),
        "last_day": (day + datetime.timedelta(days=last)).isoformat(),
    }


def fixed(**overrides):
    return lambda day: overrides


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param(days(0, -1), "last_day", id="days reversed"),
        pytest.param(days(0, 400), "last_day", id="400 days"),
        pytest.param(days(0, 31), "last_day", id="32 days"),
        pytest.param(days(-40, -20), "last_day", id="days passed"),
        pytest.param(
            fixed(first_day="2200-12-25", last_day="9999-12-31"),
            "last_day",
            id="far future",
        ),
        pytest.param(fixed(first_day="2026-13-45"), "first_day", id="bad date"),
        pytest.param(fixed(duration="abc"), "duration", id="duration abc"),
        pytest.param(fixed(duration="10"), "duration", id="duration too short"),
        pytest.param(fixed(duration="481"), "duration", id="duration too long"),
        pytest.param(fixed(duration="9" * 40), "duration", id="huge duration"),
        pytest.param(fixed(nations=["ZZ"]), "nations", id="unknown nation"),
        pytest.param(fixed(nations=["PE"]), "nations", id="inactive nation"),
        pytest.param(fixed(nations=[]), "nations", id="no nation"),
        pytest.param(fixed(time_zone="Mars/Olympus"), "time_zone", id="unknown zone"),
        pytest.param(fixed(attendees=["abc"]), "attendees", id="attendee abc"),
        pytest.param(fixed(attendees=["999999"]), "attendees", id="unknown attendee"),
        pytest.param(
            lambda day: {"attendees": [str(inactive_user().pk)]},
            "attendees",
            id="inactive attendee",
        ),
    ],
)
def test_bad_input_gives_a_field_error_never_a_500(
    scheduler_client, colombia, free_day, overrides, field
):
    factories.NationFactory(
        name="Peru",
        iso_alpha2="PE",
        iso_alpha3="PER",
        time_zone="America/Lima",
        is_active=False,
    )
    query = search(first_day=free_day.isoformat(), last_day=free_day.isoformat())
    query.update(overrides(free_day))

    response = scheduler_client.get(URL, query)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert response.context["proposals"] is None
    assert "Correct the fields marked below" in response.content.decode()


def inactive_user():
    return factories.UserFactory(username="inactive", is_active=False)


# ------------------------------------------------------------------- proposals


def test_a_one_day_search_proposes_the_days_two_best_free_slots_in_every_zone(
    scheduler_client, colombia, brazil, free_day
):
    response = scheduler_client.get(
        URL,
        search(
            nations=["CO", "BR"],
            first_day=free_day.isoformat(),
            last_day=free_day.isoformat(),
        ),
    )
    page = response.content.decode()
    proposals = response.context["proposals"]

    assert response.status_code == 200
    # The best two of a day, not overlapping: proposals spread over the days
    # searched (tests/test_working_days.py), so one day gives two.
    assert len(proposals) == 2
    assert page.count('class="proposed-slot"') == 2
    assert all(proposal.warnings == [] for proposal in proposals)
    # 08:00 in Bogotá is the first time inside working hours in both nations
    # (10:00 in São Paulo); 09:00 is the next that does not overlap it.
    first = proposals[0].starts_at
    assert first == bogota_time(free_day, 8)
    assert proposals[1].starts_at == bogota_time(free_day, 9)
    for zone in ("America/Bogota", "America/Sao_Paulo", "Europe/Madrid"):
        local = first.astimezone(zoneinfo.ZoneInfo(zone))
        assert date_format(local, "DATETIME_FORMAT") in page
    ends_in_sao_paulo = proposals[0].ends_at.astimezone(
        zoneinfo.ZoneInfo("America/Sao_Paulo")
    )
    assert date_format(ends_in_sao_paulo, "TIME_FORMAT") in page
    assert "Meeting's time (America/Bogota)" in page
    assert "Your time (Europe/Madrid)" in page
    assert "No warnings" in page


def test_use_this_time_links_to_the_meeting_form_filled_in(
    scheduler_client, colombia, brazil, free_day
):
    ana = factories.UserFactory(username="ana")
    ben = factories.UserFactory(username="ben")

    response = scheduler_client.get(
        URL,
        search(
            nations=["CO", "BR"],
            attendees=[str(ana.pk), str(ben.pk)],
            duration="90",
            first_day=free_day.isoformat(),
            last_day=free_day.isoformat(),
        ),
    )
    proposal = response.context["proposals"][0]
    link = urlsplit(proposal.use_url)
    query = parse_qs(link.query)

    assert link.path == reverse("cooperation:meeting-create")
    starts_utc = proposal.starts_at.astimezone(datetime.UTC)
    assert query["starts_at"] == [starts_utc.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert datetime.datetime.fromisoformat(query["starts_at"][0]) == proposal.starts_at
    assert query["duration"] == ["90"]
    assert query["time_zone"] == ["America/Bogota"]
    assert sorted(query["nations"]) == ["BR", "CO"]
    assert sorted(query["attendees"]) == sorted([str(ana.pk), str(ben.pk)])
    assert proposal.use_url.replace("&", "&amp;") in response.content.decode()
    assert "Use this time" in response.content.decode()


def test_slots_are_ranked_by_warnings_and_show_their_text(
    scheduler_client, colombia, brazil, brazilian_user, free_day
):
    # A Colombian meeting takes the whole day in Bogotá; the day is searched
    # alone. Slots inside working hours fail one check (the overlap), the others
    # two. (A meeting withheld from the scheduler is not checked at all:
    # tests/test_scheduling.py.)
    meeting = factories.AssessmentMeetingFactory(
        title="Closed-door Brazilian briefing",
        starts_at=bogota_time(free_day, 0),
        ends_at=bogota_time(free_day + datetime.timedelta(days=1), 0),
    )
    meeting.nations.set([colombia])

    response = scheduler_client.get(
        URL, search(first_day=free_day.isoformat(), last_day=free_day.isoformat())
    )
    page = response.content.decode()
    proposals = response.context["proposals"]

    assert len(proposals) == 2
    assert [[w.code for w in p.warnings] for p in proposals] == [["overlap_nation"]] * 2
    assert proposals[0].starts_at == bogota_time(free_day, 8)
    assert [p.starts_at for p in proposals] == sorted(p.starts_at for p in proposals)
    assert "1 warning<" in page
    assert "No warnings" not in page
    assert "“Closed-door Brazilian briefing”" in page
    assert "Colombia also attend" in page


def test_a_colombian_holiday_is_shown_with_its_name(scheduler_client, colombia, brazil):
    day = first_day_from(2, holiday_in=["CO"], workday_in=["BR"])
    # Named in the reader's language (English here), as the page escapes it.
    name = escape(
        holidays.country_holidays("CO", years=day.year, language="en_US")[day]
    )

    colombian = scheduler_client.get(
        URL, search(first_day=day.isoformat(), last_day=day.isoformat())
    )
    brazilian = scheduler_client.get(
        URL,
        search(nations=["BR"], first_day=day.isoformat(), last_day=day.isoformat()),
    )

    assert f"public holiday in Colombia: {name}" in colombian.content.decode()
    assert all(
        "holiday" in [w.code for w in p.warnings]
        for p in colombian.context["proposals"]
    )
    assert brazilian.context["proposals"][0].warnings == []


def test_times_already_past_today_are_not_proposed(scheduler_client, colombia):
    today = timezone.localdate(timezone=BOGOTA)
    before = timezone.now()

    response = scheduler_client.get(
        URL,
        search(
            first_day=today.isoformat(),
            last_day=(today + datetime.timedelta(days=1)).isoformat(),
        ),
    )
    proposals = response.context["proposals"]

    assert response.status_code == 200
    assert proposals
    assert all(p.starts_at >= before for p in proposals)


def test_a_range_whose_times_have_all_passed_says_so(scheduler_client, colombia):
    # At 23:50 in Bogotá the last candidate of the day (23:30) has started.
    day = first_day_from(1)
    late = bogota_time(day, 23, 50)

    with mock.patch("django.utils.timezone.now", return_value=late):
        response = scheduler_client.get(
            URL, search(first_day=day.isoformat(), last_day=day.isoformat())
        )

    assert response.status_code == 200
    assert response.context["form"].is_valid()
    assert response.context["proposals"] == []
    assert "No time is left in these days" in response.content.decode()


# ------------------------------------------------------------------ query count


def _page_queries(client, day, nations, attendees, count):
    AssessmentMeeting.objects.all().delete()
    for i in range(count):
        meeting = factories.AssessmentMeetingFactory(
            starts_at=bogota_time(day, 8) + i * datetime.timedelta(minutes=11),
            ends_at=bogota_time(day, 10) + i * datetime.timedelta(minutes=11),
            released_to_all=i % 2 == 0,
            released_to=nations[1:],
        )
        meeting.nations.set(nations[: 1 + i % 2])
        factories.InvitationFactory(meeting=meeting, user=attendees[i % 2])
    query = search(
        nations=[n.iso_alpha2 for n in nations],
        attendees=[str(person.pk) for person in attendees],
        first_day=day.isoformat(),
        last_day=(day + datetime.timedelta(days=6)).isoformat(),
    )
    cache.clear()  # as cold as the first request: permissions read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, query)
    assert response.status_code == 200
    assert len(response.context["proposals"]) == 10
    return len(queries)


def test_the_page_runs_the_same_few_queries_with_5_and_50_meetings_in_range(
    scheduler_client, colombia, brazil, free_day
):
    attendees = [factories.UserFactory(), factories.UserFactory()]

    few = _page_queries(scheduler_client, free_day, [colombia, brazil], attendees, 5)
    many = _page_queries(scheduler_client, free_day, [colombia, brazil], attendees, 50)

    assert few == many
    assert few <= 12, few
