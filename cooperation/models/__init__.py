"""The office's records, one module per subject.

Reads live on the QuerySets (``visible_to``, ``upcoming``, ``overdue``…); writes that
touch more than one row live in ``cooperation.services``.
"""

from .base import (
    MANAGE_RELEASABILITY_PERMISSION,
    VIEW_ALL_PERMISSION,
    ChildQuerySet,
    Releasable,
    ReleasableQuerySet,
    TimeStamped,
)
from .briefings import Briefing
from .collaboration import Follow, Notification, NotificationPreference, SavedFilter
from .documents import Document, DocumentVersion
from .initiatives import Initiative, InitiativeQuerySet, Participation
from .meetings import (
    AgendaItem,
    AssessmentMeeting,
    AssessmentMeetingQuerySet,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    SituationAssessment,
)
from .nations import FocusArea, Nation
from .notifications import OutboundEmail
from .recommendations import (
    Recommendation,
    RecommendationQuerySet,
    RecommendationUpdate,
    ReferenceCounter,
)
from .sessions import UserSession
from .users import User

__all__ = [
    "MANAGE_RELEASABILITY_PERMISSION",
    "VIEW_ALL_PERMISSION",
    "AgendaItem",
    "AssessmentMeeting",
    "AssessmentMeetingQuerySet",
    "Briefing",
    "Document",
    "DocumentVersion",
    "Follow",
    "ChildQuerySet",
    "FocusArea",
    "Initiative",
    "InitiativeEvaluation",
    "InitiativeQuerySet",
    "Invitation",
    "MeetingSeries",
    "Nation",
    "Notification",
    "NotificationPreference",
    "OutboundEmail",
    "Participation",
    "Recommendation",
    "RecommendationQuerySet",
    "RecommendationUpdate",
    "ReferenceCounter",
    "Releasable",
    "ReleasableQuerySet",
    "SavedFilter",
    "SituationAssessment",
    "TimeStamped",
    "User",
    "UserSession",
]
