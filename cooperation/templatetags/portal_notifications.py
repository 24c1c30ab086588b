"""The navigation bar's count of unread notifications."""

from django import template

from cooperation import counts
from cooperation.models import Notification
from cooperation.services import notifications

register = template.Library()

# The badge counts this many at most ("99+"): the count stays one small query.
UNREAD_COUNT_LIMIT = 100


@register.simple_tag(takes_context=True)
def unread_notification_count(context):
    """How many unread notifications the signed-in user has about records they may
    see, at most ``UNREAD_COUNT_LIMIT``: one query (the partial index of unread
    notifications per recipient), kept in the cache until the data changes or the
    user reads a notification (``unread_token``), read once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notification_count", None)
    if cached is None:

        def count():
            unread = (
                Notification.objects.visible_to(user)
                .unread()
                .order_by()
                .values("pk")[:UNREAD_COUNT_LIMIT]
            )
            return unread.count()

        cached = request._unread_notification_count = counts.cached_value(
            "unread",
            user.pk,
            compute=count,
            tokens=[notifications.unread_token(user.pk)],
        )
    return cached
