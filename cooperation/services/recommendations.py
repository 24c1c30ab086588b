"""Recommendations: reference numbers, raising one with its release, editing it,
its status workflow, and the timeline that records every move, progress update
and comment."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation import concurrency, timeline
from cooperation.models import (
    Nation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    User,
)
from cooperation.models.language import portal_language
from cooperation.services import notifications, releasability

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


# --------------------------------------------------------------- raise and edit


@transaction.atomic
def recommendation_create(
    *,
    acting_user: User,
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
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
    note: str = "",
    source_agenda_item=None,
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
    )
    return recommendation_raise(
        recommendation=recommendation,
        acting_user=acting_user,
        nations=nations,
        released_to_all=released_to_all,
        released_to=released_to,
        note=note,
        source_agenda_item=source_agenda_item,
    )


@transaction.atomic
def recommendation_raise(
    *,
    recommendation: Recommendation,
    acting_user: User,
    nations: Iterable[Nation] = (),
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
    note: str = "",
    source_agenda_item=None,
) -> Recommendation:
    """Save a new, unsaved recommendation: give it a reference, release it, start its
    timeline, all as ``acting_user``.

    ``source_agenda_item``, an agenda item whose outcome raised it, links it back
    to that item; its meeting is the source meeting (set when none is).

    It always starts as proposed, at 0 % progress; the reference is taken only once
    the record is valid, so a rejected recommendation uses up no number. The release
    follows ``record_release``: as asked when ``acting_user`` may manage
    releasability, else to their own nation only.
    """
    if source_agenda_item is not None:
        if recommendation.source_meeting_id is None:
            recommendation.source_meeting_id = source_agenda_item.meeting_id
        if recommendation.source_meeting_id != source_agenda_item.meeting_id:
            raise ValidationError(
                _("The agenda item is not on the agenda of the source meeting."),
                code="agenda_item_elsewhere",
            )
        recommendation.source_agenda_item = source_agenda_item
    recommendation.status = Recommendation.Status.PROPOSED
    recommendation.progress = 0
    recommendation.language = recommendation.language or portal_language()
    recommendation.full_clean(exclude=["reference"])
    recommendation.reference = recommendation_next_reference(
        year=timezone.localdate().year
    )
    recommendation._history_user = acting_user
    recommendation.save()
    recommendation.nations.set(nations)
    releasability.record_release(
        record=recommendation,
        acting_user=acting_user,
        released_to_all=released_to_all,
        released_to=released_to,
        creating=True,
    )
    # A system entry: its code is shown in each reader's language; the note keeps
    # only what the person raising it wrote.
    update = RecommendationUpdate(
        recommendation=recommendation,
        author=acting_user,
        kind=RecommendationUpdate.Kind.STATUS,
        code=timeline.RAISED,
        from_status="",
        to_status=Recommendation.Status.PROPOSED,
        progress=0,
        note=(note or "").strip(),
    )
    update._history_user = acting_user
    update.save()
    notifications.notify_assigned(recommendation=recommendation, actor=acting_user)
    return recommendation


# What an edit writes: everything editable but the status, which only a transition
# moves, so an edit never overwrites a status someone else set meanwhile.
EDITED_COLUMNS = [
    field.name
    for field in Recommendation._meta.concrete_fields
    if field.editable and not field.primary_key and field.name != "status"
] + ["updated_at"]


@transaction.atomic
def recommendation_update(
    *,
    recommendation: Recommendation,
    version: str | None,
    acting_user: User,
    nations: Iterable[Nation] | None = None,
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> Recommendation:
    """Save the changes made to an existing ``recommendation`` and its release.

    With a ``version`` (the one the editor loaded, ``cooperation.concurrency``) a
    record changed since is refused with ``EditConflict`` and nothing is written;
    ``None`` saves over whatever is stored. ``nations`` None keeps the addressed
    nations. The status and the reference are never written here.
    """
    if version is not None:
        concurrency.lock_unchanged(recommendation, version, user=acting_user)
    stored_owner_id = (
        Recommendation.objects.filter(pk=recommendation.pk)
        .values_list("owner_id", flat=True)
        .first()
    )
    releasability.release_keep_stored(recommendation, acting_user=acting_user)
    recommendation.full_clean()
    recommendation._history_user = acting_user
    recommendation.save(update_fields=EDITED_COLUMNS)
    if nations is not None:
        recommendation.nations.set(nations)
    releasability.record_release(
        record=recommendation,
        acting_user=acting_user,
        released_to_all=released_to_all,
        released_to=released_to,
    )
    if recommendation.owner_id != stored_owner_id:
        notifications.notify_assigned(recommendation=recommendation, actor=acting_user)
    return recommendation


# --------------------------------------------------------------------- workflow

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
def recommendation_transition(
    *,
    recommendation: Recommendation,
    acting_user: User,
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
        recommendation=locked, user=acting_user
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
        author=acting_user,
        kind=RecommendationUpdate.Kind.STATUS,
        from_status=locked.status,
        to_status=to_status,
        progress=progress,
        note=note.strip(),
    )
    update.full_clean()
    update._history_user = acting_user
    update.save()
    locked.status = to_status
    locked.progress = update.progress
    locked._history_user = acting_user
    locked.save(update_fields=["status", "progress", "updated_at"])
    recommendation.status = locked.status
    recommendation.progress = locked.progress
    notifications.notify_status_changed(
        recommendation=locked, update=update, actor=acting_user
    )
    return update


# ------------------------------------------------- progress updates and comments

NOTE_MAX_LENGTH = 5_000


def recommendation_can_post_progress(*, recommendation: Recommendation, user: User):
    """Whether ``user`` may post a progress update on ``recommendation`` (which
    they already see): its owner, or an Editor allowed to change recommendations;
    only while it is open (a final or deferred one moves by a status change)."""
    if recommendation.status not in Recommendation.OPEN_STATUSES:
        return False
    return recommendation.owner_id == user.pk or user.has_perm(
        "cooperation.change_recommendation"
    )


def _clean_note(note, *, required_message):
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": ValidationError(required_message, code="note_required")}
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "note": ValidationError(
                    _("Keep the note to %(limit)d characters."),
                    code="note_too_long",
                    params={"limit": NOTE_MAX_LENGTH},
                )
            }
        )
    return note


@transaction.atomic
def recommendation_post_progress(
    *,
    recommendation: Recommendation,
    progress: int,
    note: str,
    acting_user: User,
) -> RecommendationUpdate:
    """Record how far ``recommendation`` has come (``progress`` percent and a note)
    without changing its status, as its owner or an Editor.

    The recommendation's stored ``progress`` follows, under a row lock so that a
    status change at the same moment is applied before or after, never mixed. The
    caller has checked that ``acting_user`` sees it (``views.access``).
    """
    locked = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if not recommendation_can_post_progress(recommendation=locked, user=acting_user):
        if locked.status not in Recommendation.OPEN_STATUSES:
            raise ValidationError(
                _(
                    "%(reference)s is “%(status)s”: progress is posted only while "
                    "a recommendation is open."
                ),
                code="not_open",
                params={
                    "reference": locked.reference,
                    "status": locked.get_status_display(),
                },
            )
        raise PermissionDenied(
            _("Only the owner or an editor may post a progress update.")
        )
    note = _clean_note(note, required_message=_("Say what has been done."))
    update = RecommendationUpdate(
        recommendation=locked,
        author=acting_user,
        kind=RecommendationUpdate.Kind.PROGRESS,
        from_status=locked.status,
        to_status=locked.status,
        progress=progress,
        note=note,
    )
    update.full_clean()
    update._history_user = acting_user
    update.save()
    locked.progress = update.progress
    locked._history_user = acting_user
    locked.save(update_fields=["progress", "updated_at"])
    recommendation.progress = locked.progress
    notifications.notify_comment(update=update, actor=acting_user)
    return update


@transaction.atomic
def recommendation_comment(
    *,
    recommendation: Recommendation,
    note: str,
    acting_user: User,
) -> RecommendationUpdate:
    """Add ``acting_user``'s comment to ``recommendation``'s timeline.

    Anyone who sees the recommendation may comment, Viewers included: the caller
    has checked that they see it (``views.access``). Neither its status nor its
    progress changes; the entry keeps both as they stand, for the record.
    """
    if not recommendation.is_visible_to(acting_user):
        raise PermissionDenied(_("This recommendation is not released to you."))
    note = _clean_note(note, required_message=_("Write a comment."))
    update = RecommendationUpdate(
        recommendation=recommendation,
        author=acting_user,
        kind=RecommendationUpdate.Kind.COMMENT,
        from_status=recommendation.status,
        to_status=recommendation.status,
        progress=recommendation.progress,
        note=note,
    )
    update.full_clean()
    update._history_user = acting_user
    update.save()
    notifications.notify_comment(update=update, actor=acting_user)
    return update
