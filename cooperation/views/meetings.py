"""Meeting pages: the list, one meeting, and what is recorded from its page.

Every page about one meeting starts from ``access.get_meeting_for`` (404 when the
meeting is missing or not released to the user); assessments and evaluations are
reached only through that meeting.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from cooperation import concurrency, services
from cooperation.filters.meetings import MeetingFilter
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.meetings import (
    DUPLICATE_ASSESSMENT,
    DUPLICATE_EVALUATION,
    SCOPE_FOLLOWING,
    SCOPE_THIS,
    AgendaFormSet,
    ConfirmWarningsForm,
    InitiativeEvaluationForm,
    MeetingForm,
    MinutesForm,
    PublishMinutesForm,
    RepeatForm,
    ScopeForm,
    SituationAssessmentForm,
    prefill_from_query,
    zone_or_utc,
)
from cooperation.models import (
    AssessmentMeeting,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    Nation,
    Recommendation,
    SituationAssessment,
)
from cooperation.services import assessments as assessment_services
from cooperation.services import meetings as meeting_services
from cooperation.services import scheduling
from cooperation.services.meetings import CORRECT_MINUTES_PERMISSION

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
    return ", ".join(nation.display_name for nation in record.released_to.all())


MEETING_CSV_COLUMNS = [
    Column(_("Title"), "title", lambda m: m.title),
    Column(_("Starts"), "starts", lambda m: in_meeting_zone(m, m.starts_at)),
    Column(_("Ends"), None, lambda m: in_meeting_zone(m, m.ends_at)),
    Column(_("Time zone"), None, lambda m: m.time_zone),
    Column(_("Status"), "status", lambda m: m.get_status_display()),
    Column(_("Location"), "location", lambda m: m.location),
    Column(_("Online link"), None, lambda m: m.online_url),
    Column(_("Chair"), None, lambda m: m.chair or ""),
    Column(
        _("Nations"), None, lambda m: ", ".join(n.display_name for n in m.nations.all())
    ),
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
    queryset = (
        AssessmentMeeting.objects.visible_to(user)
        .select_related("chair")
        .prefetch_related("nations")
        .annotate(assessment_count=Coalesce(Subquery(assessments), 0))
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


def series_context(user, meeting):
    """Where ``meeting`` sits in its series as ``user`` sees it: its number among
    the occurrences released to them, their total, and the previous and next of
    them (one query). A withheld occurrence is neither counted nor numbered."""
    if meeting.series_id is None:
        return {}
    siblings = list(
        AssessmentMeeting.objects.visible_to(user)
        .filter(series_id=meeting.series_id)
        .order_by("occurrence_number", "pk")
        .values("pk", "occurrence_number", "title", "status", "starts_at")
    )
    position = next(i for i, s in enumerate(siblings) if s["pk"] == meeting.pk)
    return {
        "series_position": position + 1,
        "series_total": len(siblings),
        "previous_occurrence": siblings[position - 1] if position > 0 else None,
        "next_occurrence": siblings[position + 1]
        if position + 1 < len(siblings)
        else None,
    }


def meeting_page_context(request, meeting, *, minutes_form=None, cancel_form=None):
    """Everything the meeting page shows, in a fixed number of queries."""
    user = request.user
    agenda_items = list(meeting.agenda_items.select_related("presenter"))
    agenda_minutes = schedule_agenda(meeting, agenda_items)
    meeting_minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
    nations, released_to = meeting_nations(meeting)
    assessments = list(meeting.assessments.select_related("nation", "focus_area"))
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
    # By the keys the agenda already holds: an OR across the agenda's join would
    # read every recommendation (30 ms at 100k) where two indexes serve this one.
    reviewed_keys = {item.recommendation_id for item in agenda_items}
    reviewed_keys.discard(None)
    related = list(
        Recommendation.objects.visible_to(user)
        .filter(Q(source_meeting=meeting) | Q(pk__in=reviewed_keys))
        .select_related("owner")
        .order_by("reference")
    )
    reviewed = {recommendation.pk: recommendation for recommendation in related}
    for item in agenda_items:
        item.visible_recommendation = reviewed.get(item.recommendation_id)
    invitations = list(
        Invitation.objects.filter(meeting=meeting).select_related("user")
    )
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
    if minutes_form is None and (
        (can_change and not published) or (can_correct and published)
    ):
        minutes_form = MinutesForm(initial={"minutes": meeting.minutes})
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
            InitiativeEvaluation.objects.visible_to(user)
            .filter(meeting=meeting)
            .select_related("initiative")
        ),
        "recommendations": [r for r in related if r.source_meeting_id == meeting.pk],
        "minutes_published": published,
        "minutes_form": minutes_form,
        "publish_form": publish_form,
        "can_cancel": can_change and open_meeting,
        "cancel_form": cancel_form,
        **series_context(user, meeting),
    }
    return context


@require_GET
def meeting_detail(request, pk):
    meeting = get_meeting_for(request.user, pk)
    return render(
        request,
        "cooperation/meeting_detail.html",
        meeting_page_context(request, meeting),
    )


@require_POST
def meeting_minutes(request, pk):
    """Save the draft minutes, or correct published ones (a new revision)."""
    user = request.user
    meeting = get_meeting_for(user, pk)
    published = meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
    if published and not user.has_perm(CORRECT_MINUTES_PERMISSION):
        raise PermissionDenied
    if not published and not user.has_perm("cooperation.change_assessmentmeeting"):
        raise PermissionDenied
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            meeting_services.meeting_save_minutes(
                meeting=meeting, user=user, minutes=form.cleaned_data["minutes"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            if published:
                messages.success(request, gettext("Minutes corrected."))
            else:
                messages.success(request, gettext("Draft minutes saved."))
            return redirect(meeting.get_absolute_url() + "#minutes")
    return render(
        request,
        "cooperation/meeting_detail.html",
        meeting_page_context(request, meeting, minutes_form=form),
        status=400,
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
        meeting_services.meeting_publish_minutes(meeting=meeting, user=request.user)
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
    scope = SCOPE_THIS
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
            meeting=meeting, user=request.user, scope=scope
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


# -------------------------------------------------------------------------- forms


def all_valid(*forms):
    """Validate every form (so every error shows at once); ignore absent ones."""
    results = [form.is_valid() for form in forms if form is not None]
    return all(results)


@dataclass
class Planned:
    """One meeting the form would save: its number in a series, and its times."""

    label: str | None
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def in_zone(value, zone_name):
    return f"{timezone.localtime(value, zone_or_utc(zone_name)):%Y-%m-%d %H:%M}"


def plan_new(cleaned, repeat_cleaned):
    """The meetings a create form would save: one, or each occurrence of a series."""
    starts_at, ends_at = cleaned["starts_at"], cleaned["ends_at"]
    if not repeat_cleaned.get("frequency"):
        return [Planned(None, starts_at, ends_at)], None
    zone_name = cleaned["time_zone"]
    local = timezone.localtime(starts_at, zone_or_utc(zone_name))
    duration = int((ends_at - starts_at).total_seconds() // 60)
    series = {
        "frequency": repeat_cleaned["frequency"],
        "interval": repeat_cleaned["interval"],
        "starts_on": local.date(),
        "start_time": local.time().replace(second=0, microsecond=0),
        "duration_minutes": duration,
        "time_zone": zone_name,
        "until": repeat_cleaned.get("until"),
        "count": repeat_cleaned.get("count"),
    }
    # The series' own rules (duration 15–720 minutes, end after start…) first.
    MeetingSeries(title=cleaned["title"], **series).full_clean(
        exclude=["title", "created_by"]
    )
    times = meeting_services.series_occurrence_times(**series)
    plan = [
        Planned(
            gettext("Occurrence %(number)d of %(total)d, %(when)s")
            % {
                "number": time.number,
                "total": len(times),
                "when": f"{in_zone(time.starts_at, zone_name)} {zone_name}",
            },
            time.starts_at,
            time.ends_at,
        )
        for time in times
    ]
    return plan, series


def plan_edit(stored, cleaned, scope):
    """The meetings an edit would change, with their new times."""
    targets = (
        meeting_services.following_occurrences(stored)
        if scope == SCOPE_FOLLOWING
        else [stored]
    )
    times = meeting_services.shifted_times(
        meeting=stored,
        others=targets,
        starts_at=cleaned["starts_at"],
        ends_at=cleaned["ends_at"],
        time_zone=cleaned["time_zone"],
    )
    plan = []
    for target in targets:
        starts_at, ends_at = times[target.pk]
        label = None
        if len(targets) > 1:
            label = gettext("Occurrence %(number)d, %(when)s") % {
                "number": target.occurrence_number,
                "when": f"{in_zone(starts_at, cleaned['time_zone'])} "
                f"{cleaned['time_zone']}",
            }
        plan.append(Planned(label, starts_at, ends_at))
    return plan, [target.pk for target in targets]


def plan_warnings(plan, cleaned, user, exclude):
    """Every scheduling warning of every planned meeting, labelled."""
    nations = list(cleaned.get("nations") or [])
    attendees = list(cleaned.get("attendees") or [])
    warnings = []
    for planned in plan:
        for warning in scheduling.meeting_check(
            starts_at=planned.starts_at,
            ends_at=planned.ends_at,
            nations=nations,
            attendees=attendees,
            user=user,
            exclude_meeting_ids=exclude,
        ):
            warnings.append(
                {
                    "occurrence": planned.label,
                    "code": warning.code,
                    "message": warning.message,
                }
            )
    return warnings


def warnings_digest(warnings):
    text = "\n".join(
        f"{w['occurrence'] or ''}|{w['code']}|{w['message']}" for w in warnings
    )
    return hashlib.sha256(text.encode()).hexdigest()


def meeting_form_page(request, meeting):
    creating = meeting.pk is None
    user = request.user
    data = request.POST if request.method == "POST" else None
    initial = prefill_from_query(request.GET) if creating and data is None else None
    form = MeetingForm(data, instance=meeting, user=user, initial=initial)
    agenda = AgendaFormSet(data, instance=meeting, prefix="agenda")
    repeat = RepeatForm(data) if creating else None
    scope_form = ScopeForm(data) if meeting.series_id else None
    release_form = releasability_form_for(
        user, data, record=None if creating else meeting
    )
    confirm = ConfirmWarningsForm(data)
    warnings = []
    warnings_changed = False
    conflict = None
    if data is not None and all_valid(form, agenda, repeat, scope_form, release_form):
        cleaned = form.cleaned_data
        scope = scope_form.cleaned_data["scope"] if scope_form else SCOPE_THIS
        series = None
        try:
            if creating:
                plan, series = plan_new(cleaned, repeat.cleaned_data)
                exclude = []
            else:
                stored = AssessmentMeeting.objects.get(pk=meeting.pk)
                plan, exclude = plan_edit(stored, cleaned, scope)
        except ValidationError as error:
            (repeat or form).add_error(None, error.messages)
        else:
            warnings = plan_warnings(plan, cleaned, user, exclude)
            digest = warnings_digest(warnings)
            if not warnings or confirm.confirms(digest):
                try:
                    saved = save_meeting(
                        request,
                        meeting=meeting,
                        form=form,
                        agenda=agenda,
                        release_form=release_form,
                        series=series,
                        scope=scope,
                    )
                except ValidationError as error:
                    form.add_error(None, error.messages)
                except concurrency.EditConflict as error:
                    conflict = concurrency.conflict_context(form, error)
                else:
                    return redirect(saved)
            else:
                posted = confirm.posted_digest()
                warnings_changed = bool(posted) and posted != digest
                if posted != digest:
                    # New warnings: ask again, with nothing ticked.
                    confirm = ConfirmWarningsForm(initial={"warnings_digest": digest})
    return render(
        request,
        "cooperation/meeting_form.html",
        {
            "meeting": None if creating else meeting,
            "form": form,
            "agenda": agenda,
            "repeat": repeat,
            "scope_form": scope_form,
            "release_form": release_form,
            "warnings": warnings,
            "warnings_changed": warnings_changed,
            "confirm": confirm if warnings else None,
            **(conflict or {}),
        },
    )


def save_meeting(request, *, meeting, form, agenda, release_form, series, scope):
    """Save what the meeting form planned; returns the meeting to show next.

    An edit of a version that is no longer the current one saves nothing and raises
    ``concurrency.EditConflict``.
    """
    user = request.user
    cleaned = form.cleaned_data
    creating = meeting.pk is None
    with transaction.atomic():
        if not creating:
            # Before anything is written: the meeting must still be the version the
            # form was loaded from (else ``concurrency.EditConflict``).
            concurrency.lock_unchanged(meeting, form.posted_version(), user=user)
        if series is not None:
            created = meeting_services.meeting_schedule_series(
                user=user,
                title=cleaned["title"],
                nations=cleaned["nations"],
                attendees=cleaned["attendees"],
                location=cleaned["location"],
                online_url=cleaned["online_url"],
                chair=cleaned["chair"],
                **series,
                **release_kwargs(release_form),
            )
            first = created.occurrences.order_by("occurrence_number").first()
            agenda.save_in_order(first)
            count = created.occurrences.count()
            messages.success(
                request,
                ngettext(
                    "Series “%(title)s” scheduled: %(count)d meeting.",
                    "Series “%(title)s” scheduled: %(count)d meetings.",
                    count,
                )
                % {"title": created.title, "count": count},
            )
            return first
        if creating:
            meeting = form.save()
            agenda.save_in_order(meeting)
            services.record_release(
                record=meeting,
                user=user,
                creating=True,
                **release_kwargs(release_form),
            )
            if meeting.status == AssessmentMeeting.Status.SCHEDULED:
                meeting_services.meeting_notify_on_commit(
                    meeting=meeting, kind="request"
                )
            messages.success(request, gettext("Meeting “%s” created.") % meeting.title)
            return meeting
        # The agenda first: marking the meeting held carries over what it left open.
        agenda.save_in_order(meeting)
        changed = meeting_services.meeting_update_occurrence(
            meeting=meeting,
            user=user,
            scope=scope,
            title=cleaned["title"],
            status=cleaned["status"],
            starts_at=cleaned["starts_at"],
            ends_at=cleaned["ends_at"],
            time_zone=cleaned["time_zone"],
            location=cleaned["location"],
            online_url=cleaned["online_url"],
            chair=cleaned["chair"],
            nations=cleaned["nations"],
            attendees=cleaned["attendees"],
        )
        for record in changed:
            services.record_release(
                record=record, user=user, **release_kwargs(release_form)
            )
    saved = changed[0]
    if len(changed) > 1:
        text = ngettext(
            "Meeting “%(title)s” and %(count)d following occurrence saved.",
            "Meeting “%(title)s” and %(count)d following occurrences saved.",
            len(changed) - 1,
        ) % {"title": saved.title, "count": len(changed) - 1}
    else:
        text = gettext("Meeting “%s” saved.") % saved.title
    messages.success(request, text)
    return saved


@permission_required("cooperation.add_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    return meeting_form_page(request, AssessmentMeeting())


@permission_required("cooperation.change_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    return meeting_form_page(request, get_meeting_for(request.user, pk))


def requested_nation(request):
    """The active nation named by ``?nation=`` (an ISO alpha-2 code), if any."""
    code = request.GET.get("nation", "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        return None
    return Nation.objects.filter(is_active=True, iso_alpha2=code).first()


@dataclass(frozen=True)
class RecordKind:
    """What differs between the assessment and the evaluation form pages."""

    form_class: type
    template: str
    context_name: str
    save: object  # the service: save(record=…, acting_user=…, reason=…)
    duplicate: str
    recorded: str
    saved: str
    corrected: str
    label: object  # the record's name in the messages


ASSESSMENT = RecordKind(
    form_class=SituationAssessmentForm,
    template="cooperation/assessment_form.html",
    context_name="assessment",
    save=lambda record, **kw: assessment_services.assessment_save(
        assessment=record, **kw
    ),
    duplicate=DUPLICATE_ASSESSMENT,
    recorded=_("Situation assessment of %s recorded."),
    saved=_("Situation assessment of %s saved."),
    corrected=_("Situation assessment of %s corrected."),
    label=lambda record: record.nation.display_name,
)
EVALUATION = RecordKind(
    form_class=InitiativeEvaluationForm,
    template="cooperation/evaluation_form.html",
    context_name="evaluation",
    save=lambda record, **kw: assessment_services.evaluation_save(
        evaluation=record, **kw
    ),
    duplicate=DUPLICATE_EVALUATION,
    recorded=_("Evaluation of “%s” recorded."),
    saved=_("Evaluation of “%s” saved."),
    corrected=_("Evaluation of “%s” corrected."),
    label=lambda record: record.initiative.title,
)


def add_service_error(form, error):
    """Show a service's error on the form: on its field when the form has it (a
    reason the minutes, published meanwhile, now need is a form-wide error)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def record_form_page(request, meeting, record, kind, *, initial=None):
    """Record or change an assessment or evaluation through its service."""
    creating = record.pk is None
    user = request.user
    status = 200
    if request.method == "POST":
        form = kind.form_class(request.POST, instance=record, user=user)
        if form.is_valid():
            try:
                saved = kind.save(
                    record,
                    acting_user=user,
                    reason=form.cleaned_data.get("reason", ""),
                )
            except ValidationError as error:
                add_service_error(form, error)
            except IntegrityError:
                # Someone recorded the same thing between our check and our insert.
                form.add_error(None, kind.duplicate)
            else:
                if creating:
                    text = kind.recorded
                elif form.needs_reason:
                    text = kind.corrected
                else:
                    text = kind.saved
                messages.success(request, text % kind.label(saved))
                return redirect(saved)
        status = 400
    else:
        form = kind.form_class(instance=record, user=user, initial=initial)
    return render(
        request,
        kind.template,
        {
            "meeting": meeting,
            kind.context_name: None if creating else record,
            "form": form,
        },
        status=status,
    )


