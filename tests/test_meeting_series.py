"""Recurring meeting series, edits of one or following occurrences, cancellation,
carry-over of open items, scheduling warnings in the meeting form, and minutes."""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.concurrency import version_token
from cooperation.models import AgendaItem, AssessmentMeeting, MeetingSeries
from cooperation.services import meetings as meeting_services
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
Status = AssessmentMeeting.Status
SCHEDULER_PERMISSIONS = ["add_assessmentmeeting", "change_assessmentmeeting"]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def at(year, month, day, hour=0, minute=0, zone="UTC"):
    return datetime.datetime(
        year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone)
    )


@pytest.fixture(autouse=True)
def notify():
    """``invitations.meeting_notify``, replaced: no mail leaves these tests."""
    with mock.patch("cooperation.services.invitations.meeting_notify") as patched:
        yield patched


@pytest.fixture(autouse=True)
def series_notify():
    """The recurring invitations of a series, replaced as well (they are tested in
    tests/test_series_invitations.py): ``series_notify`` and ``occurrences_cancel``."""
    with (
        mock.patch("cooperation.services.series_invitations.series_notify") as whole,
        mock.patch(
            "cooperation.services.series_invitations.occurrences_cancel"
        ) as cancel,
    ):
        yield mock.NonCallableMock(whole=whole, cancel=cancel)


@pytest.fixture
def scheduler(colombian_user):
    return grant(colombian_user, *SCHEDULER_PERMISSIONS)


@pytest.fixture
def scheduler_client(client, scheduler):
    client.force_login(scheduler)
    return client


def schedule(user, **overrides):
    """A series through the services every door uses: plan it, then create it."""
    kwargs = {
        "title": "Andean review",
        "frequency": MeetingSeries.Frequency.WEEKLY,
        "interval": 1,
        "starts_on": datetime.date(2027, 3, 4),
        "start_time": datetime.time(9, 0),
        "duration_minutes": 90,
        "time_zone": "America/New_York",
        "count": 4,
        "until": None,
        **overrides,
    }
    release = {
        name: kwargs.pop(name)
        for name in ("released_to_all", "released_to")
        if name in kwargs
    }
    try:
        zone = zoneinfo.ZoneInfo(kwargs["time_zone"])
    except zoneinfo.ZoneInfoNotFoundError:
        zone = UTC  # the service refuses the zone
    starts_at = datetime.datetime.combine(
        kwargs["starts_on"], kwargs["start_time"], zone
    )
    details = meeting_services.MeetingDetails(
        title=kwargs["title"],
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=kwargs["duration_minutes"]),
        time_zone=kwargs["time_zone"],
        location=kwargs.get("location", ""),
        online_url=kwargs.get("online_url", ""),
        chair=kwargs.get("chair"),
        nations=tuple(kwargs.get("nations", ())),
        attendees=tuple(kwargs.get("attendees", ())),
    )
    repeat = meeting_services.Repeat(
        frequency=kwargs["frequency"],
        interval=kwargs["interval"],
        until=kwargs["until"],
        count=kwargs["count"],
    )
    plan = meeting_services.meeting_plan(
        details=details, acting_user=user, repeat=repeat
    )
    (first, *_rest) = meeting_services.meeting_create(
        plan=plan, acting_user=user, **release
    )
    return first.series


def update(meeting, user, *, scope="this", **changes):
    """Change a stored meeting through ``meeting_plan`` and ``meeting_update``."""
    stored = AssessmentMeeting.objects.get(pk=meeting.pk)
    plan = meeting_services.meeting_plan(
        details=meeting_services.MeetingDetails.of(stored, **changes),
        acting_user=user,
        meeting=stored,
        scope=scope,
    )
    return meeting_services.meeting_update(
        meeting=stored, version=version_token(stored), plan=plan, acting_user=user
    )


def occurrences(series):
    return list(series.occurrences.order_by("occurrence_number"))


def local(value, zone):
    return value.astimezone(zoneinfo.ZoneInfo(zone))


# ------------------------------------------------------------------ DST and dates


@pytest.mark.parametrize(
    ("zone", "starts_on", "utc_hours"),
    [
        # US clocks go forward on 14 March 2027 and back on 7 November 2027.
        ("America/New_York", datetime.date(2027, 3, 4), [14, 14, 13, 13]),
        ("America/New_York", datetime.date(2027, 10, 21), [13, 13, 13, 14]),
        # Chile leaves summer time on 4 April 2027 and returns on 5 September 2027.
        ("America/Santiago", datetime.date(2027, 3, 18), [12, 12, 12, 13]),
        ("America/Santiago", datetime.date(2027, 8, 19), [13, 13, 13, 12]),
        # No daylight saving: the UTC instant never moves.
        ("America/Bogota", datetime.date(2027, 3, 4), [14, 14, 14, 14]),
        ("America/Bogota", datetime.date(2027, 10, 21), [14, 14, 14, 14]),
        ("America/Sao_Paulo", datetime.date(2027, 3, 18), [12, 12, 12, 12]),
        ("America/Sao_Paulo", datetime.date(2027, 8, 19), [12, 12, 12, 12]),
    ],
)
def test_weekly_series_keeps_the_local_time_across_daylight_saving_changes(
    colombian_user, zone, starts_on, utc_hours
):
    series = schedule(colombian_user, time_zone=zone, starts_on=starts_on)

    meetings = occurrences(series)
    assert [m.starts_at.astimezone(UTC).hour for m in meetings] == utc_hours
    assert {local(m.starts_at, zone).time() for m in meetings} == {datetime.time(9)}
    assert {m.ends_at - m.starts_at for m in meetings} == {
        datetime.timedelta(minutes=90)
    }
    assert [local(m.starts_at, zone).date() for m in meetings] == [
        starts_on + datetime.timedelta(weeks=week) for week in range(4)
    ]


