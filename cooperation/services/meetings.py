"""Meeting writes: recurring series, edits of one or following occurrences,
cancellation, carry-over of open items, and minutes publication.

Every function here is keyword-only and atomic, validates with ``full_clean()``
and, where attendees must hear of it, asks ``services.invitations.meeting_notify``
to send an invitation or a cancellation once the transaction has committed.
"""

import calendar
import datetime
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    MeetingSeries,
    Nation,
    Recommendation,
    User,
)

MAX_OCCURRENCES = 60
CORRECT_MINUTES_PERMISSION = "cooperation.correct_published_minutes"
Status = AssessmentMeeting.Status
# A change to any of these is news for the attendees: they get the invitation again.
ATTENDEE_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "time_zone",
    "location",
    "online_url",
    "status",
)
_UNSET = object()


# ------------------------------------------------------------------ notifications


def meeting_notify_on_commit(*, meeting: AssessmentMeeting, kind: str) -> None:
    """Have the attendees told (``kind`` "request" or "cancel") after the commit."""
    meeting_id = meeting.pk

    def notify():
        # Imported late: the invitations module depends on this one's models only,
        # and tests replace ``meeting_notify``.
        from cooperation.services import invitations

        invitations.meeting_notify(
            meeting=AssessmentMeeting.objects.get(pk=meeting_id), kind=kind
        )

    transaction.on_commit(notify)


# ---------------------------------------------------------------------- occurrences


@dataclass(frozen=True)
class OccurrenceTime:
    number: int
    starts_at: datetime.datetime  # UTC
    ends_at: datetime.datetime  # UTC


def add_months(day: datetime.date, months: int, *, anchor_day: int) -> datetime.date:
    """``day`` moved by ``months``, on ``anchor_day`` clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(anchor_day, last))


def local_to_utc(day: datetime.date, time: datetime.time, zone_name: str):
    """A wall-clock time in ``zone_name`` as a UTC instant (zoneinfo handles DST)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    return datetime.datetime.combine(day, time, tzinfo=zone).astimezone(datetime.UTC)


def series_occurrence_dates(
    *,
    frequency: str,
    interval: int,
    starts_on: datetime.date,
    until: datetime.date | None = None,
    count: int | None = None,
) -> list[datetime.date]:
    """The dates of a series' occurrences, at most ``MAX_OCCURRENCES``.

    Raises ``ValidationError`` when an end date would make more than that.
    """
    if (until is None) == (count is None):
        raise ValidationError(
            _("A series ends either on a date or after a number of occurrences."),
            code="series_end",
        )
    limit = count if count is not None else MAX_OCCURRENCES + 1
    months = {
        MeetingSeries.Frequency.MONTHLY: 1,
        MeetingSeries.Frequency.QUARTERLY: 3,
    }.get(frequency)
    dates = []
    index = 0
    while len(dates) < limit:
        if frequency == MeetingSeries.Frequency.WEEKLY:
            day = starts_on + datetime.timedelta(weeks=interval * index)
        elif months is not None:
            # Always from the first date, so 31 January gives 28/29 February and
            # then 31 March again.
            day = add_months(
                starts_on, months * interval * index, anchor_day=starts_on.day
            )
        else:
            raise ValidationError(
                _("Choose weekly, monthly or quarterly."), code="frequency"
            )
        if until is not None and day > until:
            break
        dates.append(day)
        index += 1
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError(
            _(
                "A series has at most %(max)d occurrences; choose an earlier end date "
                "or a number of occurrences."
            )
            % {"max": MAX_OCCURRENCES},
            code="too_many_occurrences",
        )
    return dates


def series_occurrence_times(
    *,
    frequency: str,
    interval: int,
    starts_on: datetime.date,
    start_time: datetime.time,
    duration_minutes: int,
    time_zone: str,
    until: datetime.date | None = None,
    count: int | None = None,
) -> list[OccurrenceTime]:
    """Each occurrence's start and end in UTC: the same local time on every date."""
    duration = datetime.timedelta(minutes=duration_minutes)
    times = []
    for number, day in enumerate(
        series_occurrence_dates(
            frequency=frequency,
            interval=interval,
            starts_on=starts_on,
            until=until,
            count=count,
        ),
        start=1,
    ):
        starts_at = local_to_utc(day, start_time, time_zone)
        times.append(OccurrenceTime(number, starts_at, starts_at + duration))
    return times


