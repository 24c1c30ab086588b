"""The scheduling checks (``meeting_check``) and the proposed slots
(``meeting_find_slots``): holidays, overlaps, working hours, DST and ranking."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats

from cooperation.models import AssessmentMeeting
from cooperation.services.scheduling import meeting_check, meeting_find_slots
from tests import factories

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def at(year, month, day, hour=0, minute=0, zone="UTC"):
    return datetime.datetime(
        year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone)
    )


def bogota(year, month, day, hour=0, minute=0):
    return at(year, month, day, hour, minute, zone="America/Bogota")


def check(starts_at, *, hours=1, **kwargs):
    return meeting_check(
        starts_at=starts_at, ends_at=starts_at + hours * HOUR, **kwargs
    )


def codes(warnings):
    return [warning.code for warning in warnings]


def of_code(warnings, code):
    return [warning.message for warning in warnings if warning.code == code]


def meeting_at(starts_at, *, hours=2, nations=(), attendees=(), **kwargs):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=starts_at, ends_at=starts_at + hours * HOUR, **kwargs
    )
    meeting.nations.set(nations)
    for person in attendees:
        factories.InvitationFactory(meeting=meeting, user=person)
    return meeting


@pytest.fixture
def chile(db):
    return factories.NationFactory(
        name="Chile", iso_alpha2="CL", iso_alpha3="CHL", time_zone="America/Santiago"
    )


@pytest.fixture
def portugal(db):
    # Five hours ahead of Bogotá in winter (Lisbon is on UTC, Bogotá on UTC-5).
    return factories.NationFactory(
        name="Portugal",
        iso_alpha2="PT",
        iso_alpha3="PRT",
        region="north_america",  # the region does not matter to the checks
        time_zone="Europe/Lisbon",
        official_languages="pt",
    )


# ------------------------------------------------------------------------ holidays


def working_day_before(day):
    """The Monday–Friday before ``day`` (the day before a Monday is a weekend day)."""
    day -= datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("day", "name"),
    [
        # Named in the reader's language (English here; test_content_language.py
        # reads them in Spanish and Portuguese).
        (datetime.date(2026, 7, 20), "Independence Day"),
        (datetime.date(2026, 12, 8), "Immaculate Conception"),
    ],
)
def test_a_colombian_holiday_warns_with_its_name_and_the_working_day_before_does_not(
    colombia, day, name
):
    on_the_day = check(bogota(day.year, day.month, day.day, 10), nations=[colombia])
    eve = working_day_before(day)
    day_before = check(bogota(eve.year, eve.month, eve.day, 10), nations=[colombia])

    assert codes(on_the_day) == ["holiday"]
    assert name in on_the_day[0].message
    assert "Colombia" in on_the_day[0].message
    assert formats.date_format(day) in on_the_day[0].message  # the locale's, not ISO
    assert day_before == []


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (datetime.date(2027, 4, 21), "Tiradentes"),
        (datetime.date(2026, 9, 7), "Independence Day"),
    ],
)
def test_a_brazilian_holiday_warns_with_its_name_and_the_working_day_before_does_not(
    brazil, day, name
):
    def sao_paulo_10am(date):
        return at(date.year, date.month, date.day, 10, zone="America/Sao_Paulo")

    on_the_day = check(sao_paulo_10am(day), nations=[brazil])
    day_before = check(sao_paulo_10am(working_day_before(day)), nations=[brazil])

    assert codes(on_the_day) == ["holiday"]
    assert name in on_the_day[0].message
    assert "Brazil" in on_the_day[0].message
    assert day_before == []


def test_a_holiday_in_one_of_two_nations_warns_for_that_nation_only(colombia, brazil):
    # 2026-07-20, 10:00 in Bogotá (12:00 in São Paulo): Colombia's Independence Day.
    colombian_holiday = check(bogota(2026, 7, 20, 10), nations=[colombia, brazil])
    # 2026-09-07, 10:00 in Bogotá: Brazil's Independence Day, a workday in Colombia.
    brazilian_holiday = check(bogota(2026, 9, 7, 10), nations=[colombia, brazil])

    assert of_code(colombian_holiday, "holiday") == [
        "July 20, 2026 is a public holiday in Colombia: Independence Day."
    ]
    assert codes(colombian_holiday) == ["holiday"]
    assert codes(brazilian_holiday) == ["holiday"]
    assert "Brazil" in brazilian_holiday[0].message
    assert "Colombia" not in brazilian_holiday[0].message


def test_the_holiday_is_judged_on_the_local_date_not_the_utc_date(colombia, brazil):
    # 02:00 UTC on 21 July is still 20 July, 21:00, in Bogotá: the holiday.
    late_on_the_holiday = at(2026, 7, 21, 2)
    # 03:00 UTC on 20 July is 19 July, 22:00, in Bogotá: not yet the holiday.
    eve_in_bogota = at(2026, 7, 20, 3)
    # 01:00 UTC on 7 September is 6 September, 22:00, in São Paulo.
    eve_in_sao_paulo = at(2026, 9, 7, 1)

    assert of_code(check(late_on_the_holiday, nations=[colombia]), "holiday") == [
        "July 20, 2026 is a public holiday in Colombia: Independence Day."
    ]
    assert of_code(check(eve_in_bogota, nations=[colombia]), "holiday") == []
    assert of_code(check(eve_in_sao_paulo, nations=[brazil]), "holiday") == []


def test_a_meeting_running_past_local_midnight_into_a_holiday_warns(colombia):
    # 19 July 23:00 to 20 July 01:00 in Bogotá.
    warnings = check(bogota(2026, 7, 19, 23), hours=2, nations=[colombia])

    assert len(of_code(warnings, "holiday")) == 1
    assert "July 20, 2026" in of_code(warnings, "holiday")[0]


# ------------------------------------------------------------------------ overlaps


def test_an_overlapping_meeting_of_a_participating_nation_conflicts(
    colombia, brazil, colombian_user
):
    meeting_at(bogota(2026, 6, 10, 9), nations=[colombia, brazil], title="Border")

    warnings = check(bogota(2026, 6, 10, 10), nations=[colombia], user=colombian_user)

    assert codes(warnings) == ["overlap_nation"]
    assert warnings[0].message == "Overlaps “Border”, which Colombia also attend."


def test_an_overlapping_meeting_of_an_attendee_conflicts_though_nations_differ(
    colombia, brazil, colombian_user
):
    person = factories.UserFactory(first_name="Ana", last_name="Silva")
    meeting_at(bogota(2026, 6, 10, 9), nations=[brazil], attendees=[person], title="X")

    warnings = check(
        bogota(2026, 6, 10, 10),
        nations=[colombia],
        attendees=[person],
        user=colombian_user,
    )

    assert codes(warnings) == ["overlap_attendee"]
    assert warnings[0].message == "Overlaps “X”, which Ana Silva also attend."


def test_a_meeting_sharing_neither_nation_nor_attendee_does_not_conflict(
    colombia, brazil
):
    meeting_at(
        bogota(2026, 6, 10, 9),
        nations=[brazil],
        attendees=[factories.UserFactory()],
    )

    warnings = check(
        bogota(2026, 6, 10, 10),
        nations=[colombia],
        attendees=[factories.UserFactory()],
    )

    assert warnings == []


def test_adjacent_meetings_do_not_conflict(colombia):
    person = factories.UserFactory()
    # 10:00–12:00 in Bogotá.
    meeting_at(bogota(2026, 6, 10, 10), nations=[colombia], attendees=[person])

    just_after = check(bogota(2026, 6, 10, 12), nations=[colombia], attendees=[person])
    just_before = check(bogota(2026, 6, 10, 9), nations=[colombia], attendees=[person])
    one_minute_in = check(
        bogota(2026, 6, 10, 11, 59), nations=[colombia], attendees=[person]
    )

    assert just_after == []
    assert just_before == []
    assert codes(one_minute_in) == ["overlap_nation", "overlap_attendee"]


def test_a_cancelled_meeting_does_not_conflict(colombia):
    person = factories.UserFactory()
    meeting = meeting_at(bogota(2026, 6, 10, 9), nations=[colombia], attendees=[person])
    proposed = bogota(2026, 6, 10, 10)
    before = check(proposed, nations=[colombia], attendees=[person])

    meeting.status = AssessmentMeeting.Status.CANCELLED
    meeting.save()
    after = check(proposed, nations=[colombia], attendees=[person])

    assert codes(before) == ["overlap_nation", "overlap_attendee"]
    assert after == []


def test_the_meeting_being_edited_does_not_conflict_with_itself(colombia):
    meeting = meeting_at(bogota(2026, 6, 10, 9), nations=[colombia])

    warnings = check(
        bogota(2026, 6, 10, 10), nations=[colombia], exclude_meeting_ids=[meeting.pk]
    )

    assert warnings == []


def test_an_overlapping_meeting_not_released_to_the_scheduler_is_not_revealed(
    colombia, brazil, colombian_user, brazilian_user
):
    meeting_at(
        bogota(2026, 6, 10, 9),
        nations=[colombia],
        title="Secret Brazilian briefing",
        released_to_all=False,
        released_to=[brazil],
    )
    proposed = bogota(2026, 6, 10, 10)

    for_colombia = check(proposed, nations=[colombia], user=colombian_user)
    for_brazil = check(proposed, nations=[colombia], user=brazilian_user)
    for_nobody = check(proposed, nations=[colombia])

    # Not even "something overlaps": its time and nations are withheld too.
    assert for_colombia == []
    assert "“Secret Brazilian briefing”" in for_brazil[0].message
    assert "Secret" not in for_nobody[0].message


# ------------------------------------------------------------------- working hours


@pytest.mark.parametrize(
    ("starts_at", "minutes", "local"),
    [
        (bogota(2026, 6, 10, 7, 30), 60, "07:30–08:30"),
        (bogota(2026, 6, 10, 17, 30), 60, "17:30–18:30"),
        (bogota(2026, 6, 10, 17), 120, "17:00–19:00"),
        (bogota(2026, 6, 10, 23), 120, "23:00–01:00"),
    ],
)
def test_a_meeting_outside_0800_1800_bogota_time_warns(
    colombia, starts_at, minutes, local
):
    warnings = meeting_check(
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        nations=[colombia],
    )

    assert codes(warnings) == ["outside_hours"]
    assert local in warnings[0].message
    assert "Colombia" in warnings[0].message


def test_a_meeting_filling_the_whole_working_day_is_inside_hours(colombia):
    warnings = check(bogota(2026, 6, 10, 8), hours=10, nations=[colombia])

    assert warnings == []


def test_a_meeting_fine_in_bogota_warns_for_a_nation_five_hours_ahead(
    colombia, portugal
):
    # 14:00–15:00 in Bogotá is 19:00–20:00 in Lisbon in January.
    starts_at = bogota(2026, 1, 14, 14)

    only_colombia = check(starts_at, nations=[colombia])
    both = check(starts_at, nations=[colombia, portugal])

    assert only_colombia == []
    assert codes(both) == ["outside_hours"]
    assert "Portugal" in both[0].message
    assert "19:00–20:00" in both[0].message


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        # Santiago leaves summer time (UTC-3 → UTC-4) on 5 April 2026 …
        (datetime.date(2026, 4, 1), 12),
        (datetime.date(2026, 4, 8), 13),
        # … and returns to it (UTC-4 → UTC-3) on 6 September 2026.
        (datetime.date(2026, 9, 2), 13),
        (datetime.date(2026, 9, 9), 12),
    ],
)
def test_9am_in_santiago_is_inside_hours_on_both_sides_of_a_dst_change(
    chile, day, utc_hour
):
    starts_at = datetime.datetime.combine(
        day, datetime.time(9), zoneinfo.ZoneInfo("America/Santiago")
    )

    warnings = check(starts_at, nations=[chile])

    assert starts_at.astimezone(datetime.UTC).hour == utc_hour
    assert warnings == []


def test_9am_santiago_is_7am_in_bogota_before_the_april_change_and_8am_after(
    chile, colombia
):
    santiago = zoneinfo.ZoneInfo("America/Santiago")
    before = datetime.datetime(2026, 4, 1, 9, tzinfo=santiago)
    after = datetime.datetime(2026, 4, 8, 9, tzinfo=santiago)

    warnings_before = check(before, nations=[chile, colombia])
    warnings_after = check(after, nations=[chile, colombia])

    assert codes(warnings_before) == ["outside_hours"]
    assert "Colombia" in warnings_before[0].message
    assert "07:00–08:00" in warnings_before[0].message
    assert warnings_after == []


# --------------------------------------------------------------------- find slots


def test_find_slots_puts_a_free_slot_first_and_orders_by_warnings_then_time(
    colombia,
):
    # Monday 7 December 2026; Tuesday the 8th is a holiday in Colombia. A Colombian
    # meeting takes the morning of the 7th, 08:00–12:00.
    meeting_at(bogota(2026, 12, 7, 8), hours=4, nations=[colombia], title="Morning")

    slots = meeting_find_slots(
        nations=[colombia],
        duration=HOUR,
        first_day=datetime.date(2026, 12, 7),
        last_day=datetime.date(2026, 12, 8),
        time_zone="America/Bogota",
        limit=500,
        per_day=None,
    )
    zone = zoneinfo.ZoneInfo("America/Bogota")
    local_starts = [slot.starts_at.astimezone(zone) for slot in slots]

    assert slots[0].warnings == []
    assert local_starts[0] == bogota(2026, 12, 7, 12)
    assert [(slot.score, slot.starts_at) for slot in slots] == sorted(
        (slot.score, slot.starts_at) for slot in slots
    )
    by_start = dict(zip(local_starts, slots, strict=True))
    free = [start for start, slot in by_start.items() if slot.score == 0]
    # 12:00, 12:30 … 17:00 on the 7th: nothing on the holiday, nothing in the morning.
    assert free == [
        bogota(2026, 12, 7, 12) + i * datetime.timedelta(minutes=30) for i in range(11)
    ]
    # The morning of the 7th (conflict), the working day of the 8th (holiday) and
    # the night hours of the 7th each fail one check; they come next.
    assert codes(by_start[bogota(2026, 12, 7, 8)].warnings) == ["overlap_nation"]
    assert codes(by_start[bogota(2026, 12, 8, 10)].warnings) == ["holiday"]
    assert codes(by_start[bogota(2026, 12, 7, 3)].warnings) == ["outside_hours"]
    assert codes(by_start[bogota(2026, 12, 8, 3)].warnings) == [
        "holiday",
        "outside_hours",
    ]
    assert {slot.score for slot in slots[len(free) :]} == {1, 2}
    # Every candidate of the two days, every half hour, is ranked.
    assert len(slots) == 2 * 48


def test_find_slots_returns_the_best_limit_slots(colombia):
    kwargs = {
        "nations": [colombia],
        "duration": HOUR,
        "first_day": datetime.date(2026, 6, 8),
        "last_day": datetime.date(2026, 6, 12),
        "time_zone": "America/Bogota",
    }

    default = meeting_find_slots(**kwargs)
    three = meeting_find_slots(**kwargs, limit=3)

    assert len(default) == 10
    assert len(three) == 3
    assert [slot.starts_at for slot in three] == [
        slot.starts_at for slot in default[:3]
    ]


def test_find_slots_steps_from_midnight_in_the_meetings_zone(colombia):
    slots = meeting_find_slots(
        nations=[colombia],
        duration=HOUR,
        first_day=datetime.date(2026, 6, 8),
        last_day=datetime.date(2026, 6, 8),
        time_zone="America/Bogota",
        limit=100,
        per_day=None,
    )
    starts = sorted(slot.starts_at for slot in slots)

    assert starts[0] == bogota(2026, 6, 8, 0)
    assert starts[-1] == bogota(2026, 6, 8, 23, 30)
    assert len(starts) == 48


def test_find_slots_skips_candidates_before_not_before(colombia):
    slots = meeting_find_slots(
        nations=[colombia],
        duration=HOUR,
        first_day=datetime.date(2026, 6, 8),
        last_day=datetime.date(2026, 6, 8),
        time_zone="America/Bogota",
        limit=100,
        per_day=None,
        not_before=bogota(2026, 6, 8, 15, 10),
    )

    assert min(slot.starts_at for slot in slots) == bogota(2026, 6, 8, 15, 30)
    assert slots[0].starts_at == bogota(2026, 6, 8, 15, 30)


def test_find_slots_sees_a_conflict_of_a_meeting_running_past_the_last_day(colombia):
    # The last candidate of 8 June (23:30, two hours long) overlaps a meeting on the
    # 9th at 00:30.
    meeting_at(bogota(2026, 6, 9, 0, 30), nations=[colombia])

    slots = meeting_find_slots(
        nations=[colombia],
        duration=2 * HOUR,
        first_day=datetime.date(2026, 6, 8),
        last_day=datetime.date(2026, 6, 8),
        time_zone="America/Bogota",
        limit=100,
        per_day=None,
    )
    last = max(slots, key=lambda slot: slot.starts_at)

    assert "overlap_nation" in codes(last.warnings)


def _find_slot_queries(user, nations, attendees, count):
    for i in range(count):
        meeting_at(
            bogota(2026, 6, 8 + i % 5, 8) + i * datetime.timedelta(minutes=7),
            nations=nations,
            attendees=attendees,
            released_to_all=i % 2 == 0,
            released_to=nations[:1],
        )
    with CaptureQueriesContext(connection) as queries:
        slots = meeting_find_slots(
            nations=nations,
            attendees=attendees,
            duration=HOUR,
            first_day=datetime.date(2026, 6, 8),
            last_day=datetime.date(2026, 6, 12),
            time_zone="America/Bogota",
            user=user,
        )
    assert len(slots) == 10
    return len(queries)


def test_find_slots_runs_the_same_queries_with_5_and_50_meetings_in_range(
    colombia, brazil, colombian_user
):
    attendees = [factories.UserFactory(), factories.UserFactory()]
    colombian_user.has_perm("cooperation.view_all_records")  # warm the perm cache

    few = _find_slot_queries(colombian_user, [colombia, brazil], attendees, 5)
    AssessmentMeeting.objects.all().delete()
    many = _find_slot_queries(colombian_user, [colombia, brazil], attendees, 50)

    assert few == many
    assert few <= 5, few


def test_meeting_check_runs_the_same_queries_with_5_and_50_overlapping_meetings(
    colombia, colombian_user
):
    person = factories.UserFactory()
    colombian_user.has_perm("cooperation.view_all_records")
    counts = []
    for count in (5, 50):
        AssessmentMeeting.objects.all().delete()
        for _ in range(count):
            meeting_at(bogota(2026, 6, 10, 9), nations=[colombia], attendees=[person])
        with CaptureQueriesContext(connection) as queries:
            warnings = check(
                bogota(2026, 6, 10, 10),
                nations=[colombia],
                attendees=[person],
                user=colombian_user,
            )
        assert len(warnings) == 2 * count
        counts.append(len(queries))

    assert counts[0] == counts[1]
