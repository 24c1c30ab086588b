"""Server-rendered SVG charts: no JavaScript, nothing from outside, works under CSP.

The geometry is computed here and drawn by the templates; every chart also has a
text alternative and a table or badge that gives the same figures.

- ``threat_charts(assessments)``: the nation page's small multiples, one chart of
  threat level over time per focus area, on a time axis shared by all of them.
- ``sparkline(levels)``: the regional picture's tiny line of a nation and focus
  area's last few threat levels, oldest first.
"""

import functools
import itertools
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext

from .models import SituationAssessment
from .models.nations import collation_key

ThreatLevel = SituationAssessment.ThreatLevel

# Colour-blind-safe palette (Okabe-Ito); every series also carries its name as text.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#F0E442",
]
# A point of a given threat level: the colours of the ``{% threat_level %}`` badges
# (Bootstrap's success, info, warning, danger). The level is always also told by
# the point's height and in text; the dark outline keeps amber and cyan at 3:1.
LEVEL_COLOURS = {1: "#198754", 2: "#0dcaf0", 3: "#ffc107", 4: "#dc3545"}
LINE_COLOUR = PALETTE[0]
LOWEST, HIGHEST = min(ThreatLevel.values), max(ThreatLevel.values)


def short_date(moment):
    """A meeting's start as the reader's short date (``20/10/2026`` in es and
    pt-BR, ``10/20/2026`` in en): numbers only, never an ISO date or a month name."""
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def axis_date(moment):
    """The same, with a two-digit year (``20/10/26``, ``10/20/26``): the labels
    under a chart, where four must fit across a phone."""
    return date_format(
        timezone.localtime(moment), get_format("SHORT_DATE_FORMAT").replace("Y", "y")
    )


def level_label(level):
    return ThreatLevel(level).label


def level_change(latest, previous):
    """1 when the threat level rose from ``previous`` to ``latest``, -1 when it
    fell, 0 when it held or there is no previous one."""
    if previous is None:
        return 0
    delta = latest.threat_level - previous.threat_level
    return (delta > 0) - (delta < 0)


def change_text(latest, previous):
    """The change since the previous assessment, in words."""
    if previous is None:
        return gettext("First assessment")
    change = level_change(latest, previous)
    if change > 0:
        return gettext("Up from %(level)s") % {
            "level": level_label(previous.threat_level)
        }
    if change < 0:
        return gettext("Down from %(level)s") % {
            "level": level_label(previous.threat_level)
        }
    return gettext("No change")


def thin_labels(positions, *, min_gap, most):
    """Which of ``positions`` (ascending x) get a label: the first and the last,
    and between them as many as fit (``most`` in all) evenly spread, each at least
    ``min_gap`` from the next; the last alone when the first is too close to it.
    Returns their indexes, ascending."""
    if not positions:
        return []
    first, last = positions[0], positions[-1]
    indexes = range(len(positions))
    for count in range(min(most, len(positions)), 1, -1):
        targets = [first + (last - first) * j / (count - 1) for j in range(count)]
        chosen = sorted(
            {min(indexes, key=lambda i: (abs(positions[i] - t), -i)) for t in targets}
        )
        if len(chosen) == count and all(
            positions[b] - positions[a] >= min_gap
            for a, b in itertools.pairwise(chosen)
        ):
            return chosen
    return [len(positions) - 1]


# ------------------------------------------------------------- the nation's charts


@dataclass
class Point:
    x: float
    y: float
    level: int
    date: str  # the meeting's short date
    label: str  # the point's tooltip


