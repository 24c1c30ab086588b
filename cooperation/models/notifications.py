"""The outbox: every e-mail the portal sends, from the moment it is decided.

A service renders a message and inserts its row in the same transaction as the change
that caused it; the delivery task (``cooperation.tasks.deliver_emails``) sends the due
rows later, outside any request, and records the outcome on the row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """One e-mail to send (pending), sent, or given up on (failed).

    ``key`` names what the message is about, uniquely (an invitation to one meeting
    revision, a reminder of one start time …): recording the same key twice keeps the
    first row, so nothing is queued, and so nothing is sent, twice. Delivered rows are
    the record of what was sent; ``housekeeping`` removes them after
    ``DJANGO_OUTBOX_RETENTION_DAYS``.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        CANCELLATION = "cancellation", _("Cancellation")
        MEETING_REMINDER = "meeting_reminder", _("Meeting reminder")
        RECOMMENDATION_REMINDER = (
            "recommendation_reminder",
            _("Recommendation reminder"),
        )
        EMAIL_CHANGED = "email_changed", _("E-mail address changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        NOTIFICATION = "notification", _("Notification")
        NOTIFICATION_DIGEST = "notification_digest", _("Daily digest of notifications")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="outbound_emails",
        null=True,
        blank=True,
    )
    to_email = models.EmailField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    # Rendered by the services, never typed by a person: not editable, so no form
    # (the admin's included) offers them.
    body = models.TextField(_("text"), blank=True, editable=False)
    html_body = models.TextField(_("HTML"), blank=True, editable=False)
    ical = models.TextField(_("iCalendar attachment"), blank=True, editable=False)
    ical_method = models.CharField(_("iCalendar method"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [
            # The worker's claim: pending rows that are due, the oldest first.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="outbound_email_due_idx",
            ),
            # The admin's filters, newest first; housekeeping's delivered rows.
            models.Index(
                fields=["status", "-created_at"], name="outbound_email_status_idx"
            ),
            models.Index(
                fields=["kind", "-created_at"], name="outbound_email_kind_idx"
            ),
            models.Index(
                fields=["sent_at"],
                condition=Q(status="sent"),
                name="outbound_email_sent_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbound_email_sent_has_time",
                violation_error_message=_("A sent e-mail records when it was sent."),
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="outbound_email_pending_is_due",
                violation_error_message=_(
                    "A pending e-mail records when it is next attempted."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.to_email} ({self.key})"
