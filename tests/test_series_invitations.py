"""One invitation per meeting series (cooperation.services.series_invitations).

Every message the attendees are sent is fed, in order, to a small calendar program
that does what RFC 5546 asks of one (a REQUEST with the master replaces the event,
one with instances replaces those, a CANCEL removes instances or the event, and an
older SEQUENCE is refused); its calendar is then expanded by ``recurring-ical-events``
and must hold exactly the portal's occurrences, at the same instants, across
daylight-saving changes.
"""

import datetime
import zoneinfo
from collections import defaultdict

import icalendar
import pytest
import recurring_ical_events
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.concurrency import version_token
from cooperation.models import (
    MANAGE_RELEASABILITY_PERMISSION,
    AssessmentMeeting,
    MeetingSeries,
    OutboundEmail,
    User,
)
from cooperation.services import meetings as meeting_services
from cooperation.services import series_invitations
from cooperation.tasks import deliver_emails
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
Status = AssessmentMeeting.Status
WINDOW = (
    datetime.datetime(2026, 1, 1, tzinfo=UTC),
    datetime.datetime(2031, 1, 1, tzinfo=UTC),
)


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"


@pytest.fixture(autouse=True)
def before_the_series(monkeypatch):
    """ "Now" is 1 December 2026, before every series these tests schedule."""
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(series_invitations.timezone, "now", lambda: now)
    monkeypatch.setattr(meeting_services.timezone, "now", lambda: now)
    monkeypatch.setattr("cooperation.services.invitations.timezone.now", lambda: now)
    return now


@pytest.fixture
def chair(colombia):
    """A coordinator: schedules meetings and releases them to every partner."""
    user = factories.UserFactory(
        username="chair", nation=colombia, first_name="Ana", last_name="Chair"
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "add_assessmentmeeting",
                "change_assessmentmeeting",
                MANAGE_RELEASABILITY_PERMISSION.split(".")[1],
            ]
        )
    )
    return User.objects.get(pk=user.pk)  # without the cached permissions


@pytest.fixture
def ana(colombia):
    return factories.UserFactory(
        username="ana", nation=colombia, language="en", time_zone="America/Bogota"
    )


@pytest.fixture
def joao(brazil):
    return factories.UserFactory(
        username="joao", nation=brazil, language="pt-br", time_zone="America/Sao_Paulo"
    )


def schedule(
    chair, attendees, *, zone="America/New_York", first, time=(9, 0), **repeat
):
    """A series scheduled through the services every door uses; its invitations
    are delivered by the worker's task."""
    start = datetime.datetime.combine(
        first, datetime.time(*time), tzinfo=zoneinfo.ZoneInfo(zone)
    )
    details = meeting_services.MeetingDetails(
        title="Andean review",
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=90),
        time_zone=zone,
        chair=chair,
        attendees=tuple(attendees),
    )
    plan = meeting_services.meeting_plan(
        details=details,
        acting_user=chair,
        repeat=meeting_services.Repeat(**{"frequency": "weekly", **repeat}),
    )
    meetings = meeting_services.meeting_create(
        plan=plan, acting_user=chair, released_to_all=True
    )
    deliver_emails.call()
    return meetings[0].series


def update(meeting, user, *, scope="this", **changes):
    stored = AssessmentMeeting.objects.get(pk=meeting.pk)
    plan = meeting_services.meeting_plan(
        details=meeting_services.MeetingDetails.of(stored, **changes),
        acting_user=user,
        meeting=stored,
        scope=scope,
    )
    meeting_services.meeting_update(
        meeting=stored, version=version_token(stored), plan=plan, acting_user=user
    )
    deliver_emails.call()


def cancel(meeting, user, *, scope="this"):
    meeting_services.meeting_cancel(meeting=meeting, acting_user=user, scope=scope)
    deliver_emails.call()


def occurrences(series):
    return list(
        AssessmentMeeting.objects.filter(series=series).order_by("occurrence_number")
    )


def held_by_portal(series, user):
    """The starts of the occurrences ``user`` is invited to and that take place."""
    return sorted(
        meeting.starts_at.astimezone(UTC)
        for meeting in AssessmentMeeting.objects.filter(
            series=series, invitations__user=user
        ).exclude(status=Status.CANCELLED)
    )


def messages_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def ics_of(message):
    (attachment,) = message.attachments
    filename, content, mimetype = attachment
    assert filename == "invite.ics"
    calendar = icalendar.Calendar.from_ical(content)
    assert mimetype == f"text/calendar; method={calendar['METHOD']}"
    return calendar


