"""The SVG charts' geometry and words: the nation page's small multiples (threat
level over time per focus area) and the regional picture's sparklines."""

import datetime
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cooperation.charts import (
    CHART_LABEL_GAP,
    CHART_MOST_LABELS,
    SPARK_GRID_ID,
    SPARK_SLOTS,
    sparkline,
    sparkline_grid,
    thin_labels,
    threat_charts,
)
from cooperation.models import AssessmentMeeting, FocusArea, SituationAssessment
from tests import factories

Level = SituationAssessment.ThreatLevel
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def _noon(year, month, day):
    # Noon UTC: the same day in every zone of the Americas.
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


def _assessments(area, levels_by_day, *, first_meeting_pk=1):
    """Unsaved primary assessments of ``area`` (a FocusArea with a pk), one per
    ``(day, level)``, each at its own meeting: what the nation page reads."""
    return [
        SituationAssessment(
            meeting=AssessmentMeeting(
                pk=first_meeting_pk + index, title=f"Review {day:%Y-%m}", starts_at=day
            ),
            focus_area=area,
            threat_level=level,
        )
        for index, (day, level) in enumerate(levels_by_day)
    ]


NARCOTICS = FocusArea(pk=1, name="Counter-narcotics", slug="narcotics")
CRIME = FocusArea(pk=2, name="Organised crime", slug="crime")
QUARTERS = [
    _noon(2026, 1, 20),
    _noon(2026, 4, 21),
    _noon(2026, 7, 21),
    _noon(2026, 10, 20),
]


# ------------------------------------------------------------------- nation charts


def test_threat_levels_map_to_heights_with_critical_on_top():
    rows = _assessments(
        NARCOTICS,
        zip(
            QUARTERS,
            [Level.LOW, Level.MODERATE, Level.HIGH, Level.CRITICAL],
            strict=True,
        ),
    )

    (chart,) = threat_charts(rows)

    bottom = chart.top + chart.plot_height
    assert [round(p.y, 1) for p in chart.points] == [
        bottom,
        round(bottom - chart.plot_height / 3, 1),
        round(chart.top + chart.plot_height / 3, 1),
        chart.top,
    ]
    assert [label for _, label in chart.levels] == [
        "Critical",
        "High",
        "Moderate",
        "Low",
    ]
    assert [y for y, _ in chart.levels] == sorted(y for y, _ in chart.levels)
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)  # oldest on the left
    assert xs[0] == chart.left
    assert xs[-1] == chart.left + chart.plot_width
    # Small enough that a phone shows its 13-unit text at 11 px or more.
    assert chart.width <= 400


def test_one_chart_per_focus_area_by_name_on_a_shared_time_axis():
    crime = _assessments(CRIME, [(QUARTERS[-1], Level.HIGH)], first_meeting_pk=4)
    narcotics = _assessments(NARCOTICS, zip(QUARTERS, [3, 3, 4, 4], strict=True))

    charts = threat_charts(crime + narcotics)

    assert [chart.name for chart in charts] == ["Counter-narcotics", "Organised crime"]
    narcotics_chart, crime_chart = charts
    assert len(narcotics_chart.points) == 4
    # Organised crime was first assessed at the last meeting: its point is where
    # the last meeting is on every chart.
    (point,) = crime_chart.points
    assert point.x == narcotics_chart.points[-1].x
    # The same dates under every chart, the first meeting's among them.
    assert crime_chart.columns == narcotics_chart.columns
    assert crime_chart.columns[0] == (narcotics_chart.left, "01/20/26")
    assert crime_chart.latest.threat_level == Level.HIGH
    assert crime_chart.previous is None
    assert narcotics_chart.previous.threat_level == Level.CRITICAL


def test_a_single_assessment_is_a_labelled_dot():
    rows = _assessments(NARCOTICS, [(QUARTERS[0], Level.HIGH)])

    (chart,) = threat_charts(rows)

    (point,) = chart.points
    assert point.x == chart.left + chart.plot_width / 2
    assert [x for x, _ in chart.columns] == [point.x]
    assert chart.change == "First assessment"
    assert "High" in chart.description


def test_no_assessment_no_chart():
    assert threat_charts([]) == []


def test_labels_are_thinned_to_a_few_that_do_not_touch():
    monthly = [_noon(2025, month, 10) for month in range(1, 13)]
    rows = _assessments(NARCOTICS, [(day, 1 + i % 4) for i, day in enumerate(monthly)])

    (chart,) = threat_charts(rows)

    assert len(chart.points) == 12
    xs = [x for x, _ in chart.columns]
    assert 2 <= len(xs) <= CHART_MOST_LABELS
    assert all(b - a >= CHART_LABEL_GAP for a, b in itertools.pairwise(xs))
    assert xs[0] == chart.points[0].x  # the span of the axis is told
    assert xs[-1] == chart.points[-1].x  # the latest meeting is always labelled


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ([], []),
        ([50], [0]),
        ([0, 30], [1]),  # too close: the latest only
        ([0, 10, 20, 100, 200], [0, 3, 4]),
        ([0, 80, 160, 240, 320, 400], [0, 2, 3, 5]),  # four at most
        ([0, 90, 100], [0, 2]),  # two close meetings: the later one is labelled
    ],
)
def test_thin_labels_keeps_the_first_and_the_latest_and_spreads_the_others(
    positions, expected
):
    assert thin_labels(positions, min_gap=80, most=4) == expected