def test_occurrences_are_scheduled_meetings_numbered_in_their_titles(
    colombian_user, colombia, brazil
):
    chair = factories.UserFactory()
    series = schedule(
        colombian_user,
        nations=[colombia, brazil],
        attendees=[chair, colombian_user],
        chair=chair,
        location="Bogotá",
    )

    meetings = occurrences(series)
    assert [m.title for m in meetings] == [
        "Andean review #1",
        "Andean review #2",
        "Andean review #3",
        "Andean review #4",
    ]
    assert [m.occurrence_number for m in meetings] == [1, 2, 3, 4]
    assert {m.status for m in meetings} == {Status.SCHEDULED}
    for meeting in meetings:
        assert set(meeting.nations.all()) == {colombia, brazil}
        assert set(meeting.attendees.all()) == {chair, colombian_user}
        assert meeting.chair == chair
        # Scheduled by someone who may not manage releasability: their nation.
        assert list(meeting.released_to.all()) == [colombia]
    assert series.created_by == colombian_user


def test_quarterly_series_with_an_interval_keeps_the_day_or_the_months_last(
    colombian_user,
):
    series = schedule(
        colombian_user,
        frequency=MeetingSeries.Frequency.QUARTERLY,
        interval=2,
        starts_on=datetime.date(2027, 5, 31),
        time_zone="America/Bogota",
        count=3,
    )

    assert [
        local(m.starts_at, "America/Bogota").date() for m in occurrences(series)
    ] == [
        datetime.date(2027, 5, 31),
        datetime.date(2027, 11, 30),
        datetime.date(2028, 5, 31),
    ]


def test_monthly_series_clamps_to_the_last_day_then_returns_to_the_day(
    colombian_user,
):
    series = schedule(
        colombian_user,
        frequency=MeetingSeries.Frequency.MONTHLY,
        starts_on=datetime.date(2028, 1, 31),
        time_zone="America/Bogota",
        count=4,
    )

    assert [
        local(m.starts_at, "America/Bogota").date() for m in occurrences(series)
    ] == [
        datetime.date(2028, 1, 31),
        datetime.date(2028, 2, 29),
        datetime.date(2028, 3, 31),
        datetime.date(2028, 4, 30),
    ]


def test_series_ending_on_a_date_includes_that_date(colombian_user):
    series = schedule(
        colombian_user,
        frequency=MeetingSeries.Frequency.WEEKLY,
        interval=2,
        starts_on=datetime.date(2027, 3, 4),
        count=None,
        until=datetime.date(2027, 4, 15),
    )

    assert [m.starts_at.date() for m in occurrences(series)] == [
        datetime.date(2027, 3, 4),
        datetime.date(2027, 3, 18),
        datetime.date(2027, 4, 1),
        datetime.date(2027, 4, 15),
    ]
    assert series.count is None


def test_series_ending_after_a_count_has_exactly_that_many(colombian_user):
    series = schedule(colombian_user, count=7)
    assert series.occurrences.count() == 7
    assert series.until is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": None, "until": datetime.date(2029, 12, 31)},  # 148 weeks
        {"count": 61},
        {"count": None, "until": None},
        {"count": 3, "until": datetime.date(2027, 6, 1)},
        {"interval": 13},
        {"count": None, "until": datetime.date(2027, 3, 1)},  # before the start
        {"duration_minutes": 5},
        {"time_zone": "Mars/Base"},
        {"frequency": "daily"},
    ],
)
def test_invalid_series_is_refused_and_nothing_is_saved(colombian_user, overrides):
    with pytest.raises(ValidationError):
        schedule(colombian_user, **overrides)

    assert not MeetingSeries.objects.exists()
    assert not AssessmentMeeting.objects.exists()


def test_sixty_occurrences_is_the_most_a_series_may_have(colombian_user):
    series = schedule(colombian_user, count=None, until=datetime.date(2028, 4, 20))
    assert series.occurrences.count() == 60


