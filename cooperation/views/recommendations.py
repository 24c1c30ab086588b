"""Recommendation pages: list, detail with its timeline, raise, edit, change status,
post a progress update, comment."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperation import concurrency, services, timeline
from cooperation.filters.recommendations import RecommendationFilter
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.recommendations import (
    RecommendationCommentForm,
    RecommendationEditForm,
    RecommendationForm,
    RecommendationProgressForm,
    RecommendationTransitionForm,
)
from cooperation.models import AgendaItem, Follow, Nation, Recommendation
from cooperation.services import recommendations as recommendation_services

from .access import get_meeting_for, get_recommendation_for, heading_of
from .common import (
    Column,
    ListSpec,
    choice_label,
    export_chunks,
    kept_page,
    linked,
    list_page,
    nation_names,
    nulls_last,
    owner_names,
)
from .documents import documents_section
from .records import add_service_error

CHANGE_PERMISSION = "cooperation.change_recommendation"


# ------------------------------------------------------------------------- reads


def recommendations_for_list(user, *, exporting, sort):
    """What the list and its CSV show: a fixed number of queries whatever the rows."""
    recommendations = Recommendation.objects.visible_to(user).with_visible_sources(user)
    return recommendations.for_export() if exporting else recommendations.for_list()


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
        # Once per chunk rather than per row: each costs more than the row's text.
        today = timezone.localdate()
        yes, no, everyone = gettext("yes"), gettext("no"), gettext("All partners")
        for recommendation in recommendations:
            pk = recommendation.pk
            recommendation.export_owner = owners[recommendation.owner_id]
            recommendation.export_nations = "; ".join(addressed.get(pk, []))
            recommendation.export_released_to = (
                everyone
                if recommendation.released_to_all
                else "; ".join(released.get(pk, []))
            )
            recommendation.export_overdue = (
                yes if recommendation.is_overdue(today) else no
            )

    return export_chunks(queryset, attach=attach)


# Undated rows sort after dated ones (before them, descending) on every database.
# Each sort's first column has an index (Recommendation.Meta.indexes), except the
# status's workflow order and the owner's name (a join), which sort the visible rows.
RECOMMENDATION_LIST = ListSpec(
    filterset=RecommendationFilter,
    queryset=recommendations_for_list,
    columns=[
        Column(
            _("Reference"), "reference", lambda r: r.reference, order_by=["reference"]
        ),
        Column(_("Title"), "title", lambda r: r.title, order_by=["title", "reference"]),
        Column(
            _("Status"),
            "status",
            lambda r: choice_label(Recommendation.Status, r.status),
            order_by=["status_rank", "reference"],
        ),
        Column(
            _("Priority"),
            "priority",
            lambda r: choice_label(Recommendation.Priority, r.priority),
            order_by=["priority", nulls_last("due_date"), "reference"],
        ),
        Column(
            _("Due date"),
            "due",
            lambda r: r.due_date.isoformat() if r.due_date else "",
            order_by=[nulls_last("due_date"), "reference"],
        ),
        Column(_("Overdue"), value=lambda r: r.export_overdue, in_table=False),
        Column(_("Progress"), value=lambda r: r.progress, csv_label=_("Progress (%)")),
        Column(
            _("Owner"),
            "owner",
            lambda r: r.export_owner,
            order_by=["owner__last_name", "owner__first_name", "owner__username"],
        ),
        Column(_("Focus area"), value=lambda r: r.export_focus_area),
        Column(
            _("Source meeting"),
            value=lambda r: r.visible_source_meeting_title or "",
            in_table=False,
        ),
        Column(
            _("Initiative"),
            value=lambda r: r.visible_initiative_title or "",
            in_table=False,
        ),
        Column(_("Addressed nations"), value=lambda r: r.export_nations),
        Column(_("Released to"), value=lambda r: r.export_released_to, in_table=False),
    ],
    default_sort="-reference",
    template="cooperation/recommendation_list.html",
    csv_filename="recommendations",
    export_rows=export_recommendations,
    context=lambda request: {"today": timezone.localdate()},
)


@require_GET
def recommendation_list(request):
    return list_page(request, RECOMMENDATION_LIST)


def _detail_context(
    request,
    recommendation,
    *,
    transition_form=None,
    progress_form=None,
    comment_form=None,
):
    user = request.user
    sources = (
        Recommendation.objects.filter(pk=recommendation.pk)
        .with_visible_sources(user)
        .values(
            "visible_source_meeting_title",
            "visible_initiative_title",
            "source_agenda_item__title",
            # Shown only with their titles: the language each is written in.
            "source_meeting__language",
            "initiative__language",
        )
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
    can_post_progress = recommendation_services.recommendation_can_post_progress(
        recommendation=recommendation, user=user
    )
    if not can_post_progress:
        progress_form = None
    elif progress_form is None:
        progress_form = RecommendationProgressForm(recommendation=recommendation)
    updates, hidden_updates = timeline.timeline(recommendation)
    return {
        "recommendation": recommendation,
        "source_meeting_title": sources["visible_source_meeting_title"],
        # The agenda item follows its meeting's release: named only with it.
        "source_agenda_item_title": sources["source_agenda_item__title"]
        if sources["visible_source_meeting_title"] is not None
        else None,
        "initiative_title": sources["visible_initiative_title"],
        "source_meeting_language": sources["source_meeting__language"],
        "initiative_language": sources["initiative__language"],
        "nations": list(recommendation.nations.order_by("name")),
        "released_to": (
            []
            if recommendation.released_to_all
            else list(recommendation.released_to.order_by("name"))
        ),
        "updates": updates,
        "hidden_updates": hidden_updates,
        "progress_form": progress_form,
        "comment_form": comment_form or RecommendationCommentForm(),
        "can_change": can_change,
        "allowed_transitions": allowed,
        "transition_form": transition_form,
        "is_overdue": recommendation.is_overdue(),
        "documents_section": documents_section(user, recommendation),
        "following": Follow.objects.filter(
            user=user, recommendation=recommendation
        ).exists(),
    }


@require_GET
def recommendation_detail(request, reference):
    """A recommendation's page; its content is kept rendered for a minute, per
    reader (``views.common.kept_page``), renewed by any write."""
    user = request.user
    heading = heading_of(
        user, Recommendation.objects, ["reference", "title"], reference=reference
    )
    return kept_page(
        request,
        "cooperation/recommendation_detail.html",
        lambda: _detail_context(request, get_recommendation_for(user, reference)),
        page={"recommendation": heading},
    )


# ------------------------------------------------------------------------ writes


def outcome_item(meeting, value):
    """The agenda item of ``meeting`` named by ``value`` (a posted id), None when
    none is asked; 404 for an id that is not an item of this meeting."""
    if not value:
        return None
    if meeting is None or not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise Http404
    return get_object_or_404(AgendaItem, meeting=meeting, pk=int(value))


def outcome_initial(item):
    """The new recommendation's title and description, from ``item``'s outcome."""
    if item is None:
        return None
    title_length = Recommendation._meta.get_field("title").max_length
    follow_up = item.follow_up.strip()
    title = (follow_up.splitlines() or [""])[0].strip() or item.title
    parts = [
        f"{label}: {text}"
        for label, text in (
            (gettext("Decision"), item.decision.strip()),
            (gettext("Discussion"), item.discussion.strip()),
            (gettext("Follow-up"), follow_up),
        )
        if text
    ]
    return {"title": title[:title_length], "description": "\n\n".join(parts)}


@require_http_methods(["GET", "POST"])
@permission_required("cooperation.add_recommendation", raise_exception=True)
def recommendation_create(request, pk=None):
    """Raise a recommendation; from a meeting page (``pk``) the meeting is fixed,
    and from an outcome of its minutes (``?agenda_item=``) the form is filled in
    from the outcome and the recommendation is linked back to the agenda item."""
    meeting = get_meeting_for(request.user, pk) if pk is not None else None
    agenda_item = outcome_item(meeting, request.GET.get("agenda_item"))
    data = request.POST if request.method == "POST" else None
    form = RecommendationForm(
        data,
        user=request.user,
        source_meeting=meeting,
        source_agenda_item=agenda_item,
        initial=outcome_initial(agenda_item) if data is None else None,
    )
    release_form = releasability_form_for(request.user, data)
    if data is not None and all(
        [form.is_valid(), release_form is None or release_form.is_valid()]
    ):
        try:
            recommendation = services.recommendation_create(
                acting_user=request.user,
                **form.service_kwargs(),
                **release_kwargs(release_form),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _saved(
                request,
                recommendation,
                gettext("Recommendation %(reference)s was raised."),
            )
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
            "source_agenda_item": agenda_item,
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
            services.recommendation_update(
                recommendation=recommendation,
                version=form.posted_version(),
                acting_user=request.user,
                nations=form.cleaned_data["nations"],
                **release_kwargs(release_form),
            )
        except concurrency.EditConflict as error:
            conflict = concurrency.conflict_context(form, error)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _saved(
                request,
                recommendation,
                gettext("Recommendation %(reference)s was saved."),
            )
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


def _saved(request, recommendation, message):
    """Say ``message`` and show the recommendation, or the list when it is not
    released to the user (a creator without a nation: released to nobody yet)."""
    messages.success(request, message % {"reference": recommendation.reference})
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
                acting_user=user,
                to_status=data["to_status"],
                note=data["note"],
                progress=data["progress"],
                expected_status=data["expected_status"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_service_error(form, error)
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


def _timeline_refused(request, recommendation, message, **forms):
    """The page again, answered 400, with ``message`` and the forms as posted."""
    messages.error(request, message)
    return render(
        request,
        "cooperation/recommendation_detail.html",
        _detail_context(request, recommendation, **forms),
        status=400,
    )


@require_POST
def recommendation_progress(request, reference):
    """Post a progress update (percent and note) without a status change: the
    owner, or an Editor allowed to change recommendations."""
    user = request.user
    recommendation = get_recommendation_for(user, reference)
    # A closed one answers 400 with the reason (the service's); a user who may
    # not post on an open one is refused outright.
    if recommendation.is_open and not (
        recommendation_services.recommendation_can_post_progress(
            recommendation=recommendation, user=user
        )
    ):
        raise PermissionDenied
    form = RecommendationProgressForm(request.POST, recommendation=recommendation)
    refused = gettext("The progress update was not posted: correct the form below.")
    if form.is_valid():
        try:
            recommendation_services.recommendation_post_progress(
                recommendation=recommendation,
                progress=form.cleaned_data["progress"],
                note=form.cleaned_data["note"],
                acting_user=user,
            )
        except ValidationError as error:
            add_service_error(form, error)
            if not hasattr(error, "error_dict"):
                refused = " ".join(
                    [gettext("The progress update was not posted."), *error.messages]
                )
        else:
            messages.success(
                request,
                gettext("Progress on %(reference)s is now %(progress)s%%.")
                % {
                    "reference": recommendation.reference,
                    "progress": recommendation.progress,
                },
            )
            return redirect(recommendation)
    return _timeline_refused(request, recommendation, refused, progress_form=form)


@require_POST
def recommendation_comment(request, reference):
    """Comment on a recommendation: anyone it is released to, Viewers included."""
    user = request.user
    recommendation = get_recommendation_for(user, reference)
    form = RecommendationCommentForm(request.POST)
    if form.is_valid():
        try:
            recommendation_services.recommendation_comment(
                recommendation=recommendation,
                note=form.cleaned_data["note"],
                acting_user=user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Your comment was added."))
            return redirect(f"{recommendation.get_absolute_url()}#timeline-heading")
    return _timeline_refused(
        request,
        recommendation,
        gettext("The comment was not added: correct the form below."),
        comment_form=form,
    )
