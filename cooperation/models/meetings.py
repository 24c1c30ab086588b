"""Situation-assessment meetings, their agenda, assessments and evaluations."""

import datetime
import re
import zoneinfo
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from cooperation.validators import (
    validate_sane_year,
    validate_time_zone,
)

from .base import (
    ChildQuerySet,
    Releasable,
    ReleasableQuerySet,
    TimeStamped,
    Versioned,
    choice_rank,
)
from .initiatives import Initiative
from .language import language_field, localized_column
from .nations import FocusArea, Nation


class SeriesPosition(NamedTuple):
    """Where a meeting sits among the occurrences of its series a reader sees: its
    number among them, their total, and the previous and next of them (dicts of
    ``pk``, ``occurrence_number``, ``title``, ``status`` and ``starts_at``)."""

    number: int
    total: int
    previous: dict | None
    next: dict | None


class AssessmentMeetingQuerySet(ReleasableQuerySet):
    def with_related(self):
        """What a row of a meeting table shows: the chair (a join) and the nations
        (one query for all the rows)."""
        return self.select_related("chair").prefetch_related("nations")

    def with_assessment_count(self):
        """Annotate ``assessment_count``, the assessments recorded at each meeting:
        a subquery per row, not a join that would multiply the rows."""
        assessments = (
            SituationAssessment.objects.filter(meeting=OuterRef("pk"))
            .order_by()
            .values("meeting")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(assessment_count=Coalesce(Subquery(assessments), 0))

    def for_list(self):
        """What the meeting list and its CSV show, in a fixed number of queries."""
        return self.with_related().with_assessment_count()

    def series_position(self, meeting):
        """Where ``meeting`` sits among these meetings of its series (chained after
        ``visible_to(user)``, a withheld occurrence is neither counted nor
        numbered), or None outside a series; one query."""
        if meeting.series_id is None:
            return None
        siblings = list(
            self.filter(series_id=meeting.series_id)
            .order_by("occurrence_number", "pk")
            .values(
                "pk", "occurrence_number", "title", "status", "starts_at", "language"
            )
        )
        index = next(i for i, s in enumerate(siblings) if s["pk"] == meeting.pk)
        return SeriesPosition(
            number=index + 1,
            total=len(siblings),
            previous=siblings[index - 1] if index > 0 else None,
            next=siblings[index + 1] if index + 1 < len(siblings) else None,
        )

    def upcoming(self, *, days=None, now=None):
        now = now or timezone.now()
        queryset = self.filter(
            ends_at__gte=now,
            status__in=[
                AssessmentMeeting.Status.DRAFT,
                AssessmentMeeting.Status.SCHEDULED,
            ],
        )
        if days is not None:
            queryset = queryset.filter(
                starts_at__lte=now + datetime.timedelta(days=days)
            )
        return queryset.order_by("starts_at")

    def next_up(self, *, days=30, now=None):
        """Upcoming meetings that start within ``days``; when none does, the next
        one(s) beyond, so a quiet month still shows what comes next. Soonest first."""
        now = now or timezone.now()
        upcoming = self.upcoming(now=now)
        first_start = Subquery(upcoming.values("starts_at")[:1])
        horizon = Value(now + datetime.timedelta(days=days))
        return upcoming.filter(
            starts_at__lte=Greatest(horizon, first_start, output_field=DateTimeField())
        )


# iCalendar's names of the days of the week, by ``datetime.date.weekday()``.
RRULE_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Months between two occurrences of each frequency but weekly, at interval 1.
FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3}


def recurrence_rule(
    *,
    frequency: str,
    interval: int,
    starts_on: datetime.date,
    week_of_month: int | None = None,
    weekday: int | None = None,
) -> str:
    """The iCalendar RRULE value of a series, without its end (COUNT/UNTIL).

    Monthly and quarterly series fall on ``starts_on``'s day of the month, or on the
    month's last day when it is shorter (BYMONTHDAY=28,…,31 with BYSETPOS=-1), or,
    with ``week_of_month`` and ``weekday``, on e.g. the first Tuesday (BYDAY=1TU) or
    the last Thursday (BYDAY=-1TH). The occurrence dates are computed from this same
    text (``services.meetings.series_occurrence_dates``).
    """
    if frequency == MeetingSeries.Frequency.WEEKLY:
        return f"FREQ=WEEKLY;INTERVAL={interval}"
    if frequency not in FREQUENCY_MONTHS:
        raise ValueError(f"unknown frequency {frequency!r}")
    parts = ["FREQ=MONTHLY", f"INTERVAL={interval * FREQUENCY_MONTHS[frequency]}"]
    if weekday is not None and week_of_month is not None:
        parts.append(f"BYDAY={week_of_month}{RRULE_WEEKDAYS[weekday]}")
    elif starts_on.day > 28:
        days = ",".join(str(day) for day in range(28, starts_on.day + 1))
        parts += [f"BYMONTHDAY={days}", "BYSETPOS=-1"]
    return ";".join(parts)


