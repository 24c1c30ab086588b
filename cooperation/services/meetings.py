"""Meeting writes: plan, create and update one meeting or a recurring series,
cancel, carry over open items, and keep the minutes.

Every door into a meeting write (the meeting pages, the admin, commands, workers)
reaches the same functions:

- ``meeting_plan`` works out, without writing anything, which meetings a new meeting,
  a series or an edit ("this" or "this and the following" occurrences) would save, at
  which times, and the scheduling warnings of each; the scheduling context is loaded
  once for the whole plan;
- ``meeting_create`` and ``meeting_update`` apply a plan atomically: the meetings,
  their agenda, releasability, the carry-over of a held meeting's open items, and the
  invitations or cancellations, queued in the outbox in the same transaction and
  sent by the delivery task once it has committed.

Every function here is keyword-only and atomic, validates with ``full_clean()`` and
records ``acting_user`` as the author of the history rows it writes.
"""

import datetime
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from dateutil.rrule import rrulestr
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cooperation import concurrency
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Invitation,
    MeetingSeries,
    Nation,
    Recommendation,
    User,
)
from cooperation.models.language import portal_language
from cooperation.models.meetings import recurrence_rule, title_base
from cooperation.services import notifications, scheduling
from cooperation.services.invitations import Notice
from cooperation.validators import validate_time_zone

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
# What an agenda item holds; an item whose values are all unchanged is not saved.
AGENDA_FIELDS = (
    "title",
    "presenter_id",
    "duration_minutes",
    "notes",
    "kind",
    "covered",
    "carried_from_id",
    "recommendation_id",
)


class Scope(StrEnum):
    """Which occurrences of a series a change applies to."""

    THIS = "this"
    FOLLOWING = "following"


# ------------------------------------------------------------------ notifications


def meeting_notify_all(
    *, notices: Iterable[tuple[AssessmentMeeting, Notice]], acting_user: User | None
) -> None:
    """Queue each attendee's invitation or cancellation that ``notices`` names.

    Called last in the transaction of the change, once the meetings, their agenda
    and any carry-over are saved: the messages are recorded in the outbox with the
    change and sent by the delivery task after the commit (``services.outbox``).
    ``Notice.SERIES`` sends the whole part of a series the meeting belongs to (one
    recurring invitation); the cancellations of several occurrences of one part go
    out together, one message per attendee.
    """
    # Looked up at the call: tests replace ``meeting_notify`` and the series'.
    from cooperation.services import invitations, series_invitations

    cancelled = {}
    for meeting, kind in notices:
        kind = Notice(kind)
        if kind == Notice.SERIES:
            series_invitations.series_notify(
                series_id=meeting.series_id,
                part=meeting.recurrence_part,
                acting_user=acting_user,
            )
        elif kind == Notice.CANCEL and meeting.recurrence_id is not None:
            part = (meeting.series_id, meeting.recurrence_part)
            cancelled.setdefault(part, []).append(meeting)
        else:
            invitations.meeting_notify(
                meeting=meeting, kind=kind, acting_user=acting_user
            )
    for meetings in cancelled.values():
        series_invitations.occurrences_cancel(
            meetings=meetings, acting_user=acting_user
        )


# ---------------------------------------------------------------------- occurrences