def test_a_new_series_is_one_invitation_queued_in_the_transaction(
    colombian_user, notify, series_notify, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        series = schedule(colombian_user, count=3)
        # Queued with the change (the outbox sends after the commit).
        assert series_notify.whole.call_count == 1

    assert series_notify.whole.call_args.kwargs == {
        "series_id": series.pk,
        "part": 0,
        "acting_user": colombian_user,
    }
    assert not notify.called  # not one invitation per occurrence
    # Each occurrence is an instance of the recurring invitation, at its start.
    assert [(m.recurrence_part, m.recurrence_id) for m in occurrences(series)] == [
        (0, m.starts_at) for m in occurrences(series)
    ]


# ------------------------------------------------------------------------ updates


def test_editing_this_occurrence_changes_it_alone(colombian_user):
    series = schedule(colombian_user)
    first, second, third, fourth = occurrences(series)

    changed = update(
        second,
        colombian_user,
        scope="this",
        starts_at=at(2027, 3, 11, 11, zone="America/New_York"),
        ends_at=at(2027, 3, 11, 12, zone="America/New_York"),
        location="Washington",
    )

    assert [m.pk for m in changed] == [second.pk]
    second.refresh_from_db()
    assert local(second.starts_at, "America/New_York").time() == datetime.time(11)
    assert second.location == "Washington"
    assert second.sequence == 1  # attendees get a new revision
    for other in (first, third, fourth):
        before = other.starts_at
        other.refresh_from_db()
        assert other.starts_at == before
        assert other.location == ""


def test_editing_this_and_following_moves_each_to_the_same_local_time(
    colombian_user, brazil
):
    # Occurrences on 4, 11, 18 and 25 March 2027; US clocks change on the 14th.
    series = schedule(colombian_user)
    first, second, third, fourth = occurrences(series)

    changed = update(
        second,
        colombian_user,
        scope="following",
        title="Andean review (extended) #2",
        starts_at=at(2027, 3, 11, 10, 30, zone="America/New_York"),
        ends_at=at(2027, 3, 11, 12, 30, zone="America/New_York"),
        nations=[brazil],
    )

    assert [m.pk for m in changed] == [second.pk, third.pk, fourth.pk]
    for meeting, day in [(second, 11), (third, 18), (fourth, 25)]:
        meeting.refresh_from_db()
        assert local(meeting.starts_at, "America/New_York") == at(
            2027, 3, day, 10, 30, zone="America/New_York"
        )
        assert meeting.ends_at - meeting.starts_at == datetime.timedelta(hours=2)
        assert list(meeting.nations.all()) == [brazil]
    # Same local time, different UTC offsets either side of the change.
    assert second.starts_at.astimezone(UTC).hour == 15
    assert third.starts_at.astimezone(UTC).hour == 14
    assert [second.title, third.title, fourth.title] == [
        "Andean review (extended) #2",
        "Andean review (extended) #3",
        "Andean review (extended) #4",
    ]
    before = first.starts_at
    first.refresh_from_db()
    assert (first.starts_at, first.title) == (before, "Andean review #1")
    assert not first.nations.exists()


def test_this_and_following_leaves_held_and_cancelled_occurrences_alone(
    colombian_user,
):
    series = schedule(colombian_user)
    first, second, third, fourth = occurrences(series)
    AssessmentMeeting.objects.filter(pk=third.pk).update(status=Status.CANCELLED)

    update(second, colombian_user, scope="following", location="Lima")

    assert dict(
        AssessmentMeeting.objects.filter(series=series).values_list("pk", "location")
    ) == {first.pk: "", second.pk: "Lima", third.pk: "", fourth.pk: "Lima"}


def test_update_notifies_only_when_something_attendees_see_changes(
    colombian_user, notify, django_capture_on_commit_callbacks
):
    series = schedule(colombian_user, count=2)
    first, _second = occurrences(series)
    notify.reset_mock()

    with django_capture_on_commit_callbacks(execute=True):
        update(first, colombian_user, location="")
    assert not notify.called

    with django_capture_on_commit_callbacks(execute=True):
        update(first, colombian_user, location="Quito")
    assert notify.call_count == 1
    assert notify.call_args.kwargs["kind"] == "request"


# ------------------------------------------------------------------- cancellation


def test_cancelled_occurrence_keeps_its_record_and_attendees_are_told(
    colombian_user, notify, series_notify, django_capture_on_commit_callbacks
):
    series = schedule(colombian_user)
    first, second, third, fourth = occurrences(series)
    notify.reset_mock()

    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_cancel(
            meeting=second, acting_user=colombian_user, scope="this"
        )

    second.refresh_from_db()
    assert second.status == Status.CANCELLED
    assert second.title == "Andean review #2"
    assert series.occurrences.count() == 4
    assert list(
        series.occurrences.exclude(status=Status.CANCELLED)
        .order_by("occurrence_number")
        .values_list("pk", flat=True)
    ) == [first.pk, third.pk, fourth.pk]
    assert not notify.called
    assert series_notify.cancel.call_count == 1
    assert series_notify.cancel.call_args.kwargs == {
        "meetings": [second],
        "acting_user": colombian_user,
    }


def test_cancelling_this_and_following_cancels_the_rest_of_the_series(
    colombian_user,
):
    series = schedule(colombian_user)
    first, second, _third, _fourth = occurrences(series)

    cancelled = meeting_services.meeting_cancel(
        meeting=second, acting_user=colombian_user, scope="following"
    )

    assert len(cancelled) == 3
    assert dict(series.occurrences.values_list("occurrence_number", "status")) == {
        1: Status.SCHEDULED,
        2: Status.CANCELLED,
        3: Status.CANCELLED,
        4: Status.CANCELLED,
    }
    with pytest.raises(ValidationError):
        meeting_services.meeting_cancel(meeting=second, acting_user=colombian_user)


# --------------------------------------------------------------------- carry-over


@pytest.fixture
def held_series(colombian_user):
    series = schedule(colombian_user)
    first, second, third, _fourth = occurrences(series)
    covered = factories.AgendaItemFactory(meeting=first, title="Done", covered=True)
    open_item = factories.AgendaItemFactory(
        meeting=first, title="Port security", covered=False, duration_minutes=25
    )
    raised_open = factories.RecommendationFactory(
        source_meeting=first, status="accepted", title="Share radar data"
    )
    raised_closed = factories.RecommendationFactory(
        source_meeting=first, status="implemented"
    )
    reviewed_open = factories.RecommendationFactory(status="in_progress")
    review = factories.AgendaItemFactory(
        meeting=first,
        kind=AgendaItem.Kind.REVIEW,
        recommendation=reviewed_open,
        covered=True,
    )
    factories.AgendaItemFactory(meeting=second, title="Already planned", position=1)
    return {
        "series": series,
        "first": first,
        "second": second,
        "third": third,
        "covered": covered,
        "open_item": open_item,
        "raised_open": raised_open,
        "raised_closed": raised_closed,
        "reviewed_open": reviewed_open,
        "review": review,
    }


def test_marking_an_occurrence_held_carries_open_items_to_the_next(
    colombian_user, held_series
):
    first, second = held_series["first"], held_series["second"]

    update(first, colombian_user, status=Status.HELD)

    items = list(second.agenda_items.order_by("position"))
    assert items[0].title == "Already planned"
    carried = items[1:]
    assert {item.kind for item in carried} == {AgendaItem.Kind.REVIEW}
    assert {(item.carried_from_id, item.recommendation_id) for item in carried} == {
        (held_series["open_item"].pk, None),
        (None, held_series["raised_open"].pk),
        (held_series["review"].pk, held_series["reviewed_open"].pk),
    }
    port = next(i for i in carried if i.carried_from_id == held_series["open_item"].pk)
    assert (port.title, port.duration_minutes) == ("Port security", 25)
    assert [item.position for item in items] == [1, 2, 3, 4]
    # Nothing lands on the occurrence after next.
    assert not held_series["third"].agenda_items.exists()


def test_carry_over_twice_adds_each_item_once(colombian_user, held_series):
    first, second = held_series["first"], held_series["second"]
    meeting_services.meeting_carry_over(meeting=first, acting_user=None)
    count = second.agenda_items.count()

    assert meeting_services.meeting_carry_over(meeting=first, acting_user=None) == []
    update(first, colombian_user, status=Status.HELD)

    assert second.agenda_items.count() == count == 4


def test_carry_over_skips_a_cancelled_next_occurrence(colombian_user, held_series):
    meeting_services.meeting_cancel(
        meeting=held_series["second"], acting_user=colombian_user
    )

    added = meeting_services.meeting_carry_over(
        meeting=held_series["first"], acting_user=None
    )

    assert len(added) == 3
    assert {item.meeting_id for item in added} == {held_series["third"].pk}
    assert held_series["second"].agenda_items.count() == 1


def test_uncovered_items_carry_on_along_the_series(colombian_user, held_series):
    first, second, third = (held_series[k] for k in ("first", "second", "third"))
    meeting_services.meeting_carry_over(meeting=first, acting_user=None)
    port = second.agenda_items.get(carried_from=held_series["open_item"])

    meeting_services.meeting_carry_over(meeting=second, acting_user=None)

    assert third.agenda_items.filter(carried_from=port).count() == 1


def test_a_meeting_outside_a_series_carries_nothing(colombian_user):
    meeting = factories.AssessmentMeetingFactory()
    factories.AgendaItemFactory(meeting=meeting, covered=False)
    assert meeting_services.meeting_carry_over(meeting=meeting, acting_user=None) == []


# ------------------------------------------------------------------------ minutes


def test_publishing_locks_minutes_and_a_correction_needs_the_permission(
    colombian_user,
):
    meeting = factories.AssessmentMeetingFactory(minutes="First draft.")
    meeting_services.meeting_publish_minutes(
        meeting=meeting, acting_user=colombian_user
    )
    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
    assert meeting.minutes_published_by == colombian_user
    assert meeting.minutes_published_at is not None

    with pytest.raises(PermissionDenied):
        meeting_services.meeting_correct_minutes(
            meeting=meeting, acting_user=colombian_user, minutes="Rewritten."
        )
    meeting.refresh_from_db()
    assert meeting.minutes == "First draft."

    corrector = grant(factories.UserFactory(), "correct_published_minutes")
    meeting_services.meeting_correct_minutes(
        meeting=meeting, acting_user=corrector, minutes="Corrected text."
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "Corrected text."
    texts = list(
        meeting.history.order_by("history_date").values_list(
            "minutes", "history_change_reason"
        )
    )
    assert ("First draft.", "Minutes published") in texts
    assert texts[-1] == ("Corrected text.", "Minutes corrected")
    assert meeting.history.latest().history_user == corrector


def test_empty_minutes_cannot_be_published(colombian_user):
    meeting = factories.AssessmentMeetingFactory(minutes="  ")
    with pytest.raises(ValidationError):
        meeting_services.meeting_publish_minutes(
            meeting=meeting, acting_user=colombian_user
        )
    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.DRAFT


# ------------------------------------------------------------ the meeting form


def form_data(**overrides):
    data = {
        "title": "Quarterly situation assessment",
        "status": "scheduled",
        "time_zone": "America/Sao_Paulo",
        "starts_at": "2027-01-21T10:00",
        "ends_at": "2027-01-21T12:00",
        "location": "Brasília",
        "online_url": "",
        "chair": "",
        "agenda-TOTAL_FORMS": "1",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "100",
        "agenda-0-duration_minutes": "15",
        "repeat-frequency": "",
        "repeat-interval": "1",
        "repeat-ends": "after_count",
        "repeat-count": "4",
        "repeat-until": "",
    }
    data.update(overrides)
    return data


def test_create_form_schedules_a_quarterly_series(scheduler_client):
    response = scheduler_client.post(
        reverse("cooperation:meeting-create"),
        form_data(
            **{
                "repeat-frequency": "quarterly",
                "agenda-0-title": "Threat picture",
                "agenda-0-ORDER": "1",
            }
        ),
    )

    series = MeetingSeries.objects.get()
    meetings = occurrences(series)
    assert response.status_code == 302
    assert response["Location"] == meetings[0].get_absolute_url()
    assert [local(m.starts_at, "America/Sao_Paulo").date() for m in meetings] == [
        datetime.date(2027, 1, 21),
        datetime.date(2027, 4, 21),
        datetime.date(2027, 7, 21),
        datetime.date(2027, 10, 21),
    ]
    assert (series.start_time, series.duration_minutes) == (datetime.time(10), 120)
    assert [i.title for i in meetings[0].agenda_items.all()] == ["Threat picture"]
    assert not meetings[1].agenda_items.exists()


def test_holiday_warning_must_be_confirmed_before_the_series_is_saved(
    scheduler_client, brazil
):
    url = reverse("cooperation:meeting-create")
    data = form_data(**{"repeat-frequency": "quarterly", "nations": [str(brazil.pk)]})

    first = scheduler_client.post(url, data)

    assert first.status_code == 200
    assert not AssessmentMeeting.objects.exists()
    assert not MeetingSeries.objects.exists()
    page = first.content.decode()
    assert 'role="alert"' in page
    assert "April 21, 2027 is a public holiday in Brazil: Tiradentes" in page
    assert "Occurrence 2 of 4, April 21, 2027, 10 a.m. America/Sao_Paulo" in page
    assert "I have read these warnings and want to schedule anyway" in page
    assert [w["code"] for w in first.context["warnings"]] == ["holiday"]
    digest = first.context["confirm"]["warnings_digest"].value()

    # Posting again without ticking the box saves nothing.
    again = scheduler_client.post(url, {**data, "confirm-warnings_digest": digest})
    assert again.status_code == 200
    assert "confirm_warnings" in again.context["confirm"].errors
    assert not AssessmentMeeting.objects.exists()

    confirmed = scheduler_client.post(
        url,
        {**data, "confirm-warnings_digest": digest, "confirm-confirm_warnings": "on"},
    )
    assert confirmed.status_code == 302
    assert AssessmentMeeting.objects.count() == 4


def test_a_confirmation_of_other_warnings_does_not_count(scheduler_client, brazil):
    url = reverse("cooperation:meeting-create")
    data = form_data(
        starts_at="2027-04-21T10:00",
        ends_at="2027-04-21T11:00",
        nations=[str(brazil.pk)],
        **{"confirm-confirm_warnings": "on", "confirm-warnings_digest": "0" * 64},
    )

    response = scheduler_client.post(url, data)

    assert response.status_code == 200
    assert "The warnings changed since you confirmed them" in response.content.decode()
    assert not AssessmentMeeting.objects.exists()
    # The new confirmation comes unticked.
    assert not response.context["confirm"].is_bound


@pytest.mark.parametrize("code", ["overlap_nation", "overlap_attendee"])
def test_overlaps_are_shown_as_warnings_to_confirm(
    scheduler_client, colombia, scheduler, code
):
    busy = factories.AssessmentMeetingFactory(
        title="Border security talks",
        starts_at=at(2027, 6, 9, 15),
        ends_at=at(2027, 6, 9, 17),
    )
    data = form_data(
        time_zone="America/Bogota",
        starts_at="2027-06-09T11:00",
        ends_at="2027-06-09T12:00",
    )
    if code == "overlap_nation":
        busy.nations.set([colombia])
        data["nations"] = [str(colombia.pk)]
    else:
        busy.attendees.set([scheduler])
        data["attendees"] = [str(scheduler.pk)]
    url = reverse("cooperation:meeting-create")

    response = scheduler_client.post(url, data)

    assert response.status_code == 200
    assert [w["code"] for w in response.context["warnings"]] == [code]
    assert "Overlaps “Border security talks”" in response.content.decode()
    assert AssessmentMeeting.objects.count() == 1

    digest = response.context["confirm"]["warnings_digest"].value()
    confirmed = scheduler_client.post(
        url,
        {**data, "confirm-warnings_digest": digest, "confirm-confirm_warnings": "on"},
    )
    assert confirmed.status_code == 302
    assert AssessmentMeeting.objects.count() == 2


def test_editing_into_a_holiday_asks_for_confirmation(scheduler_client, brazil):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=at(2027, 4, 20, 13),
        ends_at=at(2027, 4, 20, 14),
        time_zone="America/Sao_Paulo",
        title="Unchanged",
    )
    meeting.nations.set([brazil])
    url = reverse("cooperation:meeting-edit", args=[meeting.pk])
    data = form_data(
        title="Moved",
        starts_at="2027-04-21T10:00",
        ends_at="2027-04-21T11:00",
        nations=[str(brazil.pk)],
    )
    del data["repeat-frequency"]

    response = scheduler_client.post(url, data)

    assert [w["code"] for w in response.context["warnings"]] == ["holiday"]
    meeting.refresh_from_db()
    assert (meeting.title, meeting.starts_at) == ("Unchanged", at(2027, 4, 20, 13))


def test_a_meeting_does_not_overlap_itself_when_edited(scheduler_client, colombia):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=at(2027, 6, 9, 15), ends_at=at(2027, 6, 9, 17)
    )
    meeting.nations.set([colombia])
    data = form_data(
        title="Renamed",
        time_zone="America/Bogota",
        starts_at="2027-06-09T10:00",
        ends_at="2027-06-09T12:00",
        nations=[str(colombia.pk)],
        version=version_token(meeting),
    )

    response = scheduler_client.post(
        reverse("cooperation:meeting-edit", args=[meeting.pk]), data
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Renamed"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"repeat-frequency": "daily"}, "frequency"),
        ({"repeat-frequency": "weekly", "repeat-interval": "13"}, "interval"),
        ({"repeat-frequency": "weekly", "repeat-interval": "x"}, "interval"),
        ({"repeat-frequency": "weekly", "repeat-count": "0"}, "count"),
        ({"repeat-frequency": "weekly", "repeat-count": "61"}, "count"),
        ({"repeat-frequency": "weekly", "repeat-count": ""}, "count"),
        (
            {"repeat-frequency": "weekly", "repeat-ends": "on_date"},
            "until",
        ),
        (
            {
                "repeat-frequency": "weekly",
                "repeat-ends": "on_date",
                "repeat-until": "someday",
            },
            "until",
        ),
        (
            {
                "repeat-frequency": "weekly",
                "repeat-ends": "on_date",
                "repeat-until": "2026-01-01",
            },
            "__all__",
        ),
        (
            {
                "repeat-frequency": "weekly",
                "repeat-ends": "on_date",
                "repeat-until": "2031-01-01",
            },
            "__all__",
        ),
        ({"repeat-frequency": "weekly", "ends_at": "2027-01-21T10:05"}, "__all__"),
        ({"repeat-frequency": "weekly", "repeat-ends": "forever"}, "ends"),
    ],
)
def test_repeat_section_rejects_bad_input(scheduler_client, overrides, field):
    response = scheduler_client.post(
        reverse("cooperation:meeting-create"), form_data(**overrides)
    )

    assert response.status_code == 200
    assert field in response.context["repeat"].errors
    assert not AssessmentMeeting.objects.exists()
    assert not MeetingSeries.objects.exists()


