"""The meeting form: create a meeting or a recurring series, or edit one meeting
or it and the following occurrences of its series.

HTTP only: the forms are parsed here, ``services.meetings.meeting_plan`` says which
meetings would be saved and what the scheduler must confirm, and
``meeting_create`` / ``meeting_update`` save them.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from cooperation import concurrency
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.meetings import (
    AgendaFormSet,
    ConfirmWarningsForm,
    MeetingForm,
    RepeatForm,
    ScopeForm,
    prefill_from_query,
)
from cooperation.models import AssessmentMeeting
from cooperation.services import meetings as meeting_services
from cooperation.services.meetings import Scope

from .access import get_meeting_for
from .records import add_service_error


def all_valid(*forms):
    """Validate every form (so every error shows at once); ignore absent ones."""
    results = [form.is_valid() for form in forms if form is not None]
    return all(results)


def meeting_form_page(request, meeting):
    """Create or edit a meeting (or a series): the forms, the plan and its
    warnings to confirm, then the meeting services save it."""
    creating = meeting.pk is None
    user = request.user
    data = request.POST if request.method == "POST" else None
    initial = prefill_from_query(request.GET) if creating and data is None else None
    form = MeetingForm(data, instance=meeting, user=user, initial=initial)
    agenda = AgendaFormSet(data, instance=meeting, prefix="agenda")
    repeat = None
    if creating:
        repeat = RepeatForm(
            data,
            initial=RepeatForm.initial_from_query(request.GET)
            if data is None
            else None,
        )
    scope_form = ScopeForm(data) if meeting.series_id else None
    release_form = releasability_form_for(
        user, data, record=None if creating else meeting
    )
    confirm = ConfirmWarningsForm(data)
    plan = None
    warnings_changed = False
    conflict = None
    if data is not None and all_valid(form, agenda, repeat, scope_form, release_form):
        try:
            plan = meeting_services.meeting_plan(
                details=form.details(),
                acting_user=user,
                meeting=None if creating else meeting,
                scope=scope_form.cleaned_data["scope"] if scope_form else Scope.THIS,
                repeat=repeat.repeat() if repeat else None,
            )
        except ValidationError as error:
            (repeat or form).add_error(None, error.messages)
        else:
            if not plan.warnings or confirm.confirms(plan.digest):
                try:
                    return save_meeting(
                        request,
                        meeting,
                        plan,
                        form=form,
                        agenda=agenda,
                        release_form=release_form,
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                except concurrency.EditConflict as error:
                    conflict = concurrency.conflict_context(form, error)
            else:
                posted = confirm.posted_digest()
                warnings_changed = bool(posted) and posted != plan.digest
                if posted != plan.digest:
                    # New warnings: ask again, with nothing ticked.
                    confirm = ConfirmWarningsForm(
                        initial={"warnings_digest": plan.digest}
                    )
    warnings = [
        {"occurrence": label, "code": warning.code, "message": warning.message}
        for label, warning in (plan.warnings if plan else [])
    ]
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


def save_meeting(request, meeting, plan, *, form, agenda, release_form):
    """Save ``plan`` through the meeting services; say what was saved; show it.

    An edit of a version that is no longer the current one saves nothing and raises
    ``concurrency.EditConflict``.
    """
    items, removed = agenda.agenda()
    release = release_kwargs(release_form)
    if meeting.pk is None:
        saved = meeting_services.meeting_create(
            plan=plan, acting_user=request.user, agenda=items, **release
        )
        if plan.repeat is not None:
            text = ngettext(
                "Series “%(title)s” scheduled: %(count)d meeting.",
                "Series “%(title)s” scheduled: %(count)d meetings.",
                len(saved),
            ) % {"title": plan.details.title, "count": len(saved)}
        else:
            text = gettext("Meeting “%s” created.") % saved[0].title
    else:
        saved = meeting_services.meeting_update(
            meeting=meeting,
            version=form.posted_version(),
            plan=plan,
            acting_user=request.user,
            agenda=items,
            agenda_removed=removed,
            **release,
        )
        if len(saved) > 1:
            text = ngettext(
                "Meeting “%(title)s” and %(count)d following occurrence saved.",
                "Meeting “%(title)s” and %(count)d following occurrences saved.",
                len(saved) - 1,
            ) % {"title": saved[0].title, "count": len(saved) - 1}
        else:
            text = gettext("Meeting “%s” saved.") % saved[0].title
    messages.success(request, text)
    return redirect(saved[0])


@permission_required("cooperation.add_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    return meeting_form_page(request, AssessmentMeeting())


@permission_required("cooperation.change_assessmentmeeting", raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    return meeting_form_page(request, get_meeting_for(request.user, pk))
