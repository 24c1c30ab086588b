"""Meeting pages: the list, one meeting, and what is recorded from its page.

Every page about one meeting starts from ``access.get_meeting_for`` (404 when the
meeting is missing or not released to the user); assessments and evaluations are
reached only through that meeting.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperation import services
from cooperation.filters.meetings import MeetingFilter
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.meetings import (
    DUPLICATE_ASSESSMENT,
    DUPLICATE_EVALUATION,
    AgendaFormSet,
    InitiativeEvaluationForm,
    MeetingForm,
    SituationAssessmentForm,
    zone_or_utc,
)
from cooperation.models import (
    AssessmentMeeting,
    InitiativeEvaluation,
    Nation,
    Recommendation,
    SituationAssessment,
)

from .access import get_meeting_for
from .common import Column, list_page

# --------------------------------------------------------------------------- list


def in_meeting_zone(meeting, value):
    """``value`` as a wall-clock time in the meeting's own zone, zone name beside."""
    local = timezone.localtime(value, zone_or_utc(meeting.time_zone))
    return f"{local:%Y-%m-%d %H:%M} {meeting.time_zone}"


def released_to_text(record):
    if record.released_to_all:
        return gettext("All partners")
    return ", ".join(nation.name for nation in record.released_to.all())


MEETING_CSV_COLUMNS = [
    Column(_("Title"), "title", lambda m: m.title),
    Column(_("Starts"), "starts", lambda m: in_meeting_zone(m, m.starts_at)),
    Column(_("Ends"), None, lambda m: in_meeting_zone(m, m.ends_at)),
    Column(_("Time zone"), None, lambda m: m.time_zone),
    Column(_("Status"), "status", lambda m: m.get_status_display()),
    Column(_("Location"), "location", lambda m: m.location),
    Column(_("Online link"), None, lambda m: m.online_url),
    Column(_("Chair"), None, lambda m: m.chair or ""),
    Column(_("Nations"), None, lambda m: ", ".join(n.name for n in m.nations.all())),
    Column(_("Assessments"), "assessments", lambda m: m.assessment_count),
    Column(_("Released to"), None, released_to_text),
]
# The table shows fewer, wider columns; its headers carry the same sort keys.
MEETING_TABLE_COLUMNS = [
    Column(_("Title"), "title"),
    Column(_("When"), "starts"),
    Column(_("Status"), "status"),
    Column(_("Where"), "location"),
    Column(_("Chair")),
    Column(_("Nations")),
    Column(_("Assessments"), "assessments"),
]
MEETING_SORT_FIELDS = {
    "title": ["title", "starts_at"],
    "starts": ["starts_at"],
    "status": ["status_rank", "starts_at"],
    "location": ["location", "starts_at"],
    "assessments": ["assessment_count", "starts_at"],
}


def meetings_for_list(user, *, with_release=False):
    """Meetings released to ``user``, with all a list row shows, in a fixed number
    of queries: the chair joined, nations prefetched, assessments counted."""
    assessments = (
        SituationAssessment.objects.filter(meeting=OuterRef("pk"))
        .order_by()
        .values("meeting")
        .annotate(total=Count("pk"))
        .values("total")
    )
    Status = AssessmentMeeting.Status
    queryset = (
        AssessmentMeeting.objects.visible_to(user)
        .select_related("chair")
        .prefetch_related("nations")
        .annotate(
            assessment_count=Coalesce(Subquery(assessments), 0),
            # Sort by the life of a meeting, not by the alphabet.
            status_rank=Case(
                *(
                    When(status=value, then=rank)
                    for rank, value in enumerate(Status.values)
                ),
                output_field=IntegerField(),
            ),
        )
    )
    if with_release:
        queryset = queryset.prefetch_related("released_to")
    return queryset