def edit_data(meeting, **overrides):
    zone = zoneinfo.ZoneInfo(meeting.time_zone)
    data = form_data(
        title=meeting.title,
        time_zone=meeting.time_zone,
        location=meeting.location,
        starts_at=f"{meeting.starts_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        ends_at=f"{meeting.ends_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        version=version_token(meeting),
        **{"scope-scope": "this"},
    )
    data.update(overrides)
    return data


def test_edit_form_asks_which_occurrences_and_applies_to_following(
    scheduler_client, scheduler
):
    series = schedule(scheduler, time_zone="America/Bogota")
    first, second, third, fourth = occurrences(series)
    url = reverse("cooperation:meeting-edit", args=[second.pk])
    page = scheduler_client.get(url).content.decode()
    assert "This and following occurrences" in page

    response = scheduler_client.post(
        url,
        edit_data(
            second,
            starts_at="2027-03-11T08:00",
            ends_at="2027-03-11T09:00",
            **{"scope-scope": "following"},
        ),
    )

    assert response.status_code == 302
    starts = dict(series.occurrences.values_list("occurrence_number", "starts_at"))
    assert starts[1] == first.starts_at
    assert [local(starts[n], "America/Bogota").time() for n in (2, 3, 4)] == [
        datetime.time(8)
    ] * 3


def test_edit_form_for_this_occurrence_only(scheduler_client, scheduler):
    series = schedule(scheduler, time_zone="America/Bogota")
    _first, second, third, _fourth = occurrences(series)

    scheduler_client.post(
        reverse("cooperation:meeting-edit", args=[second.pk]),
        edit_data(second, location="Quito"),
    )

    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.location, third.location) == ("Quito", "")