@permission_required("cooperation.add_situationassessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_create(request, pk):
    meeting = get_meeting_for(request.user, pk)
    if not assessment_services.assessment_can_record(
        user=request.user, meeting=meeting
    ):
        raise PermissionDenied
    nation = requested_nation(request)
    if (
        nation is not None
        and not assessment_services.assessment_nations_for(user=request.user)
        .filter(pk=nation.pk)
        .exists()
    ):
        nation = None  # not one they may assess: offer their own instead
    initial = {"is_draft": meeting.starts_at > timezone.now()}
    if nation is None and not request.user.has_perm(
        assessment_services.ASSESS_ANY_NATION
    ):
        nation = request.user.nation
    if nation is not None:
        initial["nation"] = nation.pk
    return record_form_page(
        request,
        meeting,
        SituationAssessment(meeting=meeting),
        ASSESSMENT,
        initial=initial,
    )


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
    if not assessment_services.assessment_can_change(
        user=request.user, assessment=assessment
    ):
        raise PermissionDenied
    return record_form_page(request, meeting, assessment, ASSESSMENT)


@permission_required("cooperation.add_initiativeevaluation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def evaluation_create(request, pk):
    meeting = get_meeting_for(request.user, pk)
    if not assessment_services.evaluation_can_record(
        user=request.user, meeting=meeting
    ):
        raise PermissionDenied
    return record_form_page(
        request, meeting, InitiativeEvaluation(meeting=meeting), EVALUATION
    )


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
    if not assessment_services.evaluation_can_change(
        user=request.user, evaluation=evaluation
    ):
        raise PermissionDenied
    return record_form_page(request, meeting, evaluation, EVALUATION)
