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


def heading_of(user, queryset, fields, **lookup):
    """The record of ``queryset`` that ``lookup`` names, when released to ``user``,
    with only its key and ``fields`` read; 404 otherwise, as the getters above.

    The access check of a page whose content is kept rendered
    (``views.common.kept_page``): it runs on every request, kept content or not, so
    it reads only what the rest of the page shows (title, breadcrumbs), not the
    whole record and its related rows. The content reads those (the getters above)
    when it is drawn. Nothing else may be read from the record this returns: each
    field not in ``fields`` would cost a query."""
    return get_object_or_404(queryset.visible_to(user).only(*fields), **lookup)