def test_edit_form_requires_a_valid_scope_for_an_occurrence(
    scheduler_client, scheduler
):
    series = schedule(scheduler, time_zone="America/Bogota")
    second = occurrences(series)[1]

    response = scheduler_client.post(
        reverse("cooperation:meeting-edit", args=[second.pk]),
        edit_data(second, location="Quito", **{"scope-scope": "all"}),
    )

    assert response.status_code == 200
    assert "scope" in response.context["scope_form"].errors
    second.refresh_from_db()
    assert second.location == ""


def test_marking_held_in_the_form_carries_uncovered_items_over(
    scheduler_client, scheduler
):
    series = schedule(scheduler, time_zone="America/Bogota")
    first, second, _third, _fourth = occurrences(series)
    item = factories.AgendaItemFactory(meeting=first, title="Open point", position=1)
    data = edit_data(
        first,
        status="held",
        **{
            "agenda-TOTAL_FORMS": "1",
            "agenda-INITIAL_FORMS": "1",
            "agenda-0-id": str(item.pk),
            "agenda-0-meeting": str(first.pk),
            "agenda-0-title": "Open point",
            "agenda-0-ORDER": "1",
            "agenda-0-duration_minutes": "20",
        },
    )

    response = scheduler_client.post(
        reverse("cooperation:meeting-edit", args=[first.pk]), data
    )

    assert response.status_code == 302
    assert second.agenda_items.get().carried_from == item


