"""Writes that touch more than one row, change a status or send something.

Views, the admin and management commands all call these functions, so each business
rule is written once. Recommendations, initiatives and releasability live here;
meetings in ``services.meetings``, scheduling checks and proposed slots in
``services.scheduling``, invitations, reminders and calendars in
``services.invitations``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation.models import (
    MANAGE_RELEASABILITY_PERMISSION,
    Initiative,
    Nation,
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    User,
)

# --------------------------------------------------------------- releasability


def releasability_can_manage(*, user: User) -> bool:
    return user.is_superuser or user.has_perm(MANAGE_RELEASABILITY_PERMISSION)


@transaction.atomic
def record_release(
    *,
    record,
    user: User,
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
    creating: bool = False,
) -> None:
    """Set what a new or existing initiative, meeting or recommendation is released to.

    A user who may manage releasability sets it as asked. Anyone else cannot change it:
    a record they create is released to their own nation only.
    """
    if releasability_can_manage(user=user) and (
        released_to_all is not None or released_to is not None
    ):
        if released_to_all is not None and record.released_to_all != released_to_all:
            record.released_to_all = released_to_all
            record.save(update_fields=["released_to_all"])
        if released_to is not None:
            record.released_to.set(released_to)
        return
    if creating:
        if record.released_to_all:
            record.released_to_all = False
            record.save(update_fields=["released_to_all"])
        record.released_to.set([user.nation] if user.nation_id else [])


# ------------------------------------------------------------------ references


def recommendation_next_reference(*, year: int) -> str:
    """Hand out the next ``REC-<year>-<nnnn>`` reference; numbers are never reused.

    The counter row is locked for the rest of the caller's transaction, so concurrent
    creations queue up instead of reading the same number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "recommendation_next_reference must run inside a transaction"
        )
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
    )
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"REC-{year}-{counter.last_number:04d}"


# ------------------------------------------------------------- recommendations

ALLOWED_TRANSITIONS = {
    Recommendation.Status.PROPOSED: {
        Recommendation.Status.ACCEPTED,
        Recommendation.Status.REJECTED,
        Recommendation.Status.DEFERRED,
    },
    Recommendation.Status.ACCEPTED: {
        Recommendation.Status.IN_PROGRESS,
        Recommendation.Status.DEFERRED,
    },
    Recommendation.Status.IN_PROGRESS: {
        Recommendation.Status.IMPLEMENTED,
        Recommendation.Status.DEFERRED,
    },
    Recommendation.Status.DEFERRED: {Recommendation.Status.ACCEPTED},
    Recommendation.Status.IMPLEMENTED: set(),
    Recommendation.Status.REJECTED: set(),
}
FINAL_STATUSES = {Recommendation.Status.IMPLEMENTED, Recommendation.Status.REJECTED}
REOPEN_PERMISSION = "cooperation.reopen_recommendation"


def recommendation_allowed_transitions(
    *, recommendation: Recommendation, user: User
) -> list[str]:
    """The statuses ``user`` may move ``recommendation`` to from where it stands."""
    allowed = set(ALLOWED_TRANSITIONS[recommendation.status])
    if recommendation.status in FINAL_STATUSES and user.has_perm(REOPEN_PERMISSION):
        allowed |= {Recommendation.Status.ACCEPTED, Recommendation.Status.IN_PROGRESS}
    return [status for status in Recommendation.Status.values if status in allowed]


@transaction.atomic
def recommendation_create(
    *,
    author: User,
    title: str,
    description: str,
    focus_area,
    owner: User,
    priority: int = Recommendation.Priority.MEDIUM,
    due_date=None,
    source_meeting=None,
    source_note: str = "",
    initiative=None,
    nations: Iterable[Nation] = (),
    released_to_all: bool = False,
    released_to: Iterable[Nation] = (),
    note: str = "",
) -> Recommendation:
    """Raise a recommendation from its fields; see ``recommendation_raise``."""
    recommendation = Recommendation(
        title=title,
        description=description,
        focus_area=focus_area,
        owner=owner,
        priority=priority,
        due_date=due_date,
        source_meeting=source_meeting,
        source_note=source_note,
        initiative=initiative,
        released_to_all=released_to_all,
    )
    return recommendation_raise(
        recommendation=recommendation,
        author=author,
        nations=nations,
        released_to=released_to,
        note=note,
    )


