from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperation.models import InitiativeEvaluation, Recommendation

from .access import get_meeting_for


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


def meeting_list(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def meeting_create(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def meeting_edit(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def assessment_create(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def assessment_edit(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def evaluation_create(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404


def evaluation_edit(request, *args, **kwargs):  # placeholder until the page is built
    from django.http import Http404

    raise Http404