def test_create_form_is_prefilled_from_the_find_a_time_link(
    scheduler_client, colombia, brazil
):
    response = scheduler_client.get(
        reverse("cooperation:meeting-create"),
        {
            "starts_at": "2027-06-09T14:00:00+00:00",
            "time_zone": "America/Sao_Paulo",
            "nations": ["CO", "br", "ZZ"],
            "duration": "90",
        },
    )

    form = response.context["form"]
    assert form["time_zone"].value() == "America/Sao_Paulo"
    assert form["starts_at"].value() == datetime.datetime(2027, 6, 9, 11, 0)
    assert form["ends_at"].value() == datetime.datetime(2027, 6, 9, 12, 30)
    assert sorted(form["nations"].value()) == sorted([colombia.pk, brazil.pk])


@pytest.mark.parametrize(
    "query",
    [
        {"starts_at": "tomorrow"},
        {"starts_at": "2027-06-09T14:00", "duration": "-5"},
        {"time_zone": "Mars/Base", "nations": ["1' OR 1=1"]},
        {"attendees": ["abc", "999999"]},
    ],
)
def test_bad_prefill_values_are_ignored(scheduler_client, query):
    response = scheduler_client.get(reverse("cooperation:meeting-create"), query)
    assert response.status_code == 200
    assert response.context["form"]["time_zone"].value() == "America/Bogota"


