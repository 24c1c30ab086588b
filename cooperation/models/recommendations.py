"""Recommendations, their reference numbers and their update timeline."""

from django.conf import settings
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from cooperation.counts import cached_rows
from cooperation.validators import validate_sane_year

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
from .meetings import AssessmentMeeting
from .nations import FocusArea, Nation


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

    def with_related(self):
        """What a row of a recommendation table shows: progress, owner, focus area."""
        return self.select_related("owner", "focus_area")

    def by_due_date(self):
        """Earliest due first: of overdue recommendations, the most overdue first."""
        return self.order_by("due_date", "reference")

    def by_status(self):
        """In the workflow's order of the statuses, then earliest due first."""
        return self.order_by("status_rank", "due_date", "reference")

    def with_visible_sources(self, user):
        """Annotate the source meeting's and the initiative's titles when ``user``
        may see them (else None), so no page or export names a record not released
        to them."""
        # One row at most (by primary key): no ordering to sort it by.
        meetings = (
            AssessmentMeeting.objects.visible_to(user)
            .filter(pk=OuterRef("source_meeting_id"))
            .order_by()
        )
        initiatives = (
            Initiative.objects.visible_to(user)
            .filter(pk=OuterRef("initiative_id"))
            .order_by()
        )
        return self.annotate(
            visible_source_meeting_title=Subquery(meetings.values("title")[:1]),
            visible_initiative_title=Subquery(initiatives.values("title")[:1]),
        )

    def for_list(self):
        """What a row of the recommendation list shows: the owner and focus area
        (joins) and the addressed nations (one query for the page)."""
        return self.select_related("owner", "focus_area").prefetch_related(
            Prefetch("nations", queryset=Nation.objects.order_by("name"))
        )

    def for_export(self):
        """The rows of the recommendation CSV, without the description it leaves
        out, with the focus area's name; the addressed nations, releasability and
        owners are read per chunk of rows (``views.recommendations``)."""
        return self.defer("description").annotate(
            export_focus_area=localized_column(
                "name", relation="focus_area", lower=False
            )
        )

    def raised_or_reviewed_at(self, meeting, reviewed):
        """The recommendations ``meeting`` raised, and those of the keys its agenda
        reviews (``reviewed``), with their owner, by reference. By the keys the
        agenda already holds: an OR across the agenda's join would read every
        recommendation where two indexes serve this one."""
        return (
            self.filter(Q(source_meeting=meeting) | Q(pk__in=reviewed))
            .select_related("owner")
            .order_by("reference")
        )

    def status_by_nation(self):
        """Rows of ``(nation, [(status, label, count)…], total)``: these
        recommendations counted by the active nations they are addressed to, the
        nations in the reader's order of their names, those with none left out.

        One grouped query over the addressed nations' table (a recommendation
        addresses a nation once: nothing multiplies), computed once per data
        generation and query (``cooperation.counts``), and one for the nations.
        """
        counts = {
            (nation_id, status): total
            for nation_id, status, total in cached_rows(
                Recommendation.nations.through.objects.filter(
                    recommendation__in=self.values("pk")
                )
                .values_list("nation_id", "recommendation__status")
                .annotate(total=Count("pk"))
                .order_by()
            )
        }
        rows = []
        nations = Nation.objects.filter(is_active=True).only("name", "iso_alpha2")
        for nation in nations.in_display_order():
            cells = [
                (value, label, counts.get((nation.pk, value), 0))
                for value, label in Recommendation.Status.choices
            ]
            total = sum(cell[2] for cell in cells)
            if total:
                rows.append((nation, cells, total))
        return rows

    def open_and_overdue_by_nation(self, *, today=None):
        """``{nation pk: (open, overdue)}``: the open recommendations among these
        addressed to each nation, and of them those overdue on ``today``; nations
        with none are left out.

        One grouped query over the addressed nations' table (a recommendation
        addresses a nation once: nothing multiplies), computed once per data
        generation and query (``cooperation.counts``).
        """
        today = today or timezone.localdate()
        return {
            nation_id: (open_total, overdue_total)
            for nation_id, open_total, overdue_total in cached_rows(
                Recommendation.nations.through.objects.filter(
                    recommendation__in=self.open().values("pk")
                )
                .values_list("nation_id")
                .annotate(
                    open_total=Count("pk"),
                    overdue_total=Count(
                        "pk", filter=Q(recommendation__due_date__lt=today)
                    ),
                )
                .order_by()
            )
        }


