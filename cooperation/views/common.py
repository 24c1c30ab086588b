"""Helpers shared by the list pages: sorting, pagination, CSV export.

Every list page is the same shape: a FilterSet over a ``visible_to(user)`` queryset,
a whitelisted sort, a page of rows with the total count, and the same filtered rows as
CSV when ``?format=csv`` is asked for.
"""

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

PER_PAGE = 25
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


def apply_sort(request, queryset, *, sort_fields: dict[str, Sequence[str]], default):
    """Order by the ``?sort=`` key when it is one we offer (``-key`` for descending)."""
    requested = request.GET.get("sort", "")
    key = requested.removeprefix("-")
    if key not in sort_fields:
        requested = default
        key = default.removeprefix("-")
    descending = requested.startswith("-")
    ordering = [
        f"-{field}" if descending != field.startswith("-") else field.removeprefix("-")
        for field in sort_fields[key]
    ]
    return queryset.order_by(*ordering, "pk"), requested


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
) -> HttpResponse:
    """Render a filtered, sorted, paginated list, or export its rows as CSV."""
    if filterset.is_bound and not filterset.is_valid():
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.qs
    queryset, current_sort = apply_sort(
        request, queryset, sort_fields=sort_fields, default=default_sort
    )
    if request.GET.get("format") == "csv":
        exported = [column for column in columns if column.value is not None]
        return csv_response(
            filename=csv_filename,
            header=[column.label for column in exported],
            rows=(
                [column.value(obj) for column in exported]
                for obj in queryset.iterator(chunk_size=500)
            ),
        )
    paginator = Paginator(queryset, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
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