def title_base(title: str) -> str:
    """``title`` without a trailing occurrence number ("Review #3" → "Review")."""
    return re.sub(r"\s*#\d+$", "", title).strip() or title


class MeetingSeries(TimeStamped):
    """A recurring rule whose occurrences are real meetings, numbered in order."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    class WeekOfMonth(models.IntegerChoices):
        FIRST = 1, _("First (days 1–7)")
        SECOND = 2, _("Second (days 8–14)")
        THIRD = 3, _("Third (days 15–21)")
        FOURTH = 4, _("Fourth (days 22–28)")
        LAST = -1, _("Last (the month's last seven days)")

    title = models.CharField(
        _("title"),
        max_length=160,
        help_text=_(
            "Each occurrence is titled with the series title and its number, "
            "e.g. “Quarterly review #3”."
        ),
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices
    )
    interval = models.PositiveSmallIntegerField(
        _("every"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 = every week/month/quarter, 2 = every other one, …"),
    )
    starts_on = models.DateField(
        _("first occurrence on"), validators=[validate_sane_year]
    )
    start_time = models.TimeField(_("start time (meeting's time zone)"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        validators=[MinValueValidator(15), MaxValueValidator(720)],
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone]
    )
    until = models.DateField(
        _("ends on"), null=True, blank=True, validators=[validate_sane_year]
    )
    count = models.PositiveSmallIntegerField(
        _("number of occurrences"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # Both empty: monthly and quarterly occurrences fall on the first one's day of
    # the month. Both set: on that weekday of that week, e.g. the last Thursday.
    week_of_month = models.SmallIntegerField(
        _("week of the month"),
        null=True,
        blank=True,
        choices=WeekOfMonth.choices,
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of the week"),
        null=True,
        blank=True,
        choices=list(WEEKDAYS.items()),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="meeting_series",
    )
    ical_sequence = models.PositiveIntegerField(
        _("calendar revision"),
        default=0,
        help_text=_(
            "iCalendar SEQUENCE of the series' recurring invitation: raised each "
            "time attendees are re-sent the whole series."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        constraints = [
            models.CheckConstraint(
                condition=(Q(until__isnull=False) & Q(count__isnull=True))
                | (Q(until__isnull=True) & Q(count__isnull=False)),
                name="series_ends_on_date_or_after_count",
                violation_error_message=_(
                    "A series ends either on a date or after a number of occurrences."
                ),
            ),
            models.CheckConstraint(
                condition=Q(interval__gte=1, interval__lte=12),
                name="series_interval_range",
                violation_error_message=_("The interval is between 1 and 12."),
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("starts_on")),
                name="series_ends_after_it_starts",
                violation_error_message=_(
                    "A series cannot end before its first occurrence."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(week_of_month__isnull=True) & Q(weekday__isnull=True))
                | (
                    # Not null: a comparison with NULL would pass the check.
                    Q(week_of_month__isnull=False, weekday__isnull=False)
                    & Q(week_of_month__in=[1, 2, 3, 4, -1])
                    & Q(weekday__gte=0, weekday__lte=6)
                    & ~Q(frequency="weekly")
                ),
                name="series_week_of_month_and_weekday",
                violation_error_message=_(
                    "A monthly or quarterly series falls on a week of the month "
                    "and a day of the week together, or on neither."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if (self.week_of_month is None) != (self.weekday is None):
            raise ValidationError(
                _("Choose both the week of the month and the day of the week."),
                code="week_without_weekday",
            )
        if self.week_of_month is not None and self.frequency == self.Frequency.WEEKLY:
            raise ValidationError(
                _("A weekly series cannot fall on a week of the month."),
                code="weekly_week_of_month",
            )

    def rrule_text(self) -> str:
        """The iCalendar RRULE value of the series, e.g.
        ``FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;COUNT=4``; an end date is UNTIL, the
        end of that day in the series' zone as UTC (RFC 5545 §3.3.10)."""
        rule = recurrence_rule(
            frequency=self.frequency,
            interval=self.interval,
            starts_on=self.starts_on,
            week_of_month=self.week_of_month,
            weekday=self.weekday,
        )
        if self.count is not None:
            return f"{rule};COUNT={self.count}"
        end = datetime.datetime.combine(
            self.until,
            datetime.time(23, 59, 59),
            tzinfo=zoneinfo.ZoneInfo(self.time_zone),
        ).astimezone(datetime.UTC)
        return f"{rule};UNTIL={end:%Y%m%dT%H%M%SZ}"