def rule(text):
    """An RRULE as icalendar reads it (the order of its parts does not matter)."""
    return icalendar.vRecur.from_ical(text)


def rid(event):
    return (
        event["RECURRENCE-ID"].dt.astimezone(UTC) if "RECURRENCE-ID" in event else None
    )


class CalendarProgram:
    """An attendee's calendar, fed their messages in order (RFC 5546 §3.2)."""

    def __init__(self):
        self.events = defaultdict(dict)  # UID → {RECURRENCE-ID or None: VEVENT}
        self.timezones = {}

    def receive(self, calendar):
        method = str(calendar["METHOD"])
        for zone in calendar.walk("VTIMEZONE"):
            self.timezones[str(zone["TZID"])] = zone
        by_uid = defaultdict(list)
        for event in calendar.walk("VEVENT"):
            by_uid[str(event["UID"])].append(event)
        for uid, events in by_uid.items():
            held = self.events[uid]
            if method == "REQUEST":
                if any(rid(event) is None for event in events):
                    master = next(e for e in events if rid(e) is None)
                    if None in held:
                        # A copy that is not newer is ignored by a calendar program.
                        assert master["SEQUENCE"] > held[None]["SEQUENCE"], uid
                    held.clear()
                for event in events:
                    older = held.get(rid(event)) or held.get(None)
                    if older is not None and rid(event) is not None:
                        assert event["SEQUENCE"] > older["SEQUENCE"], uid
                    held[rid(event)] = event
            else:
                assert method == "CANCEL"
                for event in events:
                    if rid(event) is None:
                        del self.events[uid]
                        break
                    held.pop(rid(event), None)
                    held[None].add("exdate", event["RECURRENCE-ID"].dt)

    def receive_all(self, user):
        for message in messages_to(user):
            self.receive(ics_of(message))
        return self

    def starts(self):
        calendar = icalendar.Calendar()
        for zone in self.timezones.values():
            calendar.add_component(zone)
        for held in self.events.values():
            for event in held.values():
                calendar.add_component(event)
        # Through text, as a calendar program reads a file.
        calendar = icalendar.Calendar.from_ical(calendar.to_ical())
        return sorted(
            event["DTSTART"].dt.astimezone(UTC)
            for event in recurring_ical_events.of(calendar).between(*WINDOW)
        )


def calendar_of(user):
    return CalendarProgram().receive_all(user)


# ------------------------------------------------------------------ a new series


def test_a_new_series_is_one_invitation_per_attendee_with_a_rule(chair, ana, joao):
    # Ten weeks from 4 March 2027: US clocks go forward on 14 March.
    series = schedule(chair, [ana, joao], first=datetime.date(2027, 3, 4), count=10)

    for user in (ana, joao):
        (message,) = messages_to(user)
        calendar = ics_of(message)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["RRULE"] == rule("FREQ=WEEKLY;INTERVAL=1;COUNT=10")
        assert event["DTSTART"].params["TZID"] == "America/New_York"
        assert event["DTSTART"].dt.time() == datetime.time(9, 0)
        assert str(event["UID"]) == f"series-{series.pk}-0@portal.example.org"
        assert "EXDATE" not in event and "RDATE" not in event
        assert {str(a) for a in event.get("ATTENDEE")} == {
            f"mailto:{ana.email}",
            f"mailto:{joao.email}",
        }
        assert calendar_of(user).starts() == held_by_portal(series, user)
    assert messages_to(ana)[0].subject == "Invitation: Andean review (10 meetings)"
    assert "Andean review #10" in messages_to(ana)[0].body
    # Before and after the change of clocks: 14:00 and 13:00 UTC.
    assert {start.hour for start in held_by_portal(series, ana)} == {13, 14}
    assert messages_to(joao)[0].subject == "Convite: Andean review (10 reuniões)"


