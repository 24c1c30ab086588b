"""The list pages' one machinery: sorting, pagination, CSV export.

Every list page is the same shape, declared once as a ``ListSpec``: a FilterSet over a
``visible_to(user)`` queryset, the columns (each with its header, the sort it offers
and its CSV value), a page of rows with the total count, and the same filtered rows as
CSV when ``?format=csv`` is asked for. ``list_page`` renders any of them; their pages
share ``includes/_list_table.html`` (sort headers, rows, pagination) and
``includes/_filter_form.html`` (the filters and the CSV link).

Cost at volume: each sort key has an index (see the models' ``Meta.indexes``), the
count and the choice of a page's rows run without the per-row annotations
(``KeysFirstPaginator``), and the CSV streams in chunks (``export_chunks``) whose
related rows are read once per chunk, as tuples.
"""

import csv
import functools
import hashlib
import io
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import KW_ONLY, dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import F, OrderBy, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from cooperation import page_cache
from cooperation.counts import (
    cache_add,
    cache_delete,
    cache_get,
    cache_set,
    cached_count,
    current_generation,
)
from cooperation.models import User
from cooperation.models.base import VIEW_ALL_PERMISSION

PER_PAGE = 25
# Rows of a CSV export read, and their related rows looked up, at a time.
EXPORT_CHUNK = 2000
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A list column: its header, the sort it offers and its CSV value.

    ``sort`` is the ``?sort=`` key (None: not sortable) and ``order_by`` what it
    orders by: field names (``"-field"`` descending) or ``OrderBy`` expressions such
    as ``nulls_last("due_date")``; ``?sort=-key`` reverses each of them.
    ``value(row)`` is the CSV cell (None: not exported), headed ``csv_label`` when
    the CSV names it otherwise than the table; ``in_table=False`` exports it only.

    ``row_sort(row)`` sorts by a value the database does not hold: the whole
    filtered list is then read and sorted in Python, so it is only for short
    reference tables (the nations), never for records that grow; ``order_by`` then
    gives the order of ties.
    """

    label: str
    sort: str | None = None
    value: Callable[[object], object] | None = None
    _: KW_ONLY
    order_by: Sequence[str | OrderBy] = ()
    csv_label: str | None = None
    in_table: bool = True
    row_sort: Callable[[object], object] | None = None

    @property
    def csv_header(self):
        return self.csv_label or self.label


@dataclass(frozen=True)
class ListSpec:
    """One list page, declared once.

    ``queryset(user, *, exporting, sort)`` gives the rows released to ``user`` with
    what the table (or, ``exporting``, the CSV) reads, for the ``sort`` key in force.
    ``export_rows(queryset)`` gives the objects the CSV columns read (by default
    ``export_chunks(queryset)``). ``attach(rows, user=…)`` sets on the rows shown or
    exported what they read from elsewhere (e.g. counts from a cached grouped query).
    ``context(request)`` adds to what ``template`` receives.
    """

    filterset: type
    queryset: Callable[..., QuerySet]
    columns: Sequence[Column]
    default_sort: str
    template: str
    csv_filename: str
    export_rows: Callable[[QuerySet], Iterable[object]] | None = None
    attach: Callable[..., None] | None = None
    context: Callable[[HttpRequest], dict] | None = None

    def __post_init__(self):
        for column in self.columns:
            if column.sort and not column.order_by:
                raise ValueError(f"Column {column.sort!r} sorts by nothing.")
        if self.default_sort.removeprefix("-") not in self.sort_fields:
            raise ValueError(f"No column sorts by {self.default_sort!r}.")

    @property
    def sort_fields(self) -> dict[str, Sequence[str | OrderBy]]:
        """The sort whitelist: ``{key: what it orders by}``."""
        return {column.sort: column.order_by for column in self.columns if column.sort}

    @property
    def table_columns(self) -> list[Column]:
        return [column for column in self.columns if column.in_table]

    @property
    def csv_columns(self) -> list[Column]:
        return [column for column in self.columns if column.value is not None]

    def requested_sort(self, request) -> str:
        """The ``?sort=`` key (``-key`` descending) when it is one the list offers,
        else the default."""
        requested = request.GET.get("sort", "")
        if requested.removeprefix("-") in self.sort_fields:
            return requested
        return self.default_sort


def safe_cell(value):
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


# Rows of a CSV export sent as one piece: one write to the client per piece rather
# than per row (measured: a 20,009-row export under gunicorn took 4.2 s row by row).
CSV_ROWS_PER_PIECE = 500


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    def stream():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # BOM, so spreadsheet programs read UTF-8 accents right
        writer.writerow([str(label) for label in header])
        for piece in itertools.batched(rows, CSV_ROWS_PER_PIECE):
            writer.writerows([safe_cell(cell) for cell in row] for row in piece)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()  # the header of an empty export

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
    pairs = through.objects.filter(
        **{f"{field.m2m_field_name()}__pk__any_of": keys}
    ).values_list(source, target)
    groups = grouped((key, names[target_pk]) for key, target_pk in pairs)
    return {key: [name for _, name in sorted(values)] for key, values in groups.items()}


def owner_names(objects):
    """``{pk: name}`` of the users who own ``objects`` (by their ``owner_id``), as
    ``str(user)`` shows them; one query for the distinct owners of a chunk."""
    owners = {obj.owner_id for obj in objects}
    rows = User.objects.filter(pk__any_of=list(owners)).values_list(
        "pk", "first_name", "last_name", "username"
    )
    return {pk: User.display_name(*names) for pk, *names in rows}


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


def ordered(queryset, order_by: Sequence[str | OrderBy], *, descending=False):
    """``queryset`` ordered by ``order_by``, each part reversed when
    ``descending``, then by key, so that every page is well defined."""
    ordering = [_ordering(field, descending) for field in order_by]
    return queryset.order_by(*ordering, "pk")


class KeysFirstPaginator(Paginator):
    """A paginator whose page picks its rows' keys first, then reads those rows.

    A list's queryset carries per-row annotations (subqueries for the lead nation,
    visible source titles, counts…). With a plain ``OFFSET``, the database computes
    them for every row it skips, so page 400 costs 400 pages. Here the page is
    ``pk IN (the page's keys, by OFFSET over the filter and the sort alone)``, in the
    same single query: the annotations run for the rows shown only. The count is
    kept per data generation (``cooperation.counts``).

    The queryset must be ordered (``ordered`` always ends with ``pk``); a
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
        return Page(self.object_list.filter(pk__in=keys), number, self)


def reader_cache_key(request) -> str | None:
    """What any page fragment kept in the cache depends on, reader-wise: the data
    generation (any write renews it, ``cooperation.counts``), the reader's
    releasability (their nation, or everything), language and time zone. None when
    the cache does not answer (or ``PAGE_FRAGMENT_CACHE`` is off): then nothing
    is kept."""
    if not settings.PAGE_FRAGMENT_CACHE:
        return None
    generation = current_generation()
    if generation is None:
        return None
    user = request.user
    scope = (
        "all"
        if user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION)
        else f"nation-{user.nation_id}"
    )
    return "|".join(
        [generation, scope, get_language(), timezone.get_current_timezone_name()]
    )


