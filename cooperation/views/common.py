"""Helpers shared by the list pages: sorting, pagination, CSV export.

Every list page is the same shape: a FilterSet over a ``visible_to(user)`` queryset,
a whitelisted sort, a page of rows with the total count, and the same filtered rows as
CSV when ``?format=csv`` is asked for.

Cost at volume: each sort key has an index (see the models' ``Meta.indexes``), the
count and the choice of a page's rows run without the per-row annotations
(``KeysFirstPaginator``), and the CSV streams in chunks (``export_chunks``) whose
related rows are read once per chunk, as tuples.
"""

import csv
import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import F, OrderBy, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from cooperation.counts import cached_count
from cooperation.models import User

PER_PAGE = 25
# Rows of a CSV export read, and their related rows looked up, at a time.
EXPORT_CHUNK = 2000
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A list column: its header, the sort key it offers and its CSV value."""

    label: str
    sort: str | None = None  # the ?sort= key; None when the column is not sortable
    value: Callable[[object], object] | None = None  # None: not exported


def safe_cell(value):
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM, so spreadsheet programs read UTF-8 accents right
        yield writer.writerow([str(label) for label in header])
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


@functools.cache
def _choice_labels(choices, language):
    return {value: str(label) for value, label in choices.choices}


def choice_label(choices, value):
    """What ``get_<field>_display()`` shows, for exports: the label of ``value`` in
    ``choices`` (a ``TextChoices`` or ``IntegerChoices``) in the active language.

    The model method rebuilds a table of lazily translated labels on every call,
    which costs more than the rest of a large export's row; this one is built once
    per language.
    """
    return _choice_labels(choices, get_language()).get(value, value)


def export_chunks(queryset, *, attach=None, chunk_size=EXPORT_CHUNK):
    """The objects of ``queryset`` for a CSV export, read ``chunk_size`` at a time.

    ``attach(chunk)``, called once per chunk, sets on the chunk's objects what the
    export reads from related tables, in one query per table (``grouped`` tuples
    rather than a model instance per related row, as ``prefetch_related`` would
    build). Nothing is loaded beyond one chunk.
    """
    rows = queryset.iterator(chunk_size=chunk_size)
    for chunk in itertools.batched(rows, chunk_size):
        if attach is not None:
            attach(chunk)
        yield from chunk


def grouped(pairs):
    """``{key: [value, …]}`` from ``(key, value)`` pairs, in their order."""
    groups = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return groups


def linked(field, keys, names):
    """``{key: [name, …]}``: the names of the rows the many-to-many ``field``
    (e.g. ``Recommendation.nations.field``) links to each of ``keys``, from
    ``names`` (``{pk: (sort key, name)}`` of a short reference table such as the
    nations, read once per export), in sort-key order; one query of id pairs."""
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    pairs = through.objects.filter(**{f"{source}__in": keys}).values_list(
        source, target
    )
    groups = grouped((key, names[target_pk]) for key, target_pk in pairs)
    return {key: [name for _, name in sorted(values)] for key, values in groups.items()}


def owner_names(objects):
    """``{pk: name}`` of the users who own ``objects`` (by their ``owner_id``), as
    ``str(user)`` shows them; one query for the distinct owners of a chunk."""
    owners = {obj.owner_id for obj in objects}
    users = User.objects.only("username", "first_name", "last_name")
    return {pk: str(user) for pk, user in users.in_bulk(owners).items()}


def nation_names(queryset):
    """``{pk: (record name, name in the reader's language)}`` of the nations."""
    return {nation.pk: (nation.name, nation.display_name) for nation in queryset}


def nulls_last(field):
    """Ascending by ``field`` with empty values after the others, reversed as a whole
    for a descending sort (empty first), on every database. A plain column, so the
    column's index serves it on PostgreSQL (ASC NULLS LAST is a B-tree's own order)."""
    return F(field).asc(nulls_last=True)


def _ordering(field, descending):
    if isinstance(field, OrderBy):
        return field.copy().reverse_ordering() if descending else field
    if descending != field.startswith("-"):
        return f"-{field.removeprefix('-')}"
    return field.removeprefix("-")


def apply_sort(
    request, queryset, *, sort_fields: dict[str, Sequence[str | OrderBy]], default
):
    """Order by the ``?sort=`` key when it is one we offer (``-key`` for descending).

    A sort is a list of field names (``"-field"`` for descending) or ``OrderBy``
    expressions such as ``nulls_last("due_date")``; ``-key`` reverses each of them.
    """
    requested = request.GET.get("sort", "")
    key = requested.removeprefix("-")
    if key not in sort_fields:
        requested = default
        key = default.removeprefix("-")
    descending = requested.startswith("-")
    ordering = [_ordering(field, descending) for field in sort_fields[key]]
    return queryset.order_by(*ordering, "pk"), requested


class KeysFirstPaginator(Paginator):
    """A paginator whose page picks its rows' keys first, then reads those rows.

    A list's queryset carries per-row annotations (subqueries for the lead nation,
    visible source titles, counts…). With a plain ``OFFSET``, the database computes
    them for every row it skips, so page 400 costs 400 pages. Here the page is
    ``pk IN (the page's keys, by OFFSET over the filter and the sort alone)``, in the
    same single query: the annotations run for the rows shown only. The count is
    kept per data generation (``cooperation.counts``).

    The queryset must be ordered (``apply_sort`` always ends with ``pk``); a
    ``distinct()`` one is paged as usual (its keys could not be selected alone).
    """

    @functools.cached_property
    def count(self):
        """The number of rows, computed once per data generation and query
        (``cooperation.counts``): counting every row released to the reader is the
        one part of a list whose cost grows with the data."""
        if isinstance(self.object_list, QuerySet):
            return cached_count(self.object_list)
        return len(self.object_list)

    def page(self, number):
        if (
            not isinstance(self.object_list, QuerySet)
            or self.object_list.query.distinct
        ):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=keys), number, self)