@pytest.mark.parametrize(
    ("zone", "first", "repeat", "expected"),
    [
        # The first Tuesday of each quarter, over Chile's two changes of clocks.
        (
            "America/Santiago",
            datetime.date(2027, 1, 5),
            {"frequency": "quarterly", "count": 4, "week_of_month": 1, "weekday": 1},
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;COUNT=4",
        ),
        # The last Thursday of the month, over the US autumn change.
        (
            "America/New_York",
            datetime.date(2027, 9, 30),
            {"frequency": "monthly", "count": 4, "week_of_month": -1, "weekday": 3},
            "FREQ=MONTHLY;INTERVAL=1;BYDAY=-1TH;COUNT=4",
        ),
        # The 31st, or the month's last day when it is shorter.
        (
            "America/Mexico_City",
            datetime.date(2027, 1, 31),
            {"frequency": "monthly", "until": datetime.date(2027, 6, 30)},
            "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;COUNT=6",
        ),
        # Every other week, ending on a date.
        (
            "America/Sao_Paulo",
            datetime.date(2027, 2, 2),
            {"frequency": "weekly", "interval": 2, "until": datetime.date(2027, 5, 25)},
            "FREQ=WEEKLY;INTERVAL=2;COUNT=9",
        ),
    ],
)
def test_every_kind_of_series_expands_to_exactly_its_occurrences(
    chair, ana, zone, first, repeat, expected
):
    series = schedule(chair, [ana], zone=zone, first=first, **repeat)

    (message,) = messages_to(ana)
    (event,) = ics_of(message).walk("VEVENT")
    assert event["RRULE"] == rule(expected)
    assert calendar_of(ana).starts() == held_by_portal(series, ana)
    assert len(held_by_portal(series, ana)) == series.occurrences.count()


# ------------------------------------------------------------- one occurrence


def test_moving_one_occurrence_sends_that_instance_alone(chair, ana, joao):
    series = schedule(chair, [ana, joao], first=datetime.date(2027, 3, 4), count=4)
    second = occurrences(series)[1]
    original_start = second.starts_at
    mail.outbox.clear()

    new_york = zoneinfo.ZoneInfo("America/New_York")
    update(
        second,
        chair,
        starts_at=datetime.datetime(2027, 3, 12, 11, 0, tzinfo=new_york),
        ends_at=datetime.datetime(2027, 3, 12, 12, 30, tzinfo=new_york),
        location="Bogotá",
    )

    for user in (ana, joao):
        (message,) = messages_to(user)
        calendar = ics_of(message)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert "RRULE" not in event
        assert rid(event) == original_start  # the instance it replaces
        assert event["DTSTART"].dt == datetime.datetime(
            2027, 3, 12, 11, 0, tzinfo=new_york
        )
        assert str(event["LOCATION"]) == "Bogotá"
        assert str(event["UID"]) == f"series-{series.pk}-0@portal.example.org"
    assert messages_to(ana)[0].subject == "Updated invitation: Andean review #2"
    mail.outbox.clear()
    # The whole story, fed to a calendar program, gives the portal's occurrences.
    series_messages = OutboundEmail.objects.filter(recipient=ana).order_by("pk")
    program = CalendarProgram()
    for row in series_messages:
        program.receive(icalendar.Calendar.from_ical(row.ical))
    assert program.starts() == held_by_portal(series, ana)
    assert datetime.datetime(2027, 3, 12, 16, 0, tzinfo=UTC) in program.starts()


def history_of(user):
    """Every calendar the outbox holds for ``user``, fed in order."""
    program = CalendarProgram()
    for row in OutboundEmail.objects.filter(recipient=user).order_by("pk"):
        program.receive(icalendar.Calendar.from_ical(row.ical))
    return program


def test_a_cancelled_occurrence_is_cancelled_by_its_recurrence_id(chair, ana):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=4)
    third = occurrences(series)[2]
    mail.outbox.clear()

    cancel(third, chair)

    (message,) = messages_to(ana)
    assert message.subject == "Cancelled: Andean review #3"
    calendar = ics_of(message)
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert rid(event) == third.starts_at
    assert event["STATUS"] == "CANCELLED"
    starts = history_of(ana).starts()
    assert starts == held_by_portal(series, ana)
    assert third.starts_at not in starts and len(starts) == 3


def test_a_cancelled_occurrence_is_an_exdate_in_a_later_copy(chair, ana, joao):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=4)
    first, second, _third, fourth = occurrences(series)
    cancel(second, chair)
    mail.outbox.clear()

    # João is invited to the fourth occurrence only: he is sent the series with
    # that one occurrence in it; Ana, who holds it, the change to it alone.
    update(fourth, chair, attendees=[ana, joao])

    (whole,) = messages_to(joao)
    (event,) = ics_of(whole).walk("VEVENT")
    assert "RRULE" in event
    excluded = (
        {value.dt.astimezone(UTC) for line in event.get("EXDATE") for value in line.dts}
        if isinstance(event.get("EXDATE"), list)
        else {value.dt.astimezone(UTC) for value in event["EXDATE"].dts}
    )
    assert second.starts_at in excluded and first.starts_at in excluded
    assert (
        calendar_of(joao).starts() == [fourth.starts_at] == held_by_portal(series, joao)
    )
    (instance,) = ics_of(messages_to(ana)[0]).walk("VEVENT")
    assert rid(instance) == fourth.starts_at
    assert history_of(ana).starts() == held_by_portal(series, ana)


