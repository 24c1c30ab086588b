from django.db.models import Count
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cooperation.charts import threat_chart
from cooperation.counts import cached_rows
from cooperation.filters.nations import NationFilter
from cooperation.models import (
    AssessmentMeeting,
    Nation,
    Participation,
    Recommendation,
    SituationAssessment,
)
from cooperation.models.base import bounded

from .access import get_nation
from .common import Column, list_page

# The rows each panel of a nation's page shows; each links to the list of all.
NATION_PAGE_ROWS = 25
NATION_PAGE_MEETINGS = 10

NATION_COLUMNS = [
    Column(_("Nation"), "name", lambda n: n.display_name),
    Column(_("ISO codes"), "code", lambda n: f"{n.iso_alpha2} / {n.iso_alpha3}"),
    Column(_("Region"), "region", lambda n: n.get_region_display()),
    Column(_("Time zone"), None, lambda n: n.time_zone),
    Column(_("Languages"), None, lambda n: n.official_languages),
    Column(_("Liaison"), None, lambda n: n.liaison_name),
    Column(_("Initiatives"), "initiatives", lambda n: n.initiative_count),
    Column(_("Open recommendations"), "open", lambda n: n.open_recommendation_count),
]


@require_GET
def nation_list(request):
    counts = Nation.objects.visible_counts(request.user)

    def attach(nations):
        for nation in nations:
            nation.initiative_count, nation.open_recommendation_count = counts.get(
                nation.pk, (0, 0)
            )

    filterset = NationFilter(
        request.GET or None, queryset=Nation.objects.with_display_order()
    )
    return list_page(
        request,
        filterset=filterset,
        sort_fields={
            "name": ["display_order"],
            "code": ["iso_alpha2"],
            "region": ["region", "display_order"],
            "initiatives": ["display_order"],
            "open": ["display_order"],
        },
        # Nations are a short reference table: sorted by their counts in Python.
        row_sorts={
            "initiatives": lambda nation: nation.initiative_count,
            "open": lambda nation: nation.open_recommendation_count,
        },
        attach=attach,
        default_sort="name",
        template="cooperation/nation_list.html",
        columns=NATION_COLUMNS,
        csv_filename="nations",
    )


@require_GET
def nation_detail(request, code):
    nation = get_nation(code)
    user = request.user
    participations = bounded(
        Participation.objects.visible_to(user)
        .filter(nation=nation)
        .by_initiative_title(),
        NATION_PAGE_ROWS,
    )
    assessments = bounded(
        SituationAssessment.objects.visible_to(user)
        .final()
        .filter(nation=nation)
        .with_related()
        .most_recent_first(),
        NATION_PAGE_ROWS,
    )
    addressed = Recommendation.objects.visible_to(user).filter(nations=nation)
    counts = dict(
        cached_rows(
            addressed.order_by().values_list("status").annotate(total=Count("pk"))
        )
    )
    status_counts = [
        (value, label, counts.get(value, 0))
        for value, label in Recommendation.Status.choices
    ]
    recommendations = list(
        addressed.with_related().order_by("status", "due_date", "reference")[
            :NATION_PAGE_ROWS
        ]
    )
    upcoming = list(
        AssessmentMeeting.objects.visible_to(user)
        .upcoming()
        .filter(nations=nation)[:NATION_PAGE_MEETINGS]
    )
    return render(
        request,
        "cooperation/nation_detail.html",
        {
            "nation": nation,
            "participations": participations.rows,
            "participation_total": participations.total,
            "assessments": assessments.rows,
            "assessment_total": assessments.total,
            "chart": threat_chart(assessments.rows),
            "status_counts": status_counts,
            "recommendation_total": sum(counts.values()),
            "recommendations": recommendations,
            "upcoming_meetings": upcoming,
        },
    )