def list_page(
    request,
    *,
    filterset,
    sort_fields: dict[str, Sequence[str]],
    default_sort: str,
    template: str,
    columns: Sequence[Column],
    csv_filename: str,
    context: dict | None = None,
    export_rows: Callable[[object], Iterable[object]] | None = None,
    attach: Callable[[Sequence[object]], None] | None = None,
    row_sorts: dict[str, Callable[[object], object]] | None = None,
) -> HttpResponse:
    """Render a filtered, sorted, paginated list, or export its rows as CSV.

    ``export_rows(queryset)`` gives the objects the CSV columns read (by default
    ``export_chunks(queryset)``). ``attach(rows)`` sets on the rows shown or
    exported what they read from elsewhere (e.g. counts from a cached grouped query).

    ``row_sorts`` maps sort keys to a Python key of a row (after ``attach``), for
    values the database does not hold; the whole filtered list is then read and
    sorted in Python, so it is only for short reference tables (the nations), never
    for records that grow. Their ``sort_fields`` entry gives the order of ties.
    """
    if filterset.is_bound and not filterset.is_valid():
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.qs
    queryset, current_sort = apply_sort(
        request, queryset, sort_fields=sort_fields, default=default_sort
    )
    row_sort = (row_sorts or {}).get(current_sort.removeprefix("-"))
    rows = queryset
    if row_sort is not None:
        rows = list(queryset)
        if attach is not None:
            attach(rows)
        rows.sort(key=row_sort, reverse=current_sort.startswith("-"))
    if request.GET.get("format") == "csv":
        exported = [column for column in columns if column.value is not None]
        if row_sort is not None:
            objects = rows
        elif export_rows is not None:
            objects = export_rows(queryset)
        else:
            objects = export_chunks(queryset, attach=attach)
        return csv_response(
            filename=csv_filename,
            header=[column.label for column in exported],
            rows=([column.value(obj) for column in exported] for obj in objects),
        )
    paginator = KeysFirstPaginator(rows, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    if attach is not None and row_sort is None:
        page.object_list = list(page.object_list)
        attach(page.object_list)
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page_obj": page,
            "object_list": page.object_list,
            "columns": columns,
            "current_sort": current_sort,
            "is_filtered": any(
                value
                for key, value in request.GET.items()
                if key not in {"page", "sort"}
            ),
            **(context or {}),
        },
    )