def test_a_restored_occurrence_sends_the_series_again(chair, ana):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=4)
    second = occurrences(series)[1]
    cancel(second, chair)
    assert len(history_of(ana).starts()) == 3
    mail.outbox.clear()

    update(second, chair, status=Status.SCHEDULED)

    (message,) = messages_to(ana)
    assert message.subject == "Updated invitation: Andean review (4 meetings)"
    (event,) = ics_of(message).walk("VEVENT")
    assert event["SEQUENCE"] == 1 and "EXDATE" not in event
    assert history_of(ana).starts() == held_by_portal(series, ana)
    assert len(held_by_portal(series, ana)) == 4


# ------------------------------------------------------- this and the following


def test_this_and_following_splits_the_series_in_two(chair, ana, joao):
    # Six weeks from 4 March 2027, moved from the third (18 March, after the US
    # change of clocks) to 10:30 in Lima.
    series = schedule(chair, [ana, joao], first=datetime.date(2027, 3, 4), count=6)
    third = occurrences(series)[2]
    mail.outbox.clear()

    new_york = zoneinfo.ZoneInfo("America/New_York")
    update(
        third,
        chair,
        scope="following",
        starts_at=datetime.datetime(2027, 3, 18, 10, 30, tzinfo=new_york),
        ends_at=datetime.datetime(2027, 3, 18, 12, 0, tzinfo=new_york),
        location="Lima",
    )

    for user in (ana, joao):
        earlier, later = messages_to(user)
        (kept,) = ics_of(earlier).walk("VEVENT")
        assert str(kept["UID"]) == f"series-{series.pk}-0@portal.example.org"
        assert kept["RRULE"] == rule("FREQ=WEEKLY;INTERVAL=1;COUNT=2")
        assert kept["SEQUENCE"] == 1
        (split,) = ics_of(later).walk("VEVENT")
        assert str(split["UID"]) == f"series-{series.pk}-1@portal.example.org"
        assert split["RRULE"] == rule("FREQ=WEEKLY;INTERVAL=1;COUNT=4")
        assert split["DTSTART"].dt == datetime.datetime(
            2027, 3, 18, 10, 30, tzinfo=new_york
        )
        assert str(split["LOCATION"]) == "Lima"
        assert history_of(user).starts() == held_by_portal(series, user)
    assert [m.recurrence_part for m in occurrences(series)] == [0, 0, 1, 1, 1, 1]

    # Split again from the fifth, then change the new part from its first: that
    # one stays one invitation, sent again with a new revision.
    fifth = occurrences(series)[4]
    update(fifth, chair, scope="following", location="Quito")
    assert [m.recurrence_part for m in occurrences(series)] == [0, 0, 1, 1, 2, 2]
    mail.outbox.clear()
    update(occurrences(series)[2], chair, scope="following", location="Caracas")
    # The third part is emptied into the second: its copy is withdrawn.
    withdrawn, message = messages_to(ana)
    calendar = ics_of(withdrawn)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "CANCEL" and "RECURRENCE-ID" not in event
    assert str(event["UID"]) == f"series-{series.pk}-2@portal.example.org"
    (event,) = ics_of(message).walk("VEVENT")
    assert str(event["UID"]) == f"series-{series.pk}-1@portal.example.org"
    assert str(event["LOCATION"]) == "Caracas" and "RRULE" in event
    # (history_of checks that each copy is newer than the one it replaces)
    assert [m.recurrence_part for m in occurrences(series)] == [0, 0, 1, 1, 1, 1]
    for user in (ana, joao):
        assert history_of(user).starts() == held_by_portal(series, user)


def test_moving_following_to_another_weekday_lists_them_as_dates(chair, ana):
    # The first Tuesday of each month, moved one day later from the second:
    # "the day after the first Tuesday" is no rule, so the dates are listed.
    series = schedule(
        chair,
        [ana],
        first=datetime.date(2027, 1, 5),
        frequency="monthly",
        count=4,
        week_of_month=1,
        weekday=1,
    )
    second = occurrences(series)[1]
    local = second.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    mail.outbox.clear()

    update(
        second,
        chair,
        scope="following",
        starts_at=local + datetime.timedelta(days=1),
        ends_at=local + datetime.timedelta(days=1, minutes=90),
    )

    _earlier, later = messages_to(ana)
    (event,) = ics_of(later).walk("VEVENT")
    assert "RRULE" not in event and "RDATE" in event
    assert history_of(ana).starts() == held_by_portal(series, ana)
    assert [start.weekday() for start in held_by_portal(series, ana)] == [1, 2, 2, 2]


