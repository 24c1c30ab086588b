"""The regional picture: each nation's latest assessment per focus area, as of a day."""

import datetime
from dataclasses import dataclass

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperation.forms.picture import RegionalPictureForm
from cooperation.models import FocusArea, Nation, Recommendation, SituationAssessment


@dataclass(frozen=True)
class Cell:
    """A nation's latest assessment of a focus area, and the one before it."""

    latest: SituationAssessment
    previous: SituationAssessment | None

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
    started on or before ``as_of``, with the one before it. One query."""
    assessments = (
        SituationAssessment.objects.visible_to(user)
        .final()
        .primary()
        .filter(
            meeting__starts_at__lt=start_of_next_day(as_of),
            nation__in=[nation.pk for nation in nations],
            focus_area__in=[area.pk for area in focus_areas],
        )
        .latest_per_nation_and_focus_area(depth=2)
    )
    nations_by_pk = {nation.pk: nation for nation in nations}
    areas_by_pk = {area.pk: area for area in focus_areas}
    latest, previous = {}, {}
    for assessment in assessments:
        # The nation and focus area already read: the cells name them.
        assessment.nation = nations_by_pk[assessment.nation_id]
        assessment.focus_area = areas_by_pk[assessment.focus_area_id]
        key = (assessment.nation_id, assessment.focus_area_id)
        (latest if assessment.recency == 1 else previous)[key] = assessment
    return {key: Cell(row, previous.get(key)) for key, row in latest.items()}


@require_GET
def regional_picture(request):
    user = request.user
    today = timezone.localdate()
    focus_areas = list(FocusArea.objects.filter(is_active=True).order_by("name"))
    form = RegionalPictureForm(
        request.GET or None, initial={"as_of": today}, focus_areas=focus_areas
    )
    choices = form.choices()
    as_of = choices.get("as_of", today)
    region = choices.get("region")
    focus_slug = choices.get("focus_area")
    if focus_slug:
        focus_areas = [area for area in focus_areas if area.slug == focus_slug]

    nations = Nation.objects.filter(is_active=True)
    if region:
        nations = nations.filter(region=region)
    nations = list(nations.in_display_order())

    cells = latest_cells(user, as_of=as_of, nations=nations, focus_areas=focus_areas)
    # The columns: the focus areas someone has an assessment of (or the one chosen),
    # so a dozen lines of effort never assessed do not crowd the matrix.
    assessed = {area_pk for _, area_pk in cells}
    columns = [area for area in focus_areas if focus_slug or area.pk in assessed]

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
    return render(
        request,
        "cooperation/regional_picture.html",
        {
            "form": form,
            "as_of": as_of,
            "is_today": as_of == today,
            "focus_slug": focus_slug,
            "columns": columns,
            "rows": rows,
            "assessment_total": len(cells),
            "open_statuses": Recommendation.OPEN_STATUSES,
        },
    )