class Recommendation(Releasable, TimeStamped, Versioned):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        IMPLEMENTED = "implemented", _("Implemented")
        REJECTED = "rejected", _("Rejected")
        DEFERRED = "deferred", _("Deferred")

    class Priority(models.IntegerChoices):
        LOW = 1, pgettext_lazy("priority", "Low")
        MEDIUM = 2, pgettext_lazy("priority", "Medium")
        HIGH = 3, pgettext_lazy("priority", "High")
        CRITICAL = 4, pgettext_lazy("priority", "Critical")

    OPEN_STATUSES = (Status.PROPOSED, Status.ACCEPTED, Status.IN_PROGRESS)

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, editable=False
    )
    title = models.CharField(_("title"), max_length=200)
    language = language_field()
    description = models.TextField(
        _("description"), max_length=10_000, validators=[MaxLengthValidator(10_000)]
    )
    source_meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("source meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recommendations",
        help_text=_("Leave empty when it came from a summit or another source."),
    )
    source_agenda_item = models.ForeignKey(
        "cooperation.AgendaItem",
        verbose_name=_("raised from agenda item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="raised_recommendations",
        help_text=_("The agenda item of the source meeting whose outcome raised it."),
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
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_sane_year]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    status_rank = choice_rank("status", Status)  # the list's sort by status
    # The progress of the latest update, kept by the services that write the
    # timeline (``recommendation_raise``, ``recommendation_transition``) in the same
    # transaction, so a list reads it from the row instead of the timeline.
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"),
        default=0,
        editable=False,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    objects = RecommendationQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[Releasable.released_to.field], excluded_fields=["status_rank"]
    )

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
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="recommendation_progress_0_to_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
        ]
        # One per filter and sort of the list (``views.recommendations``) and the
        # admin's default order; the reference has its unique index. Text search
        # has trigram indexes on PostgreSQL (migration 0008), outside Meta.
        indexes = [
            models.Index(fields=["status", "due_date"]),  # ?status=, overdue
            models.Index(
                fields=["status_rank", "reference"],
                name="recommendation_status_rank_idx",
            ),
            models.Index(fields=["due_date"], name="recommendation_due_idx"),
            models.Index(
                fields=["priority", "due_date"], name="recommendation_priority_idx"
            ),
            models.Index(fields=["title"], name="recommendation_title_idx"),
            models.Index(fields=["created_at"], name="recommendation_created_idx"),
        ]

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
    """One entry of a recommendation's timeline: a status change, a progress update
    (percent and note, no status change) or a comment. Entries the portal writes
    itself carry a ``code`` and are shown in the reader's language."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        PROGRESS = "progress", _("Progress update")
        COMMENT = "comment", _("Comment")

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
    note = models.TextField(
        _("note"),
        blank=True,
        max_length=5_000,
        validators=[MaxLengthValidator(5_000)],
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.STATUS
    )
    # A system entry's code ("raised", "carried_over" …): shown in the reader's
    # language, with ``note`` only for what a person added.
    code = models.CharField(_("code"), max_length=30, blank=True)

    objects = RecommendationUpdateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        # By the column, not "recommendation" (its own order, through a join).
        ordering = ["recommendation_id", "created_at", "pk"]
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
        # The admin lists the timeline of every recommendation newest first.
        indexes = [
            # The admin's newest-first list: the key breaks ties in the index too.
            models.Index(
                fields=["created_at", "id"], name="recommendation_update_time_idx"
            )
        ]

    def __str__(self):
        return f"{self.recommendation.reference}: {self.to_status} ({self.progress}%)"
