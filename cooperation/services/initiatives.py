"""Initiatives: creating and editing one with its participating nations and its
release, in one transaction, as the acting user."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cooperation import concurrency
from cooperation.models import FocusArea, Initiative, Nation, Participation, User
from cooperation.models.language import portal_language
from cooperation.services import releasability

# --------------------------------------------------------------- participations


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
    *, initiative: Initiative, rows: Sequence[ParticipationRow], acting_user: User
) -> None:
    """Replace the initiative's participating nations, keeping exactly one lead."""
    initiative_validate_participations(rows)
    wanted = {row.nation.pk: row for row in rows}
    existing = {}
    for participation in initiative.participations.all():
        if participation.nation_id in wanted:
            existing[participation.nation_id] = participation
        else:
            # One by one, so that history names who removed it.
            participation._history_user = acting_user
            participation.delete()

    def save(participation, row):
        participation.role = row.role
        participation.contribution = row.contribution
        participation._history_user = acting_user
        participation.save()

    # Demote first so the "one lead" constraint holds after every statement.
    for participation in existing.values():
        row = wanted[participation.nation_id]
        if (
            participation.role == Participation.Role.LEAD
            and row.role != participation.role
        ):
            save(participation, row)
    for nation_id, row in wanted.items():
        participation = existing.get(nation_id)
        if participation is None:
            save(Participation(initiative=initiative, nation=row.nation), row)
        elif (participation.role, participation.contribution) != (
            row.role,
            row.contribution,
        ):
            save(participation, row)


# ----------------------------------------------------------------- create, edit


def _initiative_write(
    initiative: Initiative,
    *,
    acting_user: User,
    creating: bool,
    focus_areas: Iterable[FocusArea] | None,
    participations: Sequence[ParticipationRow] | None,
    released_to_all: bool | None,
    released_to: Iterable[Nation] | None,
) -> Initiative:
    initiative.full_clean()
    initiative._history_user = acting_user
    initiative.save()
    if focus_areas is not None:
        initiative.focus_areas.set(focus_areas)
    if participations is not None:
        initiative_set_participations(
            initiative=initiative, rows=participations, acting_user=acting_user
        )
    releasability.record_release(
        record=initiative,
        acting_user=acting_user,
        released_to_all=released_to_all,
        released_to=released_to,
        creating=creating,
    )
    return initiative


@transaction.atomic
def initiative_create(
    *,
    initiative: Initiative,
    acting_user: User,
    participations: Sequence[ParticipationRow],
    focus_areas: Iterable[FocusArea] = (),
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> Initiative:
    """Save a new, unsaved ``initiative`` (its fields set on it) with its focus areas,
    its participating nations (exactly one lead) and its release, as ``acting_user``.

    The release follows ``record_release``: as asked when ``acting_user`` may manage
    releasability, else to their own nation only. All or nothing.
    """
    if initiative.pk is not None:
        raise ValueError("initiative_create saves a new initiative only")
    initiative.language = initiative.language or portal_language()
    initiative_validate_participations(participations)
    return _initiative_write(
        initiative,
        acting_user=acting_user,
        creating=True,
        focus_areas=focus_areas,
        participations=participations,
        released_to_all=released_to_all,
        released_to=released_to,
    )


@transaction.atomic
def initiative_update(
    *,
    initiative: Initiative,
    version: str | None,
    acting_user: User,
    participations: Sequence[ParticipationRow] | None = None,
    focus_areas: Iterable[FocusArea] | None = None,
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
) -> Initiative:
    """Save the changes made to an existing ``initiative``, as ``acting_user``.

    With a ``version`` (the one the editor loaded, ``cooperation.concurrency``) an
    initiative changed since is refused with ``EditConflict`` and nothing is written;
    ``None`` saves over whatever is stored. ``participations`` and ``focus_areas``
    None keep what the initiative has. All or nothing.
    """
    if version is not None:
        concurrency.lock_unchanged(initiative, version, user=acting_user)
    releasability.release_keep_stored(initiative, acting_user=acting_user)
    return _initiative_write(
        initiative,
        acting_user=acting_user,
        creating=False,
        focus_areas=focus_areas,
        participations=participations,
        released_to_all=released_to_all,
        released_to=released_to,
    )
