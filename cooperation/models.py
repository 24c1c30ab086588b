"""The office's records: nations, initiatives, meetings, assessments, recommendations.

Reads live on the QuerySets below (``visible_to``, ``upcoming``, ``overdue``…); writes
that touch more than one row live in ``services.py``.
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .validators import (
    parse_language_codes,
    validate_iso_alpha2,
    validate_iso_alpha3,
    validate_language_codes,
    validate_time_zone,
)

VIEW_ALL_PERMISSION = "cooperation.view_all_records"
MANAGE_RELEASABILITY_PERMISSION = "cooperation.manage_releasability"


# --------------------------------------------------------------------------- nations


class Nation(models.Model):
    class Region(models.TextChoices):
        SOUTH_AMERICA = "south_america", _("South America")
        CENTRAL_AMERICA = "central_america", _("Central America")
        CARIBBEAN = "caribbean", _("Caribbean")
        NORTH_AMERICA = "north_america", _("North America")

    name = models.CharField(_("name"), max_length=100, unique=True)
    iso_alpha2 = models.CharField(
        _("ISO 3166-1 alpha-2 code"),
        max_length=2,
        unique=True,
        validators=[validate_iso_alpha2],
    )
    iso_alpha3 = models.CharField(
        _("ISO 3166-1 alpha-3 code"),
        max_length=3,
        unique=True,
        validators=[validate_iso_alpha3],
    )
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("The IANA time zone of the capital, e.g. America/Bogota."),
    )
    official_languages = models.CharField(
        _("official languages"),
        max_length=100,
        validators=[validate_language_codes],
        help_text=_("ISO 639-1 codes separated by commas, e.g. es, qu, ay."),
    )
    liaison_name = models.CharField(_("liaison officer"), max_length=150, blank=True)
    liaison_email = models.EmailField(_("liaison e-mail"), blank=True)
    liaison_phone = models.CharField(
        _("liaison phone"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()\-.]{5,40}$",
                _("Enter a phone number of digits, spaces and + ( ) - ."),
            )
        ],
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Inactive nations keep their records but are not offered for new ones."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("nation")
        verbose_name_plural = _("nations")
        constraints = [
            models.CheckConstraint(
                condition=Q(iso_alpha2__regex=r"^[A-Z]{2}$"),
                name="nation_alpha2_format",
                violation_error_message=_("The alpha-2 code is two capital letters."),
            ),
            models.CheckConstraint(
                condition=Q(iso_alpha3__regex=r"^[A-Z]{3}$"),
                name="nation_alpha3_format",
                violation_error_message=_("The alpha-3 code is three capital letters."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cooperation:nation-detail", args=[self.iso_alpha2])

    @property
    def language_codes(self):
        return parse_language_codes(self.official_languages)

    def clean(self):
        self.official_languages = ", ".join(self.language_codes)


class FocusArea(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self):
        return self.name


# ----------------------------------------------------------------------------- users


class User(AbstractUser):
    nation = models.ForeignKey(
        Nation,
        verbose_name=_("nation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_(
            "The nation this person serves. Without one, a person sees only records "
            "released to all partners."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
    )
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
    )

    objects = UserManager()
    # Password hashes and login times stay out of the audit trail.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            (
                "view_all_records",
                _("Can view all records, whatever they are released to"),
            ),
            (
                "manage_releasability",
                _("Can change which nations a record is released to"),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username


# ------------------------------------------------------------------- releasability


class ReleasableQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Records released to ``user``'s nation or to all partners.

        Superusers and holders of ``cooperation.view_all_records`` see everything; a
        user without a nation sees only records released to all partners; anonymous
        or inactive users see nothing.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION):
            return self
        condition = Q(released_to_all=True)
        if user.nation_id is not None:
            through = self.model.released_to.through
            source = self.model._meta.model_name
            condition |= Exists(
                through.objects.filter(
                    **{f"{source}_id": OuterRef("pk"), "nation_id": user.nation_id}
                )
            )
        return self.filter(condition)


class ChildQuerySet(models.QuerySet):
    """QuerySet of a record that has no releasability of its own but follows parents.

    ``parents`` names the foreign keys to releasable models; a row is visible when
    every parent is visible.
    """

    parents = ()

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        queryset = self
        for field_name in self.parents:
            parent_model = self.model._meta.get_field(field_name).related_model
            queryset = queryset.filter(
                **{
                    f"{field_name}__in": parent_model.objects.visible_to(user).values(
                        "pk"
                    )
                }
            )
        return queryset


class Releasable(models.Model):
    released_to_all = models.BooleanField(
        _("released to all partners"),
        default=False,
        help_text=_("When set, every partner nation may see this record."),
    )
    released_to = models.ManyToManyField(
        Nation,
        verbose_name=_("released to"),
        blank=True,
        related_name="%(class)s_releases",
        help_text=_(
            "The nations this record is released to, when not to all partners."
        ),
    )

    class Meta:
        abstract = True

    def is_visible_to(self, user):
        return type(self).objects.visible_to(user).filter(pk=self.pk).exists()


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


# ----------------------------------------------------------------------- initiatives


class InitiativeQuerySet(ReleasableQuerySet):
    def with_lead(self):
        lead = Participation.objects.filter(
            initiative=OuterRef("pk"), role=Participation.Role.LEAD
        )
        return self.annotate(
            lead_nation_name=Subquery(lead.values("nation__name")[:1]),
        )

    def active(self):
        return self.filter(
            status__in=[Initiative.Status.PIPELINE, Initiative.Status.IMPLEMENTATION]
        )


class Initiative(Releasable, TimeStamped):
    class Kind(models.TextChoices):
        JOINT_TRAINING_EXERCISE = (
            "joint_training_exercise",
            _("Joint training exercise"),
        )
        JOINT_TASK_FORCE = "joint_task_force", _("Joint task force")
        INTELLIGENCE_SHARING_PLATFORM = (
            "intelligence_sharing_platform",
            _("Intelligence-sharing platform"),
        )
        TECHNOLOGY_TRANSFER_AGREEMENT = (
            "technology_transfer_agreement",
            _("Technology-transfer agreement"),
        )
        REGIONAL_SECURITY_SUMMIT = (
            "regional_security_summit",
            _("Regional security summit"),
        )
        TRAINING_PROGRAM = "training_program", _("Training programme")
        CYBERSECURITY_FRAMEWORK = (
            "cybersecurity_framework",
            _("Cybersecurity framework"),
        )
        DISASTER_RESPONSE_PROTOCOL = (
            "disaster_response_protocol",
            _("Disaster-response protocol"),
        )
        IT_UPGRADE = "it_upgrade", _("IT upgrade")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        """The IATI activity-status vocabulary (codes 1 to 6, in this order)."""

        PIPELINE = "pipeline", _("Pipeline/identification")
        IMPLEMENTATION = "implementation", _("Implementation")
        COMPLETION = "completion", _("Finalisation")
        POST_COMPLETION = "post_completion", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        SUSPENDED = "suspended", _("Suspended")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    summary = models.TextField(_("summary"))
    objectives = models.TextField(_("objectives"), blank=True)
    focus_areas = models.ManyToManyField(
        FocusArea, verbose_name=_("focus areas"), related_name="initiatives", blank=True
    )
    nations = models.ManyToManyField(
        Nation,
        verbose_name=_("participating nations"),
        through="Participation",
        related_name="initiatives",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PIPELINE
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_initiatives",
    )

    objects = InitiativeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[Releasable.released_to.field])

    class Meta:
        ordering = ["title"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_start__lte=F("planned_end")),
                name="initiative_planned_start_before_end",
                violation_error_message=_(
                    "The planned end cannot be before the planned start."
                ),
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_start__lte=F("actual_end")),
                name="initiative_actual_start_before_end",
                violation_error_message=_(
                    "The actual end cannot be before the actual start."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cooperation:initiative-detail", args=[self.pk])

    @property
    def iati_code(self):
        """The numeric IATI ActivityStatus code (1 pipeline … 6 suspended)."""
        return list(self.Status.values).index(self.status) + 1


class Participation(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        PARTNER = "partner", _("Partner")
        OBSERVER = "observer", _("Observer")
        FUNDER = "funder", _("Funder")

    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    nation = models.ForeignKey(
        Nation,
        verbose_name=_("nation"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    contribution = models.CharField(_("contribution"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["initiative", "role", "nation__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "nation"],
                name="participation_unique_nation",
                violation_error_message=_(
                    "This nation already takes part in this initiative."
                ),
            ),
            models.UniqueConstraint(
                fields=["initiative"],
                condition=Q(role="lead"),
                name="participation_one_lead",
                violation_error_message=_("An initiative has exactly one lead nation."),
            ),
        ]

    def __str__(self):
        return f"{self.nation} ({self.get_role_display()}) — {self.initiative}"


# ------------------------------------------------------------------------- meetings


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


# ------------------------------------------------------------------ recommendations


class ReferenceCounter(models.Model):
    """The last recommendation number handed out in a year; never goes down."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class RecommendationQuerySet(ReleasableQuerySet):
    def open(self):
        return self.filter(status__in=Recommendation.OPEN_STATUSES)

    def overdue(self, *, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def due_within(self, days, *, today=None):
        today = today or timezone.localdate()
        return self.open().filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days)
        )

    def with_progress(self):
        latest = RecommendationUpdate.objects.filter(
            recommendation=OuterRef("pk")
        ).order_by("-created_at", "-pk")
        return self.annotate(current_progress=Subquery(latest.values("progress")[:1]))


