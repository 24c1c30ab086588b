"""Scheduling checks and proposed slots for assessment meetings.

``meeting_check`` answers, for one proposed time, which of the office's rules it
breaks: an overlap with another meeting of a participating nation or an attendee, a
public holiday in a participating nation (the ``holidays`` package), a weekend day of
a participating nation (``Nation.weekend_days``), or a time outside that nation's
working hours (``Nation.workday_start``–``workday_end``, local time). The scheduler
sees these as warnings to confirm; nothing here refuses a meeting.

``meeting_checks`` answers the same for several times at once (a series).
``meeting_find_slots`` ranks candidate times (or candidate series: every occurrence
of each) over a date range by how few checks they fail, the best few of each day.
Both load what they need in a fixed number of queries.
"""

import bisect
import datetime
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import holidays
from django.db.models import Q
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cooperation.models import AssessmentMeeting, Nation, User

WORKDAY_START = datetime.time(8, 0)
WORKDAY_END = datetime.time(18, 0)
# Translated once per search (``_Context.tr``): a search repeats them thousands of
# times.
WEEKEND_MESSAGE = gettext_noop(
    "%(date)s is a %(weekday)s, a weekend day in %(nation)s."
)
OUTSIDE_HOURS_MESSAGE = gettext_noop(
    "In %(nation)s it runs %(start)s–%(end)s local time, "
    "outside %(day_start)s–%(day_end)s."
)
OCCURRENCE_MESSAGE = gettext_noop("Occurrence %(number)d (%(date)s): %(warning)s")


@dataclass(frozen=True)
class SchedulingWarning:
    code: str  # overlap_nation, overlap_attendee, holiday, weekend, outside_hours
    message: str


