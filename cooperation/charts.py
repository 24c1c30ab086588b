"""Server-rendered SVG charts: no JavaScript, nothing from outside, works under CSP."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import SituationAssessment

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


@dataclass
class Point:
    x: float
    y: float
    label: str


@dataclass
class Series:
    name: str
    colour: str
    points: list[Point] = field(default_factory=list)

    @property
    def polyline(self):
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class ThreatChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    levels: list[tuple[float, str]]
    columns: list[tuple[float, str]]
    series: list[Series]


def threat_chart(assessments, *, width=720, height=240):
    """Threat level per focus area across meetings, oldest meeting on the left.

    ``assessments``: SituationAssessment rows of one nation with ``meeting`` and
    ``focus_area`` selected. Returns None when there is nothing to draw.
    """
    rows = sorted(assessments, key=lambda a: (a.meeting.starts_at, a.meeting_id))
    if not rows:
        return None
    left, top, right, bottom = 90, 16, 16, 56
    plot_width = width - left - right
    plot_height = height - top - bottom
    meetings = []
    for assessment in rows:
        if assessment.meeting not in meetings:
            meetings.append(assessment.meeting)
    step = plot_width / max(len(meetings) - 1, 1)
    x_of = {
        meeting.pk: left + (index * step if len(meetings) > 1 else plot_width / 2)
        for index, meeting in enumerate(meetings)
    }
    levels = SituationAssessment.ThreatLevel
    lowest, highest = min(levels.values), max(levels.values)

    def y_of(level):
        return top + plot_height * (highest - level) / (highest - lowest)

    series_by_area = {}
    for assessment in rows:
        series = series_by_area.get(assessment.focus_area_id)
        if series is None:
            series = Series(
                name=assessment.focus_area.name,
                colour=PALETTE[len(series_by_area) % len(PALETTE)],
            )
            series_by_area[assessment.focus_area_id] = series
        series.points.append(
            Point(
                x=x_of[assessment.meeting_id],
                y=y_of(assessment.threat_level),
                label=_("%(area)s, %(meeting)s: %(level)s")
                % {
                    "area": assessment.focus_area.name,
                    "meeting": assessment.meeting.title,
                    "level": assessment.get_threat_level_display(),
                },
            )
        )
    return ThreatChart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        levels=[(y_of(value), label) for value, label in levels.choices],
        columns=[(x_of[m.pk], m.starts_at.date().isoformat()) for m in meetings],
        series=list(series_by_area.values()),
    )