@dataclass
class AreaChart:
    """Threat level over time of one focus area of a nation."""

    name: str
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    levels: list[tuple[float, str]]  # (y, label) of each threat level, highest first
    columns: list[tuple[float, str]]  # (x, date) of the meetings labelled: the
    # same on every chart of the nation
    points: list[Point]  # oldest first
    latest: SituationAssessment
    previous: SituationAssessment | None
    colour: str = LINE_COLOUR

    @property
    def polyline(self):
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last_point(self):
        return self.points[-1]

    @property
    def last_colour(self):
        return LEVEL_COLOURS[self.latest.threat_level]

    @property
    def level_change(self):
        return level_change(self.latest, self.previous)

    @property
    def change(self):
        return change_text(self.latest, self.previous)

    @property
    def description(self):
        """The chart's text alternative: the latest level, the change, the span."""
        count = len(self.points)
        first = self.points[0]
        return " ".join(
            [
                gettext("Latest assessment, %(date)s: %(level)s.")
                % {
                    "date": short_date(self.latest.meeting.starts_at),
                    "level": self.latest.get_threat_level_display(),
                },
                f"{self.change}.",
                ngettext(
                    "%(count)d assessment shown, the first %(date)s.",
                    "%(count)d assessments shown, the first %(date)s.",
                    count,
                )
                % {"count": count, "date": first.date},
            ]
        )


CHART_WIDTH, CHART_HEIGHT = 360, 170
# Room for the level names on the left and for half a date right of the last point.
CHART_MARGINS = {"left": 74, "top": 14, "right": 40, "bottom": 34}
# A date label (``20/10/26``) is at most about 66 units wide at the charts' font
# size: labels at least this far apart do not touch.
CHART_LABEL_GAP, CHART_MOST_LABELS = 74, 4


def threat_charts(assessments, *, width=CHART_WIDTH, height=CHART_HEIGHT):
    """One chart per focus area (by name) of a nation's threat level, oldest
    meeting on the left, on a time axis shared by all the charts so that they
    compare at a glance.

    ``assessments``: SituationAssessment rows of one nation with ``meeting`` and
    ``focus_area`` selected, at most one per focus area and meeting (the primary
    concern). Reads nothing more. Returns an empty list when there is nothing.
    """
    rows = sorted(assessments, key=lambda a: (a.meeting.starts_at, a.meeting_id))
    if not rows:
        return []
    margins = CHART_MARGINS
    left, top = margins["left"], margins["top"]
    plot_width = width - left - margins["right"]
    plot_height = height - top - margins["bottom"]
    start, end = rows[0].meeting.starts_at, rows[-1].meeting.starts_at
    span = (end - start).total_seconds()

    def x_of(moment):
        if not span:
            return left + plot_width / 2
        return left + plot_width * (moment - start).total_seconds() / span

    def y_of(level):
        return top + plot_height * (HIGHEST - level) / (HIGHEST - LOWEST)

    levels = [(y_of(value), label) for value, label in reversed(ThreatLevel.choices)]
    # The time axis, the same under every chart: the dates of a few meetings.
    moments = sorted({assessment.meeting.starts_at for assessment in rows})
    labelled = thin_labels(
        [x_of(moment) for moment in moments],
        min_gap=CHART_LABEL_GAP,
        most=CHART_MOST_LABELS,
    )
    columns = [(x_of(moments[i]), axis_date(moments[i])) for i in labelled]
    by_area = {}
    for assessment in rows:
        by_area.setdefault(assessment.focus_area_id, []).append(assessment)
    charts = []
    # By the focus area's name in the reader's language.
    for area_rows in sorted(
        by_area.values(), key=lambda r: collation_key(r[0].focus_area.display_name)
    ):
        points = []
        for assessment in area_rows:
            date = short_date(assessment.meeting.starts_at)
            points.append(
                Point(
                    x=x_of(assessment.meeting.starts_at),
                    y=y_of(assessment.threat_level),
                    level=assessment.threat_level,
                    date=date,
                    label=gettext("%(meeting)s, %(date)s: %(level)s")
                    % {
                        "meeting": assessment.meeting.title,
                        "date": date,
                        "level": assessment.get_threat_level_display(),
                    },
                )
            )
        charts.append(
            AreaChart(
                name=area_rows[0].focus_area.display_name,
                width=width,
                height=height,
                left=left,
                top=top,
                plot_width=plot_width,
                plot_height=plot_height,
                levels=levels,
                columns=columns,
                points=points,
                latest=area_rows[-1],
                previous=area_rows[-2] if len(area_rows) > 1 else None,
            )
        )
    return sorted(charts, key=lambda chart: chart.name.casefold())