class AssessmentMeeting(Releasable, TimeStamped, Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    class MinutesStatus(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    language = language_field()
    starts_at = models.DateTimeField(_("starts at"), validators=[validate_sane_year])
    ends_at = models.DateTimeField(_("ends at"), validators=[validate_sane_year])
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("The meeting's own IANA time zone, e.g. America/Bogota."),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chaired_meetings",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    status_rank = choice_rank("status", Status)  # the list's sort by status
    nations = models.ManyToManyField(
        Nation,
        verbose_name=_("participating nations"),
        related_name="meetings",
        blank=True,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        through="Invitation",
        related_name="meetings",
        blank=True,
    )
    minutes = models.TextField(
        _("minutes"),
        blank=True,
        max_length=50_000,
        validators=[MaxLengthValidator(50_000)],
    )
    briefing_summary = models.TextField(
        _("bottom line up front"),
        blank=True,
        max_length=2_000,
        validators=[MaxLengthValidator(2_000)],
        help_text=_(
            "A short summary for the briefing: what the commander must know first."
        ),
    )
    minutes_status = models.CharField(
        _("minutes status"),
        max_length=10,
        choices=MinutesStatus.choices,
        default=MinutesStatus.DRAFT,
    )
    minutes_published_at = models.DateTimeField(
        _("minutes published"), null=True, blank=True
    )
    minutes_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minutes published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    series = models.ForeignKey(
        MeetingSeries,
        verbose_name=_("series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    occurrence_number = models.PositiveSmallIntegerField(
        _("occurrence"), null=True, blank=True
    )
    # The occurrence in the series' recurring invitation (services.invitations): the
    # instance's start as the rule placed it (its iCalendar RECURRENCE-ID, kept when
    # the occurrence alone is moved), and which part of a series split by a change
    # to "this and the following" it belongs to (each part is one invitation with
    # its own UID). Empty outside a series, and for occurrences of a series made
    # before recurring invitations, which attendees received one by one.
    recurrence_id = models.DateTimeField(_("recurrence ID"), null=True, blank=True)
    recurrence_part = models.PositiveSmallIntegerField(_("series part"), default=0)
    sequence = models.PositiveIntegerField(
        _("revision"),
        default=0,
        help_text=_("iCalendar SEQUENCE: raised each time attendees are re-sent it."),
    )

    objects = AssessmentMeetingQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[Releasable.released_to.field], excluded_fields=["status_rank"]
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("assessment meeting")
        verbose_name_plural = _("assessment meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="meeting_starts_before_it_ends",
                violation_error_message=_("A meeting must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_number"],
                condition=Q(series__isnull=False),
                name="meeting_unique_occurrence_in_series",
                violation_error_message=_(
                    "This series already has an occurrence with this number."
                ),
            ),
        ]
        permissions = [
            (
                "correct_published_minutes",
                _("Can correct published minutes (a new revision)"),
            ),
        ]
        # One per filter and sort of the list (``views.meetings``); text search has
        # trigram indexes on PostgreSQL (migration 0008), outside Meta.
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["status", "starts_at"], name="meeting_status_idx"),
            models.Index(
                fields=["status_rank", "starts_at"], name="meeting_status_rank_idx"
            ),
            models.Index(fields=["ends_at"], name="meeting_ends_idx"),
            models.Index(fields=["title"], name="meeting_title_idx"),
            models.Index(fields=["location"], name="meeting_location_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cooperation:meeting-detail", args=[self.pk])

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": _("A meeting must end after it starts.")},
                code="end_before_start",
            )

    @property
    def has_ended(self):
        return self.ends_at <= timezone.now()

    @property
    def has_started(self):
        """Answers to the invitation are closed from the start."""
        return self.starts_at <= timezone.now()

    def nations_and_releases(self):
        """(the participating nations, the nations it is released to), each by
        name, read in one query."""
        participates = AssessmentMeeting.nations.through.objects.filter(
            assessmentmeeting=self, nation=OuterRef("pk")
        )
        released = AssessmentMeeting.released_to.through.objects.filter(
            assessmentmeeting=self, nation=OuterRef("pk")
        )
        nations = list(
            Nation.objects.annotate(
                participates=Exists(participates), released=Exists(released)
            )
            .filter(Q(participates=True) | Q(released=True))
            .order_by("name")
        )
        return (
            [nation for nation in nations if nation.participates],
            [nation for nation in nations if nation.released],
        )


