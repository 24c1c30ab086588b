"""Documents attached to a meeting (read-aheads, slides, signed minutes), a
recommendation (evidence) or an initiative.

A document follows its parent's releasability: it is visible exactly when its parent
is (``DocumentQuerySet.visible_to``). Its file lives in the ``documents`` storage
(``settings.STORAGES``: a private directory by default, an S3-compatible store when
configured), never under the static or media URLs: the download view checks
releasability and streams it. Replacing a document adds a version and keeps the
earlier ones; deleting it is a soft delete (``deleted_at``), kept in its history.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import VIEW_ALL_PERMISSION, TimeStamped
from .initiatives import Initiative
from .meetings import AssessmentMeeting
from .recommendations import Recommendation


def documents_storage():
    return storages["documents"]


def new_file_name():
    """A new stored file's name: never the user's file name (kept in
    ``original_name``), so no name can reach outside the storage, and random, so
    the file can be stored before its rows exist and no two collide."""
    return f"documents/{uuid.uuid4().hex}"


def version_path(instance, filename):
    """Where a version's file is stored when it is saved through the field (the
    services store it first, under ``new_file_name``)."""
    return new_file_name()


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Documents whose parent is released to ``user`` (deleted ones included:
        ``current()`` leaves those out)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION):
            return self
        condition = Q()
        for field_name, model in (
            ("meeting", AssessmentMeeting),
            ("recommendation", Recommendation),
            ("initiative", Initiative),
        ):
            # Asked of the document's own parent, never of every released record.
            condition |= Q(**{f"{field_name}__isnull": False}) & (
                model.objects.released_condition(user.nation_id, via=field_name)
            )
        return self.filter(condition)

    def current(self):
        return self.filter(deleted_at__isnull=True)


class Document(TimeStamped):
    class Kind(models.TextChoices):
        READ_AHEAD = "read_ahead", _("Read-ahead")
        SLIDES = "slides", _("Slides")
        SIGNED_MINUTES = "signed_minutes", _("Signed minutes")
        EVIDENCE = "evidence", _("Evidence of implementation")
        REPORT = "report", _("Report")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=2_000,
        validators=[MaxLengthValidator(2_000)],
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = DocumentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(meeting__isnull=False, recommendation=None, initiative=None)
                    | Q(meeting=None, recommendation__isnull=False, initiative=None)
                    | Q(meeting=None, recommendation=None, initiative__isnull=False)
                ),
                name="document_has_one_parent",
                violation_error_message=_(
                    "A document belongs to one meeting, recommendation or initiative."
                ),
            ),
        ]
        indexes = [
            # A record's documents, newest first (each parent's own index).
            models.Index(
                fields=["meeting", "-created_at"], name="document_meeting_idx"
            ),
            models.Index(
                fields=["recommendation", "-created_at"],
                name="document_recommendation_idx",
            ),
            models.Index(
                fields=["initiative", "-created_at"], name="document_initiative_idx"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def parent(self):
        return self.meeting or self.recommendation or self.initiative


class DocumentVersion(models.Model):
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(
        _("file"), storage=documents_storage, upload_to=version_path, max_length=300
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["document_id", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="document_version_unique_number"
            ),
        ]

    def __str__(self):
        return f"{self.document} v{self.number}"
