"""The audit trail of a record: who changed which field from what to what, and when."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cooperation.history import record_changes

from .access import get_initiative_for, get_meeting_for, get_recommendation_for
from .documents import document_events


def _history_page(request, record, *, section_label, section_url):
    return render(
        request,
        "cooperation/record_history.html",
        {
            "record": record,
            "entries": record_changes(record, user=request.user),
            # Documents added, replaced and (softly) deleted on the record.
            "document_events": document_events(record),
            "section_label": section_label,
            "section_url": section_url,
        },
    )


@require_GET
def initiative_history(request, pk):
    return _history_page(
        request,
        get_initiative_for(request.user, pk),
        section_label=_("Initiatives"),
        section_url="cooperation:initiative-list",
    )


@require_GET
def meeting_history(request, pk):
    return _history_page(
        request,
        get_meeting_for(request.user, pk),
        section_label=_("Meetings"),
        section_url="cooperation:meeting-list",
    )


@require_GET
def recommendation_history(request, reference):
    return _history_page(
        request,
        get_recommendation_for(request.user, reference),
        section_label=_("Recommendations"),
        section_url="cooperation:recommendation-list",
    )
