"""Scheduling checks and proposed slots for assessment meetings.

``meeting_check`` answers, for one proposed time, which of the office's rules it
breaks: an overlap with another meeting of a participating nation or an attendee, a
public holiday in a participating nation (the ``holidays`` package), or a time outside
08:00–18:00 local time for a participating nation. The scheduler sees these as warnings
to confirm; nothing here refuses a meeting.

``meeting_checks`` answers the same for several times at once (a series).
``meeting_find_slots`` ranks candidate times over a date range by how few checks they
fail. Both load what they need in a fixed number of queries.
"""

import datetime
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import holidays
from django.db.models import Q
from django.utils.translation import gettext as _

from cooperation.models import AssessmentMeeting, Nation, User

WORKDAY_START = datetime.time(8, 0)
WORKDAY_END = datetime.time(18, 0)


@dataclass(frozen=True)
class SchedulingWarning:
    code: str  # overlap_nation, overlap_attendee, holiday, outside_hours
    message: str


@dataclass
class Slot:
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    warnings: list[SchedulingWarning] = field(default_factory=list)

    @property
    def score(self):
        return len(self.warnings)


@cache
def _holiday_calendar(country_code: str, year: int):
    try:
        return holidays.country_holidays(country_code, years=year)
    except NotImplementedError:  # a country the package does not cover
        return {}


def nation_holiday(nation: Nation, day: datetime.date) -> str | None:
    """The name of the public holiday in ``nation`` on ``day``, or None."""
    return _holiday_calendar(nation.iso_alpha2, day.year).get(day)


def _local_days(starts_at, ends_at, zone):
    first = starts_at.astimezone(zone).date()
    last = (ends_at - datetime.timedelta(microseconds=1)).astimezone(zone).date()
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def _outside_hours(starts_at, ends_at, zone):
    local_start = starts_at.astimezone(zone)
    local_end = ends_at.astimezone(zone)
    inside = (
        local_start.date() == local_end.date()
        and local_start.time() >= WORKDAY_START
        and local_end.time() <= WORKDAY_END
    )
    return not inside


class _Context:
    """What the checks need, loaded once for a whole range of candidate times."""

    def __init__(self, *, user, nations, attendees, window_start, window_end, exclude):
        self.user = user
        self.nations = list(nations)
        self.attendees = list(attendees)
        nation_ids = [nation.pk for nation in self.nations]
        attendee_ids = [person.pk for person in self.attendees]
        # Only meetings released to the scheduler: a withheld meeting must not be
        # learnt of, not even as "something overlaps" (its time, its nations).
        meetings = (
            AssessmentMeeting.objects.visible_to(user)
            if user is not None
            else AssessmentMeeting.objects.all()
        )
        others = (
            meetings.exclude(status=AssessmentMeeting.Status.CANCELLED)
            .exclude(pk__in=list(exclude))
            .filter(starts_at__lt=window_end, ends_at__gt=window_start)
            .filter(Q(nations__in=nation_ids) | Q(attendees__in=attendee_ids))
            .distinct()
            .prefetch_related("nations", "attendees")
        )
        self.others = list(others)
        # Without a user (a command), nothing is named.
        self.named = user is not None
        self.nation_ids = set(nation_ids)
        self.attendee_ids = set(attendee_ids)
        self.zones = {
            nation.pk: zoneinfo.ZoneInfo(nation.time_zone) for nation in self.nations
        }

    def _name(self, meeting):
        if self.named:
            return f"“{meeting.title}”"
        return _("another meeting not released to you")

    def check(self, starts_at, ends_at) -> list[SchedulingWarning]:
        warnings = []
        for meeting in self.others:
            if not (meeting.starts_at < ends_at and meeting.ends_at > starts_at):
                continue
            shared_nations = [
                n.display_name for n in meeting.nations.all() if n.pk in self.nation_ids
            ]
            shared_people = [
                str(p) for p in meeting.attendees.all() if p.pk in self.attendee_ids
            ]
            for kind, names, key, message in (
                (
                    "overlap_nation",
                    shared_nations,
                    "nations",
                    _("Overlaps %(meeting)s, which %(nations)s also attend."),
                ),
                (
                    "overlap_attendee",
                    shared_people,
                    "people",
                    _("Overlaps %(meeting)s, which %(people)s also attend."),
                ),
            ):
                if names:
                    warnings.append(
                        SchedulingWarning(
                            kind,
                            message
                            % {"meeting": self._name(meeting), key: ", ".join(names)},
                        )
                    )
        for nation in self.nations:
            zone = self.zones[nation.pk]
            for day in _local_days(starts_at, ends_at, zone):
                name = nation_holiday(nation, day)
                if name:
                    warnings.append(
                        SchedulingWarning(
                            "holiday",
                            _("%(date)s is a public holiday in %(nation)s: %(name)s.")
                            % {
                                "date": day.isoformat(),
                                "nation": nation.display_name,
                                "name": name,
                            },
                        )
                    )
            if _outside_hours(starts_at, ends_at, zone):
                local_start = starts_at.astimezone(zone)
                local_end = ends_at.astimezone(zone)
                warnings.append(
                    SchedulingWarning(
                        "outside_hours",
                        _(
                            "In %(nation)s it runs %(start)s–%(end)s local time, "
                            "outside 08:00–18:00."
                        )
                        % {
                            "nation": nation.display_name,
                            "start": local_start.strftime("%H:%M"),
                            "end": local_end.strftime("%H:%M"),
                        },
                    )
                )
        return warnings