class Recommendation(Releasable, TimeStamped):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        IMPLEMENTED = "implemented", _("Implemented")
        REJECTED = "rejected", _("Rejected")
        DEFERRED = "deferred", _("Deferred")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")
        CRITICAL = 4, _("Critical")

    OPEN_STATUSES = (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS)

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, editable=False
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    source_meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("source meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        help_text=_("Leave empty when it came from a summit or another source."),
    )
    source_note = models.CharField(
        _("other source"),
        max_length=200,
        blank=True,
        help_text=_("Where it came from when not from an assessment meeting."),
    )
    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("related initiative"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
    )
    nations = models.ManyToManyField(
        Nation,
        verbose_name=_("addressed nations"),
        related_name="recommendations",
        blank=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_recommendations",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )

    objects = RecommendationQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[Releasable.released_to.field])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        permissions = [
            (
                "reopen_recommendation",
                _("Can reopen an implemented or rejected recommendation"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4),
                name="recommendation_priority_range",
                violation_error_message=_("Choose a priority from the list."),
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.reference} {self.title}" if self.reference else self.title

    def get_absolute_url(self):
        return reverse("cooperation:recommendation-detail", args=[self.reference])

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today


class RecommendationUpdateQuerySet(ChildQuerySet):
    parents = ("recommendation",)


class RecommendationUpdate(models.Model):
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="updates",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="recommendation_updates",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    from_status = models.CharField(
        _("from status"),
        max_length=12,
        choices=Recommendation.Status.choices,
        blank=True,
        help_text=_("Empty for the update that raised the recommendation."),
    )
    to_status = models.CharField(
        _("to status"), max_length=12, choices=Recommendation.Status.choices
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("note"))

    objects = RecommendationUpdateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["recommendation", "created_at", "pk"]
        get_latest_by = ["created_at", "pk"]
        verbose_name = _("recommendation update")
        verbose_name_plural = _("recommendation updates")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="update_progress_0_to_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self):
        return f"{self.recommendation.reference}: {self.to_status} ({self.progress}%)"