@dataclass(frozen=True)
class OccurrenceTime:
    number: int
    starts_at: datetime.datetime  # UTC
    ends_at: datetime.datetime  # UTC


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
    week_of_month: int | None = None,
    weekday: int | None = None,
) -> list[datetime.date]:
    """The dates of a series' occurrences, at most ``MAX_OCCURRENCES``.

    Computed by ``dateutil.rrule`` from the series' iCalendar rule
    (``recurrence_rule``, the one ``MeetingSeries.rrule_text`` gives): the same
    day of the month as ``starts_on`` (31 January gives 28/29 February and then
    31 March again), or with ``week_of_month`` and ``weekday`` e.g. the first
    Tuesday (1, 1) or the last Thursday (-1, 3) of the month.

    Raises ``ValidationError`` when an end date would make more than that, or
    when ``starts_on`` is not on the chosen week and weekday.
    """
    if (until is None) == (count is None):
        raise ValidationError(
            _("A series ends either on a date or after a number of occurrences."),
            code="series_end",
        )
    if frequency not in MeetingSeries.Frequency.values:
        raise ValidationError(
            _("Choose weekly, monthly or quarterly."), code="frequency"
        )
    if (week_of_month is None) != (weekday is None):
        raise ValidationError(
            _("Choose both the week of the month and the day of the week."),
            code="week_without_weekday",
        )
    if week_of_month is not None and frequency == MeetingSeries.Frequency.WEEKLY:
        raise ValidationError(
            _("A weekly series cannot fall on a week of the month."),
            code="weekly_week_of_month",
        )
    rule = rrulestr(
        recurrence_rule(
            frequency=frequency,
            interval=interval,
            starts_on=starts_on,
            week_of_month=week_of_month,
            weekday=weekday,
        ),
        dtstart=datetime.datetime.combine(starts_on, datetime.time(0)),
    )
    limit = count if count is not None else MAX_OCCURRENCES + 1
    dates = []
    for occurrence in rule:
        day = occurrence.date()
        if not dates and day != starts_on:
            raise ValidationError(
                _(
                    "The first occurrence, %(date)s, is not on the chosen week and "
                    "day of the week: choose a first day that is, or repeat on the "
                    "same day of the month."
                )
                % {"date": starts_on.isoformat()},
                code="first_not_on_rule",
            )
        if until is not None and day > until:
            break
        dates.append(day)
        if len(dates) >= limit:
            break
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
    week_of_month: int | None = None,
    weekday: int | None = None,
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
            week_of_month=week_of_month,
            weekday=weekday,
        ),
        start=1,
    ):
        starts_at = local_to_utc(day, start_time, time_zone)
        times.append(OccurrenceTime(number, starts_at, starts_at + duration))
    return times


def occurrence_title(title: str, number: int) -> str:
    return f"{title} #{number}"


def _check_title_fits(title, count):
    max_length = AssessmentMeeting._meta.get_field("title").max_length
    if len(occurrence_title(title, count)) > max_length:
        raise ValidationError(
            {"title": _("The title is too long to add an occurrence number.")},
            code="title_too_long",
        )


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


def _in_scope(stored: AssessmentMeeting, scope: "Scope") -> list[AssessmentMeeting]:
    """``stored``, and with ``Scope.FOLLOWING`` the later occurrences still to be
    held."""
    return following_occurrences(stored) if scope == Scope.FOLLOWING else [stored]


def _moved(stored: AssessmentMeeting, details: "MeetingDetails", scope: "Scope"):
    """The meetings an edit of ``stored`` changes, and each one's new (start, end)."""
    targets = _in_scope(stored, scope)
    return targets, shifted_times(
        meeting=stored,
        others=targets,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        time_zone=details.time_zone,
    )


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class MeetingDetails:
    """What a meeting form (or the admin, or a command) asks a meeting to be."""

    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    time_zone: str
    status: str = Status.SCHEDULED
    location: str = ""
    online_url: str = ""
    chair: User | None = None
    nations: tuple[Nation, ...] = ()
    attendees: tuple[User, ...] = ()
    # The language the meeting is written in; blank: the acting request's.
    language: str = ""

    @classmethod
    def of(cls, meeting: AssessmentMeeting, **changes) -> "MeetingDetails":
        """The details of a stored ``meeting``, with ``changes`` applied."""
        details = cls(
            title=meeting.title,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            time_zone=meeting.time_zone,
            status=meeting.status,
            location=meeting.location,
            online_url=meeting.online_url,
            chair=meeting.chair,
            language=meeting.language,
            nations=tuple(meeting.nations.all()),
            attendees=tuple(meeting.attendees.all()),
        )
        return replace(details, **changes)


@dataclass(frozen=True)
class Repeat:
    """How a new meeting repeats: a series ends on a date or after a count."""

    frequency: str
    interval: int = 1
    until: datetime.date | None = None
    count: int | None = None
    # Both or neither: e.g. (1, 1) the first Tuesday, (-1, 3) the last Thursday.
    week_of_month: int | None = None
    weekday: int | None = None


