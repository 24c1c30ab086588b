from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cooperation.charts import threat_chart
from cooperation.filters.nations import NationFilter
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    Nation,
    Participation,
    Recommendation,
    SituationAssessment,
)

from .access import get_nation
from .common import Column, list_page

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


def nations_with_counts(user):
    """Nations with counts of the initiatives and open recommendations ``user`` may see."""
    visible_initiatives = Initiative.objects.visible_to(user).values("pk")
    visible_open = Recommendation.objects.visible_to(user).open().values("pk")
    return Nation.objects.with_display_order().annotate(
        initiative_count=Count(
            "participations",
            filter=Q(participations__initiative__in=visible_initiatives),
            distinct=True,
        ),
        open_recommendation_count=Count(
            "recommendations",
            filter=Q(recommendations__in=visible_open),
            distinct=True,
        ),
    )


@require_GET
def nation_list(request):
    filterset = NationFilter(
        request.GET or None, queryset=nations_with_counts(request.user)
    )
    return list_page(
        request,
        filterset=filterset,
        sort_fields={
            "name": ["display_order"],
            "code": ["iso_alpha2"],
            "region": ["region", "display_order"],
            "initiatives": ["initiative_count", "display_order"],
            "open": ["open_recommendation_count", "display_order"],
        },
        default_sort="name",
        template="cooperation/nation_list.html",
        columns=NATION_COLUMNS,
        csv_filename="nations",
    )


@require_GET
def nation_detail(request, code):
    nation = get_nation(code)
    user = request.user
    participations = list(
        Participation.objects.filter(
            nation=nation,
            initiative__in=Initiative.objects.visible_to(user).values("pk"),
        )
        .select_related("initiative")
        .order_by("initiative__title")
    )
    assessments = list(
        SituationAssessment.objects.visible_to(user)
        .final()
        .filter(nation=nation)
        .with_related()
        .order_by("-meeting__starts_at", "focus_area__name")
    )
    addressed = Recommendation.objects.visible_to(user).filter(nations=nation)
    counts = dict(
        addressed.order_by().values_list("status").annotate(total=Count("pk"))
    )
    status_counts = [
        (value, label, counts.get(value, 0))
        for value, label in Recommendation.Status.choices
    ]
    recommendations = list(
        addressed.with_progress()
        .select_related("owner", "focus_area")
        .order_by("status", "due_date", "reference")[:25]
    )
    upcoming = list(
        AssessmentMeeting.objects.visible_to(user)
        .upcoming()
        .filter(nations=nation)[:10]
    )
    return render(
        request,
        "cooperation/nation_detail.html",
        {
            "nation": nation,
            "participations": participations,
            "assessments": assessments,
            "chart": threat_chart(assessments),
            "status_counts": status_counts,
            "recommendation_total": sum(counts.values()),
            "recommendations": recommendations,
            "upcoming_meetings": upcoming,
        },
    )
