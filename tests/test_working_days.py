"""Working days per nation (weekends and working hours), series repeating on e.g.
"the first Tuesday of each quarter", and find-a-time over whole series and days."""

import datetime
import zoneinfo
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from cooperation.forms.meetings import MeetingForm, RepeatForm
from cooperation.models import AssessmentMeeting, MeetingSeries, Nation
from cooperation.services import meetings as meeting_services
from cooperation.services.scheduling import meeting_check, meeting_find_slots
from tests import factories

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
FIND_URL = reverse("cooperation:meeting-find-time")
CREATE_URL = reverse("cooperation:meeting-create")


def local(year, month, day, hour=0, minute=0, *, zone):
    return datetime.datetime(
        year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone)
    )


def codes(warnings):
    return [warning.code for warning in warnings]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture(autouse=True)
def notify():
    with mock.patch("cooperation.services.invitations.meeting_notify") as patched:
        yield patched


@pytest.fixture
def mexico(db):
    return factories.NationFactory(
        name="Mexico",
        iso_alpha2="MX",
        iso_alpha3="MEX",
        region="north_america",
        time_zone="America/Mexico_City",
        official_languages="es",
    )


@pytest.fixture
def scheduler(colombian_user):
    return grant(colombian_user, "add_assessmentmeeting", "change_assessmentmeeting")


@pytest.fixture
def scheduler_client(client, scheduler):
    client.force_login(scheduler)
    return client


# ------------------------------------------------------------------- the nation


def test_nations_rest_on_saturday_and_sunday_from_8_to_18_by_default(colombia):
    assert colombia.weekend_days == "56"
    assert (colombia.workday_start, colombia.workday_end) == (
        datetime.time(8),
        datetime.time(18),
    )
    assert [colombia.is_weekend(datetime.date(2027, 3, d)) for d in (5, 6, 7, 8)] == [
        False,
        True,
        True,
        False,
    ]


def test_a_week_without_working_days_is_refused_by_validation_and_database(colombia):
    colombia.weekend_days = "0123456"
    with pytest.raises(ValidationError) as error:
        colombia.full_clean()
    assert "weekend_days" in error.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        Nation.objects.filter(pk=colombia.pk).update(weekend_days="0123456")
    with pytest.raises(IntegrityError), transaction.atomic():
        Nation.objects.filter(pk=colombia.pk).update(weekend_days="65")
    assert Nation.objects.get(pk=colombia.pk).weekend_days == "56"


def test_a_working_day_ending_before_it_starts_is_refused(colombia):
    colombia.refresh_from_db()
    colombia.workday_start = datetime.time(18)
    colombia.workday_end = datetime.time(9)
    with pytest.raises(ValidationError) as error:
        colombia.full_clean()
    assert "workday_end" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Nation.objects.filter(pk=colombia.pk).update(
            workday_start=datetime.time(18), workday_end=datetime.time(9)
        )


def test_the_weekend_is_chosen_with_checkboxes_of_the_days(colombia):
    form_class = modelform_factory(
        Nation, fields=["weekend_days", "workday_start", "workday_end"]
    )
    unbound = form_class(instance=colombia)
    friday_saturday = form_class(
        {"weekend_days": ["4", "5"], "workday_start": "07:30", "workday_end": "15:30"},
        instance=colombia,
    )
    every_day = form_class(
        {
            "weekend_days": list("0123456"),
            "workday_start": "08:00",
            "workday_end": "18:00",
        },
        instance=Nation.objects.get(pk=colombia.pk),
    )

    assert 'type="checkbox"' in str(unbound["weekend_days"])
    assert unbound["weekend_days"].value() == ["5", "6"]
    assert friday_saturday.is_valid(), friday_saturday.errors
    friday_saturday.save()
    colombia.refresh_from_db()
    assert colombia.weekend_days == "45"
    assert colombia.workday_start == datetime.time(7, 30)
    assert not every_day.is_valid()
    assert "weekend_days" in every_day.errors


def test_the_admin_edits_weekend_and_working_hours(admin_client, colombia):
    page = admin_client.get(
        reverse("admin:cooperation_nation_change", args=[colombia.pk])
    ).content.decode()

    assert 'name="weekend_days"' in page
    assert 'name="workday_start"' in page
    assert 'name="workday_end"' in page


