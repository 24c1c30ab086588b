"""Initiatives the nations run together, and who takes part in what role."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation.validators import validate_sane_year

from .base import (
    ChildQuerySet,
    Releasable,
    ReleasableQuerySet,
    TimeStamped,
    Versioned,
    choice_rank,
)
from .language import language_field
from .nations import FocusArea, Nation, display_order, territory_name


class InitiativeQuerySet(ReleasableQuerySet):
    def with_lead(self):
        """Annotate the lead nation's record name and code (for the name the reader
        sees, ``lead_nation_display``) and its sort key in the reader's language,
        from the stored ``lead_nation``: a join, not a subquery per row."""
        return self.annotate(
            lead_nation_name=F("lead_nation__name"),
            lead_nation_code=F("lead_nation__iso_alpha2"),
            # The stored sort key of the name the reader sees (sort_name_es…).
            lead_nation_order=display_order("lead_nation"),
        )

    def for_list(self):
        """What a row of the initiative list shows: the lead nation (a join) and
        the focus areas (one query for the page)."""
        return self.with_lead().prefetch_related("focus_areas")

    def for_export(self, *, by_lead=False):
        """The rows of the initiative CSV, without the long texts it leaves out; its
        related columns are read per chunk of rows (``views.initiatives``). The lead
        nation's sort key is joined only to sort ``by_lead``."""
        queryset = self.with_lead() if by_lead else self
        return queryset.defer("summary", "objectives")

    def refresh_lead_nation(self):
        """Store on each initiative the nation of its lead participation (or none):
        what the participations' own writes do through ``Participation``'s signals,
        for writes that send none (bulk inserts, migrations)."""
        lead = Participation.objects.filter(
            initiative=OuterRef("pk"), role=Participation.Role.LEAD
        ).values("nation")[:1]
        return self.update(lead_nation=Subquery(lead))


class Initiative(Releasable, TimeStamped, Versioned):
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
    language = language_field()
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    summary = models.TextField(
        _("summary"), max_length=10_000, validators=[MaxLengthValidator(10_000)]
    )
    objectives = models.TextField(
        _("objectives"),
        blank=True,
        max_length=10_000,
        validators=[MaxLengthValidator(10_000)],
    )
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
    status_rank = choice_rank("status", Status)  # the list's sort by status
    planned_start = models.DateField(
        _("planned start"), null=True, blank=True, validators=[validate_sane_year]
    )
    planned_end = models.DateField(
        _("planned end"), null=True, blank=True, validators=[validate_sane_year]
    )
    actual_start = models.DateField(
        _("actual start"), null=True, blank=True, validators=[validate_sane_year]
    )
    actual_end = models.DateField(
        _("actual end"), null=True, blank=True, validators=[validate_sane_year]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_initiatives",
    )
    # The nation of the lead participation, kept by Participation's signals so the
    # list shows and sorts by it without a subquery per row. Derived: not edited,
    # not in history (the participations are).
    lead_nation = models.ForeignKey(
        Nation,
        verbose_name=_("lead nation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # initiative_lead_idx below starts with it
        related_name="+",
    )

    objects = InitiativeQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[Releasable.released_to.field],
        excluded_fields=["lead_nation", "status_rank"],
    )

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
        # One per filter and sort of the list (``views.initiatives``): the title is
        # the default order and the tie-breaker of the others. Text search has
        # trigram indexes on PostgreSQL (migration 0008), outside Meta.
        indexes = [
            models.Index(fields=["title"], name="initiative_title_idx"),
            models.Index(fields=["status", "title"], name="initiative_status_idx"),
            models.Index(
                fields=["status_rank", "title"], name="initiative_status_rank_idx"
            ),
            models.Index(fields=["kind", "title"], name="initiative_kind_idx"),
            models.Index(fields=["planned_start"], name="initiative_planned_start_idx"),
            models.Index(fields=["planned_end"], name="initiative_planned_end_idx"),
            models.Index(fields=["lead_nation", "title"], name="initiative_lead_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cooperation:initiative-detail", args=[self.pk])

    @property
    def lead_nation_display(self):
        """The lead nation's name in the reader's language (needs ``with_lead()``)."""
        if not self.lead_nation_code:
            return ""
        return territory_name(self.lead_nation_code, self.lead_nation_name)


class ParticipationQuerySet(ChildQuerySet):
    parents = ("initiative",)

    def by_initiative_title(self):
        return self.select_related("initiative").order_by("initiative__title", "pk")

    def lead_first(self):
        """With their nation: the lead first, then the others by the nation's name."""
        lead_rank = Case(
            When(role=Participation.Role.LEAD, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return self.select_related("nation").order_by(lead_rank, "nation__name")


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

    objects = ParticipationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # Columns only: no join to the initiative or the nation on every query. Pages
        # that list participations by name order them (``lead_first``, the admin).
        ordering = ["initiative_id", "role", "pk"]
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


def _refresh_lead_nation(sender, instance, raw=False, **kwargs):
    """A participation saved or deleted: store its initiative's lead nation."""
    if raw:
        return  # loading a fixture: the initiative row holds its own value
    Initiative.objects.filter(pk=instance.initiative_id).refresh_lead_nation()


models.signals.post_save.connect(
    _refresh_lead_nation, sender=Participation, dispatch_uid="participation_lead"
)
models.signals.post_delete.connect(
    _refresh_lead_nation, sender=Participation, dispatch_uid="participation_lead"
)
