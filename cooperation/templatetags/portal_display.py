"""Small pieces the list and detail pages repeat per row or per column, built in Python.

Each was an ``{% include %}`` (a template looked up, a context pushed, a template
rendered) that a list page ran dozens of times. The markup is unchanged.

- ``{% sort_headers columns %}``: the ``<th>`` of each column; a sortable one links
  to the list sorted by it (again: reversed), keeps the filters, drops the page, and
  says how the list is sorted (``aria-sort`` and ▲/▼).
- ``{% initiative_status i %}``, ``{% recommendation_status r %}``,
  ``{% meeting_status m %}``, ``{% evaluation_rating e %}``,
  ``{% threat_level assessment %}``: badges whose colour always comes with the text.
- ``{% trend assessment %}``, ``{% assessment_dimensions assessment %}``: the overall
  trend, and the trends per dimension that were assessed, each an arrow and its label.
- ``{% recommendation_progress r %}``: a ``<progress>`` bar with its figure as text.
- ``{% nation_links nations %}``: ISO codes linking to the nations' pages.
- ``{% matrix_cells nation cells url %}``: the dashboard's counts by nation and status.
- ``{% meeting_span m %}``: start and end in the active zone (the end's date only when
  it is another day).
- ``{% meeting_when m compact=True %}``: the same (or the start only), and below it
  the meeting's own local time when its zone differs.
- ``{{ obj|display:"field" }}``: what ``obj.get_<field>_display()`` returns.
"""

import datetime
import functools

from babel import dates as babel_dates
from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import time as time_filter
from django.template.defaulttags import querystring
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

register = template.Library()


# ------------------------------------------------------------------ choice labels


@functools.cache
def _choice_labels(options, field_name, language):
    field = options.get_field(field_name)
    return {value: str(label) for value, label in field.flatchoices}


@register.filter
def display(obj, field_name):
    """What ``obj.get_<field_name>_display()`` returns: the label of the field's
    value in the active language. The model method builds a table of the field's
    lazily translated choices on every call; here it is built once per language."""
    value = getattr(obj, field_name)
    try:
        return _choice_labels(obj._meta, field_name, get_language()).get(value, value)
    except TypeError:  # an unhashable value: let the model say what it shows
        return getattr(obj, f"get_{field_name}_display")()


# ------------------------------------------------------------------ sort headers


@register.simple_tag(takes_context=True)
def sort_headers(context, columns):
    """One ``<th scope="col">`` per column (``cooperation.views.common.Column``).

    A sortable column links to ``?sort=<key>``, or ``?sort=-<key>`` when the list is
    already sorted by it, keeping the other parameters (the filters) but the page.
    The column the list is sorted by has ``aria-sort`` and a ▲ (ascending) or ▼.
    """
    current = context.get("current_sort")
    cells = []
    for column in columns:
        key = column.sort
        if not key:
            cells.append(format_html('<th scope="col">{}</th>', column.label))
            continue
        descending = f"-{key}"
        if current == key:
            order, marker, target = "ascending", "▲", descending
        elif current == descending:
            order, marker, target = "descending", "▼", key
        else:
            order, marker, target = None, None, key
        href = querystring(context, sort=target, page=None)
        if order is None:
            cells.append(
                format_html(
                    '<th scope="col"><a class="link-body-emphasis'
                    ' text-decoration-none" href="{}">{}</a></th>',
                    href,
                    column.label,
                )
            )
        else:
            cells.append(
                format_html(
                    '<th scope="col" aria-sort="{}"><a class="link-body-emphasis'
                    ' text-decoration-none" href="{}">{} <span aria-hidden="true">{}'
                    "</span></a></th>",
                    order,
                    href,
                    column.label,
                    marker,
                )
            )
    return _joined("", cells)


# ------------------------------------------------------------------ status badges


def _joined(separator, pieces):
    """``pieces`` (each safe) joined by ``separator`` (escaped), safe."""
    return format_html_join(separator, "{}", ((piece,) for piece in pieces))


def _badge(css_class, label):
    return format_html('<span class="{}">{}</span>', css_class, label)