# ---------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("fixture", "zone", "name"),
    [
        ("brazil", "America/Sao_Paulo", "Brazil"),
        ("colombia", "America/Bogota", "Colombia"),
        ("mexico", "America/Mexico_City", "Mexico"),
        ("united_states", "America/New_York", "United States"),
    ],
)
def test_a_weekend_meeting_warns_naming_the_nation_and_the_day(
    request, fixture, zone, name
):
    nation = request.getfixturevalue(fixture)
    # Friday 5, Saturday 6 and Sunday 7 March 2027, 10:00 local time.
    friday, saturday, sunday = (
        meeting_check(
            starts_at=local(2027, 3, day, 10, zone=zone),
            ends_at=local(2027, 3, day, 11, zone=zone),
            nations=[nation],
        )
        for day in (5, 6, 7)
    )

    assert friday == []
    assert codes(saturday) == ["weekend"]
    assert codes(sunday) == ["weekend"]
    assert name in saturday[0].message
    assert "Saturday" in saturday[0].message
    assert "Sunday" in sunday[0].message


def test_a_nation_resting_friday_and_saturday_is_warned_on_friday_not_sunday(brazil):
    def on(day):
        return meeting_check(
            starts_at=local(2027, 3, day, 10, zone="America/Sao_Paulo"),
            ends_at=local(2027, 3, day, 11, zone="America/Sao_Paulo"),
            nations=[brazil],
        )

    before = codes(on(5)), codes(on(7))
    brazil.weekend_days = "45"
    brazil.save()

    assert before == ([], ["weekend"])
    assert codes(on(5)) == ["weekend"]
    assert codes(on(7)) == []


def test_working_hours_are_each_nations_own(colombia, brazil):
    # 08:00–09:00 in Bogotá is 10:00–11:00 in São Paulo, a Tuesday.
    starts = local(2027, 3, 9, 8, zone="America/Bogota")
    before = meeting_check(starts_at=starts, ends_at=starts + HOUR, nations=[colombia])
    colombia.workday_start = datetime.time(9)
    colombia.workday_end = datetime.time(17)
    colombia.save()

    after = meeting_check(
        starts_at=starts, ends_at=starts + HOUR, nations=[colombia, brazil]
    )

    assert before == []
    assert codes(after) == ["outside_hours"]
    assert "Colombia" in after[0].message
    assert "outside 09:00–17:00" in after[0].message


def test_a_quarterly_series_flags_each_occurrence_on_a_weekend(scheduler, brazil):
    # From Sunday 3 January 2027: 3 April (Saturday), 3 July (Saturday) and
    # 3 October 2027 (Sunday); then from Tuesday 5 January, none.
    def plan(day):
        starts = local(2027, 1, day, 10, zone="America/Sao_Paulo")
        return meeting_services.meeting_plan(
            details=meeting_services.MeetingDetails(
                title="Quarterly review",
                starts_at=starts,
                ends_at=starts + HOUR,
                time_zone="America/Sao_Paulo",
                nations=(brazil,),
            ),
            acting_user=scheduler,
            repeat=meeting_services.Repeat(frequency="quarterly", count=4),
        )

    on_weekends = plan(3)
    on_tuesdays = plan(5)

    assert [codes(o.warnings) for o in on_weekends.occurrences] == [["weekend"]] * 4
    weekdays = [o.warnings[0].message for o in on_weekends.occurrences]
    assert ["Sunday" in m for m in weekdays] == [True, False, False, True]
    assert ["Saturday" in m for m in weekdays] == [False, True, True, False]
    assert [label for label, _w in on_weekends.warnings] == [
        o.label for o in on_weekends.occurrences
    ]
    assert on_tuesdays.warnings == []


# -------------------------------------------------------------------- recurrence


def series(**fields):
    values = {
        "title": "Review",
        "frequency": MeetingSeries.Frequency.MONTHLY,
        "interval": 1,
        "start_time": datetime.time(10),
        "duration_minutes": 60,
        "time_zone": "America/New_York",
    }
    values.update(fields)
    return MeetingSeries(**values)


def times_of(rule):
    return meeting_services.series_occurrence_times(
        frequency=rule.frequency,
        interval=rule.interval,
        starts_on=rule.starts_on,
        start_time=rule.start_time,
        duration_minutes=rule.duration_minutes,
        time_zone=rule.time_zone,
        until=rule.until,
        count=rule.count,
        week_of_month=rule.week_of_month,
        weekday=rule.weekday,
    )


