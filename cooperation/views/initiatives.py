from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperation.models import InitiativeEvaluation

from .access import get_initiative_for


@require_GET
def initiative_detail(request, pk):
    initiative = get_initiative_for(request.user, pk)
    participations = list(initiative.participations.select_related("nation"))
    evaluations = list(
        InitiativeEvaluation.objects.visible_to(request.user)
        .filter(initiative=initiative)
        .select_related("meeting")
        .order_by("-meeting__starts_at")
    )
    return render(
        request,
        "cooperation/initiative_detail.html",
        {
            "initiative": initiative,
            "participations": participations,
            "evaluations": evaluations,
            "focus_areas": list(initiative.focus_areas.all()),
        },
    )


def initiative_list(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def initiative_create(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def initiative_edit(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404
