"""Meeting pages: the list, one meeting, its minutes, and its create, edit and
cancel forms, whose writes are the meeting services' (``services.meetings``).

Every page about one meeting starts from ``access.get_meeting_for`` (404 when the
meeting is missing or not released to the user). Assessments and evaluations
recorded at a meeting have their pages in ``views.records``.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, When
from django.db.models.functions import Now
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from cooperation import concurrency
from cooperation.filters.meetings import MeetingFilter
from cooperation.forms.meetings import (
    PublishMinutesForm,
    ScopeForm,
    zone_or_utc,
)
from cooperation.forms.minutes import (
    MinutesForm,
    attendance_entries,
    attendance_formset,
    outcome_entries,
    outcome_formset,
)
from cooperation.models import (
    AssessmentMeeting,
    InitiativeEvaluation,
    Invitation,
    Recommendation,
)
from cooperation.services import assessments as assessment_services
from cooperation.services import meetings as meeting_services
from cooperation.services.meetings import CORRECT_MINUTES_PERMISSION, Scope

from .access import get_meeting_for, heading_of
from .common import Column, ListSpec, kept_page, list_page
from .documents import documents_section
from .records import add_service_error

# --------------------------------------------------------------------------- list


def in_meeting_zone(meeting, value):
    """``value`` as a wall-clock time in the meeting's own zone, zone name beside."""
    local = timezone.localtime(value, zone_or_utc(meeting.time_zone))
    return f"{local:%Y-%m-%d %H:%M} {meeting.time_zone}"


def released_to_text(record):
    if record.released_to_all:
        return gettext("All partners")
    return ", ".join(nation.display_name for nation in record.released_to.all())


def meetings_for_list(user, *, exporting, sort):
    """Meetings released to ``user``, with all a list row shows, in a fixed number
    of queries; the CSV also names the nations each is released to."""
    meetings = AssessmentMeeting.objects.visible_to(user).for_list()
    return meetings.with_release() if exporting else meetings


# The next meeting first: those not over yet by start, soonest first (the others'
# key is empty, so they follow), then those over, the latest first. ``Now()`` is
# the database's clock, so the SQL, and the count kept per query
# (``cooperation.counts``), stays the same from one request to the next. The CASE
# is computed per visible row and sorted top-N (the page's keys only), as
# ``KeysFirstPaginator`` selects them; ``?sort=starts`` keeps the plain index order.
NEXT_FIRST = [
    Case(When(ends_at__gte=Now(), then=F("starts_at"))).asc(nulls_last=True),
    F("starts_at").desc(),
]

# The table shows fewer, wider columns than the CSV, under the same sort keys.
MEETING_LIST = ListSpec(
    filterset=MeetingFilter,
    queryset=meetings_for_list,
    columns=[
        Column(_("Title"), "title", lambda m: m.title, order_by=["title", "starts_at"]),
        Column(
            _("When"),
            "starts",
            lambda m: in_meeting_zone(m, m.starts_at),
            order_by=["starts_at"],
            csv_label=_("Starts"),
        ),
        Column(
            _("Ends"), value=lambda m: in_meeting_zone(m, m.ends_at), in_table=False
        ),
        Column(_("Time zone"), value=lambda m: m.time_zone, in_table=False),
        Column(
            _("Status"),
            "status",
            lambda m: m.get_status_display(),
            order_by=["status_rank", "starts_at"],
        ),
        Column(
            _("Where"),
            "location",
            lambda m: m.location,
            order_by=["location", "starts_at"],
            csv_label=_("Location"),
        ),
        Column(_("Online link"), value=lambda m: m.online_url, in_table=False),
        Column(_("Chair"), value=lambda m: m.chair or ""),
        Column(
            _("Nations"),
            value=lambda m: ", ".join(n.display_name for n in m.nations.all()),
        ),
        Column(
            _("Assessments"),
            "assessments",
            lambda m: m.assessment_count,
            order_by=["assessment_count", "starts_at"],
        ),
        Column(_("Released to"), value=released_to_text, in_table=False),
        # The default order, no column of its own: the next meeting first.
        Column(_("Next first"), "next", order_by=NEXT_FIRST, in_table=False),
    ],
    default_sort="next",
    template="cooperation/meeting_list.html",
    csv_filename="meetings",
)


@require_GET
def meeting_list(request):
    return list_page(request, MEETING_LIST)


# ------------------------------------------------------------------------- detail