def test_the_first_tuesday_of_each_quarter_across_a_dst_change():
    rule = series(
        frequency=MeetingSeries.Frequency.QUARTERLY,
        starts_on=datetime.date(2027, 1, 5),
        week_of_month=MeetingSeries.WeekOfMonth.FIRST,
        weekday=1,
        count=4,
    )
    times = times_of(rule)
    new_york = zoneinfo.ZoneInfo("America/New_York")

    assert [t.starts_at.astimezone(new_york).date() for t in times] == [
        datetime.date(2027, 1, 5),
        datetime.date(2027, 4, 6),
        datetime.date(2027, 7, 6),
        datetime.date(2027, 10, 5),
    ]
    # 10:00 local every time: 15:00 UTC in winter (EST), 14:00 UTC in summer (EDT).
    assert {t.starts_at.astimezone(new_york).time() for t in times} == {
        datetime.time(10)
    }
    assert [t.starts_at.astimezone(datetime.UTC).hour for t in times] == [
        15,
        14,
        14,
        14,
    ]
    assert rule.rrule_text() == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;COUNT=4"


def test_the_last_thursday_of_the_month_across_a_dst_change():
    # New York moves its clocks on 14 March 2027.
    rule = series(
        starts_on=datetime.date(2027, 2, 25),
        week_of_month=MeetingSeries.WeekOfMonth.LAST,
        weekday=3,
        until=datetime.date(2027, 4, 30),
    )
    times = times_of(rule)
    new_york = zoneinfo.ZoneInfo("America/New_York")

    assert [t.starts_at.astimezone(new_york).date() for t in times] == [
        datetime.date(2027, 2, 25),
        datetime.date(2027, 3, 25),
        datetime.date(2027, 4, 29),
    ]
    assert [t.starts_at.astimezone(datetime.UTC).hour for t in times] == [15, 14, 14]
    # The end of 30 April in New York (EDT, UTC-4), as UTC.
    assert rule.rrule_text() == (
        "FREQ=MONTHLY;INTERVAL=1;BYDAY=-1TH;UNTIL=20270501T035959Z"
    )


def test_the_same_day_of_the_month_falls_back_to_a_shorter_months_last_day():
    rule = series(starts_on=datetime.date(2027, 1, 31), count=4)

    assert [t.starts_at.date() for t in times_of(rule)] == [
        datetime.date(2027, 1, 31),
        datetime.date(2027, 2, 28),
        datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30),
    ]
    assert rule.rrule_text() == (
        "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=4"
    )
    assert (
        series(
            frequency=MeetingSeries.Frequency.WEEKLY,
            interval=2,
            starts_on=datetime.date(2027, 1, 5),
            count=3,
        ).rrule_text()
        == "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
    )


def test_a_first_day_off_the_chosen_weekday_is_refused():
    with pytest.raises(ValidationError) as error:
        meeting_services.series_occurrence_dates(
            frequency="monthly",
            interval=1,
            starts_on=datetime.date(2027, 1, 6),  # a Wednesday
            count=3,
            week_of_month=1,
            weekday=1,
        )
    assert error.value.code == "first_not_on_rule"


def test_the_database_refuses_a_week_of_the_month_without_a_weekday(scheduler):
    rule = series(
        starts_on=datetime.date(2027, 1, 5),
        count=2,
        week_of_month=1,
        created_by=scheduler,
    )
    with pytest.raises(ValidationError):
        rule.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        rule.save()


def repeat_form(**data):
    values = {
        "repeat-frequency": "monthly",
        "repeat-interval": "1",
        "repeat-ends": "after_count",
        "repeat-count": "4",
    }
    values.update(data)
    return RepeatForm(values)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"repeat-week_of_month": "1"}, "weekday"),
        ({"repeat-weekday": "1"}, "week_of_month"),
        (
            {
                "repeat-frequency": "weekly",
                "repeat-week_of_month": "1",
                "repeat-weekday": "1",
            },
            "week_of_month",
        ),
        ({"repeat-week_of_month": "5", "repeat-weekday": "1"}, "week_of_month"),
        ({"repeat-week_of_month": "1", "repeat-weekday": "7"}, "weekday"),
        ({"repeat-week_of_month": "x", "repeat-weekday": "1"}, "week_of_month"),
    ],
)
def test_the_repeat_section_refuses_a_half_or_bad_week_and_weekday(data, field):
    good = repeat_form(**{"repeat-week_of_month": "-1", "repeat-weekday": "3"})
    bad = repeat_form(**data)

    assert good.is_valid(), good.errors
    assert good.repeat() == meeting_services.Repeat(
        frequency="monthly", interval=1, count=4, week_of_month=-1, weekday=3
    )
    assert not bad.is_valid()
    assert field in bad.errors