def occurrence_title(title: str, number: int) -> str:
    return f"{title} #{number}"


def title_base(title: str) -> str:
    """``title`` without a trailing occurrence number ("Review #3" → "Review")."""
    return re.sub(r"\s*#\d+$", "", title).strip() or title


def _check_title_fits(title, count):
    max_length = AssessmentMeeting._meta.get_field("title").max_length
    if len(occurrence_title(title, count)) > max_length:
        raise ValidationError(
            {"title": _("The title is too long to add an occurrence number.")},
            code="title_too_long",
        )


@transaction.atomic
def meeting_schedule_series(
    *,
    user: User,
    title: str,
    frequency: str,
    interval: int,
    starts_on: datetime.date,
    start_time: datetime.time,
    duration_minutes: int,
    time_zone: str,
    until: datetime.date | None = None,
    count: int | None = None,
    nations: Iterable[Nation] = (),
    attendees: Iterable[User] = (),
    location: str = "",
    online_url: str = "",
    chair: User | None = None,
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> MeetingSeries:
    """Create a series and each of its occurrences as a scheduled meeting."""
    from cooperation import services

    series = MeetingSeries(
        title=title,
        frequency=frequency,
        interval=interval,
        starts_on=starts_on,
        start_time=start_time,
        duration_minutes=duration_minutes,
        time_zone=time_zone,
        until=until,
        count=count,
        created_by=user,
    )
    series.full_clean()
    times = series_occurrence_times(
        frequency=frequency,
        interval=interval,
        starts_on=starts_on,
        start_time=start_time,
        duration_minutes=duration_minutes,
        time_zone=time_zone,
        until=until,
        count=count,
    )
    _check_title_fits(title, len(times))
    series.save()
    nations = list(nations)
    attendees = list(attendees)
    released_to = list(released_to) if released_to is not None else None
    for occurrence in times:
        meeting = AssessmentMeeting(
            title=occurrence_title(title, occurrence.number),
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            time_zone=time_zone,
            location=location,
            online_url=online_url,
            chair=chair,
            status=Status.SCHEDULED,
            series=series,
            occurrence_number=occurrence.number,
        )
        meeting.full_clean()
        meeting.save()
        meeting.nations.set(nations)
        meeting.attendees.set(attendees)
        services.record_release(
            record=meeting,
            user=user,
            creating=True,
            released_to_all=released_to_all,
            released_to=released_to,
        )
        meeting_notify_on_commit(meeting=meeting, kind="request")
    return series


# ---------------------------------------------------------------------- updates


def following_occurrences(meeting: AssessmentMeeting) -> list[AssessmentMeeting]:
    """``meeting`` and the later occurrences of its series still to be held."""
    if meeting.series_id is None:
        return [meeting]
    later = list(
        AssessmentMeeting.objects.filter(
            series_id=meeting.series_id,
            occurrence_number__gt=meeting.occurrence_number,
        )
        .exclude(status__in=[Status.HELD, Status.CANCELLED])
        .order_by("occurrence_number")
    )
    return [meeting, *later]


def shifted_times(
    *,
    meeting: AssessmentMeeting,
    others: Iterable[AssessmentMeeting],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    time_zone: str,
) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
    """New (start, end) of each of ``others`` when ``meeting`` moves to these times.

    Each keeps its place relative to ``meeting`` in local wall-clock time: moving
    09:00 to 10:30 moves every other occurrence to 10:30 local time, whatever the
    daylight-saving offset on its date. Every one takes the new duration.
    """
    old_zone = zoneinfo.ZoneInfo(meeting.time_zone)
    new_zone = zoneinfo.ZoneInfo(time_zone)
    old_local = meeting.starts_at.astimezone(old_zone).replace(tzinfo=None)
    new_local = starts_at.astimezone(new_zone).replace(tzinfo=None)
    shift = new_local - old_local
    duration = ends_at - starts_at
    result = {}
    for other in others:
        local = other.starts_at.astimezone(old_zone).replace(tzinfo=None) + shift
        start = local.replace(tzinfo=new_zone).astimezone(datetime.UTC)
        result[other.pk] = (start, start + duration)
    return result


@transaction.atomic
def meeting_update_occurrence(
    *,
    meeting: AssessmentMeeting,
    user: User,
    scope: str = "this",
    title: str | None = None,
    status: str | None = None,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    time_zone: str | None = None,
    location: str | None = None,
    online_url: str | None = None,
    chair=_UNSET,
    nations: Iterable[Nation] | None = None,
    attendees: Iterable[User] | None = None,
) -> list[AssessmentMeeting]:
    """Change one meeting, or (``scope="following"``) it and the later occurrences
    of its series. Arguments left as None are not changed; ``status`` changes only
    this meeting. Returns the meetings changed, this one first."""
    if scope not in ("this", "following"):
        raise ValueError(f"unknown scope {scope!r}")
    # The stored meeting, whatever a form may have set on the instance passed in.
    stored = AssessmentMeeting.objects.select_for_update().get(pk=meeting.pk)
    targets = following_occurrences(stored) if scope == "following" else [stored]
    new_zone = time_zone or stored.time_zone
    new_starts = starts_at or stored.starts_at
    new_ends = ends_at or stored.ends_at
    if new_ends <= new_starts:
        raise ValidationError(
            {"ends_at": _("A meeting must end after it starts.")},
            code="end_before_start",
        )
    times = shifted_times(
        meeting=stored,
        others=targets,
        starts_at=new_starts,
        ends_at=new_ends,
        time_zone=new_zone,
    )
    nations = list(nations) if nations is not None else None
    attendees = list(attendees) if attendees is not None else None
    previous_status = stored.status
    changed = []
    for target in targets:
        before = {name: getattr(target, name) for name in ATTENDEE_FIELDS}
        target.starts_at, target.ends_at = times[target.pk]
        target.time_zone = new_zone
        if title is not None:
            if target is stored:
                target.title = title
            elif target.occurrence_number is not None:
                target.title = occurrence_title(
                    title_base(title), target.occurrence_number
                )
        if location is not None:
            target.location = location
        if online_url is not None:
            target.online_url = online_url
        if chair is not _UNSET:
            target.chair = chair
        if status is not None and target is stored:
            target.status = status
        attendees_changed = False
        if attendees is not None:
            current = set(target.attendees.values_list("pk", flat=True))
            attendees_changed = current != {person.pk for person in attendees}
        news = attendees_changed or any(
            getattr(target, name) != value for name, value in before.items()
        )
        if news and target.status in (Status.SCHEDULED, Status.CANCELLED):
            target.sequence += 1
        target.full_clean()
        target.save()
        if nations is not None:
            target.nations.set(nations)
        if attendees is not None:
            target.attendees.set(attendees)
        if news:
            if target.status == Status.SCHEDULED:
                meeting_notify_on_commit(meeting=target, kind="request")
            elif target.status == Status.CANCELLED and before["status"] != (
                Status.CANCELLED
            ):
                meeting_notify_on_commit(meeting=target, kind="cancel")
        changed.append(target)
    if (
        status == Status.HELD
        and previous_status != Status.HELD
        and stored.series_id is not None
    ):
        meeting_carry_over(meeting=stored)
    return changed


@transaction.atomic
def meeting_cancel(
    *, meeting: AssessmentMeeting, user: User, scope: str = "this"
) -> list[AssessmentMeeting]:
    """Cancel a meeting (or it and the following occurrences); records are kept."""
    if scope not in ("this", "following"):
        raise ValueError(f"unknown scope {scope!r}")
    stored = AssessmentMeeting.objects.select_for_update().get(pk=meeting.pk)
    if stored.status in (Status.HELD, Status.CANCELLED):
        raise ValidationError(
            _("Only a meeting still to be held can be cancelled."), code="not_open"
        )
    targets = following_occurrences(stored) if scope == "following" else [stored]
    for target in targets:
        was_scheduled = target.status == Status.SCHEDULED
        target.status = Status.CANCELLED
        if was_scheduled:
            target.sequence += 1
        target.full_clean()
        target.save()
        if was_scheduled:
            meeting_notify_on_commit(meeting=target, kind="cancel")
    return targets


# -------------------------------------------------------------------- carry-over


def next_occurrence(meeting: AssessmentMeeting) -> AssessmentMeeting | None:
    """The next occurrence of ``meeting``'s series that is not cancelled."""
    if meeting.series_id is None:
        return None
    return (
        AssessmentMeeting.objects.filter(
            series_id=meeting.series_id,
            occurrence_number__gt=meeting.occurrence_number,
        )
        .exclude(status=Status.CANCELLED)
        .order_by("occurrence_number")
        .first()
    )


def review_title() -> str:
    # No reference and no title: the next meeting, its .ics, feed and e-mails may
    # reach nations the recommendation is not released to. The meeting page links
    # the recommendation (reference and title) for readers who may see it.
    return _("Review of a recommendation")


@transaction.atomic
def meeting_carry_over(*, meeting: AssessmentMeeting) -> list[AgendaItem]:
    """Put what ``meeting`` left open on the next occurrence's agenda, once.

    Agenda items not covered, and open recommendations raised at it or reviewed at
    it, become review items of the next occurrence that is not cancelled. Running
    this again adds nothing new. Returns the items added.
    """
    target = next_occurrence(meeting)
    if target is None:
        return []
    AssessmentMeeting.objects.select_for_update().filter(pk=target.pk).first()
    existing = list(target.agenda_items.all())
    carried = {item.carried_from_id for item in existing if item.carried_from_id}
    reviewed = {item.recommendation_id for item in existing if item.recommendation_id}
    items = list(meeting.agenda_items.select_related("recommendation"))
    review_items = {
        item.recommendation_id: item for item in items if item.recommendation_id
    }
    recommendations = list(
        Recommendation.objects.open()
        .filter(Q(source_meeting=meeting) | Q(agenda_items__meeting=meeting))
        .distinct()
        .order_by("reference")
    )
    position = target.agenda_items.aggregate(last=Max("position"))["last"] or 0
    added = []

    def add(**fields):
        nonlocal position
        position += 1
        item = AgendaItem(
            meeting=target, position=position, kind=AgendaItem.Kind.REVIEW, **fields
        )
        item.full_clean()
        item.save()
        added.append(item)

    for item in items:
        if item.covered or item.pk in carried:
            continue
        add(
            title=item.title,
            presenter=item.presenter,
            duration_minutes=item.duration_minutes,
            notes=item.notes,
            carried_from=item,
            recommendation=item.recommendation,
        )
        carried.add(item.pk)
        if item.recommendation_id:
            reviewed.add(item.recommendation_id)
    for recommendation in recommendations:
        if recommendation.pk in reviewed:
            continue
        source = review_items.get(recommendation.pk)
        add(
            title=review_title(),
            presenter=recommendation.owner,
            duration_minutes=10,
            carried_from=source if source and source.pk not in carried else None,
            recommendation=recommendation,
        )
        reviewed.add(recommendation.pk)
    return added


# ----------------------------------------------------------------------- minutes


@transaction.atomic
def meeting_save_minutes(
    *, meeting: AssessmentMeeting, user: User, minutes: str
) -> AssessmentMeeting:
    """Save the draft minutes; published minutes change only by a correction."""
    if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
        return meeting_correct_minutes(meeting=meeting, user=user, minutes=minutes)
    meeting.minutes = minutes
    meeting.full_clean()
    meeting._change_reason = "Minutes drafted"
    meeting.save()
    return meeting


@transaction.atomic
def meeting_publish_minutes(
    *, meeting: AssessmentMeeting, user: User
) -> AssessmentMeeting:
    """Publish the draft minutes; from now on they are locked."""
    if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
        raise ValidationError(
            _("These minutes are already published."), code="published"
        )
    if not meeting.minutes.strip():
        raise ValidationError(
            {"minutes": _("Write the minutes before publishing them.")},
            code="empty_minutes",
        )
    meeting.minutes_status = AssessmentMeeting.MinutesStatus.PUBLISHED
    meeting.minutes_published_at = timezone.now()
    meeting.minutes_published_by = user
    meeting.full_clean()
    meeting._change_reason = "Minutes published"
    meeting.save()
    return meeting


@transaction.atomic
def meeting_correct_minutes(
    *, meeting: AssessmentMeeting, user: User, minutes: str
) -> AssessmentMeeting:
    """Correct published minutes: a new revision; history keeps the old text."""
    if meeting.minutes_status != AssessmentMeeting.MinutesStatus.PUBLISHED:
        raise ValidationError(
            _("Only published minutes are corrected; edit the draft instead."),
            code="not_published",
        )
    if not user.has_perm(CORRECT_MINUTES_PERMISSION):
        raise PermissionDenied(
            _("Published minutes are locked; you may not correct them.")
        )
    if not minutes.strip():
        raise ValidationError(
            {"minutes": _("Published minutes cannot be emptied.")},
            code="empty_minutes",
        )
    meeting.minutes = minutes
    meeting.full_clean()
    meeting._change_reason = "Minutes corrected"
    meeting._history_user = user
    meeting.save()
    return meeting