def schedule_agenda(meeting, items):
    """Give each agenda item the time it starts if the items before it keep time."""
    clock = meeting.starts_at
    for item in items:
        item.scheduled_at = clock
        clock += datetime.timedelta(minutes=item.duration_minutes)
    return sum(item.duration_minutes for item in items)


def series_context(user, meeting):
    """Where ``meeting`` sits in its series as ``user`` sees it (nothing outside a
    series): its number and the total, the previous and next occurrences."""
    position = AssessmentMeeting.objects.visible_to(user).series_position(meeting)
    if position is None:
        return {}
    return {
        "series_position": position.number,
        "series_total": position.total,
        "previous_occurrence": position.previous,
        "next_occurrence": position.next,
    }


def meeting_page_context(request, meeting, *, cancel_form=None):
    """Everything the meeting page shows, in a fixed number of queries."""
    user = request.user
    agenda_items = list(meeting.agenda_items.select_related("presenter"))
    agenda_minutes = schedule_agenda(meeting, agenda_items)
    meeting_minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    nations, released_to = meeting.nations_and_releases()
    assessments = list(
        meeting.assessments.select_related("nation", "focus_area").by_nation_name()
    )
    assessed = {assessment.nation_id for assessment in assessments}
    for assessment in assessments:
        assessment.meeting = meeting
        assessment.can_edit = assessment_services.assessment_can_change(
            user=user, assessment=assessment
        )
    can_record_assessment = assessment_services.assessment_can_record(
        user=user, meeting=meeting
    )
    may_assess_all = user.has_perm(assessment_services.ASSESS_ANY_NATION)
    # Recommendations raised here or reviewed on the agenda, each released to the
    # user; a review item of a recommendation withheld from them shows no title.
    reviewed_keys = {item.recommendation_id for item in agenda_items}
    reviewed_keys.discard(None)
    related = list(
        Recommendation.objects.visible_to(user).raised_or_reviewed_at(
            meeting, reviewed_keys
        )
    )
    reviewed = {recommendation.pk: recommendation for recommendation in related}
    for item in agenda_items:
        item.visible_recommendation = reviewed.get(item.recommendation_id)
        # Raised from this item's outcome, and released to the user.
        item.visible_raised = [r for r in related if r.source_agenda_item_id == item.pk]
    invitations = list(Invitation.objects.filter(meeting=meeting).by_attendee_name())
    my_invitation = next(
        (invitation for invitation in invitations if invitation.user_id == user.pk),
        None,
    )
    published = meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
    can_change = user.has_perm("cooperation.change_assessmentmeeting")
    can_correct = user.has_perm(CORRECT_MINUTES_PERMISSION)
    open_meeting = meeting.status not in (
        AssessmentMeeting.Status.HELD,
        AssessmentMeeting.Status.CANCELLED,
    )
    can_edit_minutes = (can_change and not published) or (can_correct and published)
    publish_form = (
        PublishMinutesForm(auto_id="id_publish_%s")
        if can_change and not published
        else None
    )
    if cancel_form is None and can_change and open_meeting:
        cancel_form = ScopeForm() if meeting.series_id else None
    user_zone = timezone.get_current_timezone_name()
    context = {
        "meeting": meeting,
        "user_zone": user_zone,
        "zone_differs": meeting.time_zone != user_zone,
        "agenda_items": agenda_items,
        "agenda_minutes": agenda_minutes,
        "agenda_overruns": agenda_minutes > meeting_minutes,
        "meeting_minutes": meeting_minutes,
        "nations": nations,
        "released_to": released_to,
        "invitations": invitations,
        "my_invitation": my_invitation,
        "attendees": [invitation.user for invitation in invitations],
        "assessments": assessments,
        "any_assessment_editable": any(a.can_edit for a in assessments),
        "can_record_assessment": can_record_assessment,
        "unassessed_nations": [
            n
            for n in nations
            if n.pk not in assessed and (may_assess_all or n.pk == user.nation_id)
        ],
        "can_record_evaluation": assessment_services.evaluation_can_record(
            user=user, meeting=meeting
        ),
        "can_change_evaluations": user.has_perm(
            "cooperation.change_initiativeevaluation"
        )
        and (not published or user.has_perm(assessment_services.CORRECT_LOCKED)),
        # An initiative or recommendation has releasability of its own: show
        # only those released to this user.
        "evaluations": list(
            InitiativeEvaluation.objects.visible_to(user).at_meeting(meeting)
        ),
        "recommendations": [r for r in related if r.source_meeting_id == meeting.pk],
        "minutes_published": published,
        "can_edit_minutes": can_edit_minutes,
        # Who attended and the outcomes: the published minutes, or the draft
        # shown to its secretaries.
        "show_minutes": published or can_edit_minutes,
        "minutes_recorded": bool(meeting.minutes.strip())
        or any(item.has_outcome for item in agenda_items),
        "attendance_recorded": any(i.attendance for i in invitations),
        "outcomes_recorded": any(
            item.has_outcome or item.visible_raised for item in agenda_items
        ),
        "publish_form": publish_form,
        "can_cancel": can_change and open_meeting,
        "cancel_form": cancel_form,
        **series_context(user, meeting),
        "documents_section": documents_section(user, meeting),
    }
    return context


