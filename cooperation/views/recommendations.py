from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperation.models import AssessmentMeeting, Initiative, RecommendationUpdate

from .access import get_recommendation_for


@require_GET
def recommendation_detail(request, reference):
    recommendation = get_recommendation_for(request.user, reference)
    # The source meeting and initiative have releasability of their own: name them
    # only when they are released to this user too.
    source_meeting = (
        AssessmentMeeting.objects.visible_to(request.user)
        .filter(pk=recommendation.source_meeting_id)
        .first()
    )
    initiative = (
        Initiative.objects.visible_to(request.user)
        .filter(pk=recommendation.initiative_id)
        .first()
    )
    return render(
        request,
        "cooperation/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "source_meeting": source_meeting,
            "initiative": initiative,
            "nations": list(recommendation.nations.all()),
            "updates": list(
                RecommendationUpdate.objects.filter(recommendation=recommendation)
                .select_related("author")
                .order_by("created_at", "pk")
            ),
        },
    )


def recommendation_list(
    request, *args, **kwargs
):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def recommendation_create(
    request, *args, **kwargs
):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def recommendation_edit(
    request, *args, **kwargs
):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def recommendation_transition(
    request, *args, **kwargs
):  # placeholder until the page is built
    from django.http import Http404

    raise Http404