def meeting_data(starts_at, **overrides):
    data = {
        "title": "Quarterly situation assessment",
        "status": "scheduled",
        "time_zone": "America/New_York",
        "starts_at": starts_at,
        "ends_at": starts_at.replace("T10:", "T11:"),
        "location": "Washington",
        "online_url": "",
        "chair": "",
        "agenda-TOTAL_FORMS": "0",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "100",
        "repeat-frequency": "quarterly",
        "repeat-interval": "1",
        "repeat-ends": "after_count",
        "repeat-count": "4",
        "repeat-until": "",
        "repeat-week_of_month": "1",
        "repeat-weekday": "1",
    }
    if "language" in MeetingForm.base_fields:  # the meeting's content language
        data["language"] = "en"
    data.update(overrides)
    return data


def test_the_meeting_form_schedules_the_first_tuesday_of_each_quarter(
    scheduler_client,
):
    refused = scheduler_client.post(CREATE_URL, meeting_data("2027-01-06T10:00"))
    missing = scheduler_client.post(
        CREATE_URL, meeting_data("2027-01-05T10:00", **{"repeat-weekday": ""})
    )
    assert MeetingSeries.objects.count() == 0

    created = scheduler_client.post(CREATE_URL, meeting_data("2027-01-05T10:00"))

    assert refused.status_code == 200
    assert "__all__" in refused.context["repeat"].errors
    assert missing.status_code == 200
    assert "weekday" in missing.context["repeat"].errors
    assert created.status_code == 302
    rule = MeetingSeries.objects.get()
    assert (rule.week_of_month, rule.weekday) == (1, 1)
    assert rule.rrule_text() == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;COUNT=4"
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert [
        m.starts_at.astimezone(new_york).date()
        for m in AssessmentMeeting.objects.order_by("starts_at")
    ] == [
        datetime.date(2027, 1, 5),
        datetime.date(2027, 4, 6),
        datetime.date(2027, 7, 6),
        datetime.date(2027, 10, 5),
    ]


# ------------------------------------------------------------------- time zones


def test_the_zone_pickers_offer_the_partner_nations_zones_first(
    scheduler_client, colombia, brazil
):
    factories.NationFactory(
        name="Peru",
        iso_alpha2="PE",
        iso_alpha3="PER",
        time_zone="America/Lima",
        is_active=False,
    )
    for url in (CREATE_URL, FIND_URL):
        field = scheduler_client.get(url).context["form"].fields["time_zone"]
        (partners, partner_zones), (others, other_zones) = field.choices

        assert str(partners) == "Partner nations"
        assert partner_zones == [
            ("America/Bogota", "America/Bogota (Colombia)"),
            ("America/Sao_Paulo", "America/Sao Paulo (Brazil)"),
        ]
        assert str(others) == "Other time zones"
        assert ("America/Lima", "America/Lima") in other_zones
        assert "America/Bogota" not in {zone for zone, _ in other_zones}
        assert len(other_zones) > 300


# ------------------------------------------------------------------ find a time


def test_find_slots_never_offers_a_weekend_slot_without_a_warning(
    brazil, united_states
):
    # Thursday 4 to Tuesday 9 March 2027.
    slots = meeting_find_slots(
        nations=[brazil, united_states],
        duration=HOUR,
        first_day=datetime.date(2027, 3, 4),
        last_day=datetime.date(2027, 3, 9),
        time_zone="America/New_York",
        limit=500,
        per_day=None,
    )

    def weekend_somewhere(slot):
        return any(
            slot.starts_at.astimezone(zoneinfo.ZoneInfo(zone)).weekday() >= 5
            for zone in ("America/Sao_Paulo", "America/New_York")
        )

    on_weekends = [slot for slot in slots if weekend_somewhere(slot)]
    assert len(on_weekends) > 90
    assert all("weekend" in codes(slot.warnings) for slot in on_weekends)
    assert [slot for slot in slots if not slot.warnings]
    assert not [slot for slot in slots if not slot.warnings and weekend_somewhere(slot)]


