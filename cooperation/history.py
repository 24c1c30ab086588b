"""Readable audit trails from django-simple-history: who changed what, from what to what.

``record_changes(record, user=...)`` turns a record's historical rows into entries
(time, author, kind of change, field changes with old and new values as people read
them) in a fixed number of queries, whatever the number of versions. Values that point
to records not released to ``user`` are not named.
"""

import datetime
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

NOT_RELEASED = _("(a record not released to you)")
EMPTY = "—"


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: object
    author: object
    kind: str  # "+", "~" or "-", as simple-history records it
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self):
        return {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}[self.kind]


def _m2m_relation(history_model, field_name):
    """The reverse accessor from a historical row to its many-to-many snapshot rows."""
    for related in history_model._meta.related_objects:
        if related.related_model.__name__.endswith(f"_{field_name}"):
            return related.get_accessor_name(), related.related_model
    return None, None


def _tracked_fields(history_model):
    """The fields ``diff_against`` compares by default (tracked and editable: not
    ``updated_at`` nor ``version``), by name, in the model's order."""
    return {f.name: f for f in history_model.tracked_fields if f.editable}


def _labels(model, ids, user):
    """Display names for primary keys of ``model``, hiding records not released."""
    if not ids:
        return {}
    queryset = model._default_manager.all()
    if hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(user)
    return {obj.pk: str(obj) for obj in queryset.filter(pk__in=ids)}


def record_changes(record, *, user, limit=200):
    """The record's history, newest first, as ``HistoryEntry`` objects.

    Each version is compared with the one before by simple-history's
    ``diff_against``, many-to-many fields aside: it would read their snapshot rows
    with two queries per field and version, where here they are prefetched once.
    """
    model = type(record)
    history_model = record.history.model
    fields = _tracked_fields(history_model)
    position = {name: index for index, name in enumerate(fields)}
    m2m_names = [f.name for f in getattr(history_model, "_history_m2m_fields", [])]
    m2m = {name: _m2m_relation(history_model, name) for name in m2m_names}
    queryset = record.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )
    for accessor, _snapshot in m2m.values():
        if accessor:
            queryset = queryset.prefetch_related(accessor)
    # One more than shown, so the oldest shown version has something to compare to.
    versions = list(queryset[: limit + 1])
    versions.reverse()

    def m2m_ids(version, name):
        accessor, snapshot = m2m[name]
        target = model._meta.get_field(name).related_model._meta.model_name
        return frozenset(
            getattr(row, f"{target}_id") for row in getattr(version, accessor).all()
        )

    # Collect every foreign-key value once, to name them in one query per model.
    wanted = {}
    for version in versions:
        for f in fields.values():
            if isinstance(f, models.ForeignKey):
                value = getattr(version, f.attname)
                if value is not None:
                    wanted.setdefault(f.related_model, set()).add(value)
        for name in m2m_names:
            related = model._meta.get_field(name).related_model
            wanted.setdefault(related, set()).update(m2m_ids(version, name))
    names = {related: _labels(related, ids, user) for related, ids in wanted.items()}

    def show(f, value):
        if value is None or value == "":
            return EMPTY
        if isinstance(f, models.ForeignKey):
            return names.get(f.related_model, {}).get(value, str(NOT_RELEASED))
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(f, models.BooleanField):
            return str(_("Yes") if value else _("No"))
        # Dates as the reader's locale writes them, never ISO.
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        if isinstance(value, datetime.date):
            return date_format(value, "DATE_FORMAT")
        return str(value)

    def changed(f, old, new):
        return FieldChange(str(f.verbose_name), show(f, old), show(f, new))

    entries = []
    previous = None
    for version in versions:
        entry = HistoryEntry(
            when=version.history_date,
            author=version.history_user,
            kind=version.history_type,
        )
        if previous is not None:
            delta = version.diff_against(previous, excluded_fields=m2m_names)
            for change in sorted(delta.changes, key=lambda c: position[c.field]):
                entry.changes.append(
                    changed(fields[change.field], change.old, change.new)
                )
        elif version.history_type == "+":
            # A creation: the values it was created with.
            for f in fields.values():
                value = getattr(version, f.attname)
                if value not in (None, ""):
                    entry.changes.append(changed(f, None, value))
        for name in m2m_names:
            new_ids = m2m_ids(version, name)
            old_ids = m2m_ids(previous, name) if previous is not None else frozenset()
            if new_ids != old_ids:
                related = model._meta.get_field(name).related_model
                labels = names.get(related, {})

                def listed(ids, labels=labels):
                    return (
                        ", ".join(sorted(labels.get(i, str(NOT_RELEASED)) for i in ids))
                        or EMPTY
                    )

                entry.changes.append(
                    FieldChange(
                        str(model._meta.get_field(name).verbose_name),
                        listed(old_ids),
                        listed(new_ids),
                    )
                )
        previous = version
        entries.append(entry)
    entries.reverse()
    return entries[:limit]
