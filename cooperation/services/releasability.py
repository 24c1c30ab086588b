"""Who may set what a record is released to, and setting it.

The write services of initiatives, recommendations and meetings call
``record_release`` inside their own transaction; a page, the admin or a command never
composes it with another service.
"""

from collections.abc import Iterable

from django.db import transaction

from cooperation.models import MANAGE_RELEASABILITY_PERMISSION, Nation, User


def releasability_can_manage(*, user: User) -> bool:
    return user.is_superuser or user.has_perm(MANAGE_RELEASABILITY_PERMISSION)


@transaction.atomic
def record_release(
    *,
    record,
    acting_user: User,
    released_to_all: bool | None = None,
    released_to: Iterable[Nation] | None = None,
    creating: bool = False,
) -> None:
    """Set what a new or existing initiative, meeting or recommendation is released to.

    A user who may manage releasability sets it as asked. Anyone else cannot change it:
    a record they create is released to their own nation only. History names
    ``acting_user``.
    """
    record._history_user = acting_user
    if releasability_can_manage(user=acting_user) and (
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
        record.released_to.set([acting_user.nation] if acting_user.nation_id else [])


def release_keep_stored(record, *, acting_user: User) -> None:
    """Before saving an existing ``record`` in full: a user who may not manage
    releasability cannot have changed ``released_to_all`` on the instance."""
    if not releasability_can_manage(user=acting_user):
        record.refresh_from_db(fields=["released_to_all"])