# ------------------------------------------------------------- the picture's sparks


@dataclass
class Sparkline:
    """A line of threat levels, oldest first, right-aligned in ``slots`` places so
    that the latest points of every cell line up."""

    width: int
    height: int
    levels: list[int]
    points: list[tuple[float, float]] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)  # the y of each threat level

    @property
    def polyline(self):
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)

    @property
    def last_point(self):
        return self.points[-1]

    @property
    def last_colour(self):
        return LEVEL_COLOURS[self.levels[-1]]

    @functools.cached_property
    def svg(self):
        """The drawing (its text alternative as its title), built here rather than
        in a template: the picture draws hundreds (a nation per row, a focus area per
        column). Kept small for that reason: the background and the level lines are the
        page's one ``sparkline_grid()``, the line's and the dot's strokes are the
        ``.sparkline`` rules of ``portal.css``."""
        line = (
            format_html('<polyline points="{}"/>', self.polyline)
            if len(self.points) > 1
            else ""
        )
        last_x, last_y = self.last_point
        return format_html(
            '<svg class="d-block sparkline" width="{}" height="{}" viewBox="0 0 {} {}" '
            'aria-hidden="true" focusable="false"><title>{}</title>'
            '<use href="#{}"/>{}<circle cx="{}" cy="{}" r="3.5" fill="{}"/></svg>',
            self.width,
            self.height,
            self.width,
            self.height,
            self.text,
            SPARK_GRID_ID,
            line,
            f"{last_x:.1f}",
            f"{last_y:.1f}",
            self.last_colour,
        )

    @property
    def text(self):
        """The text alternative: "Threat level over the last 4 assessments:
        Moderate, High, High, Critical"."""
        count = len(self.levels)
        return ngettext(
            "Threat level at %(count)d assessment: %(levels)s",
            "Threat level over the last %(count)d assessments: %(levels)s",
            count,
        ) % {
            "count": count,
            "levels": ", ".join(str(level_label(level)) for level in self.levels),
        }


SPARK_WIDTH, SPARK_HEIGHT, SPARK_SLOTS = 96, 24, 6
# The element every sparkline of a page draws first (``<use>``): see sparkline_grid.
SPARK_GRID_ID = "sparkline-grid"


def sparkline_grid(*, width=SPARK_WIDTH, height=SPARK_HEIGHT):
    """What every sparkline of a page draws behind its line: a light background
    and one white line per threat level. Put once on a page that shows sparklines,
    where each draws it by reference, rather than repeated in each of hundreds."""
    grid = format_html_join(
        "",
        '<line x1="2" x2="{}" y1="{}" y2="{}"/>',
        (
            (width - 2, f"{y:.1f}", f"{y:.1f}")
            for y in sparkline([], width=width, height=height).grid
        ),
    )
    return format_html(
        '<svg width="0" height="0" class="position-absolute" aria-hidden="true" '
        'focusable="false"><defs><g id="{}"><rect width="{}" height="{}" rx="3" '
        'fill="#f1f3f5"/><g stroke="#fff">{}</g></g></defs></svg>',
        SPARK_GRID_ID,
        width,
        height,
        grid,
    )


def sparkline(levels, *, width=SPARK_WIDTH, height=SPARK_HEIGHT, slots=SPARK_SLOTS):
    """The geometry of a sparkline of ``levels`` (threat levels, oldest first; the
    last ``slots`` are drawn): the highest level at the top, the latest point at
    the right edge."""
    levels = list(levels)[-slots:]
    pad = 4  # the last point's radius and its outline
    step = (width - 2 * pad) / max(slots - 1, 1)
    count = len(levels)

    def y_of(level):
        return pad + (height - 2 * pad) * (HIGHEST - level) / (HIGHEST - LOWEST)

    points = [
        (width - pad - (count - 1 - index) * step, y_of(level))
        for index, level in enumerate(levels)
    ]
    return Sparkline(
        width=width,
        height=height,
        levels=levels,
        points=points,
        grid=[y_of(level) for level in ThreatLevel.values],
    )