def test_find_slots_proposes_the_best_of_each_working_day(colombia):
    # Thursday 4 to Wednesday 10 March 2027: five working days.
    slots = meeting_find_slots(
        nations=[colombia],
        duration=HOUR,
        first_day=datetime.date(2027, 3, 4),
        last_day=datetime.date(2027, 3, 10),
        time_zone="America/Bogota",
    )
    bogota = zoneinfo.ZoneInfo("America/Bogota")
    days = [slot.starts_at.astimezone(bogota).date() for slot in slots]

    assert len(slots) == 10
    assert all(slot.warnings == [] for slot in slots)
    assert sorted(set(days)) == [datetime.date(2027, 3, d) for d in (4, 5, 8, 9, 10)]
    assert all(days.count(day) == 2 for day in set(days))
    assert [slot.starts_at.astimezone(bogota).hour for slot in slots[:2]] == [8, 9]


def test_find_slots_judges_a_series_by_every_occurrence(colombia):
    # Weekly from Tuesday 1 December 2026: the 8th is a holiday in Colombia; from
    # Wednesday the 2nd: the 9th and 16th are working days.
    def search(day):
        return meeting_find_slots(
            nations=[colombia],
            duration=HOUR,
            first_day=day,
            last_day=day,
            time_zone="America/Bogota",
            repeat_dates=lambda first: meeting_services.series_occurrence_dates(
                frequency="weekly", interval=1, starts_on=first, count=3
            ),
        )

    tuesdays = search(datetime.date(2026, 12, 1))
    wednesdays = search(datetime.date(2026, 12, 2))

    assert tuesdays
    assert all("holiday" in codes(slot.warnings) for slot in tuesdays)
    assert all(
        any(w.message.startswith("Occurrence 2 (") for w in slot.warnings)
        for slot in tuesdays
    )
    assert [len(slot.occurrences) for slot in tuesdays] == [3] * len(tuesdays)
    assert wednesdays[0].warnings == []
    assert wednesdays[0].occurrences[2][0] - wednesdays[0].occurrences[0][0] == (
        datetime.timedelta(days=14)
    )


def next_weekday(day, weekday):
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def test_the_find_time_page_searches_a_series_and_links_its_repetition(
    scheduler_client, colombia, brazil
):
    monday = next_weekday(timezone.localdate() + datetime.timedelta(days=7), 0)
    response = scheduler_client.get(
        FIND_URL,
        {
            "nations": ["CO", "BR"],
            "duration": "60",
            "first_day": monday.isoformat(),
            "last_day": (monday + datetime.timedelta(days=6)).isoformat(),
            "time_zone": "America/Bogota",
            "frequency": "monthly",
            "interval": "1",
            "count": "3",
        },
    )
    proposals = response.context["proposals"]
    page = response.content.decode()
    link = parse_qs(urlsplit(proposals[0].use_url).query)
    prefilled = scheduler_client.get(proposals[0].use_url).context["repeat"]

    assert response.status_code == 200
    assert (
        len(
            {
                p.starts_at.astimezone(zoneinfo.ZoneInfo("America/Bogota")).date()
                for p in proposals
            }
        )
        >= 3
    )
    assert all(len(p.occurrences) == 3 for p in proposals)
    assert 'class="small mt-1 series-occurrences"' in page
    assert link["repeat-frequency"] == ["monthly"]
    assert link["repeat-count"] == ["3"]
    assert prefilled.initial["frequency"] == "monthly"
    assert prefilled.initial["count"] == 3


def test_the_find_time_page_refuses_a_series_without_a_count(
    scheduler_client, colombia
):
    day = timezone.localdate() + datetime.timedelta(days=7)
    response = scheduler_client.get(
        FIND_URL,
        {
            "nations": ["CO"],
            "duration": "60",
            "first_day": day.isoformat(),
            "last_day": day.isoformat(),
            "time_zone": "America/Bogota",
            "frequency": "weekly",
            "count": "",
        },
    )

    assert response.status_code == 200
    assert "count" in response.context["form"].errors
    assert response.context["proposals"] is None


def test_the_nation_page_shows_its_working_hours_and_weekend(client, colombia):
    user = factories.UserFactory(nation=colombia)
    client.force_login(user)
    url = colombia.get_absolute_url()
    before = client.get(url).content.decode()
    colombia.weekend_days = "4"
    colombia.workday_start = datetime.time(7, 30)
    colombia.save()

    after = client.get(url).content.decode()

    assert "08:00–18:00 local time; weekend: Saturday, Sunday" in before
    assert "07:30–18:00 local time; weekend: Friday" in after
