from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import (
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Participation,
    Recommendation,
    RecommendationUpdate,
    SituationAssessment,
)

# ------------------------------------------------------------- access helpers
# One helper per model: a record that is missing and one not released to the user
# both answer 404, so no page reveals that a record exists.


def get_initiative_for(user, pk):
    return get_object_or_404(
        Initiative.objects.visible_to(user).select_related("owner"), pk=pk
    )


def get_meeting_for(user, pk):
    return get_object_or_404(
        AssessmentMeeting.objects.visible_to(user).select_related("chair"), pk=pk
    )


def get_recommendation_for(user, reference):
    return get_object_or_404(
        Recommendation.objects.visible_to(user)
        .with_progress()
        .select_related("owner", "focus_area"),
        reference=reference,
    )


# ---------------------------------------------------------------------- pages


@require_GET
def dashboard(request):
    user = request.user
    upcoming = list(
        AssessmentMeeting.objects.visible_to(user)
        .upcoming(days=30)
        .select_related("chair")
        .prefetch_related("nations")
    )
    open_recommendations = list(
        Recommendation.objects.visible_to(user)
        .open()
        .with_progress()
        .select_related("owner", "focus_area")
        .order_by("due_date", "reference")
    )
    return render(
        request,
        "cooperation/dashboard.html",
        {
            "upcoming_meetings": upcoming,
            "open_recommendations": open_recommendations,
            "today": timezone.localdate(),
        },
    )


@require_GET
def nation_detail(request, code):
    nation = get_object_or_404(Nation, iso_alpha2=code.upper())
    participations = list(
        Participation.objects.filter(
            nation=nation, initiative__in=Initiative.objects.visible_to(request.user)
        ).select_related("initiative")
    )
    assessments = list(
        SituationAssessment.objects.visible_to(request.user)
        .filter(nation=nation)
        .with_related()
        .order_by("-meeting__starts_at", "focus_area__name")
    )
    return render(
        request,
        "cooperation/nation_detail.html",
        {
            "nation": nation,
            "participations": participations,
            "assessments": assessments,
        },
    )


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


@require_GET
def meeting_detail(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return render(
        request,
        "cooperation/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda_items": list(meeting.agenda_items.select_related("presenter")),
            "nations": list(meeting.nations.all()),
            "attendees": list(meeting.attendees.all()),
            "assessments": list(meeting.assessments.with_related()),
            "evaluations": list(
                InitiativeEvaluation.objects.visible_to(request.user)
                .filter(meeting=meeting)
                .select_related("initiative")
            ),
            "recommendations": list(
                Recommendation.objects.visible_to(request.user)
                .filter(source_meeting=meeting)
                .select_related("owner")
            ),
        },
    )


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


@login_not_required
@require_GET
def healthz(request):
    """Liveness: the process answers. Touches no database."""
    return HttpResponse("ok", content_type="text/plain")