def meeting_check(
    *,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    nations: Iterable[Nation],
    attendees: Iterable[User] = (),
    user: User | None = None,
    exclude_meeting_ids: Sequence[int] = (),
) -> list[SchedulingWarning]:
    """The warnings a meeting at this time would raise; [] when it breaks no rule.

    ``user`` is the scheduler: overlapping meetings not released to them are not
    named. ``exclude_meeting_ids``: the meeting being edited (and its series).
    """
    (warnings,) = meeting_checks(
        times=[(starts_at, ends_at)],
        nations=nations,
        attendees=attendees,
        user=user,
        exclude_meeting_ids=exclude_meeting_ids,
    )
    return warnings


def meeting_checks(
    *,
    times: Sequence[tuple[datetime.datetime, datetime.datetime]],
    nations: Iterable[Nation],
    attendees: Iterable[User] = (),
    user: User | None = None,
    exclude_meeting_ids: Sequence[int] = (),
) -> list[list[SchedulingWarning]]:
    """``meeting_check`` of several (start, end) times, e.g. a series' occurrences,
    in the same queries as one: what they need is loaded once for all of them."""
    if not times:
        return []
    context = _Context(
        user=user,
        nations=nations,
        attendees=attendees,
        window_start=min(start for start, _end in times),
        window_end=max(end for _start, end in times),
        exclude=exclude_meeting_ids,
    )
    return [context.check(start, end) for start, end in times]


def meeting_find_slots(
    *,
    nations: Iterable[Nation],
    attendees: Iterable[User] = (),
    duration: datetime.timedelta,
    first_day: datetime.date,
    last_day: datetime.date,
    time_zone: str = "UTC",
    step: datetime.timedelta = datetime.timedelta(minutes=30),
    user: User | None = None,
    limit: int = 10,
    not_before: datetime.datetime | None = None,
) -> list[Slot]:
    """The best ``limit`` start times between two days, fewest warnings first.

    Candidates start every ``step`` from 00:00 on ``first_day`` to the end of
    ``last_day`` in ``time_zone`` (the meeting's zone); ties go to the earlier time.
    ``not_before`` (e.g. now) drops the candidates that start earlier than it.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    window_start = datetime.datetime.combine(first_day, datetime.time(0), zone)
    window_end = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time(0), zone
    )
    context = _Context(
        user=user,
        nations=nations,
        attendees=attendees,
        window_start=window_start,
        window_end=window_end + duration,
        exclude=(),
    )
    slots = []
    start = window_start.astimezone(datetime.UTC)
    end_limit = window_end.astimezone(datetime.UTC)
    while start < end_limit:
        if not_before is not None and start < not_before:
            start += step
            continue
        slot = Slot(start, start + duration)
        slot.warnings = context.check(slot.starts_at, slot.ends_at)
        slots.append(slot)
        start += step
    slots.sort(key=lambda slot: (slot.score, slot.starts_at))
    return slots[:limit]
