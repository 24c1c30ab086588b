"""Writes that touch more than one row, change a status or send something.

Views, the admin, management commands and task workers all call these functions, so
each business rule is written once. Every function that writes takes the keyword
``acting_user`` and names it in history itself (``_history_user`` before each save
of a record django-simple-history tracks), so history is right outside a request.

Releasability lives in ``services.releasability``, recommendations in
``services.recommendations``, initiatives in ``services.initiatives``; they are
re-exported here (``services.record_release``, ``services.initiative_create`` …).
Meetings are in ``services.meetings``, scheduling checks and proposed slots in
``services.scheduling``, invitations, reminders and calendars in
``services.invitations``, assessments and evaluations in ``services.assessments``.
"""

from cooperation.services.initiatives import (
    ParticipationRow,
    initiative_create,
    initiative_set_participations,
    initiative_update,
    initiative_validate_participations,
)
from cooperation.services.recommendations import (
    ALLOWED_TRANSITIONS,
    FINAL_STATUSES,
    REOPEN_PERMISSION,
    recommendation_allowed_transitions,
    recommendation_create,
    recommendation_next_reference,
    recommendation_raise,
    recommendation_transition,
    recommendation_update,
)
from cooperation.services.releasability import (
    record_release,
    releasability_can_manage,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "FINAL_STATUSES",
    "REOPEN_PERMISSION",
    "ParticipationRow",
    "initiative_create",
    "initiative_set_participations",
    "initiative_update",
    "initiative_validate_participations",
    "recommendation_allowed_transitions",
    "recommendation_create",
    "recommendation_next_reference",
    "recommendation_raise",
    "recommendation_transition",
    "recommendation_update",
    "record_release",
    "releasability_can_manage",
]
