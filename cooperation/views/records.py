"""The situation assessments and initiative evaluations recorded at a meeting.

Both are reached only through their meeting (``access.get_meeting_for``: 404 when it
is missing or not released to the user), and both are saved through their service
in ``services.assessments``; one form page serves the two (``RecordKind``).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from cooperation.forms.meetings import (
    DUPLICATE_ASSESSMENT,
    DUPLICATE_EVALUATION,
    InitiativeEvaluationForm,
    SituationAssessmentForm,
)
from cooperation.models import (
    InitiativeEvaluation,
    Nation,
    SituationAssessment,
)
from cooperation.services import assessments as assessment_services

from .access import get_meeting_for


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
