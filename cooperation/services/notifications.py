"""Notifications: what users are told, in the portal and by e-mail.

The write services call these hooks inside their own transaction, after the change;
each records ``Notification`` rows for the users concerned (never the actor, never
someone who may not see the record) and queues the e-mails their preferences ask
for. Built by the notifications work; the hooks' signatures are fixed here so the
document and timeline services can call them.
"""

from cooperation.models import (
    AssessmentMeeting,
    Document,
    Recommendation,
    RecommendationUpdate,
    User,
)


def notify_assigned(*, recommendation: Recommendation, actor: User) -> None:
    """``recommendation`` has a new owner."""


def notify_status_changed(
    *, recommendation: Recommendation, update: RecommendationUpdate, actor: User
) -> None:
    """``update`` changed the status of ``recommendation``."""


def notify_comment(*, update: RecommendationUpdate, actor: User) -> None:
    """``update`` is a comment or a progress update on its recommendation."""


def notify_minutes_published(*, meeting: AssessmentMeeting, actor: User) -> None:
    """The minutes of ``meeting`` were published."""


def notify_document_added(*, document: Document, actor: User) -> None:
    """``document`` (or a new version of it) was added."""