def filter_form_cache_key(request) -> str | None:
    """What a list's rendered filter form depends on, to keep it in the cache
    (``{% cache %}`` in ``includes/_filter_form.html``); None: do not keep it.

    The form is a GET form (no CSRF token) drawn from the query string alone; a
    chosen meeting or initiative is named only when released to the reader, hence
    the reader's part of the key (``reader_cache_key``)."""
    reader = reader_cache_key(request)
    if reader is None:
        return None
    return f"{reader}|{request.path}|{request.GET.urlencode()}"


# How long a list's rendered content is kept: its rows can depend on the time (an
# overdue badge, a meeting under way), so kept content is at most this old.
LIST_TABLE_SECONDS = 60


def cached_fragment(
    request,
    name: str,
    template_name: str,
    context: Callable[[], dict],
    *,
    per_reader: bool,
) -> bytes:
    """``template_name`` rendered with ``context()`` and encoded (UTF-8), kept for a
    minute (``LIST_TABLE_SECONDS``) under ``reader_cache_key``, the reader's
    permissions and the page's address: shared by the readers of one
    releasability, role, language and time zone, or (``per_reader``) the reader's
    own, for content that is (the dashboard, a page with the reader's own answers
    or rights). Forms in it carry the reader's own CSRF token and come back to the
    page, styles the response's CSP nonce (``cooperation.page_cache``). The page
    is served with it by ``render_with_parts``."""
    return cached_fragments(
        request, name, [template_name], context, per_reader=per_reader
    )[0]


