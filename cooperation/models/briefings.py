"""Briefings as PDF: asked for on a page, made by the task worker, downloaded by the
one who asked.

A briefing's content is what its reader may see, in the reader's language and time
zone, at the moment it is made: the row keeps who asked, in which language and zone,
and what for (a meeting, or the regional picture as of a day), and the PDF once made.
The PDF lives in the database, so every web server behind the load balancer serves
what any worker made, with no shared disk; ``housekeeping`` removes briefings after
``DJANGO_BRIEFING_RETENTION_DAYS``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .meetings import AssessmentMeeting
from .nations import FocusArea, Nation


class Briefing(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting briefing")
        REGIONAL = "regional", _("Regional briefing")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    # Not a counter: the address of a briefing tells nothing of how many exist.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="briefings",
    )
    language = models.CharField(_("language"), max_length=10)
    time_zone = models.CharField(_("time zone"), max_length=64)
    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)
    region = models.CharField(
        _("region"), max_length=20, choices=Nation.Region.choices, blank=True
    )
    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    title = models.CharField(_("title"), max_length=300, blank=True)
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    pages = models.PositiveSmallIntegerField(_("pages"), null=True, blank=True)
    render_seconds = models.FloatField(_("seconds to make"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    finished_at = models.DateTimeField(_("made"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("briefing")
        verbose_name_plural = _("briefings")
        indexes = [
            # The scheduler's retries: pending rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="briefing_due_idx",
            ),
            # A user's own briefings, newest first; housekeeping by age.
            models.Index(
                fields=["requested_by", "-created_at"], name="briefing_user_idx"
            ),
            models.Index(fields=["created_at"], name="briefing_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="meeting", meeting__isnull=False, as_of__isnull=True)
                | Q(kind="regional", meeting__isnull=True, as_of__isnull=False),
                name="briefing_kind_matches_subject",
            ),
        ]

    def __str__(self):
        return self.title or str(self.get_kind_display())