@require_GET
def meeting_list(request):
    exporting = request.GET.get("format") == "csv"
    filterset = MeetingFilter(
        request.GET or None,
        queryset=meetings_for_list(request.user, with_release=exporting),
        request=request,
    )
    return list_page(
        request,
        filterset=filterset,
        sort_fields=MEETING_SORT_FIELDS,
        default_sort="-starts",
        template="cooperation/meeting_list.html",
        columns=MEETING_CSV_COLUMNS,
        csv_filename="meetings",
        context={"table_columns": MEETING_TABLE_COLUMNS},
    )


# ------------------------------------------------------------------------- detail


def meeting_nations(meeting):
    """(participating nations, nations released to), read in one query."""
    participates = AssessmentMeeting.nations.through.objects.filter(
        assessmentmeeting=meeting, nation=OuterRef("pk")
    )
    released = AssessmentMeeting.released_to.through.objects.filter(
        assessmentmeeting=meeting, nation=OuterRef("pk")
    )
    nations = list(
        Nation.objects.annotate(
            participates=Exists(participates), released=Exists(released)
        )
        .filter(Q(participates=True) | Q(released=True))
        .order_by("name")
    )
    return (
        [nation for nation in nations if nation.participates],
        [nation for nation in nations if nation.released],
    )


def schedule_agenda(meeting, items):
    """Give each agenda item the time it starts if the items before it keep time."""
    clock = meeting.starts_at
    for item in items:
        item.scheduled_at = clock
        clock += datetime.timedelta(minutes=item.duration_minutes)
    return sum(item.duration_minutes for item in items)


@require_GET
def meeting_detail(request, pk):
    user = request.user
    meeting = get_meeting_for(user, pk)
    agenda_items = list(meeting.agenda_items.select_related("presenter"))
    agenda_minutes = schedule_agenda(meeting, agenda_items)
    meeting_minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    nations, released_to = meeting_nations(meeting)
    assessments = list(meeting.assessments.select_related("nation", "focus_area"))
    assessed = {assessment.nation_id for assessment in assessments}
    return render(
        request,
        "cooperation/meeting_detail.html",
        {
            "meeting": meeting,
            "user_zone": timezone.get_current_timezone_name(),
            "zone_differs": meeting.time_zone != timezone.get_current_timezone_name(),
            "agenda_items": agenda_items,
            "agenda_minutes": agenda_minutes,
            "agenda_overruns": agenda_minutes > meeting_minutes,
            "meeting_minutes": meeting_minutes,
            "nations": nations,
            "released_to": released_to,
            "attendees": list(
                meeting.attendees.order_by("last_name", "first_name", "username")
            ),
            "assessments": assessments,
            "unassessed_nations": [n for n in nations if n.pk not in assessed],
            # An initiative or recommendation has releasability of its own: show
            # only those released to this user.
            "evaluations": list(
                InitiativeEvaluation.objects.visible_to(user)
                .filter(meeting=meeting)
                .select_related("initiative")
            ),
            "recommendations": list(
                Recommendation.objects.visible_to(user)
                .filter(source_meeting=meeting)
                .select_related("owner")
                .order_by("reference")
            ),
        },
    )


# -------------------------------------------------------------------------- forms


def all_valid(*forms):
    """Validate every form (so every error shows at once); ignore absent ones."""
    results = [form.is_valid() for form in forms if form is not None]
    return all(results)


def meeting_form_page(request, meeting):
    creating = meeting.pk is None
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, instance=meeting, user=request.user)
    agenda = AgendaFormSet(data, instance=meeting, prefix="agenda")
    release_form = releasability_form_for(
        request.user, data, record=None if creating else meeting
    )
    if data is not None and all_valid(form, agenda, release_form):
        with transaction.atomic():
            meeting = form.save()
            agenda.save_in_order(meeting)
            services.record_release(
                record=meeting,
                user=request.user,
                creating=creating,
                **release_kwargs(release_form),
            )
        if creating:
            text = gettext("Meeting “%s” created.")
        else:
            text = gettext("Meeting “%s” saved.")
        messages.success(request, text % meeting.title)
        return redirect(meeting)
    return render(
        request,
        "cooperation/meeting_form.html",
        {
            "meeting": None if creating else meeting,
            "form": form,
            "agenda": agenda,
            "release_form": release_form,
        },
    )