@transaction.atomic
def recommendation_raise(
    *,
    recommendation: Recommendation,
    author: User,
    nations: Iterable[Nation] = (),
    released_to: Iterable[Nation] = (),
    note: str = "",
) -> Recommendation:
    """Save a new, unsaved recommendation: give it a reference, start its timeline.

    It always starts as proposed, at 0 % progress; the reference is taken only once
    the record is valid, so a rejected recommendation uses up no number.
    """
    recommendation.status = Recommendation.Status.PROPOSED
    recommendation.progress = 0
    recommendation.full_clean(exclude=["reference"])
    recommendation.reference = recommendation_next_reference(
        year=timezone.localdate().year
    )
    recommendation.save()
    recommendation.nations.set(nations)
    recommendation.released_to.set(released_to)
    RecommendationUpdate.objects.create(
        recommendation=recommendation,
        author=author,
        from_status="",
        to_status=Recommendation.Status.PROPOSED,
        progress=0,
        note=note or _("Recommendation raised."),
    )
    return recommendation


@transaction.atomic
def recommendation_transition(
    *,
    recommendation: Recommendation,
    user: User,
    to_status: str,
    note: str,
    progress: int | None = None,
    expected_status: str | None = None,
) -> RecommendationUpdate:
    """Move a recommendation to ``to_status`` and record why on its timeline.

    ``expected_status`` is the status the user saw; when someone else has moved the
    recommendation since, the change is refused rather than applied to a state the
    user never saw. Without ``progress`` the current one is kept; implemented is
    100 %. The recommendation's stored ``progress`` follows the new update.
    """
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if expected_status is not None and locked.status != expected_status:
        raise ValidationError(
            _(
                "%(reference)s was moved to “%(status)s” by someone else in the "
                "meantime. Review it and try again."
            ),
            code="stale",
            params={
                "reference": locked.reference,
                "status": locked.get_status_display(),
            },
        )
    if to_status not in recommendation_allowed_transitions(
        recommendation=locked, user=user
    ):
        raise ValidationError(
            _("A recommendation cannot move from “%(from)s” to “%(to)s”."),
            code="illegal_transition",
            params={
                "from": locked.get_status_display(),
                "to": dict(Recommendation.Status.choices).get(to_status, to_status),
            },
        )
    if not (note or "").strip():
        raise ValidationError(
            {
                "note": ValidationError(
                    _("Say why the status changes."), code="note_required"
                )
            }
        )
    if progress is None:
        progress = locked.progress  # the latest update's, kept on the locked row
    if to_status == Recommendation.Status.IMPLEMENTED:
        progress = 100
    update = RecommendationUpdate(
        recommendation=locked,
        author=user,
        from_status=locked.status,
        to_status=to_status,
        progress=progress,
        note=note.strip(),
    )
    update.full_clean()
    update.save()
    locked.status = to_status
    locked.progress = update.progress
    locked.save(update_fields=["status", "progress", "updated_at"])
    recommendation.status = locked.status
    recommendation.progress = locked.progress
    return update


# ------------------------------------------------------------------ initiatives


@dataclass(frozen=True)
class ParticipationRow:
    nation: Nation
    role: str
    contribution: str = ""


def initiative_validate_participations(rows: Sequence[ParticipationRow]) -> None:
    """Exactly one lead, each nation once."""
    leads = [row for row in rows if row.role == Participation.Role.LEAD]
    if len(leads) != 1:
        raise ValidationError(
            _("An initiative has exactly one lead nation; this one has %(count)d."),
            code="lead_count",
            params={"count": len(leads)},
        )
    nation_ids = [row.nation.pk for row in rows]
    if len(nation_ids) != len(set(nation_ids)):
        raise ValidationError(
            _("Each nation takes part in an initiative only once."),
            code="duplicate_nation",
        )


@transaction.atomic
def initiative_set_participations(
    *, initiative: Initiative, rows: Sequence[ParticipationRow]
) -> None:
    """Replace the initiative's participating nations, keeping exactly one lead."""
    initiative_validate_participations(rows)
    wanted = {row.nation.pk: row for row in rows}
    initiative.participations.exclude(nation_id__in=wanted).delete()
    existing = {p.nation_id: p for p in initiative.participations.all()}
    # Demote first so the "one lead" constraint holds after every statement.
    for participation in existing.values():
        row = wanted[participation.nation_id]
        if (
            participation.role == Participation.Role.LEAD
            and row.role != participation.role
        ):
            participation.role = row.role
            participation.contribution = row.contribution
            participation.save()
    for nation_id, row in wanted.items():
        participation = existing.get(nation_id)
        if participation is None:
            Participation.objects.create(
                initiative=initiative,
                nation=row.nation,
                role=row.role,
                contribution=row.contribution,
            )
        elif (participation.role, participation.contribution) != (
            row.role,
            row.contribution,
        ):
            participation.role = row.role
            participation.contribution = row.contribution
            participation.save()