_INITIATIVE_STATUS = {
    "implementation": "text-bg-primary",
    "completion": "text-bg-info",
    "post_completion": "text-bg-success",
    "cancelled": "text-bg-secondary",
    "suspended": "text-bg-warning",
}
_RECOMMENDATION_STATUS = {
    "implemented": "text-bg-success",
    "rejected": "text-bg-secondary",
    "deferred": "text-bg-light border",
    "in_progress": "text-bg-info",
    "accepted": "text-bg-primary",
}
_MEETING_STATUS = {
    "held": "text-bg-success",
    "cancelled": "text-bg-dark",
    "scheduled": "text-bg-primary",
}
_EVALUATION_RATING = {"on_track": "text-bg-success", "at_risk": "text-bg-warning"}
_THREAT_LEVEL = {4: "text-bg-danger", 3: "text-bg-warning", 2: "text-bg-info"}


def _coloured_badge(obj, field, colours, default, css="badge status-badge"):
    """A badge of ``field``'s label, coloured by its value (``colours``)."""
    colour = colours.get(getattr(obj, field), default)
    return _badge(f"{css} {colour}", display(obj, field))


@register.simple_tag
def initiative_status(initiative):
    return _coloured_badge(
        initiative, "status", _INITIATIVE_STATUS, "text-bg-light border"
    )


@register.simple_tag
def recommendation_status(recommendation):
    return _coloured_badge(
        recommendation, "status", _RECOMMENDATION_STATUS, "text-bg-warning"
    )


@register.simple_tag
def meeting_status(meeting):
    return _coloured_badge(meeting, "status", _MEETING_STATUS, "text-bg-secondary")


@register.simple_tag
def evaluation_rating(evaluation):
    return _coloured_badge(evaluation, "rating", _EVALUATION_RATING, "text-bg-danger")


@register.simple_tag
def threat_level(assessment):
    return _coloured_badge(
        assessment, "threat_level", _THREAT_LEVEL, "text-bg-success", css="badge"
    )


_TREND_ARROWS = {"increasing": "↑", "decreasing": "↓", "stable": "→"}
_DIMENSIONS = ("production_trend", "trafficking_trend", "consumption_trend")


def _trend(obj, field):
    """A trend's arrow (hidden from screen readers, which read the label) and its
    label."""
    arrow = _TREND_ARROWS.get(getattr(obj, field))
    label = display(obj, field)
    if arrow is None:
        return format_html("{}", label)
    return format_html('<span aria-hidden="true">{} </span>{}', arrow, label)


@register.simple_tag
def trend(assessment):
    """The overall trend: an arrow and its label."""
    return _trend(assessment, "trend")


@register.simple_tag
def assessment_dimensions(assessment):
    """The trends per dimension that were assessed, compactly: "Production: ↑
    Increasing · Domestic consumption: → Stable"; empty when none was."""
    options = assessment._meta
    return _joined(
        " · ",
        (
            format_html(
                '<span class="text-nowrap">{}: {}</span>',
                str(options.get_field(field).verbose_name).capitalize(),
                _trend(assessment, field),
            )
            for field in _DIMENSIONS
            if getattr(assessment, field)
        ),
    )


@register.simple_tag
def recommendation_progress(recommendation):
    """Progress as a native ``<progress>`` (no inline style under the CSP) with its
    figure as text; the bar is hidden from screen readers, which read the text."""
    value = conditional_escape(localize(recommendation.progress or 0))
    return format_html(
        '<span class="recommendation-progress text-nowrap"><progress'
        ' class="align-middle" max="100" value="{}" aria-hidden="true">{}%</progress>'
        " <span>{}%</span></span>",
        value,
        value,
        value,
    )


# ------------------------------------------------------------------ nations


@register.simple_tag(takes_context=True)
def nation_links(context, nations):
    """The nations' ISO codes, each a link to its page titled with its name, comma
    separated; a dash when there is none. A page links to the same few nations on
    many rows: each one's address is worked out once per page."""
    urls = context.render_context.setdefault("nation_link_urls", {})
    links = []
    for nation in nations:
        url = urls.get(nation.pk)
        if url is None:
            url = urls[nation.pk] = nation.get_absolute_url()
        links.append(
            format_html(
                '<a href="{}" title="{}">{}</a>',
                url,
                nation.display_name,
                nation.iso_alpha2,
            )
        )
    if not links:
        return "—"
    return _joined(", ", links)