# ---------------------------------------------------------------- meeting page


def test_occurrence_page_shows_its_place_in_the_series(scheduler_client, scheduler):
    series = schedule(scheduler)
    first, second, third, _fourth = occurrences(series)

    page = scheduler_client.get(second.get_absolute_url()).content.decode()

    assert "Occurrence 2 of 4 in this series." in page
    assert first.get_absolute_url() in page
    assert third.get_absolute_url() in page


def test_series_links_skip_occurrences_withheld_from_the_user(
    client, brazilian_user, colombia, brazil
):
    owner = factories.UserFactory(nation=brazil)
    series = schedule(owner)
    first, second, third, _fourth = occurrences(series)
    third.released_to.set([colombia])
    client.force_login(brazilian_user)

    response = client.get(second.get_absolute_url())

    assert response.context["next_occurrence"]["pk"] == _fourth.pk
    assert third.get_absolute_url() not in response.content.decode()


def test_detail_shows_the_meetings_zone_beside_the_users(client, colombian_user):
    colombian_user.time_zone = "Europe/Madrid"
    colombian_user.save()
    client.force_login(colombian_user)
    meeting = factories.AssessmentMeetingFactory(
        starts_at=at(2027, 6, 9, 14),
        ends_at=at(2027, 6, 9, 15),
        time_zone="America/Bogota",
    )
    factories.AgendaItemFactory(meeting=meeting, title="Opening")

    page = client.get(meeting.get_absolute_url()).content.decode()

    assert "This meeting is held in America/Bogota" in page
    assert "4 p.m." in page  # Madrid, summer time
    assert "9 a.m." in page  # Bogotá


