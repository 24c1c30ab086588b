"""Which sessions belong to which user, so that they can be ended at once."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    """One login session of a user, recorded at the login and removed at the logout.

    The session data itself lives in the configured session engine; this row only
    names its key, so that ``user_end_sessions`` ends a user's sessions without
    scanning every session. Not a record of record: it goes with its user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self):
        started = date_format(timezone.localtime(self.created_at), "DATETIME_FORMAT")
        return f"{self.user} ({started})"
