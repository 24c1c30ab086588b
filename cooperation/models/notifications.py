"""A log of what the portal has sent, so that nothing is sent twice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SentNotification(models.Model):
    """One e-mail the portal sent. ``key`` names what it was about, uniquely.

    A sender first inserts the row (the unique ``key`` makes a second attempt fail),
    then sends; so a reminder command run every five minutes never repeats itself.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        CANCELLATION = "cancellation", _("Cancellation")
        MEETING_REMINDER = "meeting_reminder", _("Meeting reminder")
        RECOMMENDATION_REMINDER = (
            "recommendation_reminder",
            _("Recommendation reminder"),
        )

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent notification")
        verbose_name_plural = _("sent notifications")

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient} ({self.key})"
