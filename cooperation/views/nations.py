from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cooperation.charts import threat_charts
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
from .common import Column, ListSpec, cached_fragment, list_page, render_with_parts

# The rows each panel of a nation's page shows; each links to the list of all.
NATION_PAGE_ROWS = 25
NATION_PAGE_MEETINGS = 10


def nations_for_list(user, *, exporting, sort):
    # Reference data: every signed-in user sees every nation; the counts are theirs.
    return Nation.objects.with_display_order()


def attach_counts(nations, *, user):
    """Set on each nation the initiatives it takes part in and the open
    recommendations addressed to it, of those released to ``user`` (two grouped
    queries, cached per data generation: ``Nation.objects.visible_counts``)."""
    counts = Nation.objects.visible_counts(user)
    for nation in nations:
        nation.initiative_count, nation.open_recommendation_count = counts.get(
            nation.pk, (0, 0)
        )


# Nations are a short reference table: sorted by their counts in Python.
NATION_LIST = ListSpec(
    filterset=NationFilter,
    queryset=nations_for_list,
    columns=[
        Column(
            _("Nation"), "name", lambda n: n.display_name, order_by=["display_order"]
        ),
        Column(
            _("ISO codes"),
            "code",
            lambda n: f"{n.iso_alpha2} / {n.iso_alpha3}",
            order_by=["iso_alpha2"],
        ),
        Column(
            _("Region"),
            "region",
            lambda n: n.get_region_display(),
            order_by=["region", "display_order"],
        ),
        Column(_("Time zone"), value=lambda n: n.time_zone),
        Column(_("Languages"), value=lambda n: n.official_languages),
        Column(_("Liaison"), value=lambda n: n.liaison_name),
        Column(
            _("Initiatives"),
            "initiatives",
            lambda n: n.initiative_count,
            order_by=["display_order"],
            row_sort=lambda n: n.initiative_count,
        ),
        Column(
            _("Open recommendations"),
            "open",
            lambda n: n.open_recommendation_count,
            order_by=["display_order"],
            row_sort=lambda n: n.open_recommendation_count,
        ),
    ],
    default_sort="name",
    template="cooperation/nation_list.html",
    csv_filename="nations",
    attach=attach_counts,
)


@require_GET
def nation_list(request):
    return list_page(request, NATION_LIST)


@require_GET
def nation_detail(request, code):
    """A nation's page; its content is kept rendered for a minute, shared by the
    readers of one releasability (``views.common.cached_fragment``)."""
    nation = get_nation(code)
    content = cached_fragment(
        request,
        f"nation:{nation.pk}",
        "cooperation/nation_detail_body.html",
        lambda: nation_detail_context(request.user, nation),
        per_reader=False,
    )
    return render_with_parts(
        request,
        "cooperation/nation_detail.html",
        {"nation": nation},
        {"content": content},
    )


def nation_detail_context(user, nation):
    participations = bounded(
        Participation.objects.visible_to(user)
        .filter(nation=nation)
        .by_initiative_title(),
        NATION_PAGE_ROWS,
    )
    # "The" assessment of a focus area at a meeting is its primary concern: one
    # row and one point on the chart per focus area and meeting.
    assessments = bounded(
        SituationAssessment.objects.visible_to(user)
        .final()
        .primary()
        .filter(nation=nation)
        .with_related()
        .most_recent_first(),
        NATION_PAGE_ROWS,
    )
    addressed = Recommendation.objects.visible_to(user).filter(nations=nation)
    counts = addressed.status_counts()
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
    return {
        "nation": nation,
        "participations": participations.rows,
        "participation_total": participations.total,
        "assessments": assessments.rows,
        "assessment_total": assessments.total,
        "charts": threat_charts(assessments.rows),
        "status_counts": status_counts,
        "recommendation_total": sum(counts.values()),
        "recommendations": recommendations,
        "upcoming_meetings": upcoming,
    }