@dataclass(frozen=True)
class PlannedOccurrence:
    """One meeting a plan would save: its label in a series, its times, the
    stored meeting it changes (edits) and the scheduling warnings it raises."""

    label: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    meeting: AssessmentMeeting | None = None
    warnings: tuple[scheduling.SchedulingWarning, ...] = ()


@dataclass(frozen=True)
class MeetingPlan:
    details: MeetingDetails
    occurrences: tuple[PlannedOccurrence, ...]
    scope: Scope = Scope.THIS
    repeat: Repeat | None = None

    @property
    def warnings(self) -> list[tuple[str | None, scheduling.SchedulingWarning]]:
        """Every warning of every planned meeting, with the meeting's label."""
        return [(o.label, w) for o in self.occurrences for w in o.warnings]

    @property
    def digest(self) -> str:
        """Names the warnings a scheduler confirmed: new warnings, a new digest."""
        text = "\n".join(
            f"{label or ''}|{warning.code}|{warning.message}"
            for label, warning in self.warnings
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _in_zone(value, zone_name):
    local = timezone.localtime(value, zoneinfo.ZoneInfo(zone_name))
    return f"{date_format(local, 'DATETIME_FORMAT')} {zone_name}"


def _series_for(details: MeetingDetails, repeat: Repeat, acting_user) -> MeetingSeries:
    """The unsaved, validated series a new repeating meeting starts."""
    local = timezone.localtime(details.starts_at, zoneinfo.ZoneInfo(details.time_zone))
    series = MeetingSeries(
        title=details.title,
        frequency=repeat.frequency,
        interval=repeat.interval,
        starts_on=local.date(),
        start_time=local.time().replace(second=0, microsecond=0),
        duration_minutes=int(
            (details.ends_at - details.starts_at).total_seconds() // 60
        ),
        time_zone=details.time_zone,
        until=repeat.until,
        count=repeat.count,
        week_of_month=repeat.week_of_month,
        weekday=repeat.weekday,
        created_by=acting_user,
    )
    # The series' own rules (duration 15–720 minutes, end after start…) first.
    series.full_clean(exclude=["created_by"])
    return series


def _series_times(series: MeetingSeries) -> list[OccurrenceTime]:
    return series_occurrence_times(
        frequency=series.frequency,
        interval=series.interval,
        starts_on=series.starts_on,
        start_time=series.start_time,
        duration_minutes=series.duration_minutes,
        time_zone=series.time_zone,
        until=series.until,
        count=series.count,
        week_of_month=series.week_of_month,
        weekday=series.weekday,
    )


def meeting_plan(
    *,
    details: MeetingDetails,
    acting_user: User | None,
    meeting: AssessmentMeeting | None = None,
    scope: Scope = Scope.THIS,
    repeat: Repeat | None = None,
) -> MeetingPlan:
    """The meetings that saving ``details`` would write, with their warnings.

    A new meeting (``meeting`` None) is one occurrence, or each occurrence of a
    series when ``repeat`` is given; an edit of ``meeting`` changes it, or with
    ``Scope.FOLLOWING`` it and the later occurrences of its series still to be
    held, each keeping its local time of day. Writes nothing; raises
    ``ValidationError`` for a plan that cannot be saved. ``acting_user`` is the
    scheduler: meetings not released to them are not named in the warnings.
    """
    scope = Scope(scope)
    try:
        validate_time_zone(details.time_zone)
    except ValidationError as error:
        raise ValidationError({"time_zone": error.messages}) from None
    if details.ends_at <= details.starts_at:
        raise ValidationError(
            {"ends_at": _("A meeting must end after it starts.")},
            code="end_before_start",
        )
    if meeting is None and repeat is not None:
        times = _series_times(_series_for(details, repeat, acting_user))
        _check_title_fits(details.title, len(times))
        planned = [
            PlannedOccurrence(
                _("Occurrence %(number)d of %(total)d, %(when)s")
                % {
                    "number": time.number,
                    "total": len(times),
                    "when": _in_zone(time.starts_at, details.time_zone),
                },
                time.starts_at,
                time.ends_at,
            )
            for time in times
        ]
        exclude = []
    elif meeting is None:
        planned = [PlannedOccurrence(None, details.starts_at, details.ends_at)]
        exclude = []
    else:
        # The stored meeting, whatever a form may have set on the instance passed.
        stored = AssessmentMeeting.objects.get(pk=meeting.pk)
        targets, times = _moved(stored, details, scope)
        planned = []
        for target in targets:
            starts_at, ends_at = times[target.pk]
            label = None
            if len(targets) > 1:
                label = _("Occurrence %(number)d, %(when)s") % {
                    "number": target.occurrence_number,
                    "when": _in_zone(starts_at, details.time_zone),
                }
            planned.append(PlannedOccurrence(label, starts_at, ends_at, target))
        exclude = [target.pk for target in targets]
    checks = scheduling.meeting_checks(
        times=[(occurrence.starts_at, occurrence.ends_at) for occurrence in planned],
        nations=details.nations,
        attendees=details.attendees,
        user=acting_user,
        exclude_meeting_ids=exclude,
    )
    return MeetingPlan(
        details=details,
        occurrences=tuple(
            replace(occurrence, warnings=tuple(warnings))
            for occurrence, warnings in zip(planned, checks, strict=True)
        ),
        scope=scope,
        repeat=repeat if meeting is None else None,
    )


# ---------------------------------------------------------------------- agenda


def meeting_set_agenda(
    *,
    meeting: AssessmentMeeting,
    items: Sequence[AgendaItem],
    removed: Sequence[AgendaItem] = (),
    acting_user: User | None,
) -> None:
    """Delete the ``removed`` items, then save ``items`` numbered 1, 2, 3… in order.

    An item of this meeting whose values and position did not change is left alone
    (no history row for nothing)."""
    stored = {item.pk: item for item in meeting.agenda_items.all()}
    removing = [item.pk for item in removed if item.pk in stored]
    if (
        removing
        and Recommendation.objects.filter(source_agenda_item__in=removing).exists()
    ):
        raise ValidationError(
            _(
                "An agenda item a recommendation was raised from stays on the "
                "agenda: keep it."
            ),
            code="item_raised_recommendation",
        )
    for item in removed:
        if item.pk in stored:
            item._history_user = acting_user
            item.delete()
    for position, item in enumerate(items, start=1):
        before = stored.get(item.pk)
        item.meeting = meeting
        item.position = position
        if before is not None and all(
            getattr(before, name) == getattr(item, name)
            for name in ("position", *AGENDA_FIELDS)
        ):
            continue
        item.full_clean(exclude=["meeting"])
        item._history_user = acting_user
        item.save()


# ---------------------------------------------------------------------- create


def _save_meeting(
    meeting: AssessmentMeeting,
    details: MeetingDetails,
    *,
    acting_user: User,
    creating: bool = False,
    released_to_all: bool | None,
    released_to,
) -> None:
    """Validate and save ``meeting`` with the nations and attendees of ``details``
    and its releasability, history naming ``acting_user``."""
    from cooperation import services

    meeting.full_clean()
    meeting._history_user = acting_user
    meeting.save()
    meeting.nations.set(details.nations)
    meeting.attendees.set(details.attendees)
    services.record_release(
        record=meeting,
        acting_user=acting_user,
        creating=creating,
        released_to_all=released_to_all,
        released_to=released_to,
    )


def _new_meeting(details: MeetingDetails, **fields) -> AssessmentMeeting:
    """An unsaved meeting of ``details``; ``fields`` override them."""
    values = {
        "title": details.title,
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "time_zone": details.time_zone,
        "status": details.status,
        "location": details.location,
        "online_url": details.online_url,
        "chair": details.chair,
        "language": details.language or portal_language(),
    }
    return AssessmentMeeting(**(values | fields))


@transaction.atomic
def meeting_create(
    *,
    plan: MeetingPlan,
    acting_user: User | None,
    agenda: Sequence[AgendaItem] = (),
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> list[AssessmentMeeting]:
    """Save the new meeting, or every occurrence of the new series, that ``plan``
    (from ``meeting_plan``) describes; return them in order.

    The agenda goes to the first meeting; each is released as ``record_release``
    allows ``acting_user``; a scheduled meeting's attendees' invitations are
    queued with it (sent after the commit). Occurrences of a series are
    scheduled whatever status the details name.
    """
    details = plan.details
    series = None
    if plan.repeat is not None:
        series = _series_for(details, plan.repeat, acting_user)
        series._history_user = acting_user
        series.save()
        meetings = [
            _new_meeting(
                details,
                title=occurrence_title(details.title, time.number),
                starts_at=time.starts_at,
                ends_at=time.ends_at,
                status=Status.SCHEDULED,
                series=series,
                occurrence_number=time.number,
                recurrence_id=time.starts_at,
            )
            for time in _series_times(series)
        ]
        _check_title_fits(details.title, len(meetings))
    else:
        meetings = [_new_meeting(details)]
    released_to = list(released_to) if released_to is not None else None
    for meeting in meetings:
        _save_meeting(
            meeting,
            details,
            acting_user=acting_user,
            creating=True,
            released_to_all=released_to_all,
            released_to=released_to,
        )
    if agenda:
        meeting_set_agenda(meeting=meetings[0], items=agenda, acting_user=acting_user)
    if series is not None:
        # One recurring invitation for the whole series.
        notices = [(meetings[0], Notice.SERIES)]
    else:
        notices = [
            (meeting, Notice.REQUEST)
            for meeting in meetings
            if meeting.status == Status.SCHEDULED
        ]
    meeting_notify_all(notices=notices, acting_user=acting_user)
    return meetings


# ---------------------------------------------------------------------- update


@transaction.atomic
def meeting_update(
    *,
    meeting: AssessmentMeeting,
    version: str,
    plan: MeetingPlan,
    acting_user: User | None,
    agenda: Sequence[AgendaItem] | None = None,
    agenda_removed: Sequence[AgendaItem] = (),
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> list[AssessmentMeeting]:
    """Apply an edit ``plan`` to ``meeting`` (and, for ``Scope.FOLLOWING``, the
    later occurrences still to be held); return the meetings changed, this first.

    ``version`` is the version of ``meeting`` the edit was made on
    (``concurrency.version_token``): when the meeting changed since, nothing is
    saved and ``concurrency.EditConflict`` is raised. The agenda is saved first, so
    marking the meeting held carries over what it left open to the next
    occurrence. Attendees hear of any change that concerns them (SEQUENCE raised,
    invitation or cancellation sent after the commit); the status changes only
    this meeting.
    """
    concurrency.lock_unchanged(meeting, version, user=acting_user)
    stored = AssessmentMeeting.objects.select_for_update().get(pk=meeting.pk)
    if agenda is not None:
        meeting_set_agenda(
            meeting=stored,
            items=agenda,
            removed=agenda_removed,
            acting_user=acting_user,
        )
    details = plan.details
    targets, times = _moved(stored, details, plan.scope)
    # Before anything moves: where each instance of the recurring invitation goes
    # should "this and the following" change (the series is then split there).
    repart = (
        _repart_plan(stored, details)
        if plan.scope == Scope.FOLLOWING and stored.recurrence_id is not None
        else None
    )
    attendee_ids = {person.pk for person in details.attendees}
    released_to = list(released_to) if released_to is not None else None
    previous_status = stored.status
    notices = []
    for target in targets:
        before = {name: getattr(target, name) for name in ATTENDEE_FIELDS}
        target.starts_at, target.ends_at = times[target.pk]
        target.time_zone = details.time_zone
        if target is stored:
            target.title = details.title
            target.status = details.status
            target.language = details.language or target.language
        elif target.occurrence_number is not None:
            target.title = occurrence_title(
                title_base(details.title), target.occurrence_number
            )
        target.location = details.location
        target.online_url = details.online_url
        target.chair = details.chair
        current = set(target.attendees.values_list("pk", flat=True))
        news = current != attendee_ids or any(
            getattr(target, name) != value for name, value in before.items()
        )
        if news and target.status in (Status.SCHEDULED, Status.CANCELLED):
            target.sequence += 1
        _save_meeting(
            target,
            details,
            acting_user=acting_user,
            released_to_all=released_to_all,
            released_to=released_to,
        )
        if news:
            if target.status == Status.SCHEDULED:
                restored = (
                    before["status"] == Status.CANCELLED
                    and target.recurrence_id is not None
                )
                # An occurrence put back in: its instance was removed from the
                # attendees' recurring invitation, which they are sent again.
                notices.append((target, Notice.SERIES if restored else Notice.REQUEST))
            elif target.status == Status.CANCELLED and before["status"] != (
                Status.CANCELLED
            ):
                notices.append((target, Notice.CANCEL))
    if repart is not None and notices:
        # The following occurrences changed together: they become a recurring
        # invitation of their own and the earlier ones keep theirs, re-sent.
        notices = _repart_apply(stored, repart, acting_user)
    if (
        stored.status == Status.HELD
        and previous_status != Status.HELD
        and stored.series_id is not None
    ):
        meeting_carry_over(meeting=stored, acting_user=acting_user)
    meeting_notify_all(notices=notices, acting_user=acting_user)
    return targets


@dataclass(frozen=True)
class _Repart:
    earlier: list[AssessmentMeeting]
    later: list[AssessmentMeeting]
    instances: dict[int, datetime.datetime]  # later pk → its new RECURRENCE-ID
    merged: dict[int, set[int]]  # a later part emptied → who holds it


def _repart_plan(stored: AssessmentMeeting, details: "MeetingDetails") -> _Repart:
    """How a change to ``stored`` and the following occurrences splits its part of
    the series: the occurrences from ``stored`` on (held and cancelled ones too)
    form a part of their own, each instance moved as ``stored`` moves, in local
    wall-clock time (computed before ``stored`` changes)."""
    members = list(
        AssessmentMeeting.objects.filter(
            series_id=stored.series_id, recurrence_id__isnull=False
        ).order_by("occurrence_number", "pk")
    )
    earlier = [
        m
        for m in members
        if m.occurrence_number < stored.occurrence_number
        and m.recurrence_part == stored.recurrence_part
    ]
    # Every later occurrence, whichever part an earlier split put it in.
    later = [m for m in members if m.occurrence_number >= stored.occurrence_number]
    shifts = shifted_times(
        meeting=stored,
        others=[AssessmentMeeting(pk=m.pk, starts_at=m.recurrence_id) for m in later],
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        time_zone=details.time_zone,
    )
    # Later parts are emptied into this one: whoever holds them is told.
    merged = {m.recurrence_part for m in later} - {stored.recurrence_part}
    holders = defaultdict(set)
    for part, user_id in (
        Invitation.objects.filter(
            meeting__in=[m for m in later if m.recurrence_part in merged],
            sent_sequence__gte=0,
        )
        .values_list("meeting__recurrence_part", "user_id")
        .distinct()
    ):
        holders[part].add(user_id)
    return _Repart(
        earlier=earlier,
        later=later,
        instances={pk: start for pk, (start, _end) in shifts.items()},
        merged={part: holders[part] for part in sorted(merged)},
    )


def _repart_apply(stored: AssessmentMeeting, repart: _Repart, acting_user):
    """Give the following occurrences their new instances (and, unless ``stored``
    was the part's first, a part of their own); withdraw the later parts they
    leave empty; return the notices that send each part concerned, whole, to its
    attendees."""
    from cooperation.services import series_invitations

    part = stored.recurrence_part
    if repart.earlier:
        part = (
            1
            + (
                AssessmentMeeting.objects.filter(series_id=stored.series_id).aggregate(
                    last=Max("recurrence_part")
                )["last"]
            )
        )
    for meeting in repart.later:
        meeting.recurrence_id = repart.instances[meeting.pk]
        meeting.recurrence_part = part
    # Derived columns of the calendar invitation, not an edit: no new version.
    AssessmentMeeting.objects.bulk_update(
        repart.later, ["recurrence_id", "recurrence_part"]
    )
    stored.recurrence_id = repart.instances[stored.pk]
    stored.recurrence_part = part
    for emptied, holders in repart.merged.items():
        series_invitations.part_withdraw(
            series_id=stored.series_id,
            part=emptied,
            user_ids=holders,
            acting_user=acting_user,
        )
    notices = [(stored, Notice.SERIES)]
    if repart.earlier:
        notices.insert(0, (repart.earlier[0], Notice.SERIES))
    return notices


@transaction.atomic
def meeting_cancel(
    *, meeting: AssessmentMeeting, acting_user: User | None, scope: Scope = Scope.THIS
) -> list[AssessmentMeeting]:
    """Cancel a meeting (or it and the following occurrences); records are kept."""
    scope = Scope(scope)
    stored = AssessmentMeeting.objects.select_for_update().get(pk=meeting.pk)
    if stored.status in (Status.HELD, Status.CANCELLED):
        raise ValidationError(
            _("Only a meeting still to be held can be cancelled."), code="not_open"
        )
    targets = _in_scope(stored, scope)
    notices = []
    for target in targets:
        was_scheduled = target.status == Status.SCHEDULED
        target.status = Status.CANCELLED
        if was_scheduled:
            target.sequence += 1
        target.full_clean()
        target._history_user = acting_user
        target.save()
        if was_scheduled:
            notices.append((target, Notice.CANCEL))
    meeting_notify_all(notices=notices, acting_user=acting_user)
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
def meeting_carry_over(
    *, meeting: AssessmentMeeting, acting_user: User | None
) -> list[AgendaItem]:
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
        item._history_user = acting_user
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


def _save_minutes(
    meeting: AssessmentMeeting, *, acting_user: User, reason: str
) -> AssessmentMeeting:
    """Validate and save ``meeting``, its history naming the author and ``reason``."""
    meeting.full_clean()
    meeting._change_reason = reason
    meeting._history_user = acting_user
    meeting.save()
    return meeting


@transaction.atomic
def meeting_save_minutes(
    *, meeting: AssessmentMeeting, acting_user: User, minutes: str
) -> AssessmentMeeting:
    """Save the draft minutes; published minutes change only by a correction."""
    if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
        return meeting_correct_minutes(
            meeting=meeting, acting_user=acting_user, minutes=minutes
        )
    meeting.minutes = minutes
    return _save_minutes(meeting, acting_user=acting_user, reason="Minutes drafted")


@transaction.atomic
def meeting_publish_minutes(
    *, meeting: AssessmentMeeting, acting_user: User
) -> AssessmentMeeting:
    """Publish the draft minutes; from now on they are locked."""
    if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
        raise ValidationError(
            _("These minutes are already published."), code="published"
        )
    if not meeting.minutes.strip() and not _any_outcome(meeting):
        raise ValidationError(
            {"minutes": _("Write the minutes before publishing them.")},
            code="empty_minutes",
        )
    meeting.minutes_status = AssessmentMeeting.MinutesStatus.PUBLISHED
    meeting.minutes_published_at = timezone.now()
    meeting.minutes_published_by = acting_user
    meeting = _save_minutes(
        meeting, acting_user=acting_user, reason="Minutes published"
    )
    notifications.notify_minutes_published(meeting=meeting, actor=acting_user)
    return meeting


@transaction.atomic
def meeting_correct_minutes(
    *, meeting: AssessmentMeeting, acting_user: User, minutes: str
) -> AssessmentMeeting:
    """Correct published minutes: a new revision; history keeps the old text."""
    if meeting.minutes_status != AssessmentMeeting.MinutesStatus.PUBLISHED:
        raise ValidationError(
            _("Only published minutes are corrected; edit the draft instead."),
            code="not_published",
        )
    if not acting_user.has_perm(CORRECT_MINUTES_PERMISSION):
        raise PermissionDenied(
            _("Published minutes are locked; you may not correct them.")
        )
    if not minutes.strip():
        raise ValidationError(
            {"minutes": _("Published minutes cannot be emptied.")},
            code="empty_minutes",
        )
    meeting.minutes = minutes
    return _save_minutes(meeting, acting_user=acting_user, reason="Minutes corrected")


def _any_outcome(meeting: AssessmentMeeting) -> bool:
    """Whether an item of ``meeting``'s agenda has an outcome recorded."""
    return (
        meeting.agenda_items.exclude(decision="", discussion="", follow_up="")
        .order_by()
        .exists()
    )


def minutes_can_edit(*, user: User, meeting: AssessmentMeeting) -> bool:
    """Whether ``user`` may record ``meeting``'s minutes (its secretary: who may
    change the meeting) or, once published, correct them."""
    if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
        return user.has_perm(CORRECT_MINUTES_PERMISSION)
    return user.has_perm("cooperation.change_assessmentmeeting")


@dataclass(frozen=True)
class AttendanceEntry:
    """An invitee's attendance as the minutes record it."""

    invitation_id: int
    attendance: str
    represented_by: str = ""


@dataclass(frozen=True)
class OutcomeEntry:
    """What the meeting concluded on one agenda item."""

    item_id: int
    decision: str = ""
    discussion: str = ""
    follow_up: str = ""


OUTCOME_FIELDS = ("decision", "discussion", "follow_up")


@transaction.atomic
def meeting_record_minutes(
    *,
    meeting: AssessmentMeeting,
    version: str,
    acting_user: User,
    minutes: str,
    attendance: Sequence[AttendanceEntry] = (),
    outcomes: Sequence[OutcomeEntry] = (),
) -> AssessmentMeeting:
    """Save the structured minutes of ``meeting``: the free text, who attended
    (present, absent or represented by someone named) and the outcome of each
    agenda item, all or nothing, over ``version`` only.

    ``version`` is the meeting's version the secretary's form was loaded from: a
    meeting changed since (another secretary's save included, as every save of
    the minutes raises it) is refused with ``concurrency.EditConflict`` and
    nothing is written. Draft minutes are recorded by who may change the meeting;
    published ones are corrected (a new revision, not emptied) by who holds the
    correction permission. Each row changed gets a history row naming
    ``acting_user``; unchanged rows are left alone.
    """
    concurrency.lock_unchanged(meeting, version, user=acting_user)
    meeting.refresh_from_db()
    if not minutes_can_edit(user=acting_user, meeting=meeting):
        raise PermissionDenied(_("You may not record the minutes of this meeting."))
    published = meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
    minutes = (minutes or "").strip()
    if (
        published
        and not minutes
        and not any(
            any(getattr(entry, name).strip() for name in OUTCOME_FIELDS)
            for entry in outcomes
        )
    ):
        raise ValidationError(
            {"minutes": _("Published minutes cannot be emptied.")},
            code="empty_minutes",
        )
    invitations = {
        invitation.pk: invitation
        for invitation in Invitation.objects.filter(meeting=meeting)
    }
    for entry in attendance:
        invitation = invitations.get(entry.invitation_id)
        if invitation is None:
            raise ValidationError(
                _("Attendance is recorded for this meeting's invitees only."),
                code="not_invited",
            )
        new = (entry.attendance or "", (entry.represented_by or "").strip())
        if (invitation.attendance, invitation.represented_by) == new:
            continue
        invitation.attendance, invitation.represented_by = new
        invitation.full_clean(exclude=["meeting", "user"])
        invitation._history_user = acting_user
        invitation.save(update_fields=["attendance", "represented_by"])
    items = {item.pk: item for item in meeting.agenda_items.all()}
    for entry in outcomes:
        item = items.get(entry.item_id)
        if item is None:
            raise ValidationError(
                _("Outcomes are recorded for this meeting's agenda items only."),
                code="not_on_agenda",
            )
        values = {name: getattr(entry, name).strip() for name in OUTCOME_FIELDS}
        if all(getattr(item, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(item, name, value)
        item.full_clean(exclude=["meeting"])
        item._history_user = acting_user
        item.save(update_fields=list(OUTCOME_FIELDS))
    # Saved whatever changed, so the version rises and a form loaded before this
    # save is stale, whichever of its parts it would have changed.
    meeting.minutes = minutes
    return _save_minutes(
        meeting,
        acting_user=acting_user,
        reason="Minutes corrected" if published else "Minutes recorded",
    )


@transaction.atomic
def meeting_set_briefing_summary(
    *, meeting: AssessmentMeeting, version, summary: str, acting_user: User
) -> AssessmentMeeting:
    """Save the summary a briefing of ``meeting`` opens with (bottom line up
    front), over ``version`` only: a summary changed since is refused with
    ``concurrency.EditConflict`` and nothing is written."""
    if not acting_user.has_perm("cooperation.change_assessmentmeeting"):
        raise PermissionDenied(_("You may not change this meeting."))
    concurrency.lock_unchanged(meeting, version, user=acting_user)
    meeting.refresh_from_db()
    meeting.briefing_summary = summary.strip()
    meeting.full_clean(validate_constraints=False)
    meeting._change_reason = "Briefing summary"
    meeting._history_user = acting_user
    meeting.save()
    return meeting