def test_cancel_action_cancels_and_keeps_the_record(
    scheduler_client,
    scheduler,
    notify,
    series_notify,
    django_capture_on_commit_callbacks,
):
    series = schedule(scheduler)
    second = occurrences(series)[1]
    notify.reset_mock()
    page = scheduler_client.get(second.get_absolute_url()).content.decode()
    assert reverse("cooperation:meeting-cancel", args=[second.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = scheduler_client.post(
            reverse("cooperation:meeting-cancel", args=[second.pk]),
            {"scope-scope": "following"},
        )

    assert response.status_code == 302
    assert list(
        series.occurrences.order_by("occurrence_number").values_list(
            "status", flat=True
        )
    ) == [Status.SCHEDULED, Status.CANCELLED, Status.CANCELLED, Status.CANCELLED]
    # The three occurrences' cancellation goes out together.
    assert not notify.called
    (call,) = series_notify.cancel.call_args_list
    assert [m.occurrence_number for m in call.kwargs["meetings"]] == [2, 3, 4]
    page = scheduler_client.get(second.get_absolute_url()).content.decode()
    assert "Cancelled" in page
    assert reverse("cooperation:meeting-cancel", args=[second.pk]) not in page


def test_cancel_action_is_refused_without_permission_or_by_get(
    client, brazilian_user, scheduler
):
    meeting = factories.AssessmentMeetingFactory()
    url = reverse("cooperation:meeting-cancel", args=[meeting.pk])
    client.force_login(brazilian_user)
    assert url not in client.get(meeting.get_absolute_url()).content.decode()
    assert client.post(url).status_code == 403
    client.force_login(scheduler)
    assert client.get(url).status_code == 405
    meeting.refresh_from_db()
    assert meeting.status == Status.SCHEDULED


def test_cancel_with_a_forged_scope_is_an_error_not_a_crash(
    scheduler_client, scheduler
):
    second = occurrences(schedule(scheduler))[1]
    response = scheduler_client.post(
        reverse("cooperation:meeting-cancel", args=[second.pk]), {"scope-scope": "x"}
    )
    assert response.status_code == 400
    second.refresh_from_db()
    assert second.status == Status.SCHEDULED


def test_minutes_are_drafted_published_and_then_locked(
    client, scheduler, brazilian_user
):
    meeting = factories.AssessmentMeetingFactory(status=Status.HELD)
    minutes_url = reverse("cooperation:meeting-minutes", args=[meeting.pk])
    publish_url = reverse("cooperation:meeting-minutes-publish", args=[meeting.pk])
    client.force_login(brazilian_user)
    assert publish_url not in client.get(meeting.get_absolute_url()).content.decode()
    forged = factories.minutes_form_data(meeting, minutes="Forged")
    assert client.post(minutes_url, forged).status_code == 403
    assert client.get(minutes_url).status_code == 403

    client.force_login(scheduler)
    response = client.post(
        minutes_url,
        factories.minutes_form_data(meeting, minutes="Agreed to share radar data."),
    )
    assert response.status_code == 302
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Publish minutes" in page
    # Publishing locks things, so it asks first: without the confirmation,
    # nothing is published.
    response = client.post(publish_url, follow=True)
    assert "Tick the confirmation to publish" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.DRAFT
    assert client.post(publish_url, {"confirm": "on"}).status_code == 302

    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Published by" in page
    assert "Agreed to share radar data." in page
    assert "Correct minutes" not in page
    assert publish_url not in page
    # Locked: a change permission is not enough to edit published minutes.
    rewritten = factories.minutes_form_data(meeting, minutes="Rewritten")
    assert client.post(minutes_url, rewritten).status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == "Agreed to share radar data."

    grant(scheduler, "correct_published_minutes")
    scheduler = type(scheduler).objects.get(pk=scheduler.pk)
    client.force_login(scheduler)
    assert "Correct minutes" in client.get(meeting.get_absolute_url()).content.decode()
    corrected = factories.minutes_form_data(meeting, minutes="Agreed to share data.")
    assert client.post(minutes_url, corrected).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Agreed to share data."
    old_texts = set(meeting.history.values_list("minutes", flat=True))
    assert {"Agreed to share radar data.", "Agreed to share data."} <= old_texts


def test_draft_minutes_are_hidden_from_readers(client, brazilian_user):
    meeting = factories.AssessmentMeetingFactory(minutes="Draft: not agreed yet.")
    client.force_login(brazilian_user)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Draft: not agreed yet." not in page
    assert "The minutes have not been published yet." in page


@pytest.mark.parametrize("minutes", ["x" * 50_001])
def test_minutes_form_rejects_bad_input(scheduler_client, minutes):
    # Empty draft text is allowed now (attendance and outcomes may come first);
    # emptying published minutes is refused (tests/test_structured_minutes.py).
    meeting = factories.AssessmentMeetingFactory(minutes="Kept.")
    response = scheduler_client.post(
        reverse("cooperation:meeting-minutes", args=[meeting.pk]),
        factories.minutes_form_data(meeting, minutes=minutes),
    )
    assert response.status_code == 400
    assert "minutes" in response.context["minutes_form"].errors
    meeting.refresh_from_db()
    assert meeting.minutes == "Kept."


def test_publishing_empty_minutes_is_a_message_not_a_crash(scheduler_client):
    meeting = factories.AssessmentMeetingFactory()
    response = scheduler_client.post(
        reverse("cooperation:meeting-minutes-publish", args=[meeting.pk]),
        {"confirm": "on"},
        follow=True,
    )
    assert "Write the minutes before publishing them." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.DRAFT


def test_meeting_page_links_to_its_history_for_every_reader(client, scheduler):
    meeting = factories.AssessmentMeetingFactory()
    history = reverse("cooperation:meeting-history", args=[meeting.pk])
    client.force_login(scheduler)
    assert history in client.get(meeting.get_absolute_url()).content.decode()
    assert client.get(history).status_code == 200


@pytest.mark.parametrize("route", ["cancel", "minutes", "minutes-publish"])
def test_new_meeting_actions_refuse_a_post_without_csrf_token(scheduler, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(scheduler)
    meeting = factories.AssessmentMeetingFactory(minutes="Kept.")
    response = client.post(
        reverse(f"cooperation:meeting-{route}", args=[meeting.pk]), {"minutes": "X"}
    )
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes) == (Status.SCHEDULED, "Kept.")


@pytest.mark.parametrize("route", ["cancel", "minutes", "minutes-publish"])
def test_new_meeting_actions_are_404_for_a_withheld_meeting(
    scheduler_client, united_states, route
):
    meeting = factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[united_states], minutes="Kept."
    )
    response = scheduler_client.post(
        reverse(f"cooperation:meeting-{route}", args=[meeting.pk]), {"minutes": "X"}
    )
    assert response.status_code == 404


def _occurrence_page_queries(client, owner, people):
    series = schedule(owner, count=3)
    second = occurrences(series)[1]
    users = factories.UserFactory.create_batch(people)
    second.attendees.set(users)
    for person in users:
        factories.AgendaItemFactory(
            meeting=second,
            kind=AgendaItem.Kind.REVIEW,
            recommendation=factories.RecommendationFactory(owner=person),
        )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(second.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["invitations"]) == people
    return len(queries)


def test_occurrence_page_runs_the_same_few_queries_for_5_and_50_rows(
    scheduler_client, scheduler
):
    few = _occurrence_page_queries(scheduler_client, scheduler, 5)
    many = _occurrence_page_queries(scheduler_client, scheduler, 50)
    assert few == many
    # 13: the meeting is read twice, its heading for the access check of every
    # request (views.access.heading_of) and the whole record when the content is
    # drawn; and the navigation bar's unread notifications.
    assert few <= 13 + 1
