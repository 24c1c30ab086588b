"""Initiative pages: the list and its CSV, the detail page, create and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperation import concurrency, services
from cooperation.filters.initiatives import InitiativeFilter
from cooperation.forms.common import releasability_form_for, release_kwargs
from cooperation.forms.initiatives import InitiativeForm, participation_formset
from cooperation.models import (
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Participation,
    Recommendation,
)

from .access import get_initiative_for, heading_of
from .common import (
    Column,
    ListSpec,
    choice_label,
    export_chunks,
    grouped,
    kept_page,
    linked,
    list_page,
    nation_names,
    nulls_last,
    owner_names,
)
from .documents import documents_section

ADD_PERMISSION = "cooperation.add_initiative"
CHANGE_PERMISSION = "cooperation.change_initiative"
# Related recommendations shown on the detail page; the list has the rest.
DETAIL_RECOMMENDATIONS = 25


# ------------------------------------------------------------------------- reads


def initiatives_for_list(user, *, exporting, sort):
    """What the list and its CSV show: a fixed number of queries whatever the rows.

    The CSV reads the lead, participants, focus areas and releasability per chunk
    (``export_initiatives``); it joins the lead's sort key only to sort by it.
    """
    initiatives = Initiative.objects.visible_to(user)
    if exporting:
        return initiatives.for_export(by_lead=sort == "lead")
    return initiatives.for_list()


def export_initiatives(queryset):
    """The initiatives of the CSV, with what its columns read from related tables:
    per chunk of rows, one query each for participations, focus areas, releasability
    and owners, read as id tuples and named from the short nation and focus-area
    tables (read once, with the names and role labels in the reader's language)."""
    nations = {nation.pk: nation for nation in Nation.objects.all()}
    names = nation_names(nations.values())
    areas = {
        area.pk: (area.display_name, area.display_name)
        for area in FocusArea.objects.all()
    }
    roles = {value: str(label) for value, label in Participation.Role.choices}
    lead = Participation.Role.LEAD

    def attach(initiatives):
        keys = [initiative.pk for initiative in initiatives]
        participations = grouped(
            # The lead first, then by name, as on the detail page.
            (initiative_id, (role != lead, nations[nation_id].name, nation_id, role))
            for initiative_id, nation_id, role in Participation.objects.filter(
                initiative_id__in=keys
            ).values_list("initiative_id", "nation_id", "role")
        )
        focus_areas = linked(Initiative.focus_areas.field, keys, areas)
        released = linked(Initiative.released_to.field, keys, names)
        owners = owner_names(initiatives)
        for initiative in initiatives:
            initiative.export_owner = owners[initiative.owner_id]
            rows = sorted(participations.get(initiative.pk, []))
            initiative.export_participants = "; ".join(
                f"{names[nation_id][1]} ({roles.get(role, role)})"
                for _, _, nation_id, role in rows
            )
            is_led = bool(rows) and rows[0][3] == lead
            initiative.export_lead = names[rows[0][2]][1] if is_led else ""
            initiative.export_focus_areas = ", ".join(
                focus_areas.get(initiative.pk, [])
            )
            initiative.export_released_to = ", ".join(released.get(initiative.pk, []))

    return export_chunks(queryset, attach=attach)


def _released_to(initiative):
    if initiative.released_to_all:
        return gettext("All partners")
    return initiative.export_released_to


# Rows without a lead or a date sort after the others (before them, descending) on
# every database. Each sort's first column has an index (Initiative.Meta.indexes),
# except the status's own order and the lead nation's name (a join), which sort the
# visible rows. The CSV has every column; the table leaves out what the detail
# page shows.
INITIATIVE_LIST = ListSpec(
    filterset=InitiativeFilter,
    queryset=initiatives_for_list,
    columns=[
        Column(_("Title"), "title", lambda i: i.title, order_by=["title"]),
        Column(
            _("Kind"),
            "kind",
            lambda i: choice_label(Initiative.Kind, i.kind),
            order_by=["kind", "title"],
        ),
        Column(
            _("Status"),
            "status",
            lambda i: choice_label(Initiative.Status, i.status),
            order_by=["status_rank", "title"],
        ),
        Column(
            _("Lead nation"),
            "lead",
            lambda i: i.export_lead,
            order_by=[nulls_last("lead_nation_order"), "title"],
        ),
        Column(
            _("Participating nations"),
            value=lambda i: i.export_participants,
            in_table=False,
        ),
        Column(_("Focus areas"), value=lambda i: i.export_focus_areas),
        Column(
            _("Planned start"),
            "planned_start",
            lambda i: i.planned_start,
            order_by=[nulls_last("planned_start"), "title"],
        ),
        Column(
            _("Planned end"),
            "planned_end",
            lambda i: i.planned_end,
            order_by=[nulls_last("planned_end"), "title"],
        ),
        Column(_("Owner"), value=lambda i: i.export_owner, in_table=False),
        Column(_("Released to"), value=_released_to, in_table=False),
    ],
    default_sort="title",
    template="cooperation/initiative_list.html",
    csv_filename="initiatives",
    export_rows=export_initiatives,
)


@require_GET
def initiative_list(request):
    return list_page(request, INITIATIVE_LIST)


@require_GET
def initiative_detail(request, pk):
    """An initiative's page; its content is kept rendered for a minute, per reader
    (``views.common.kept_page``), renewed by any write."""
    user = request.user
    return kept_page(
        request,
        "cooperation/initiative_detail.html",
        lambda: initiative_page_context(user, get_initiative_for(user, pk)),
        page={"initiative": heading_of(user, Initiative.objects, ["title"], pk=pk)},
    )


def initiative_page_context(user, initiative):
    evaluations = list(
        InitiativeEvaluation.objects.visible_to(user).of_initiative(initiative)
    )
    recommendations = list(
        Recommendation.objects.visible_to(user)
        .filter(initiative=initiative)
        .select_related("focus_area")
        .by_status()[: DETAIL_RECOMMENDATIONS + 1]
    )
    return {
        "initiative": initiative,
        "participations": list(
            Participation.objects.filter(initiative=initiative).lead_first()
        ),
        "evaluations": evaluations,
        "recommendations": recommendations[:DETAIL_RECOMMENDATIONS],
        "more_recommendations": len(recommendations) > DETAIL_RECOMMENDATIONS,
        "focus_areas": list(initiative.focus_areas.all()),
        "released_to": (
            [] if initiative.released_to_all else list(initiative.released_to.all())
        ),
        "documents_section": documents_section(user, initiative),
    }


# ------------------------------------------------------------------------ writes


def _save_initiative(request, *, form, formset, release_form, creating):
    """Save the initiative, its participations and releasability through one service.

    Returns the initiative, or None when the service refused the change; the reason
    is then on the form. An edit of a version that is no longer the current one saves
    nothing and raises ``concurrency.EditConflict``.
    """
    changes = {
        "initiative": form.instance,
        "acting_user": request.user,
        "focus_areas": form.cleaned_data["focus_areas"],
        "participations": formset.rows(),
        **release_kwargs(release_form),
    }
    try:
        if creating:
            return services.initiative_create(**changes)
        return services.initiative_update(version=form.posted_version(), **changes)
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _render_form(
    request, *, form, formset, release_form, initiative, title="", extra=None
):
    return render(
        request,
        "cooperation/initiative_form.html",
        {
            **(extra or {}),
            "form": form,
            "formset": formset,
            "release_form": release_form,
            "initiative": initiative,
            # The saved title: a rejected form may hold another one.
            "initiative_title": title,
            "cancel_url": (
                initiative.get_absolute_url()
                if initiative is not None
                else reverse("cooperation:initiative-list")
            ),
        },
    )


def _all_valid(*forms):
    # Validate every form (no short-circuit) so the page shows every error at once.
    results = [form.is_valid() for form in forms if form is not None]
    return all(results)


@permission_required(ADD_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def initiative_create(request):
    user = request.user
    if request.method == "POST":
        form = InitiativeForm(request.POST)
        formset = participation_formset(request.POST)
        release_form = releasability_form_for(user, request.POST)
        if _all_valid(form, formset, release_form):
            initiative = _save_initiative(
                request,
                form=form,
                formset=formset,
                release_form=release_form,
                creating=True,
            )
            if initiative is not None:
                messages.success(
                    request,
                    gettext("Initiative “%(title)s” created.")
                    % {"title": initiative.title},
                )
                if not initiative.is_visible_to(user):
                    # A creator without a nation releases it to nobody by default.
                    messages.warning(
                        request,
                        gettext(
                            "It is not released to you, so you cannot open it; ask "
                            "a coordinator to release it."
                        ),
                    )
                    return redirect("cooperation:initiative-list")
                return redirect(initiative)
    else:
        form = InitiativeForm(initial={"owner": user})
        formset = participation_formset()
        release_form = releasability_form_for(user)
    return _render_form(
        request,
        form=form,
        formset=formset,
        release_form=release_form,
        initiative=None,
    )


@permission_required(CHANGE_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def initiative_edit(request, pk):
    user = request.user
    initiative = get_initiative_for(user, pk)
    title = initiative.title
    conflict = None
    if request.method == "POST":
        form = InitiativeForm(request.POST, instance=initiative)
        formset = participation_formset(request.POST, initiative=initiative)
        release_form = releasability_form_for(user, request.POST, record=initiative)
        if _all_valid(form, formset, release_form):
            try:
                saved = _save_initiative(
                    request,
                    form=form,
                    formset=formset,
                    release_form=release_form,
                    creating=False,
                )
            except concurrency.EditConflict as error:
                saved = None
                conflict = concurrency.conflict_context(form, error)
            if saved is not None:
                messages.success(
                    request,
                    gettext("Initiative “%(title)s” saved.") % {"title": saved.title},
                )
                return redirect(saved)
    else:
        form = InitiativeForm(instance=initiative)
        formset = participation_formset(initiative=initiative)
        release_form = releasability_form_for(user, record=initiative)
    return _render_form(
        request,
        form=form,
        formset=formset,
        release_form=release_form,
        initiative=initiative,
        title=title,
        extra=conflict,
    )