def cached_fragments(
    request,
    name: str,
    template_names: Sequence[str],
    context: Callable[[], dict],
    *,
    per_reader: bool,
) -> list[bytes]:
    """``cached_fragment`` of several templates drawn with one ``context()``."""

    def draw():
        values = {
            **context(),
            "csrf_token": page_cache.csrf_mark(),
            "csp_nonce": page_cache.nonce_mark(),
        }
        return [
            render_to_string(template_name, values, request=request).encode()
            for template_name in template_names
        ]

    reader = reader_cache_key(request)
    if reader is None:
        parts = draw()
    else:
        owner = f"user-{request.user.pk}" if per_reader else ""
        permissions = "|".join(sorted(request.user.get_all_permissions()))
        digest = hashlib.sha256(
            "|".join(
                [name, reader, owner, permissions, request.get_full_path()]
            ).encode()
        )
        parts = kept(f"cooperation:page-part:{digest.hexdigest()}", draw)
    return [page_cache.encoded_with_request_values(html, request) for html in parts]


def render_with_parts(
    request,
    template_name: str,
    context: dict,
    parts: dict[str, bytes],
) -> HttpResponse:
    """``template_name`` rendered with ``context`` and each kept part (a
    ``cached_fragment``) given as the template variable it is keyed by: the page
    around the parts is rendered and the parts' bytes put in their places
    (``page_cache.spliced``), never decoded."""
    page = render_to_string(
        template_name,
        {**context, **{name: page_cache.part_mark(name) for name in parts}},
        request=request,
    )
    return HttpResponse(page_cache.spliced(page, parts))


# How long the other readers may still be given a part a minute old while one
# request draws it again (``kept``); a draw that fails lets the next one try after it.
REDRAW_LOCK_SECONDS = 10
# When there is no part to give (the first requests after a write, which renews the
# data generation and so every key), how long the others wait for the one drawing it
# before drawing it themselves, and how often they look.
DRAW_WAIT_SECONDS = 5
DRAW_POLL_SECONDS = 0.02


def kept(key: str, draw: Callable[[], list]) -> list:
    """What ``draw()`` returned, kept under ``key`` (which names the data
    generation, so any write means a new key) and drawn again once it is a minute
    old (``LIST_TABLE_SECONDS``).

    One request draws a part while the others, rather than all drawing the same
    part at once, wait for it: after a write, when there is none yet (they are then
    given the new one, never what was drawn before the write), or are still given
    the kept one, when it is a minute old, for the seconds that draw takes. Each
    part's minute starts when it is drawn, so the parts of all pages do not expire
    together."""
    lock = f"{key}:redraw"
    now = time.time()
    entry = cache_get(key)
    if entry is None and not cache_add(lock, 1, REDRAW_LOCK_SECONDS):
        entry = _drawn_by_another(key, lock)
        if entry is not None:
            return entry[1]
        # The one drawing it failed or is slow: draw it here as well.
        return _draw(key, draw, time.time())
    if entry is not None:
        drawn_at, parts = entry
        fresh = now - drawn_at < LIST_TABLE_SECONDS
        if fresh or not cache_add(lock, 1, REDRAW_LOCK_SECONDS):
            return parts
        # A part a minute old is still given to the others if this draw fails,
        # until its claim ends.
        return _draw(key, draw, now, release=lock)
    try:
        return _draw(key, draw, now, release=lock)
    except BaseException:
        # No part to give: the ones waiting for this draw draw it themselves.
        cache_delete(lock)
        raise


def _draw(key, draw, now, *, release=None):
    parts = draw()
    cache_set(key, (now, parts), LIST_TABLE_SECONDS + REDRAW_LOCK_SECONDS)
    if release:
        cache_delete(release)
    return parts


def _drawn_by_another(key: str, lock: str):
    """The entry another request is drawing under ``key``, once it is kept; None if
    that request gave up (its claim, ``lock``, is gone) or ``DRAW_WAIT_SECONDS``
    went by."""
    deadline = time.monotonic() + DRAW_WAIT_SECONDS
    while True:
        entry = cache_get(key)
        if entry is not None:
            return entry
        if cache_get(lock) is None:
            # Released: the part was kept since the look above (the one drawing
            # keeps it, then releases its claim), or that request gave up.
            return cache_get(key)
        if time.monotonic() >= deadline:
            return None
        time.sleep(DRAW_POLL_SECONDS)


