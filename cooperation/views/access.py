"""One access helper per model.

A record that is missing and one not released to the user both answer 404, so no page
reveals that a record exists. Every view that shows or changes one record starts here.
"""

from django.shortcuts import get_object_or_404

from cooperation.models import (
    AssessmentMeeting,
    Document,
    Initiative,
    Nation,
    Recommendation,
)


def get_nation(code):
    # Nations are reference data: every signed-in user may see every nation.
    return get_object_or_404(Nation, iso_alpha2=code.upper())


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
        Recommendation.objects.visible_to(user).select_related("owner", "focus_area"),
        reference=reference,
    )


def get_document_for(user, pk):
    """A document not deleted whose parent record is released to ``user``."""
    return get_object_or_404(
        Document.objects.visible_to(user)
        .current()
        .select_related("meeting", "recommendation", "initiative"),
        pk=pk,
    )
