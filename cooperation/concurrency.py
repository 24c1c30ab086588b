"""No lost updates: an edit saves only over the version of the record it was loaded from.

A record edited this way (initiative, meeting, recommendation) is ``Versioned``: its
``version`` column counts its saves, raised by one in the database by every save,
whichever door it comes through (page, admin, service, command). The edit form carries
a hidden ``version`` field: the record's version as the form was rendered. An integer
the database hands out, not a time read from each server's clock, so two saves never
share a version and servers whose clocks differ agree on which is newer.

On POST the view (or service) calls ``lock_unchanged`` inside ``transaction.atomic()``
before writing anything: it locks the row (``select_for_update()``), so concurrent
saves of the record queue up, and raises ``EditConflict`` when the posted version is
not the current one — or is missing or malformed, which is treated the same way: ask
again, never overwrite.

The view then re-renders the form with the user's input, ``conflict_context`` puts the
current version in it (submitting again, after reviewing, saves) and the page includes
``includes/_edit_conflict.html``: the message and what the other person changed
since the user's version (who, when, field: before → after), read from the record's
django-simple-history rows (each carries the version it saved) through
``cooperation.history.record_changes``.

Reading the version costs no query, so the edit pages' GET runs the queries it did.
"""

from django import forms
from django.db import transaction
from django.http import Http404

from cooperation.history import record_changes

VERSION_FIELD = "version"
# When the posted version is unknown, the latest changes are shown: at most these.
UNKNOWN_VERSION_CHANGES = 5
# Versions read to find the ones newer than the user's (a conflict page only).
HISTORY_LIMIT = 200


def version_token(record):
    """The version of ``record`` as a form carries it, "" for an unsaved record."""
    if record.pk is None:
        return ""
    return str(record.version)


def parse_version(value):
    """The version number a posted token stands for, or None if it is not one."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    if len(value) > 10:  # more than a PositiveIntegerField holds
        return None
    return int(value)


class VersionedFormMixin:
    """Give a ModelForm of an existing record the hidden ``version`` field.

    Put it first in the bases (``class F(VersionedFormMixin, forms.ModelForm)``). The
    field is not a model field, so ``save()`` never writes it; a form for a new
    record has no such field.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[VERSION_FIELD] = forms.CharField(
                widget=forms.HiddenInput, required=False
            )
            self.initial[VERSION_FIELD] = version_token(self.instance)

    def posted_version(self):
        return self.cleaned_data.get(VERSION_FIELD, "")


class EditConflict(Exception):
    """The record changed since the user's version: nothing was saved.

    ``version`` is the current version, for the form to carry from now on;
    ``version_known`` is False when the posted token was missing or malformed;
    ``changes`` are ``cooperation.history.HistoryEntry`` objects, newest first.
    """

    def __init__(self, *, record, version, version_known, changes):
        super().__init__(f"{type(record).__name__} {record.pk} changed")
        self.record = record
        self.version = version
        self.version_known = version_known
        self.changes = changes


def changes_since(record, since, *, user, until=None):
    """The history entries of ``record`` newer than version ``since``, newest first.

    A history row is newer when the version it saved is; with ``since`` None
    (unknown) the latest few are returned. ``until`` (a version) leaves out later ones.
    """
    entries = record_changes(record, user=user, limit=HISTORY_LIMIT)
    if since is None:
        return entries[:UNKNOWN_VERSION_CHANGES]
    newer = record.history.filter(version__gt=since)
    if until is not None:
        newer = newer.filter(version__lte=until)
    moments = set(newer.values_list("history_date", flat=True))
    return [entry for entry in entries if entry.when in moments]


def lock_unchanged(record, posted_version, *, user):
    """Lock ``record``'s row; raise ``EditConflict`` unless it is still the version
    posted. Call it inside ``transaction.atomic()``, before writing anything."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_unchanged must run inside transaction.atomic()")
    model = type(record)
    try:
        current = (
            model._base_manager.select_for_update()
            .values_list("version", flat=True)
            .get(pk=record.pk)
        )
    except model.DoesNotExist:
        raise Http404 from None
    since = parse_version(posted_version)
    if since is not None and since == current:
        return
    # Read while the row is locked, so the list ends at the version handed out.
    raise EditConflict(
        record=record,
        version=str(current),
        version_known=since is not None,
        changes=changes_since(record, since, user=user, until=current),
    )


def conflict_context(form, conflict):
    """Put the current version in the bound ``form`` (the user's input is kept) and
    return what ``includes/_edit_conflict.html`` shows."""
    data = form.data.copy()
    data[form.add_prefix(VERSION_FIELD)] = conflict.version
    form.data = data
    return {"edit_conflict": conflict}