_NO_COUNT = format_html(
    '<td class="text-end"><span class="text-body-secondary">{}</span></td>', 0
)


@register.simple_tag
def matrix_cells(nation, cells, list_url):
    """The dashboard's cells of ``nation``'s row in the matrix of recommendations by
    status: each count links to the list of those recommendations, with a label that
    says what it counts (a screen reader hears "3 Proposed recommendations for
    Colombia", not "3"); a grey 0 when there is none."""
    name = nation.display_name
    code = nation.iso_alpha2
    out = []
    for value, label, count in cells:
        if not count:
            out.append(_NO_COUNT)
            continue
        shown = localize(count)
        aria_label = gettext("%(count)s %(status)s recommendations for %(nation)s") % {
            "count": shown,
            "status": label,
            "nation": name,
        }
        out.append(
            format_html(
                '<td class="text-end"><a href="{}?nation={}&amp;status={}"'
                ' aria-label="{}">{}</a></td>',
                list_url,
                code,
                value,
                aria_label,
                shown,
            )
        )
    return _joined("\n", out)


# ------------------------------------------------------------------ meeting times


def _instant(value, format_name):
    """``{{ value|date:format_name }}`` in the active time zone."""
    return date_filter(timezone.template_localtime(value), format_name)


def _start(meeting):
    return format_html(
        '<time datetime="{}">{}</time>',
        _instant(meeting.starts_at, "c"),
        _instant(meeting.starts_at, "DATETIME_FORMAT"),
    )


@register.simple_tag
def meeting_span(meeting):
    """A meeting's start and end in the active zone; the end's date only when it
    differs from the start's."""
    starts = timezone.template_localtime(meeting.starts_at)
    ends = timezone.template_localtime(meeting.ends_at)
    if date_filter(starts, "Ymd") == date_filter(ends, "Ymd"):
        end_text = time_filter(ends, "TIME_FORMAT")
    else:
        end_text = date_filter(ends, "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}">{}</time> – <time datetime="{}">{}</time>',
        date_filter(starts, "c"),
        date_filter(starts, "DATETIME_FORMAT"),
        date_filter(ends, "c"),
        end_text,
    )


@register.simple_tag
def meeting_when(meeting, compact=False):
    """When a meeting takes place, in the user's zone (its start only when
    ``compact``); below it, in the meeting's own zone when that differs."""
    when = _start(meeting) if compact else meeting_span(meeting)
    if meeting.time_zone == timezone.get_current_timezone_name():
        return when
    with timezone.override(meeting.time_zone):
        if compact:
            local = conditional_escape(_instant(meeting.starts_at, "DATETIME_FORMAT"))
        else:
            local = meeting_span(meeting)
    zone_note = gettext("local time (%(zone)s)") % {"zone": meeting.time_zone}
    return format_html(
        '{}\n  <span class="d-block small text-body-secondary meeting-local-time">'
        "{} {}</span>",
        when,
        local,
        zone_note,
    )


# Characters a CSS string may hold as they are; any other is escaped (``\\hex ``), so
# no text closes the string, the rule or the style element.
_CSS_STRING_SAFE = frozenset(" .,:;-()/·'_")


@register.filter
def css_string(value):
    """``value`` as the content of a double-quoted CSS string in a style element."""
    # Every character is a letter, a digit or escaped.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        "".join(
            char if char.isalnum() or char in _CSS_STRING_SAFE else f"\\{ord(char):x} "
            for char in str(value)
        )
    )


def _babel_locale():
    return translation.to_locale(get_language() or settings.LANGUAGE_CODE)


@register.filter
def long_date(value):
    """A date (or a time, on the reader's calendar) written out in the reader's
    language: "October 20, 2026", "20 de octubre de 2026", "20 de outubro de 2026"
    (CLDR's long format: lowercase months where the language writes them so)."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    return babel_dates.format_date(value, "long", locale=_babel_locale())


@register.filter
def long_datetime(value):
    """A time in the reader's zone, its date written out: "20 de outubro de 2026,
    21:20"."""
    if value in (None, ""):
        return ""
    local = timezone.localtime(value)
    locale = _babel_locale()
    return "{}, {}".format(
        babel_dates.format_date(local.date(), "long", locale=locale),
        babel_dates.format_time(local, "short", locale=locale),
    )