@dataclass
class Slot:
    """A proposed start; for a series, ``occurrences`` holds every occurrence's
    (start, end), the first being the slot's own, and ``warnings`` those of all."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    warnings: list[SchedulingWarning] = field(default_factory=list)
    occurrences: list[tuple[datetime.datetime, datetime.datetime]] = field(
        default_factory=list
    )

    @property
    def score(self):
        return len(self.warnings)


# The language the ``holidays`` package names holidays in, per portal language; a
# country without it keeps its own language (a Brazilian holiday in Portuguese for
# a Spanish reader).
HOLIDAY_LANGUAGES = {"en": "en_US", "es": "es", "pt-br": "pt_BR"}
# The United States' federal holidays, which the package names in English only:
# translated by the portal's own catalogue.
US_HOLIDAYS = (
    gettext_noop("New Year's Day"),
    gettext_noop("Martin Luther King Jr. Day"),
    gettext_noop("Washington's Birthday"),
    gettext_noop("Memorial Day"),
    gettext_noop("Juneteenth National Independence Day"),
    gettext_noop("Independence Day"),
    gettext_noop("Labor Day"),
    gettext_noop("Columbus Day"),
    gettext_noop("Veterans Day"),
    gettext_noop("Thanksgiving Day"),
    gettext_noop("Christmas Day"),
    gettext_noop("Inauguration Day"),
)


@cache
def _holiday_calendar(country_code: str, year: int, language: str):
    """The holidays of a country in a year, named in ``language`` (a portal
    language): one calendar per country, year and language."""
    from django.utils.translation import override

    from cooperation.models.language import portal_language

    try:
        calendar = holidays.country_holidays(
            country_code,
            years=year,
            language=HOLIDAY_LANGUAGES.get(portal_language(language), "en_US"),
        )
    except NotImplementedError:  # a country the package does not cover
        return {}
    names = dict(calendar)
    if country_code == "US":
        observed = " (observed)"
        with override(language):  # the cache holds the names in ``language``
            for day, name in names.items():
                base = name.removesuffix(observed)
                if base in US_HOLIDAYS:
                    names[day] = (
                        _("%(holiday)s (observed)") % {"holiday": _(base)}
                        if name.endswith(observed)
                        else _(base)
                    )
    return names


def nation_holiday(nation: Nation, day: datetime.date) -> str | None:
    """The name of the public holiday in ``nation`` on ``day``, in the reader's
    language where the ``holidays`` package (or, for the United States, the portal's
    catalogue) has it; None when there is none."""
    from django.utils.translation import get_language

    return _holiday_calendar(nation.iso_alpha2, day.year, get_language() or "en").get(
        day
    )


def _local_days(starts_at, ends_at, zone):
    first = starts_at.astimezone(zone).date()
    last = (ends_at - datetime.timedelta(microseconds=1)).astimezone(zone).date()
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def _outside_hours(
    starts_at, ends_at, zone, workday_start=WORKDAY_START, workday_end=WORKDAY_END
):
    """Whether the meeting leaves the working day ``workday_start``–``workday_end``
    (local time in ``zone``), or runs over two days there."""
    local_start = starts_at.astimezone(zone)
    local_end = ends_at.astimezone(zone)
    inside = (
        local_start.date() == local_end.date()
        and local_start.time() >= workday_start
        and local_end.time() <= workday_end
    )
    return not inside


def _hours(nation):
    return (
        nation.workday_start or WORKDAY_START,
        nation.workday_end or WORKDAY_END,
    )


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
        # By start, so a check looks only at the meetings that may overlap it.
        self.others = sorted(others, key=lambda meeting: meeting.starts_at)
        self.starts = [meeting.starts_at for meeting in self.others]
        self.longest = max(
            (meeting.ends_at - meeting.starts_at for meeting in self.others),
            default=datetime.timedelta(0),
        )
        self._date_labels = {}
        self.tr = cache(_)
        # Without a user (a command), nothing is named.
        self.named = user is not None
        self.nation_ids = set(nation_ids)
        self.attendee_ids = set(attendee_ids)
        self.zones = {
            nation.pk: zoneinfo.ZoneInfo(nation.time_zone) for nation in self.nations
        }

    def date_label(self, day):
        """``day`` as the reader writes dates, formatted once per context (a
        search names the same few days in thousands of warnings)."""
        label = self._date_labels.get(day)
        if label is None:
            label = self._date_labels[day] = date_format(day, "DATE_FORMAT")
        return label

    def _name(self, meeting):
        if self.named:
            return f"“{meeting.title}”"
        return _("another meeting not released to you")

    def check(self, starts_at, ends_at) -> list[SchedulingWarning]:
        warnings = []
        first = bisect.bisect_right(self.starts, starts_at - self.longest)
        last = bisect.bisect_left(self.starts, ends_at)
        for meeting in self.others[first:last]:
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
                                "date": self.date_label(day),
                                "nation": nation.display_name,
                                "name": name,
                            },
                        )
                    )
                if nation.is_weekend(day):
                    warnings.append(
                        SchedulingWarning(
                            "weekend",
                            self.tr(WEEKEND_MESSAGE)
                            % {
                                "date": self.date_label(day),
                                "weekday": WEEKDAYS[day.weekday()],
                                "nation": nation.display_name,
                            },
                        )
                    )
            workday_start, workday_end = _hours(nation)
            if _outside_hours(starts_at, ends_at, zone, workday_start, workday_end):
                local_start = starts_at.astimezone(zone)
                local_end = ends_at.astimezone(zone)
                warnings.append(
                    SchedulingWarning(
                        "outside_hours",
                        self.tr(OUTSIDE_HOURS_MESSAGE)
                        % {
                            "nation": nation.display_name,
                            "start": local_start.strftime("%H:%M"),
                            "end": local_end.strftime("%H:%M"),
                            "day_start": workday_start.strftime("%H:%M"),
                            "day_end": workday_end.strftime("%H:%M"),
                        },
                    )
                )
        return warnings

    def check_series(self, times, zone) -> list[SchedulingWarning]:
        """The warnings of every occurrence of a series, each naming its occurrence
        after the first (a candidate series is judged by all of them)."""
        warnings = []
        for number, (starts_at, ends_at) in enumerate(times, start=1):
            for warning in self.check(starts_at, ends_at):
                if len(times) > 1:
                    warning = SchedulingWarning(
                        warning.code,
                        self.tr(OCCURRENCE_MESSAGE)
                        % {
                            "number": number,
                            "date": self.date_label(starts_at.astimezone(zone).date()),
                            "warning": warning.message,
                        },
                    )
                warnings.append(warning)
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
    repeat_dates: Callable[[datetime.date], Sequence[datetime.date]] | None = None,
    per_day: int | None = 2,
) -> list[Slot]:
    """The best ``limit`` start times between two days, fewest warnings first.

    Candidates start every ``step`` from 00:00 on ``first_day`` to the end of
    ``last_day`` in ``time_zone`` (the meeting's zone). At most ``per_day`` of them,
    not overlapping, are kept from each day (the day's best), so the proposals
    spread over several days (``per_day=None``: every candidate is ranked); they
    are ranked by warnings, ties to the earlier time.
    ``not_before`` (e.g. now) drops the candidates that start earlier than it.

    ``repeat_dates`` makes each candidate a series: given the first occurrence's
    date it returns every occurrence's date (the first included), each at the same
    local time; a candidate is judged by the warnings of all its occurrences.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    window_start = datetime.datetime.combine(first_day, datetime.time(0), zone)
    window_end = datetime.datetime.combine(
        last_day + datetime.timedelta(days=1), datetime.time(0), zone
    )
    dates_of = cache(repeat_dates) if repeat_dates is not None else None
    candidates = []
    start = window_start.astimezone(datetime.UTC)
    end_limit = window_end.astimezone(datetime.UTC)
    while start < end_limit:
        if not_before is None or start >= not_before:
            times = [(start, start + duration)]
            if dates_of is not None:
                local = start.astimezone(zone)
                for day in dates_of(local.date())[1:]:
                    later = datetime.datetime.combine(day, local.time(), zone)
                    later = later.astimezone(datetime.UTC)
                    times.append((later, later + duration))
            candidates.append(times)
        start += step
    if not candidates:
        return []
    context = _Context(
        user=user,
        nations=nations,
        attendees=attendees,
        window_start=min(times[0][0] for times in candidates),
        window_end=max(times[-1][1] for times in candidates),
        exclude=(),
    )
    slots = [
        Slot(
            times[0][0],
            times[0][1],
            warnings=context.check_series(times, zone),
            occurrences=times,
        )
        for times in candidates
    ]
    return _spread(slots, zone=zone, per_day=per_day, limit=limit)


def _spread(slots, *, zone, per_day, limit):
    """The best ``per_day`` slots of each day (not overlapping one another), then
    the best ``limit`` of those: proposals over several days, not one day's steps."""
    if per_day is None:
        return sorted(slots, key=lambda slot: (slot.score, slot.starts_at))[:limit]
    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    picked = []
    for day_slots in by_day.values():
        chosen = []
        for slot in sorted(day_slots, key=lambda slot: (slot.score, slot.starts_at)):
            if len(chosen) >= per_day:
                break
            if any(
                slot.starts_at < other.ends_at and slot.ends_at > other.starts_at
                for other in chosen
            ):
                continue
            chosen.append(slot)
        picked.extend(chosen)
    picked.sort(key=lambda slot: (slot.score, slot.starts_at))
    return picked[:limit]