@permission_required("cooperation.add_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    return meeting_form_page(request, AssessmentMeeting())


@permission_required("cooperation.change_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    return meeting_form_page(request, get_meeting_for(request.user, pk))


def save_or_flag_duplicate(form, message):
    """Save ``form``; a duplicate that slipped past its check becomes a form error."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        # Someone recorded the same thing between our check and our insert.
        form.add_error(None, message)
        return None


def requested_nation(request):
    """The active nation named by ``?nation=`` (an ISO alpha-2 code), if any."""
    code = request.GET.get("nation", "").strip().upper()
    if len(code) != 2:
        return None
    return Nation.objects.filter(is_active=True, iso_alpha2=code).first()


def assessment_form_page(request, meeting, assessment):
    creating = assessment.pk is None
    if request.method == "POST":
        form = SituationAssessmentForm(request.POST, instance=assessment)
        if form.is_valid():
            saved = save_or_flag_duplicate(form, DUPLICATE_ASSESSMENT)
            if saved is not None:
                if creating:
                    text = gettext("Situation assessment of %s recorded.")
                else:
                    text = gettext("Situation assessment of %s saved.")
                messages.success(request, text % saved.nation.name)
                return redirect(saved)
    else:
        nation = requested_nation(request) if creating else None
        initial = {"nation": nation.pk} if nation else None
        form = SituationAssessmentForm(instance=assessment, initial=initial)
    return render(
        request,
        "cooperation/assessment_form.html",
        {
            "meeting": meeting,
            "assessment": None if creating else assessment,
            "form": form,
        },
    )


@permission_required("cooperation.add_situationassessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_create(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return assessment_form_page(request, meeting, SituationAssessment(meeting=meeting))


@permission_required("cooperation.change_situationassessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_edit(request, pk, assessment_pk):
    meeting = get_meeting_for(request.user, pk)
    assessment = get_object_or_404(
        SituationAssessment.objects.select_related("nation", "focus_area"),
        pk=assessment_pk,
        meeting=meeting,
    )
    assessment.meeting = meeting
    return assessment_form_page(request, meeting, assessment)


def evaluation_form_page(request, meeting, evaluation):
    creating = evaluation.pk is None
    if request.method == "POST":
        form = InitiativeEvaluationForm(
            request.POST, instance=evaluation, user=request.user
        )
        if form.is_valid():
            saved = save_or_flag_duplicate(form, DUPLICATE_EVALUATION)
            if saved is not None:
                if creating:
                    text = gettext("Evaluation of “%s” recorded.")
                else:
                    text = gettext("Evaluation of “%s” saved.")
                messages.success(request, text % saved.initiative.title)
                return redirect(saved)
    else:
        form = InitiativeEvaluationForm(instance=evaluation, user=request.user)
    return render(
        request,
        "cooperation/evaluation_form.html",
        {
            "meeting": meeting,
            "evaluation": None if creating else evaluation,
            "form": form,
        },
    )


@permission_required("cooperation.add_initiativeevaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_create(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return evaluation_form_page(request, meeting, InitiativeEvaluation(meeting=meeting))


@permission_required("cooperation.change_initiativeevaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk, evaluation_pk):
    meeting = get_meeting_for(request.user, pk)
    # Evaluations of an initiative withheld from the user do not exist for them.
    evaluation = get_object_or_404(
        InitiativeEvaluation.objects.visible_to(request.user).select_related(
            "initiative"
        ),
        pk=evaluation_pk,
        meeting=meeting,
    )
    evaluation.meeting = meeting
    return evaluation_form_page(request, meeting, evaluation)
