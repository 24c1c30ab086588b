"""Recommendation pages: list, detail with its timeline, raise, edit, change status."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    F,
    OuterRef,
    Prefetch,
    Subquery,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation import concurrency, services
from cooperation.filters.recommendations import RecommendationFilter
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.recommendations import (
    RecommendationEditForm,
    RecommendationForm,
    RecommendationTransitionForm,
)
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    Nation,
    Recommendation,
    RecommendationUpdate,
)

from .access import get_meeting_for, get_recommendation_for
from .common import (
    Column,
    choice_label,
    export_chunks,
    linked,
    list_page,
    nation_names,
    nulls_last,
    owner_names,
)

CHANGE_PERMISSION = "cooperation.change_recommendation"


# ------------------------------------------------------------------------- reads


def with_visible_sources(queryset, user):
    """Annotate the source meeting's and initiative's titles, when ``user`` may see
    them (else None), so no page or export names a record not released to them."""
    # One row at most (by primary key): no ordering to sort it by.
    meetings = (
        AssessmentMeeting.objects.visible_to(user)
        .filter(pk=OuterRef("source_meeting_id"))
        .order_by()
    )
    initiatives = (
        Initiative.objects.visible_to(user)
        .filter(pk=OuterRef("initiative_id"))
        .order_by()
    )
    return queryset.annotate(
        visible_source_meeting_title=Subquery(meetings.values("title")[:1]),
        visible_initiative_title=Subquery(initiatives.values("title")[:1]),
    )


def recommendations_for_list(user, *, for_export=False):
    """What the list and its CSV show: a fixed number of queries whatever the rows."""
    queryset = with_visible_sources(Recommendation.objects.visible_to(user), user)
    if for_export:
        # The addressed nations and the releasability come per chunk of rows
        # (``export_recommendations``); the description is not exported.
        return queryset.defer("description").annotate(
            export_focus_area=F("focus_area__name")
        )
    return queryset.select_related("owner", "focus_area").prefetch_related(
        Prefetch("nations", queryset=Nation.objects.order_by("name"))
    )


def export_recommendations(queryset):
    """The recommendations of the CSV, with what its columns read from related
    tables: per chunk of rows, one query each for the addressed nations, the
    releasability and the owners, read as id pairs and named from the short nation
    table (read once, with the names in the reader's language)."""
    names = nation_names(Nation.objects.all())

    def attach(recommendations):
        keys = [recommendation.pk for recommendation in recommendations]
        addressed = linked(Recommendation.nations.field, keys, names)
        released = linked(Recommendation.released_to.field, keys, names)
        owners = owner_names(recommendations)
        for recommendation in recommendations:
            pk = recommendation.pk
            recommendation.export_owner = owners[recommendation.owner_id]
            recommendation.export_nations = "; ".join(addressed.get(pk, []))
            recommendation.export_released_to = "; ".join(released.get(pk, []))

    return export_chunks(queryset, attach=attach)


def _released_to(recommendation):
    if recommendation.released_to_all:
        return gettext("All partners")
    return recommendation.export_released_to


def _yes_no(value):
    return gettext("yes") if value else gettext("no")


# What the CSV holds, in order; the table's own headers are TABLE_COLUMNS.
EXPORT_COLUMNS = [
    Column(_("Reference"), "reference", lambda r: r.reference),
    Column(_("Title"), "title", lambda r: r.title),
    Column(
        _("Status"), "status", lambda r: choice_label(Recommendation.Status, r.status)
    ),
    Column(
        _("Priority"),
        "priority",
        lambda r: choice_label(Recommendation.Priority, r.priority),
    ),
    Column(
        _("Due date"), "due", lambda r: r.due_date.isoformat() if r.due_date else ""
    ),
    Column(_("Overdue"), None, lambda r: _yes_no(r.is_overdue())),
    Column(_("Progress (%)"), None, lambda r: r.progress),
    Column(_("Owner"), "owner", lambda r: r.export_owner),
    Column(_("Focus area"), None, lambda r: r.export_focus_area),
    Column(_("Source meeting"), None, lambda r: r.visible_source_meeting_title or ""),
    Column(_("Initiative"), None, lambda r: r.visible_initiative_title or ""),
    Column(_("Addressed nations"), None, lambda r: r.export_nations),
    Column(_("Released to"), None, _released_to),
]
TABLE_COLUMNS = [
    Column(_("Reference"), "reference"),
    Column(_("Title"), "title"),
    Column(_("Status"), "status"),
    Column(_("Priority"), "priority"),
    Column(_("Due date"), "due"),
    Column(_("Progress"), None),
    Column(_("Owner"), "owner"),
    Column(_("Focus area"), None),
    Column(_("Addressed nations"), None),
]
# Undated rows sort after dated ones (before them, descending) on every database.
# Each sort's first column has an index (Recommendation.Meta.indexes), except the
# status's workflow order and the owner's name (a join), which sort the visible rows.
SORT_FIELDS = {
    "reference": ["reference"],
    "title": ["title", "reference"],
    "status": ["status_rank", "reference"],
    "priority": ["priority", nulls_last("due_date"), "reference"],
    "due": [nulls_last("due_date"), "reference"],
    "owner": ["owner__last_name", "owner__first_name", "owner__username"],
}


@require_GET
def recommendation_list(request):
    exporting = request.GET.get("format") == "csv"
    filterset = RecommendationFilter(
        request.GET or None,
        queryset=recommendations_for_list(request.user, for_export=exporting),
        request=request,
    )
    return list_page(
        request,
        filterset=filterset,
        sort_fields=SORT_FIELDS,
        default_sort="-reference",
        template="cooperation/recommendation_list.html",
        columns=EXPORT_COLUMNS,
        csv_filename="recommendations",
        context={
            "table_columns": TABLE_COLUMNS,
            "today": timezone.localdate(),
            "can_add": request.user.has_perm("cooperation.add_recommendation"),
        },
        export_rows=export_recommendations,
    )


def _detail_context(request, recommendation, *, transition_form=None):
    user = request.user
    sources = (
        with_visible_sources(Recommendation.objects.filter(pk=recommendation.pk), user)
        .values("visible_source_meeting_title", "visible_initiative_title")
        .get()
    )
    can_change = user.has_perm(CHANGE_PERMISSION)
    allowed = (
        services.recommendation_allowed_transitions(
            recommendation=recommendation, user=user
        )
        if can_change
        else []
    )
    if not allowed:
        transition_form = None
    elif transition_form is None:
        transition_form = RecommendationTransitionForm(
            recommendation=recommendation, allowed=allowed
        )
    return {
        "recommendation": recommendation,
        "source_meeting_title": sources["visible_source_meeting_title"],
        "initiative_title": sources["visible_initiative_title"],
        "nations": list(recommendation.nations.order_by("name")),
        "released_to": (
            []
            if recommendation.released_to_all
            else list(recommendation.released_to.order_by("name"))
        ),
        "updates": list(
            RecommendationUpdate.objects.filter(recommendation=recommendation)
            .select_related("author")
            .order_by("created_at", "pk")
        ),
        "can_change": can_change,
        "allowed_transitions": allowed,
        "transition_form": transition_form,
        "is_overdue": recommendation.is_overdue(),
    }


@require_GET
def recommendation_detail(request, reference):
    recommendation = get_recommendation_for(request.user, reference)
    return render(
        request,
        "cooperation/recommendation_detail.html",
        _detail_context(request, recommendation),
    )


# ------------------------------------------------------------------------ writes


def _add_service_errors(form, error):
    """Show a service's ValidationError on the form, on its field when it has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_http_methods(["GET", "POST"])
@permission_required("cooperation.add_recommendation", raise_exception=True)
def recommendation_create(request, pk=None):
    """Raise a recommendation; from a meeting page (``pk``) the meeting is fixed."""
    meeting = get_meeting_for(request.user, pk) if pk is not None else None
    data = request.POST if request.method == "POST" else None
    form = RecommendationForm(data, user=request.user, source_meeting=meeting)
    release_form = releasability_form_for(request.user, data)
    if data is not None and all(
        [form.is_valid(), release_form is None or release_form.is_valid()]
    ):
        try:
            with transaction.atomic():
                recommendation = services.recommendation_create(
                    author=request.user, **form.service_kwargs()
                )
                services.record_release(
                    record=recommendation,
                    user=request.user,
                    creating=True,
                    **release_kwargs(release_form),
                )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                gettext("Recommendation %(reference)s was raised.")
                % {"reference": recommendation.reference},
            )
            if not recommendation.is_visible_to(request.user):
                # A creator without a nation: the record is released to nobody yet.
                return redirect("cooperation:recommendation-list")
            return redirect(recommendation)
    cancel_url = (
        meeting.get_absolute_url()
        if meeting is not None
        else reverse("cooperation:recommendation-list")
    )
    return render(
        request,
        "cooperation/recommendation_form.html",
        {
            "form": form,
            "release_form": release_form,
            "source_meeting": meeting,
            "cancel_url": cancel_url,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def recommendation_edit(request, reference):
    recommendation = get_recommendation_for(request.user, reference)
    data = request.POST if request.method == "POST" else None
    form = RecommendationEditForm(data, instance=recommendation, user=request.user)
    release_form = releasability_form_for(request.user, data, record=recommendation)
    conflict = None
    if data is not None and all(
        [form.is_valid(), release_form is None or release_form.is_valid()]
    ):
        try:
            with transaction.atomic():
                concurrency.lock_unchanged(
                    recommendation, form.posted_version(), user=request.user
                )
                recommendation = form.save()
                services.record_release(
                    record=recommendation,
                    user=request.user,
                    creating=False,
                    **release_kwargs(release_form),
                )
        except concurrency.EditConflict as error:
            conflict = concurrency.conflict_context(form, error)
        else:
            return _edit_saved(request, recommendation)
    return render(
        request,
        "cooperation/recommendation_form.html",
        {
            "form": form,
            "release_form": release_form,
            "recommendation": recommendation,
            "cancel_url": recommendation.get_absolute_url(),
            **(conflict or {}),
        },
    )


def _edit_saved(request, recommendation):
    messages.success(
        request,
        gettext("Recommendation %(reference)s was saved.")
        % {"reference": recommendation.reference},
    )
    if not recommendation.is_visible_to(request.user):
        return redirect("cooperation:recommendation-list")
    return redirect(recommendation)


@require_POST
@permission_required(CHANGE_PERMISSION, raise_exception=True)
def recommendation_transition(request, reference):
    """Change the status through ``services.recommendation_transition``.

    Success redirects to the page (post/redirect/get). Invalid input, an illegal move
    or a stale one (someone moved it since the user loaded the page) re-renders the
    page with the reason and the current status; nothing is changed.
    """
    user = request.user
    recommendation = get_recommendation_for(user, reference)
    allowed = services.recommendation_allowed_transitions(
        recommendation=recommendation, user=user
    )
    form = RecommendationTransitionForm(
        request.POST, recommendation=recommendation, allowed=allowed
    )
    if not form.is_valid():
        messages.error(
            request, gettext("The status was not changed: correct the form below.")
        )
    else:
        data = form.cleaned_data
        try:
            services.recommendation_transition(
                recommendation=recommendation,
                user=user,
                to_status=data["to_status"],
                note=data["note"],
                progress=data["progress"],
                expected_status=data["expected_status"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                _add_service_errors(form, error)
                messages.error(
                    request,
                    gettext("The status was not changed: correct the form below."),
                )
            else:
                messages.error(
                    request,
                    " ".join([gettext("The status was not changed."), *error.messages]),
                )
                # Offer the moves from where it stands now, keeping what was typed.
                form = (
                    RecommendationTransitionForm(
                        recommendation=recommendation,
                        allowed=allowed,
                        initial={"note": data["note"], "progress": data["progress"]},
                    )
                    if allowed
                    else None
                )
        else:
            messages.success(
                request,
                gettext("%(reference)s is now “%(status)s”.")
                % {
                    "reference": recommendation.reference,
                    "status": recommendation.get_status_display(),
                },
            )
            return redirect(recommendation)
    return render(
        request,
        "cooperation/recommendation_detail.html",
        _detail_context(request, recommendation, transition_form=form),
    )