class InvitationQuerySet(ChildQuerySet):
    parents = ("meeting",)

    def by_attendee_name(self):
        """With their attendee, in the order of the attendees' names."""
        return self.select_related("user").order_by(
            "user__last_name", "user__first_name", "user__username", "pk"
        )


class Invitation(models.Model):
    """An attendee of a meeting and their answer (the attendees' through model)."""

    class Response(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        TENTATIVE = "tentative", _("Tentative")
        DECLINED = "declined", _("Declined")

    class Attendance(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")
        REPRESENTED = "represented", _("Represented")

    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendee"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    response = models.CharField(
        _("answer"),
        max_length=12,
        choices=Response.choices,
        default=Response.NEEDS_ACTION,
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    sent_sequence = models.IntegerField(
        _("last revision sent"),
        default=-1,
        help_text=_("The meeting revision last e-mailed to this attendee (-1: none)."),
    )
    # Recorded with the minutes by the meeting's secretary: who actually attended.
    attendance = models.CharField(
        _("attendance"),
        max_length=12,
        choices=Attendance.choices,
        blank=True,
        help_text=_("Recorded with the minutes; empty until then."),
    )
    represented_by = models.CharField(
        _("represented by"),
        max_length=200,
        blank=True,
        help_text=_("The name of the person who attended in their place."),
    )

    objects = InvitationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # Own columns only: an ordering across a relation would join on every query.
        # Pages name the order they show (``by_attendee_name``).
        ordering = ["meeting_id", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                name="invitation_unique_attendee",
                violation_error_message=_("This person is already invited."),
            ),
            models.CheckConstraint(
                condition=Q(attendance__in=["", "present", "absent", "represented"]),
                name="invitation_attendance_valid",
                violation_error_message=_("Choose present, absent or represented."),
            ),
            models.CheckConstraint(
                condition=(Q(attendance="represented") & ~Q(represented_by=""))
                | (~Q(attendance="represented") & Q(represented_by="")),
                name="invitation_represented_by_named",
                violation_error_message=_(
                    "Name the representative exactly when the attendee was represented."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.meeting} ({self.get_response_display()})"

    def clean(self):
        represented = self.attendance == self.Attendance.REPRESENTED
        self.represented_by = (self.represented_by or "").strip()
        if represented and not self.represented_by:
            raise ValidationError(
                {"represented_by": _("Name who represented this attendee.")},
                code="representative_missing",
            )
        if self.represented_by and not represented:
            raise ValidationError(
                {
                    "represented_by": _(
                        "Only a represented attendee has a representative: choose "
                        "“Represented” or leave the name empty."
                    )
                },
                code="representative_not_represented",
            )


class AgendaItemQuerySet(ChildQuerySet):
    parents = ("meeting",)


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular item")
        REVIEW = "review", _("Review item")

    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="agenda_items",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("presenter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(480)],
    )
    notes = models.TextField(
        _("notes"), blank=True, max_length=2_000, validators=[MaxLengthValidator(2_000)]
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR
    )
    covered = models.BooleanField(
        _("covered"),
        default=False,
        help_text=_(
            "Tick when the meeting dealt with this item; items left unticked are "
            "carried onto the next meeting of the series for review."
        ),
    )
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_to",
    )
    recommendation = models.ForeignKey(
        "cooperation.Recommendation",
        verbose_name=_("recommendation under review"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    # The outcome, recorded with the minutes (``meeting_record_minutes``).
    decision = models.TextField(
        _("decision"),
        blank=True,
        max_length=5_000,
        validators=[MaxLengthValidator(5_000)],
    )
    discussion = models.TextField(
        _("discussion summary"),
        blank=True,
        max_length=5_000,
        validators=[MaxLengthValidator(5_000)],
    )
    follow_up = models.TextField(
        _("follow-up"),
        blank=True,
        max_length=2_000,
        validators=[MaxLengthValidator(2_000)],
    )

    objects = AgendaItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # By the column, not "meeting" (the meeting's own order, through a join).
        ordering = ["meeting_id", "position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=480),
                name="agenda_item_duration_range",
                violation_error_message=_(
                    "An agenda item lasts between 1 and 480 minutes."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_outcome(self):
        return bool(self.decision or self.discussion or self.follow_up)


class SituationAssessmentQuerySet(ChildQuerySet):
    parents = ("meeting",)

    def with_related(self):
        return self.select_related("meeting", "nation", "focus_area")

    def final(self):
        """Assessments that count: drafts are never a nation's latest assessment
        or a point on a chart."""
        return self.filter(is_draft=False)

    def primary(self):
        """The primary concern of each nation and focus area at a meeting: "the"
        assessment wherever one is shown per nation, focus area and meeting."""
        return self.filter(is_primary=True)

    def most_recent_first(self):
        return self.order_by(
            "-meeting__starts_at", localized_column("name", relation="focus_area"), "pk"
        )

    def by_nation_name(self):
        """In the order of the nations' names, then the focus areas', the primary
        concern before the secondary ones."""
        return self.order_by(
            "nation__name",
            localized_column("name", relation="focus_area"),
            "-is_primary",
            "primary_concern",
            "pk",
        )

    def latest_per_nation_and_focus_area(self, *, depth=1):
        """The ``depth`` most recent of these assessments of each nation and focus
        area (by their meeting's start), each annotated with its ``recency`` (1: the
        latest, 2: the one before…), with their meeting.

        One query whatever the number of nations, focus areas and meetings: a
        window numbers the rows of each nation and focus area, and the rows past
        ``depth`` are left out. Filter these assessments (``visible_to``,
        ``final``, ``primary``, a date) before: the window numbers what is left.
        """
        return (
            self.select_related("meeting")
            .annotate(
                recency=Window(
                    RowNumber(),
                    partition_by=[F("nation_id"), F("focus_area_id")],
                    order_by=[F("meeting__starts_at").desc(), F("pk").desc()],
                )
            )
            .filter(recency__lte=depth)
            .order_by("nation_id", "focus_area_id", "recency")
        )


class SituationAssessment(TimeStamped):
    class Trend(models.TextChoices):
        INCREASING = "increasing", _("Increasing")
        STABLE = "stable", _("Stable")
        DECREASING = "decreasing", _("Decreasing")
        UNKNOWN = "unknown", _("Unknown")

    class ThreatLevel(models.IntegerChoices):
        LOW = 1, pgettext_lazy("threat level", "Low")
        MODERATE = 2, pgettext_lazy("threat level", "Moderate")
        HIGH = 3, pgettext_lazy("threat level", "High")
        CRITICAL = 4, pgettext_lazy("threat level", "Critical")

    class Confidence(models.TextChoices):
        LOW = "low", pgettext_lazy("analytic confidence", "Low")
        MODERATE = "moderate", pgettext_lazy("analytic confidence", "Moderate")
        HIGH = "high", pgettext_lazy("analytic confidence", "High")

    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    nation = models.ForeignKey(
        Nation,
        verbose_name=_("nation"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    primary_concern = models.CharField(
        _("primary concern"), max_length=120, help_text=_("For example: Cocaine.")
    )
    language = language_field()
    is_primary = models.BooleanField(
        _("primary"),
        default=True,
        help_text=_(
            "A nation has one primary concern per focus area at a meeting; other "
            "concerns are secondary."
        ),
    )
    trend = models.CharField(
        _("trend"), max_length=12, choices=Trend.choices, default=Trend.UNKNOWN
    )
    threat_level = models.PositiveSmallIntegerField(
        _("threat level"), choices=ThreatLevel.choices
    )
    summary = models.TextField(
        _("summary"), max_length=5_000, validators=[MaxLengthValidator(5_000)]
    )
    # The analysis: trends per dimension (blank: not assessed), what is changing,
    # why, on what evidence, and how sure the analysts are.
    production_trend = models.CharField(
        _("production"), max_length=12, choices=Trend.choices, blank=True
    )
    trafficking_trend = models.CharField(
        _("trafficking / export"), max_length=12, choices=Trend.choices, blank=True
    )
    consumption_trend = models.CharField(
        _("domestic consumption"), max_length=12, choices=Trend.choices, blank=True
    )
    emerging_shift = models.CharField(
        _("emerging shift"),
        max_length=200,
        blank=True,
        help_text=_("For example: towards synthetic opioids."),
    )
    key_drivers = models.TextField(
        _("key drivers"),
        blank=True,
        max_length=2_000,
        validators=[MaxLengthValidator(2_000)],
    )
    sources = models.TextField(
        _("sources"),
        blank=True,
        max_length=2_000,
        validators=[MaxLengthValidator(2_000)],
    )
    confidence = models.CharField(
        _("analytic confidence"),
        max_length=10,
        choices=Confidence.choices,
        blank=True,
    )
    is_draft = models.BooleanField(
        _("draft"),
        default=False,
        help_text=_(
            "A draft is work in progress: it is never a nation's latest assessment "
            "and never a point on a chart. An assessment recorded before its meeting "
            "starts is a draft."
        ),
    )

    objects = SituationAssessmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # Own columns only; pages order by name (``by_nation_name``).
        ordering = ["meeting_id", "pk"]
        verbose_name = _("situation assessment")
        verbose_name_plural = _("situation assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "nation", "focus_area"],
                condition=Q(is_primary=True),
                name="assessment_one_primary_per_meeting_nation_focus",
                violation_error_message=_(
                    "This meeting already has a primary concern of this nation for "
                    "this focus area."
                ),
            ),
            models.UniqueConstraint(
                fields=["meeting", "nation", "focus_area", "primary_concern"],
                name="assessment_unique_concern_per_meeting_nation_focus",
                violation_error_message=_(
                    "This meeting already has an assessment of this concern of this "
                    "nation for this focus area."
                ),
            ),
            models.CheckConstraint(
                condition=Q(threat_level__gte=1, threat_level__lte=4),
                name="assessment_threat_level_range",
                violation_error_message=_("Choose a threat level from the list."),
            ),
        ]
        permissions = [
            (
                "assess_any_nation",
                _("Can record and change the assessments of any nation"),
            ),
            (
                "correct_locked_assessments",
                _(
                    "Can correct the assessments and evaluations of a meeting whose "
                    "minutes are published"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.nation} — {self.focus_area}: {self.primary_concern}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url() + f"#assessment-{self.pk}"

    def clean(self):
        meeting = self.meeting if self.meeting_id else None
        if (
            meeting is not None
            and not self.is_draft
            and meeting.starts_at
            and meeting.starts_at > timezone.now()
        ):
            raise ValidationError(
                {
                    "is_draft": _(
                        "This meeting has not started yet: record the assessment as "
                        "a draft, and mark it final once the meeting has been held."
                    )
                },
                code="final_before_meeting",
            )


class InitiativeEvaluationQuerySet(ChildQuerySet):
    parents = ("meeting", "initiative")

    def at_meeting(self, meeting):
        """The evaluations made at ``meeting``, with their initiative."""
        return (
            self.filter(meeting=meeting)
            .select_related("initiative")
            .order_by("initiative__title", "pk")
        )

    def latest_per_initiative(self):
        """The latest of these evaluations of each initiative (by their meeting's
        start), with its initiative and meeting: one query, a window numbering
        each initiative's rows. Filter before (``visible_to``, a date)."""
        return (
            self.select_related("initiative", "meeting")
            .annotate(
                recency=Window(
                    RowNumber(),
                    partition_by=[F("initiative_id")],
                    order_by=[F("meeting__starts_at").desc(), F("pk").desc()],
                )
            )
            .filter(recency=1)
        )

    def order_by_rating(self):
        """Off track first, then at risk, then on track; by initiative title."""
        Rating = InitiativeEvaluation.Rating
        return self.alias(
            rating_rank=Case(
                When(rating=Rating.OFF_TRACK, then=Value(0)),
                When(rating=Rating.AT_RISK, then=Value(1)),
                default=Value(2),
            )
        ).order_by("rating_rank", "initiative__title", "pk")

    def of_initiative(self, initiative):
        """The evaluations of ``initiative``, latest meeting first, with it."""
        return (
            self.filter(initiative=initiative)
            .select_related("meeting")
            .order_by("-meeting__starts_at", "-pk")
        )


class InitiativeEvaluation(TimeStamped):
    class Rating(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        OFF_TRACK = "off_track", _("Off track")

    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices)
    findings = models.TextField(
        _("findings"), max_length=5_000, validators=[MaxLengthValidator(5_000)]
    )

    objects = InitiativeEvaluationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # Own columns only; pages name the order they show (``at_meeting``).
        ordering = ["meeting_id", "pk"]
        verbose_name = _("initiative evaluation")
        verbose_name_plural = _("initiative evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "initiative"],
                name="evaluation_unique_per_meeting_initiative",
                violation_error_message=_(
                    "This meeting has already evaluated this initiative."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.initiative} — {self.get_rating_display()}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url() + f"#evaluation-{self.pk}"