@require_GET
def meeting_detail(request, pk):
    """A meeting's page; its content is kept rendered for a minute, per reader
    (``views.common.kept_page``), renewed by any write."""
    user = request.user
    return kept_page(
        request,
        "cooperation/meeting_detail.html",
        lambda: meeting_page_context(request, get_meeting_for(user, pk)),
        page={"meeting": heading_of(user, AssessmentMeeting.objects, ["title"], pk=pk)},
    )


@require_http_methods(["GET", "POST"])
def meeting_minutes(request, pk):
    """Record the minutes (who attended, each agenda item's outcome, the free
    text) or correct published ones (a new revision), all saved together by
    ``meeting_record_minutes`` over the version the page was loaded from."""
    user = request.user
    meeting = get_meeting_for(user, pk)
    if not meeting_services.minutes_can_edit(user=user, meeting=meeting):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = MinutesForm(data, meeting=meeting if data is None else None)
    attendance = attendance_formset(data, meeting)
    outcomes = outcome_formset(data, meeting)
    conflict, status = None, 200
    if data is not None:
        status = 400
        if all([form.is_valid(), attendance.is_valid(), outcomes.is_valid()]):
            try:
                meeting_services.meeting_record_minutes(
                    meeting=meeting,
                    version=form.posted_version(),
                    acting_user=user,
                    minutes=form.cleaned_data["minutes"],
                    attendance=attendance_entries(attendance),
                    outcomes=outcome_entries(outcomes),
                )
            except concurrency.EditConflict as error:
                conflict = concurrency.conflict_context(form, error)
                status = 409
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED:
                    messages.success(request, gettext("Minutes corrected."))
                else:
                    messages.success(request, gettext("Draft minutes saved."))
                return redirect(meeting.get_absolute_url() + "#minutes")
    return render(
        request,
        "cooperation/meeting_minutes.html",
        {
            "meeting": meeting,
            "minutes_form": form,
            "attendance": attendance,
            "outcomes": outcomes,
            "minutes_published": (
                meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
            ),
            "can_raise": user.has_perm("cooperation.add_recommendation"),
            **(conflict or {}),
        },
        status=status,
    )


@permission_required("cooperation.change_assessmentmeeting", raise_exception=True)
@require_POST
def meeting_minutes_publish(request, pk):
    meeting = get_meeting_for(request.user, pk)
    confirmation = PublishMinutesForm(request.POST)
    if not confirmation.is_valid():
        for message in confirmation.errors.get("confirm", []):
            messages.error(request, message)
        return redirect(meeting.get_absolute_url() + "#minutes")
    try:
        meeting_services.meeting_publish_minutes(
            meeting=meeting, acting_user=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, gettext("Minutes published."))
    return redirect(meeting.get_absolute_url() + "#minutes")


@permission_required("cooperation.change_assessmentmeeting", raise_exception=True)
@require_POST
def meeting_cancel(request, pk):
    meeting = get_meeting_for(request.user, pk)
    scope = Scope.THIS
    if meeting.series_id:
        form = ScopeForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                "cooperation/meeting_detail.html",
                meeting_page_context(request, meeting, cancel_form=form),
                status=400,
            )
        scope = form.cleaned_data["scope"]
    try:
        cancelled = meeting_services.meeting_cancel(
            meeting=meeting, acting_user=request.user, scope=scope
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "Meeting cancelled; attendees are told.",
                "%(count)d meetings cancelled; attendees are told.",
                len(cancelled),
            )
            % {"count": len(cancelled)},
        )
    return redirect(meeting)