def test_cancelling_following_is_one_message_per_attendee(chair, ana, joao):
    series = schedule(chair, [ana, joao], first=datetime.date(2027, 3, 4), count=6)
    fourth = occurrences(series)[3]
    mail.outbox.clear()

    cancel(fourth, chair, scope="following")

    for user in (ana, joao):
        (message,) = messages_to(user)
        calendar = ics_of(message)
        assert calendar["METHOD"] == "CANCEL"
        assert sorted(rid(e) for e in calendar.walk("VEVENT")) == [
            m.starts_at for m in occurrences(series)[3:]
        ]
        assert history_of(user).starts() == held_by_portal(series, user)
        assert len(history_of(user).starts()) == 3
    assert "Andean review #6" in messages_to(ana)[0].body


# ------------------------------------------------------------------ releasability


def test_an_occurrence_withheld_from_an_attendee_leaves_no_trace(
    chair, ana, joao, colombia
):
    series = schedule(chair, [ana, joao], first=datetime.date(2027, 3, 4), count=4)
    second = occurrences(series)[1]
    second.released_to_all = False
    second.save()
    second.released_to.set([colombia])
    mail.outbox.clear()

    series_invitations.series_notify(
        series_id=series.pk, part=0, acting_user=chair, only=[joao.pk, ana.pk]
    )
    deliver_emails.call()

    (message,) = messages_to(joao)
    content = message.attachments[0][1]
    (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    # Dates, not the rule that would make the withheld one.
    assert "RRULE" not in event and "EXDATE" not in event
    stamp = second.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert stamp.strftime("%Y%m%dT%H%M%S") not in content
    assert "#2" not in message.body
    assert calendar_of(joao).starts() == [
        m.starts_at for m in occurrences(series) if m.pk != second.pk
    ]
    # Ana, who may see it, keeps the rule.
    (event,) = ics_of(messages_to(ana)[0]).walk("VEVENT")
    assert "RRULE" in event


def test_sending_a_series_costs_the_same_queries_for_3_or_12_occurrences(
    chair, colombia
):
    counts = []
    for size, first in (
        (3, datetime.date(2027, 3, 4)),
        (12, datetime.date(2028, 3, 2)),
    ):
        users = factories.UserFactory.create_batch(size // 3 + 1, nation=colombia)
        series = schedule(chair, users, first=first, count=size)
        with CaptureQueriesContext(connection) as queries:
            sent = series_invitations.series_notify(
                series_id=series.pk, part=0, acting_user=chair
            )
        assert sent == len(users)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ------------------------------------------------------------ downloads still work


def test_an_occurrence_can_still_be_downloaded_alone(client, chair, ana):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=3)
    second = occurrences(series)[1]
    client.force_login(ana)

    response = client.get(reverse("cooperation:meeting-ics", args=[second.pk]))

    assert response.status_code == 200
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event["DTSTART"].dt.astimezone(UTC) == second.starts_at
    assert "RRULE" not in event


def test_the_whole_series_can_be_downloaded_as_one_entry(client, chair, ana, joao):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=4)
    first, second, third, _fourth = occurrences(series)
    cancel(third, chair)
    client.force_login(joao)  # not invited: downloads what he may see
    page = client.get(first.get_absolute_url()).content.decode()
    url = reverse("cooperation:meeting-series-ics", args=[second.pk])
    assert reverse("cooperation:meeting-series-ics", args=[first.pk]) in page

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert "ATTENDEE" not in event  # RFC 5546: a published event names nobody
    program = CalendarProgram()
    program.events[str(event["UID"])][None] = event
    program.timezones = {str(z["TZID"]): z for z in calendar.walk("VTIMEZONE")}
    assert program.starts() == [
        m.starts_at for m in occurrences(series) if m.status != Status.CANCELLED
    ]


def test_the_series_download_answers_404_outside_a_series_or_release(
    client, chair, ana, colombia
):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=2)
    single = factories.AssessmentMeetingFactory()
    client.force_login(ana)
    assert (
        client.get(
            reverse("cooperation:meeting-series-ics", args=[single.pk])
        ).status_code
        == 404
    )
    for meeting in occurrences(series):
        meeting.released_to_all = False
        meeting.save()
        meeting.released_to.set([])
    url = reverse("cooperation:meeting-series-ics", args=[occurrences(series)[0].pk])
    assert client.get(url).status_code == 404


def test_series_model_counts_its_revision(chair, ana):
    series = schedule(chair, [ana], first=datetime.date(2027, 3, 4), count=2)
    assert MeetingSeries.objects.get(pk=series.pk).ical_sequence == 0