def kept_page(
    request,
    template_name: str,
    context: Callable[[], dict],
    *,
    page: dict,
    per_reader: bool = True,
    parts: Sequence[str] = ("content",),
) -> HttpResponse:
    """A record's page whose content is kept by ``cached_fragment``: each of
    ``parts``, a ``{% partialdef <part> inline %}`` of ``template_name`` (the
    ``content`` block's, and the title's or head's when they need the content's
    data), given to the page as ``kept_<part>``. ``page`` is what the rest of the
    page (title, breadcrumbs) needs, read on every request with the access check
    that found the record."""
    kept = cached_fragments(
        request,
        f"page:{template_name}",
        [f"{template_name}#{part}" for part in parts],
        context,
        per_reader=per_reader,
    )
    return render_with_parts(
        request,
        template_name,
        page,
        {f"kept_{part}": html for part, html in zip(parts, kept, strict=True)},
    )


class AttachedRows(Sequence):
    """The rows of ``queryset`` completed by ``attach(rows)``, read on first use."""

    def __init__(self, queryset, attach):
        self.queryset = queryset
        self.attach = attach

    @functools.cached_property
    def rows(self) -> list:
        rows = list(self.queryset)
        self.attach(rows)
        return rows

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self):
        return len(self.rows)


def list_page(request, spec: ListSpec) -> HttpResponse:
    """Render the list ``spec`` declares, filtered, sorted and paginated, or export
    its rows as CSV (``?format=csv``).

    The list's content (``#list_content`` of its template: the filter form, then
    the table or what says it is empty) is kept rendered for a minute
    (``cached_fragment``): the next reader of the same releasability, role,
    language, time zone and address reads it from the cache, without a query."""
    if request.GET.get("format") == "csv":
        return _list_export(request, spec)
    content = cached_fragment(
        request,
        "list",
        f"{spec.template}#list_content",
        lambda: _list_context(request, spec),
        # "Mine" is the reader's own.
        per_reader=bool(request.GET.get("mine")),
    )
    return render_with_parts(request, spec.template, {}, {"list_content": content})


def _list_rows(request, spec: ListSpec, *, exporting: bool):
    """The filter set, the ordered rows, the sort asked for and ``attach`` (None
    when the rows were read and completed already, to be sorted in Python)."""
    user = request.user
    current_sort = spec.requested_sort(request)
    key = current_sort.removeprefix("-")
    descending = current_sort.startswith("-")
    filterset = spec.filterset(
        request.GET or None,
        queryset=spec.queryset(user, exporting=exporting, sort=key),
        request=request,
    )
    if filterset.is_bound and not filterset.is_valid():
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.qs
    queryset = ordered(queryset, spec.sort_fields[key], descending=descending)
    attach = functools.partial(spec.attach, user=user) if spec.attach else None
    row_sort = next(
        (column.row_sort for column in spec.columns if column.sort == key), None
    )
    if row_sort is None:
        return filterset, queryset, current_sort, attach
    rows = list(queryset)
    if attach is not None:
        attach(rows)
    rows.sort(key=row_sort, reverse=descending)
    return filterset, rows, current_sort, None


def _list_export(request, spec: ListSpec) -> HttpResponse:
    _, rows, _, attach = _list_rows(request, spec, exporting=True)
    if not isinstance(rows, QuerySet):
        objects = rows
    elif spec.export_rows is not None:
        objects = spec.export_rows(rows)
    else:
        objects = export_chunks(rows, attach=attach)
    columns = spec.csv_columns
    return csv_response(
        filename=spec.csv_filename,
        header=[column.csv_header for column in columns],
        rows=([column.value(obj) for column in columns] for obj in objects),
    )


def _list_context(request, spec: ListSpec) -> dict:
    """What ``#list_content`` of the list's template shows."""
    filterset, rows, current_sort, attach = _list_rows(request, spec, exporting=False)
    paginator = KeysFirstPaginator(rows, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    if attach is not None:
        # Read (and completed) when the table is drawn.
        page.object_list = AttachedRows(page.object_list, attach)
    return {
        "filter": filterset,
        "page_obj": page,
        "object_list": page.object_list,
        "table_columns": spec.table_columns,
        "current_sort": current_sort,
        "filter_cache_key": filter_form_cache_key(request),
        "is_filtered": any(
            value for name, value in request.GET.items() if name not in {"page", "sort"}
        ),
        **(spec.context(request) if spec.context else {}),
    }
