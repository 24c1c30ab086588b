"""The regional picture: each nation's latest final primary assessment per focus
area as of a day, the one before it, and each nation's open and overdue
recommendations. Read by the picture page and by the regional briefing."""

import datetime
import functools
from dataclasses import dataclass

from django.utils import timezone

from cooperation.charts import sparkline
from cooperation.models import FocusArea, Nation, Recommendation, SituationAssessment

# The assessments of a nation and focus area a cell's sparkline shows, at most.
CELL_HISTORY = 6


@dataclass(frozen=True)
class Cell:
    """A nation's latest assessment of a focus area, the one before it, and the
    last few up to the latest (``history``, oldest first, ``CELL_HISTORY`` at
    most)."""

    latest: SituationAssessment
    previous: SituationAssessment | None
    history: tuple = ()

    @property
    def level_change(self):
        """1 when the threat level rose since the previous assessment, -1 when it
        fell, 0 when it held or there is no previous one."""
        if self.previous is None:
            return 0
        delta = self.latest.threat_level - self.previous.threat_level
        return (delta > 0) - (delta < 0)

    @property
    def trend_changed(self):
        return self.previous is not None and self.previous.trend != self.latest.trend

    @functools.cached_property
    def sparkline(self):
        """The threat levels of ``history`` as a sparkline (``charts.sparkline``),
        computed once though the page reads its drawing and its text."""
        history = self.history or (self.latest,)
        return sparkline([assessment.threat_level for assessment in history])


@dataclass(frozen=True)
class Row:
    nation: Nation
    cells: list  # a Cell or None per focus area shown, in the columns' order
    open_recommendations: int
    overdue_recommendations: int

    @property
    def assessed(self):
        """The focus areas shown and their cells, where there is one (the phone's
        list per nation)."""
        return [cell for cell in self.cells if cell is not None]


def start_of_next_day(day):
    """The first instant after ``day`` in the reader's time zone: a meeting that
    started before it started on or before ``day``."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def latest_cells(user, *, as_of, nations, focus_areas):
    """``{(nation pk, focus area pk): Cell}``: the latest final primary assessment
    of each nation and focus area among the meetings released to ``user`` that
    started on or before ``as_of``, with the one before it and its history. One
    query."""
    assessments = (
        SituationAssessment.objects.visible_to(user)
        .final()
        .primary()
        .filter(
            meeting__starts_at__lt=start_of_next_day(as_of),
            nation__in=[nation.pk for nation in nations],
            focus_area__in=[area.pk for area in focus_areas],
        )
        .latest_per_nation_and_focus_area(depth=CELL_HISTORY)
    )
    nations_by_pk = {nation.pk: nation for nation in nations}
    areas_by_pk = {area.pk: area for area in focus_areas}
    recent = {}  # (nation pk, focus area pk): its assessments, latest first
    for assessment in sorted(assessments, key=lambda a: a.recency):
        # The nation and focus area already read: the cells name them.
        assessment.nation = nations_by_pk[assessment.nation_id]
        assessment.focus_area = areas_by_pk[assessment.focus_area_id]
        key = (assessment.nation_id, assessment.focus_area_id)
        recent.setdefault(key, []).append(assessment)
    return {
        key: Cell(rows[0], rows[1] if len(rows) > 1 else None, tuple(reversed(rows)))
        for key, rows in recent.items()
    }


@dataclass(frozen=True)
class Picture:
    as_of: datetime.date
    columns: list  # the focus areas shown
    rows: list  # a Row per nation shown, in display order
    assessment_total: int


def active_focus_areas():
    return list(FocusArea.objects.filter(is_active=True).in_display_order())


def regional_picture(
    user,
    *,
    as_of,
    today,
    focus_areas,
    region=None,
    focus_slug=None,
    with_recommendations=True,
):
    """The picture released to ``user`` as of ``as_of``, for the nations of
    ``region`` and the focus area ``focus_slug`` (all when None), among
    ``focus_areas`` (``active_focus_areas()``, read by the caller for its form)."""
    shown_areas = focus_areas
    if focus_slug:
        shown_areas = [area for area in focus_areas if area.slug == focus_slug]

    nations = Nation.objects.filter(is_active=True)
    if region:
        nations = nations.filter(region=region)
    nations = list(nations.in_display_order())

    cells = latest_cells(user, as_of=as_of, nations=nations, focus_areas=shown_areas)
    # The columns: the focus areas someone has an assessment of (or the one chosen),
    # so a dozen lines of effort never assessed do not crowd the matrix.
    assessed = {area_pk for _, area_pk in cells}
    columns = [area for area in shown_areas if focus_slug or area.pk in assessed]

    counts = {}
    if with_recommendations:
        addressed = Recommendation.objects.visible_to(user)
        if focus_slug:
            addressed = addressed.filter(focus_area__slug=focus_slug)
        counts = addressed.open_and_overdue_by_nation(today=today)
    rows = [
        Row(
            nation,
            [cells.get((nation.pk, area.pk)) for area in columns],
            *counts.get(nation.pk, (0, 0)),
        )
        for nation in nations
    ]
    return Picture(as_of, columns, rows, len(cells))
