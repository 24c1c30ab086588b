"""What users keep for themselves and are told: notifications in the portal, their
delivery preferences, the recommendations they follow, and saved list filters."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Exists, Q
from django.utils.translation import gettext_lazy as _

from .base import VIEW_ALL_PERMISSION
from .documents import Document
from .initiatives import Initiative
from .meetings import AssessmentMeeting
from .recommendations import Recommendation
from .users import User


def _holds_view_all(user):
    """A condition: ``user`` holds the view-all permission, of their own or by a
    group (``User.has_perm`` without loading the permissions)."""
    app_label, codename = VIEW_ALL_PERMISSION.split(".")
    permission = {
        "permission__codename": codename,
        "permission__content_type__app_label": app_label,
    }
    own = User.user_permissions.through.objects.filter(user_id=user.pk, **permission)
    by_group = Group.permissions.through.objects.filter(
        group__user=user.pk, **permission
    )
    return Exists(own) | Exists(by_group)


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """``user``'s own notifications whose records they may still see (every record
        it names; a deleted document's are left out), whatever was true when it was
        recorded: a record withheld since is neither listed nor counted.

        Decided as ``ReleasableQuerySet.visible_to`` decides it, but with the
        view-all permission asked of the database in the same query rather than
        loaded: the navigation bar counts these on every page, one query.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        queryset = self.filter(recipient=user, document__deleted_at=None)
        if user.is_superuser:
            return queryset
        released = Q()
        for field_name, model in (
            ("recommendation", Recommendation),
            ("meeting", AssessmentMeeting),
            ("initiative", Initiative),
        ):
            # Asked of the one record each notification names (a join and an
            # index probe), never of every record released to the nation.
            released &= Q(
                **{f"{field_name}__isnull": True}
            ) | model.objects.released_condition(user.nation_id, via=field_name)
        return queryset.filter(_holds_view_all(user) | released)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def for_list(self):
        """With what its sentence names: the actor and the records (joins)."""
        return self.select_related(
            "actor", "recommendation", "meeting", "initiative", "document"
        )


class Notification(models.Model):
    """Something a user is told about in the portal (and, by their preference, by
    e-mail at once or in a daily digest). It names the records it is about; it is
    shown only while the recipient may see every one of them."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned to me as owner")
        STATUS_CHANGED = "status_changed", _("Status changed on what I own or follow")
        COMMENT = "comment", _("Comment on what I own or follow")
        MINUTES_PUBLISHED = (
            "minutes_published",
            _("Minutes published of a meeting I attended"),
        )
        DOCUMENT_ADDED = (
            "document_added",
            _("Document added to what I own, follow or attend"),
        )

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    meeting = models.ForeignKey(
        AssessmentMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    # A code with its values (a status, a progress), shown in the reader's language.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When it went out by e-mail (at once or in a digest); None while it has not.
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # A user's notifications, newest first; the unread count.
            models.Index(
                fields=["recipient", "-created_at"], name="notification_recipient_idx"
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The digest: what has not been e-mailed yet.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unsent_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class NotificationPreference(models.Model):
    class Delivery(models.TextChoices):
        PORTAL = "portal", _("In the portal only")
        IMMEDIATE = "immediate", _("E-mail at once")
        DIGEST = "digest", _("Daily e-mail digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Notification.Kind.choices)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.PORTAL
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notification_preference_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.kind} → {self.delivery}"


class Follow(models.Model):
    """A user follows a recommendation: its status changes, comments and documents
    notify them as they notify its owner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.CASCADE,
        related_name="followers",
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "recommendation"], name="follow_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} follows {self.recommendation}"


class SavedFilter(models.Model):
    """A list's filters saved under a name by one user (the query string)."""

    class ListName(models.TextChoices):
        INITIATIVES = "initiatives", _("Initiatives")
        MEETINGS = "meetings", _("Meetings")
        RECOMMENDATIONS = "recommendations", _("Recommendations")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    list_name = models.CharField(_("list"), max_length=20, choices=ListName.choices)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=2_000)
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        ordering = ["list_name", "name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_name", "name"],
                name="saved_filter_unique_name",
                violation_error_message=_(
                    "You already have a saved filter of that name."
                ),
            ),
        ]

    def __str__(self):
        return self.name
