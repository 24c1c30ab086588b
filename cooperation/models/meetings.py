"""Situation-assessment meetings, their agenda, assessments and evaluations."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation.validators import (
    validate_time_zone,
)

from .base import ChildQuerySet, Releasable, ReleasableQuerySet, TimeStamped
from .initiatives import Initiative
from .nations import FocusArea, Nation


class AssessmentMeetingQuerySet(ReleasableQuerySet):
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


class AssessmentMeeting(Releasable, TimeStamped):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
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
    nations = models.ManyToManyField(
        Nation,
        verbose_name=_("participating nations"),
        related_name="meetings",
        blank=True,
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendees"),
        related_name="meetings",
        blank=True,
    )
    minutes = models.TextField(_("minutes"), blank=True)

    objects = AssessmentMeetingQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[Releasable.released_to.field])

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
        ]
        indexes = [models.Index(fields=["starts_at"])]

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


class AgendaItemQuerySet(ChildQuerySet):
    parents = ("meeting",)


class AgendaItem(models.Model):
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
    notes = models.TextField(_("notes"), blank=True)

    objects = AgendaItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "position", "pk"]
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


class SituationAssessmentQuerySet(ChildQuerySet):
    parents = ("meeting",)

    def with_related(self):
        return self.select_related("meeting", "nation", "focus_area")


class SituationAssessment(TimeStamped):
    class Trend(models.TextChoices):
        INCREASING = "increasing", _("Increasing")
        STABLE = "stable", _("Stable")
        DECREASING = "decreasing", _("Decreasing")
        UNKNOWN = "unknown", _("Unknown")

    class ThreatLevel(models.IntegerChoices):
        LOW = 1, _("Low")
        MODERATE = 2, _("Moderate")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical")

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
    trend = models.CharField(
        _("trend"), max_length=12, choices=Trend.choices, default=Trend.UNKNOWN
    )
    threat_level = models.PositiveSmallIntegerField(
        _("threat level"), choices=ThreatLevel.choices
    )
    summary = models.TextField(_("summary"))

    objects = SituationAssessmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["nation__name", "focus_area__name"]
        verbose_name = _("situation assessment")
        verbose_name_plural = _("situation assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "nation", "focus_area"],
                name="assessment_unique_per_meeting_nation_focus",
                violation_error_message=_(
                    "This meeting already has an assessment of this nation for this "
                    "focus area."
                ),
            ),
            models.CheckConstraint(
                condition=Q(threat_level__gte=1, threat_level__lte=4),
                name="assessment_threat_level_range",
                violation_error_message=_("Choose a threat level from the list."),
            ),
        ]

    def __str__(self):
        return f"{self.nation} — {self.focus_area}: {self.primary_concern}"

    def get_absolute_url(self):
        return self.meeting.get_absolute_url() + f"#assessment-{self.pk}"


class InitiativeEvaluationQuerySet(ChildQuerySet):
    parents = ("meeting", "initiative")


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
    findings = models.TextField(_("findings"))

    objects = InitiativeEvaluationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative__title"]
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