@pytest.mark.parametrize(
    ("language", "axis", "date"),
    [
        ("en", "10/20/26", "10/20/2026"),
        ("es", "20/10/26", "20/10/2026"),
        ("pt-br", "20/10/26", "20/10/2026"),
    ],
)
def test_dates_are_the_readers_short_dates(language, axis, date):
    rows = _assessments(NARCOTICS, zip(QUARTERS, [2, 3, 3, 4], strict=True))

    with translation.override(language):
        (chart,) = threat_charts(rows)
        description = chart.description

    labels = [label for _, label in chart.columns]
    assert labels[-1] == axis
    assert all(re.fullmatch(r"\d\d/\d\d/\d\d", label) for label in labels)
    assert chart.points[-1].date == date
    assert date in chart.points[-1].label  # the point's tooltip
    assert date in description
    for text in [*labels, description, *(p.label for p in chart.points)]:
        assert not ISO_DATE.search(text), text


def test_the_text_alternative_tells_the_latest_level_and_the_change():
    rows = _assessments(NARCOTICS, zip(QUARTERS, [2, 3, 3, 4], strict=True))

    (chart,) = threat_charts(rows)

    assert chart.description == (
        "Latest assessment, 10/20/2026: Critical. Up from High. "
        "4 assessments shown, the first 01/20/2026."
    )
    with translation.override("es"):
        assert "Crítico" in chart.description
        assert "Sube desde Alto" in chart.description


# --------------------------------------------------------------------- sparklines


def test_sparkline_puts_the_latest_at_the_right_and_critical_on_top():
    spark = sparkline([Level.MODERATE, Level.HIGH, Level.HIGH, Level.CRITICAL])

    xs = [x for x, _ in spark.points]
    ys = [y for _, y in spark.points]
    assert xs == sorted(xs)
    assert xs[-1] == spark.width - 4
    assert ys[0] > ys[1] == ys[2] > ys[3]
    assert min(ys) >= 0 and max(ys) <= spark.height
    assert ys[3] == min(spark.grid)  # critical: the top line
    assert spark.last_colour == "#dc3545"
    assert spark.text == (
        "Threat level over the last 4 assessments: Moderate, High, High, Critical"
    )


def test_sparklines_line_up_their_latest_points_and_keep_the_last_six():
    short = sparkline([Level.LOW, Level.HIGH])
    long = sparkline([1, 2, 3, 4, 3, 2, 1, 4])

    assert short.points[-1] == (short.width - 4, short.points[-1][1])
    assert short.points[-1][0] == long.points[-1][0]
    # Slots are the same width: the two points of the short line are the last two.
    assert short.points[0][0] == long.points[-2][0]
    assert len(long.points) == SPARK_SLOTS
    assert long.levels == [3, 4, 3, 2, 1, 4]


def test_sparklines_draw_the_pages_one_grid_of_the_threat_levels():
    spark = sparkline([Level.LOW, Level.CRITICAL])
    grid = str(sparkline_grid())

    assert f'<use href="#{SPARK_GRID_ID}"/>' in str(spark.svg)
    assert f'id="{SPARK_GRID_ID}"' in grid
    # One white line per threat level, at the heights the sparklines' points use.
    for y in spark.grid:
        assert f'y1="{y:.1f}" y2="{y:.1f}"' in grid
    assert grid.count("<line") == len(Level.values)
    assert f'y2="{spark.points[-1][1]:.1f}"' in grid  # critical: the top line


def test_a_single_level_sparkline_is_one_dot():
    spark = sparkline([Level.HIGH])

    assert len(spark.points) == 1
    assert spark.text == "Threat level at 1 assessment: High"
    with translation.override("pt-br"):
        assert spark.text.endswith(": Alto")


# ----------------------------------------------------------------- on the pages


@pytest.mark.django_db
def test_nation_page_draws_a_chart_per_focus_area_with_text_alternatives(
    client, colombian_user, colombia
):
    areas = [
        factories.FocusAreaFactory(name="Counter-narcotics", slug="cn"),
        factories.FocusAreaFactory(name="Cyber defense", slug="cyber"),
    ]
    for days, level in ((200, 2), (110, 3), (20, 4)):
        starts_at = timezone.now() - datetime.timedelta(days=days)
        meeting = factories.AssessmentMeetingFactory(
            status="held",
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=2),
        )
        factories.SituationAssessmentFactory(
            meeting=meeting, nation=colombia, focus_area=areas[0], threat_level=level
        )
    # Cyber defense: assessed once, at the last meeting.
    factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, focus_area=areas[1], threat_level=1
    )
    client.force_login(colombian_user)

    page = client.get(colombia.get_absolute_url()).content.decode()

    assert page.count('role="img"') == 2
    assert page.count("<desc ") == 2
    assert page.count("<polyline") == 1  # the single assessment is a dot, no line
    assert page.count("<circle") == 4
    assert page.count("</title></circle>") == 4  # a tooltip per point
    assert "Up from High" in page
    assert "First assessment" in page
    charts = re.findall(r'<svg class="threat-chart.*?</svg>', page, re.DOTALL)
    assert len(charts) == 2
    assert not any(ISO_DATE.search(chart) for chart in charts)


@pytest.mark.django_db
def test_nation_page_without_assessments_has_no_chart(client, colombian_user, colombia):
    client.force_login(colombian_user)

    response = client.get(reverse("cooperation:nation-detail", args=["CO"]))

    assert response.context["charts"] == []
    assert 'class="threat-chart' not in response.content.decode()
