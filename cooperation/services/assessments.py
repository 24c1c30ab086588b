"""Who may record or change a meeting's assessments and evaluations, and the writes.

A nation's situation assessment belongs to that nation: it is recorded or changed
only by a user of that nation with the Editor role, or by someone who may act for
any nation (the Coordinator). Once a meeting's minutes are published, its
assessments and evaluations are locked like the minutes: a correction needs the
``correct_locked_assessments`` permission and a reason, which history keeps with
the old values. Pages, the admin and commands all ask these functions.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cooperation.models import (
    AssessmentMeeting,
    InitiativeEvaluation,
    Nation,
    SituationAssessment,
    User,
)
from cooperation.models.language import portal_language

ASSESS_ANY_NATION = "cooperation.assess_any_nation"
CORRECT_LOCKED = "cooperation.correct_locked_assessments"
REASON_MAX_LENGTH = 200

LOCKED = _(
    "The minutes of this meeting are published, so its assessments and evaluations "
    "are locked."
)
REASON_REQUIRED = _(
    "The minutes of this meeting are published: say why you correct this record."
)
NO_PRIMARY = _(
    "A nation has one primary concern per focus area at a meeting, and this would "
    "leave none: record this concern as the primary one, or mark another concern of "
    "this nation and focus area as primary."
)


def meeting_is_locked(meeting: AssessmentMeeting) -> bool:
    return meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED


def assessment_nations_for(*, user: User):
    """The nations ``user`` may record assessments for (a QuerySet)."""
    nations = Nation.objects.filter(is_active=True)
    if user.has_perm(ASSESS_ANY_NATION):
        return nations
    return nations.filter(pk=user.nation_id) if user.nation_id else nations.none()


def _may_act_for(user: User, nation_id) -> bool:
    if user.has_perm(ASSESS_ANY_NATION):
        return True
    return user.nation_id is not None and user.nation_id == nation_id


def _may_write_meeting(user: User, meeting: AssessmentMeeting) -> bool:
    return not meeting_is_locked(meeting) or user.has_perm(CORRECT_LOCKED)


def assessment_can_record(*, user: User, meeting: AssessmentMeeting) -> bool:
    """May ``user`` record a new assessment (of some nation) at ``meeting``?"""
    return (
        user.has_perm("cooperation.add_situationassessment")
        and (user.has_perm(ASSESS_ANY_NATION) or user.nation_id is not None)
        and _may_write_meeting(user, meeting)
    )


def assessment_can_change(*, user: User, assessment: SituationAssessment) -> bool:
    return (
        user.has_perm("cooperation.change_situationassessment")
        and _may_act_for(user, assessment.nation_id)
        and _may_write_meeting(user, assessment.meeting)
    )


def evaluation_can_record(*, user: User, meeting: AssessmentMeeting) -> bool:
    return user.has_perm("cooperation.add_initiativeevaluation") and _may_write_meeting(
        user, meeting
    )


def evaluation_can_change(*, user: User, evaluation: InitiativeEvaluation) -> bool:
    return user.has_perm(
        "cooperation.change_initiativeevaluation"
    ) and _may_write_meeting(user, evaluation.meeting)


def _lock_meeting(meeting: AssessmentMeeting) -> AssessmentMeeting:
    """The meeting row, locked, so publishing and writing cannot interleave."""
    return AssessmentMeeting.objects.select_for_update().get(pk=meeting.pk)


def _check_reason(meeting: AssessmentMeeting, reason: str) -> str:
    reason = (reason or "").strip()
    if meeting_is_locked(meeting) and not reason:
        raise ValidationError({"reason": REASON_REQUIRED}, code="reason_required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": _("Say it in at most %(limit)d characters.")
                % {"limit": REASON_MAX_LENGTH}
            },
            code="reason_too_long",
        )
    return reason


def _refuse_moving(stored_meeting_id, meeting_id):
    if stored_meeting_id != meeting_id:
        raise ValidationError(
            {
                "meeting": ValidationError(
                    _(
                        "A record stays at the meeting it was recorded at; record a "
                        "new one at the other meeting instead."
                    ),
                    code="moved",
                )
            }
        )


def _save_record(record, *, meeting: AssessmentMeeting, acting_user: User, reason: str):
    """Save an assessment or evaluation at ``meeting``; history keeps the author
    and, for a locked meeting, the reason it needs."""
    reason = _check_reason(meeting, reason)
    record.full_clean()
    record._history_user = acting_user
    record._change_reason = reason or None
    record.save()
    return record


def other_primary_concerns(*, assessment: SituationAssessment):
    """The primary concern at ``assessment``'s meeting of its nation and focus
    area, unless it is ``assessment`` itself (a QuerySet of at most one row)."""
    return SituationAssessment.objects.filter(
        meeting_id=assessment.meeting_id,
        nation_id=assessment.nation_id,
        focus_area_id=assessment.focus_area_id,
        is_primary=True,
    ).exclude(pk=assessment.pk)


def _keep_one_primary(
    assessment: SituationAssessment,
    stored: SituationAssessment | None,
    *,
    acting_user: User,
    reason: str,
):
    """Keep exactly one primary concern per meeting, nation and focus area.

    Saving a primary concern makes the one that was primary a secondary concern
    (history keeps who and why); a secondary concern needs a primary one beside
    it, and the primary one may not leave its nation and focus area with
    secondary concerns and no primary one.
    """
    group = other_primary_concerns(assessment=assessment)
    if assessment.is_primary:
        for former in group.select_for_update():
            former.is_primary = False
            _save_record(
                former,
                meeting=assessment.meeting,
                acting_user=acting_user,
                reason=reason,
            )
    elif not group.exists():
        raise ValidationError({"is_primary": NO_PRIMARY}, code="no_primary")
    if stored is not None and stored.is_primary:
        left = (stored.nation_id, stored.focus_area_id) != (
            assessment.nation_id,
            assessment.focus_area_id,
        )
        if left and (
            SituationAssessment.objects.filter(
                meeting_id=stored.meeting_id,
                nation_id=stored.nation_id,
                focus_area_id=stored.focus_area_id,
            )
            .exclude(pk=stored.pk)
            .exists()
        ):
            raise ValidationError({"is_primary": NO_PRIMARY}, code="no_primary")


@transaction.atomic
def assessment_save(
    *, assessment: SituationAssessment, acting_user: User, reason: str = ""
) -> SituationAssessment:
    """Record a new assessment or save changes to one, as ``acting_user``.

    Refuses (``PermissionDenied``) a user who may not act for the assessed nation or
    who writes to a locked meeting without the correction permission; a locked
    meeting's record also needs a ``reason``. A primary concern makes the former
    primary concern of its nation and focus area at the meeting a secondary one; a
    secondary concern needs a primary one (``ValidationError`` on ``is_primary``).
    History keeps the author, the reason and the old values.
    """
    meeting = _lock_meeting(assessment.meeting)
    assessment.meeting = meeting
    creating = assessment.pk is None
    if creating:
        assessment.language = assessment.language or portal_language()
    stored = None
    allowed = (
        assessment_can_record(user=acting_user, meeting=meeting)
        and _may_act_for(acting_user, assessment.nation_id)
        if creating
        else assessment_can_change(user=acting_user, assessment=assessment)
    )
    if not creating:
        # As stored: a user may not move another nation's assessment to their
        # own, and an assessment stays at the meeting it was recorded at.
        stored = SituationAssessment.objects.get(pk=assessment.pk)
        _refuse_moving(stored.meeting_id, assessment.meeting_id)
        allowed = allowed and _may_act_for(acting_user, stored.nation_id)
    if not allowed:
        raise PermissionDenied(
            LOCKED
            if meeting_is_locked(meeting) and not acting_user.has_perm(CORRECT_LOCKED)
            else _("You may record and change only your own nation's assessments.")
        )
    reason = _check_reason(meeting, reason)
    _keep_one_primary(assessment, stored, acting_user=acting_user, reason=reason)
    return _save_record(
        assessment, meeting=meeting, acting_user=acting_user, reason=reason
    )


@transaction.atomic
def evaluation_save(
    *, evaluation: InitiativeEvaluation, acting_user: User, reason: str = ""
) -> InitiativeEvaluation:
    """Record or change an initiative evaluation; locked meetings need a reason."""
    meeting = _lock_meeting(evaluation.meeting)
    evaluation.meeting = meeting
    if evaluation.pk is not None:
        stored = InitiativeEvaluation.objects.get(pk=evaluation.pk)
        _refuse_moving(stored.meeting_id, evaluation.meeting_id)
    allowed = (
        evaluation_can_record(user=acting_user, meeting=meeting)
        if evaluation.pk is None
        else evaluation_can_change(user=acting_user, evaluation=evaluation)
    )
    if not allowed:
        raise PermissionDenied(LOCKED)
    return _save_record(
        evaluation, meeting=meeting, acting_user=acting_user, reason=reason
    )
