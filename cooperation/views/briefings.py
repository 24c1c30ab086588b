"""Briefings: a meeting's or the regional picture's, as a print page and as a PDF.

The print page is read in the request (its lists are bounded). A PDF is made by the
task worker (``services.briefings``): asking for one redirects to its own page, which
waits for it and then downloads it. A briefing's page and file answer only the one
who asked for it (404 for anyone else).
"""

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.text import slugify
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation import briefings, concurrency
from cooperation.forms.briefings import BriefingSummaryForm
from cooperation.forms.picture import RegionalPictureForm
from cooperation.models import AssessmentMeeting, Briefing
from cooperation.picture import active_focus_areas
from cooperation.services import briefings as briefing_services
from cooperation.services import meetings as meeting_services

from .access import get_meeting_for, heading_of
from .common import kept_page

# The briefings a user's list shows: the latest ones (kept for a week).
MY_BRIEFINGS = 20
# Seconds between two looks of a briefing's page while the worker makes it.
REFRESH_SECONDS = 2
# The print pages carry one style element of their own, with this response's nonce:
# the marking and the date printed in the margins of every page.
print_page_csp = csp_override(
    {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.NONCE]}
)


# The parts of a briefing page kept in the cache: its title and head (the marking
# of the printed pages) come from the briefing too.
BRIEFING_PARTS = ("title", "head", "content")

# ------------------------------------------------------------------ meeting


@print_page_csp
@require_http_methods(["GET", "POST"])
def meeting_briefing(request, pk):
    """A meeting's briefing as a print page; a POST saves its summary."""
    user = request.user
    may_edit = user.has_perm("cooperation.change_assessmentmeeting")
    if request.method != "POST":

        def context():
            meeting = get_meeting_for(user, pk)
            form = BriefingSummaryForm(instance=meeting) if may_edit else None
            return _meeting_briefing_context(request, meeting, form)

        # Kept rendered for a minute, shared by the readers of one releasability
        # and role (``views.common.kept_page``).
        return kept_page(
            request,
            "cooperation/briefing.html",
            context,
            page={
                "meeting": heading_of(user, AssessmentMeeting.objects, ["title"], pk=pk)
            },
            per_reader=False,
            parts=BRIEFING_PARTS,
        )
    meeting = get_meeting_for(user, pk)
    if not may_edit:
        raise PermissionDenied
    form = BriefingSummaryForm(request.POST, instance=meeting)
    conflict = None
    if form.is_valid():
        try:
            meeting_services.meeting_set_briefing_summary(
                meeting=meeting,
                version=form.posted_version(),
                summary=form.cleaned_data["briefing_summary"],
                acting_user=user,
            )
        except concurrency.EditConflict as error:
            conflict = concurrency.conflict_context(form, error)
            meeting.refresh_from_db()
            status = 409
        else:
            messages.success(request, gettext("Briefing summary saved."))
            return redirect("cooperation:meeting-briefing", pk=meeting.pk)
    else:
        meeting.refresh_from_db()
        status = 400
    return render(
        request,
        "cooperation/briefing.html",
        {**_meeting_briefing_context(request, meeting, form), **(conflict or {})},
        status=status,
    )


def _meeting_briefing_context(request, meeting, form):
    return {
        "briefing": briefings.meeting_briefing(request.user, meeting),
        "meeting": meeting,
        "summary_form": form,
        "pdf_url": reverse("cooperation:meeting-briefing-pdf", args=[meeting.pk]),
        "back_url": meeting.get_absolute_url(),
    }


@require_POST
def meeting_briefing_pdf(request, pk):
    meeting = get_meeting_for(request.user, pk)
    briefing = briefing_services.briefing_request(
        acting_user=request.user, meeting=meeting
    )
    return redirect("cooperation:briefing", pk=briefing.pk)


# ----------------------------------------------------------------- regional


def _picture_choices(data):
    today = timezone.localdate()
    focus_areas = active_focus_areas()
    form = RegionalPictureForm(
        data or None, initial={"as_of": today}, focus_areas=focus_areas
    )
    choices = form.choices()
    return form, focus_areas, choices, choices.get("as_of", today)


@print_page_csp
@require_GET
def regional_briefing(request):
    """The regional picture's briefing as a print page, for the picture's choices."""
    back_url = reverse("cooperation:regional-picture") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )

    def context():
        form, focus_areas, choices, as_of = _picture_choices(request.GET)
        return {
            "briefing": briefings.regional_briefing(
                request.user,
                as_of=as_of,
                focus_areas=focus_areas,
                region=choices.get("region"),
                focus_slug=choices.get("focus_area"),
            ),
            "picture_form": form,
            "pdf_url": reverse("cooperation:regional-briefing-pdf"),
            "back_url": back_url,
        }

    # Kept rendered for a minute, shared by the readers of one releasability and
    # role (``views.common.kept_page``).
    return kept_page(
        request,
        "cooperation/briefing.html",
        context,
        page={"back_url": back_url},
        per_reader=False,
        parts=BRIEFING_PARTS,
    )


@require_POST
def regional_briefing_pdf(request):
    form, focus_areas, choices, as_of = _picture_choices(request.POST)
    slug = choices.get("focus_area")
    briefing = briefing_services.briefing_request(
        acting_user=request.user,
        as_of=as_of,
        region=choices.get("region", ""),
        focus_area=next((a for a in focus_areas if a.slug == slug), None),
    )
    return redirect("cooperation:briefing", pk=briefing.pk)


# ------------------------------------------------------------- the PDF itself


def _own_briefing(request, pk, *, with_pdf=False):
    queryset = Briefing.objects.filter(requested_by=request.user)
    if not with_pdf:
        queryset = queryset.defer("pdf")
    return get_object_or_404(queryset, pk=pk)


@never_cache
@require_GET
def briefing_page(request, pk):
    """A PDF briefing's state: being made (the page looks again every few
    seconds), ready (the download starts), or failed (why, and try again)."""
    briefing = _own_briefing(request, pk)
    return render(
        request,
        "cooperation/briefing_status.html",
        {
            "item": briefing,
            "refresh_seconds": REFRESH_SECONDS,
            "not_released": briefing.last_error == briefing_services.NOT_RELEASED,
            "download_url": reverse("cooperation:briefing-pdf", args=[briefing.pk]),
        },
    )


@never_cache
@require_GET
def briefing_pdf(request, pk):
    briefing = _own_briefing(request, pk, with_pdf=True)
    if briefing.status != Briefing.Status.READY or briefing.pdf is None:
        raise Http404
    day = timezone.localtime(briefing.finished_at).date().isoformat()
    name = slugify(briefing.title)[:60] or "briefing"
    response = FileResponse(
        io.BytesIO(bytes(briefing.pdf)),  # a file: FileResponse names it
        as_attachment=True,
        filename=f"{name}-{day}.pdf",
        content_type="application/pdf",
    )
    response["Content-Length"] = len(briefing.pdf)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def briefing_retry(request, pk):
    briefing = _own_briefing(request, pk)
    try:
        briefing_services.briefing_retry(briefing=briefing, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("cooperation:briefing", pk=briefing.pk)


@require_GET
def briefing_list(request):
    rows = list(
        Briefing.objects.filter(requested_by=request.user)
        .defer("pdf")
        .select_related("meeting", "focus_area")[:MY_BRIEFINGS]
    )
    return render(request, "cooperation/briefing_list.html", {"briefings": rows})
