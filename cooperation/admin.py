"""The Django admin for the office's records.

Writes with a rule behind them go through ``services``, as they do from the pages, so
the same rules, history author and release apply: an initiative is added or changed,
with its participations (the inline) and its release, by one call of
``initiative_create`` or ``initiative_update`` from ``InitiativeAdmin.save_related``;
a recommendation is raised (reference, release, first update) by
``recommendation_raise``, edited by ``recommendation_update`` and changes status only
through ``recommendation_transition``.

No changelist or change page runs a query per row: related rows come from
``list_select_related``, ``prefetch_related`` or annotations, and the foreign-key
selects of an inline share one evaluated list of choices. Tables that grow (records,
people) are chosen with autocompletes, never a select of every row; their
changelists skip the unfiltered total (``show_full_result_count``) and page by keys
first (``KeysFirstPaginator``), so a deep page does not annotate the rows it skips.

Until the admin is hardened further, staff who are not superusers see initiatives,
meetings and recommendations (and the rows under them) only when released to them.
"""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteMixin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms import ModelChoiceField
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import admin_input, concurrency, services, timeline
from .forms import recommendations as recommendation_forms
from .forms.common import WrittenInMixin
from .models import (
    AgendaItem,
    AssessmentMeeting,
    Briefing,
    Document,
    DocumentVersion,
    FocusArea,
    Follow,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    MeetingSeries,
    Nation,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    SavedFilter,
    SituationAssessment,
    User,
)
from .roles import role_label
from .services import accounts as account_services
from .services import assessments as assessment_services
from .services import briefings as briefing_services
from .services import meetings as meeting_services
from .services import outbox as outbox_services
from .services.meetings import OUTCOME_FIELDS
from .views.common import KeysFirstPaginator

RELEASABILITY_FIELDS = ("released_to_all", "released_to")
RELEASABILITY_FIELDSET = (_("Releasability"), {"fields": RELEASABILITY_FIELDS})
RECORD_FIELDSET = (
    _("Record"),
    {"fields": ("created_at", "updated_at"), "classes": ("collapse",)},
)


def count_of(model, field_name):
    """Count the ``model`` rows whose ``field_name`` points at the outer row.

    A correlated subquery rather than ``Count()`` over a join, so several counts on
    one changelist do not multiply each other's rows.
    """
    rows = (
        model._default_manager.filter(**{field_name: OuterRef("pk")})
        .order_by()
        .values(field_name)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows[:1]), 0)


def nation_codes(nations):
    """Comma-separated alpha-2 codes of already fetched (prefetched) nations."""
    return ", ".join(nation.iso_alpha2 for nation in nations) or "—"


# ------------------------------------------------------------------ shared pieces


class HistoryAdmin(SimpleHistoryAdmin):
    """History for every record the user may open; reverting is switched off.

    django-simple-history's revert form saves an old version straight through the
    model form, around the services and without the change permission check, and its
    history pages fall back to the history table for rows the user cannot see.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        self._require_ids(object_id)
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        self._require_ids(object_id, version_id)
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _require_ids(self, object_id, version_id=None):
        """An address whose ids are not ids is a 404 (simple-history would look them
        up as they are and fail with ValueError)."""
        try:
            self.opts.pk.to_python(unquote(object_id))
            if version_id is not None:
                self.model.history.model._meta.pk.to_python(version_id)
        except ValidationError as error:
            raise Http404 from error

    def _require_visible(self, request, object_id):
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404


class SemiJoinChangeList(admin_input.CheckedChangeList):
    """Remove the duplicates a filter or search over a many-to-many relation gives
    with ``pk IN (the matching keys)`` instead of Django's ``DISTINCT`` over whole
    rows, which computes every matching row's annotations (lead nation, counts) and
    sorts them all, then counts and pages the result the same way."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if not queryset.query.distinct:
            return queryset
        matching = queryset.order_by().values("pk")
        rows = self.apply_select_related(self.root_queryset.filter(pk__in=matching))
        return rows.order_by(*queryset.query.order_by)


class LargeChangeListMixin(admin_input.InputCheckedAdminMixin):
    """The changelist of a table that grows: no unfiltered total beside the
    filtered one, no ``DISTINCT`` over annotated rows, pages by keys first.

    It carries the input guards of ``admin_input`` itself (its changelist extends
    theirs), so ``admin_input.harden`` leaves these admins as they are.
    """

    show_full_result_count = False
    paginator = KeysFirstPaginator

    def get_changelist(self, request, **kwargs):
        return SemiJoinChangeList


class ReadOnlyAdminMixin:
    """Shown, never added, changed or deleted by hand: the services write these rows.

    For a ModelAdmin or an inline (whose permission checks also receive ``obj``).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VisibleToMixin:
    """Limit rows, and the records offered in foreign-key fields, to what is released.

    For a ModelAdmin or an inline. Superusers see everything.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.restrict_to_visible(request, queryset)

    def restrict_to_visible(self, request, queryset):
        return queryset.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if (
            not request.user.is_superuser
            and "queryset" not in kwargs
            and hasattr(related._default_manager, "visible_to")
        ):
            kwargs["queryset"] = related._default_manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReleasableAdminMixin(VisibleToMixin):
    """Who may set releasability.

    Without ``cooperation.manage_releasability`` the fields are read-only; the
    record's own service (``record_release``) then releases a new record to the
    creator's nation only, as on the portal's own pages.
    """

    @admin.display(description=_("released to"))
    def released_to_summary(self, obj):
        if obj.released_to_all:
            return gettext("All partners")
        return nation_codes(obj.released_to.all())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not services.releasability_can_manage(user=request.user):
            readonly += [name for name in RELEASABILITY_FIELDS if name not in readonly]
        return readonly


class VersionedAdminForm(WrittenInMixin, forms.ModelForm):
    """The change form of a record with a version (``cooperation.concurrency``): it
    carries the version it was loaded from and refuses, as a form error with the
    user's input kept, a save over a newer one. The services check again under the
    row lock (``concurrency.EditConflict``, see ``VersionedAdminMixin``)."""

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["loaded_version"] = concurrency.version_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and cleaned.get(
            "loaded_version"
        ) != concurrency.version_token(self.instance):
            raise ValidationError(
                _(
                    "Someone else saved this record after you opened it. Open it "
                    "again to see their change, then make yours."
                ),
                code="edit_conflict",
            )
        return cleaned


class VersionedAdminMixin:
    """For the admin of a record with a version: its change form posts the version
    (``VersionedAdminForm``) and a save that lost the race to another, between the
    form's check and the service's lock, saves nothing and says so."""

    form = VersionedAdminForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        (name, options), *rest = fieldsets
        fields = (*options["fields"], "loaded_version")
        return [(name, {**options, "fields": fields}), *rest]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        except concurrency.EditConflict:
            messages.error(
                request,
                gettext(
                    "Someone else saved this record while you were saving it, so "
                    "nothing was saved. Review it and make your change again."
                ),
            )
            return HttpResponseRedirect(request.path)


class RowAutocompleteSelect(admin_input.CheckedAutocompleteSelect):
    """The autocomplete of an inline row, showing the row's current record from the
    inline's own query (``select_related``) rather than one query per row.

    ``known`` (``{str(pk): label}``) is set per row by ``SharedChoicesFormSet``; any
    other value (a row posted back with another choice) is read as usual.
    """

    known = {}

    def optgroups(self, name, value, attr=None):
        empty = self.choices.field.empty_values
        selected = {str(v) for v in value if str(v) not in empty}
        if not selected <= self.known.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for pk in sorted(selected):
            options.append(
                self.create_option(name, pk, self.known[pk], True, len(options))
            )
        return [(None, options, 0)]


class SharedChoicesFormSet(BaseInlineFormSet):
    """Evaluate each foreign-key select once per formset instead of once per row.

    An autocomplete (``autocomplete_fields``) has no list to share: it renders the
    chosen record only, which the inline's query has already read.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared_choices = {}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            if not isinstance(field, ModelChoiceField) or field.widget.is_hidden:
                continue
            widget = getattr(field.widget, "widget", field.widget)  # unwrapped
            if isinstance(widget, RowAutocompleteSelect):
                widget.known = self._current_choice(form.instance, name, field)
                continue
            if isinstance(widget, AutocompleteMixin):
                continue
            if name not in self._shared_choices:
                self._shared_choices[name] = list(field.choices)
            field.choices = self._shared_choices[name]

    @staticmethod
    def _current_choice(instance, name, field):
        """``{str(pk): label}`` of the record the saved row points to, when the
        inline's query has read it (``select_related``), else nothing."""
        model_field = instance._meta.get_field(name)
        if instance.pk is None or not model_field.is_cached(instance):
            return {}
        related = getattr(instance, name)
        if related is None:
            return {}
        return {str(related.pk): field.label_from_instance(related)}


class VisibleInline(VisibleToMixin, admin.TabularInline):
    formset = SharedChoicesFormSet
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                RowAutocompleteSelect(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ------------------------------------------------------------ nations and people


@admin.register(Nation)
class NationAdmin(HistoryAdmin):
    list_display = (
        "name",
        "iso_alpha2",
        "iso_alpha3",
        "region",
        "time_zone",
        "official_languages",
        "liaison_name",
        "is_active",
    )
    list_filter = ("region", "is_active")
    search_fields = ("name", "iso_alpha2", "iso_alpha3", "liaison_name")
    fieldsets = (
        (None, {"fields": ("name", "iso_alpha2", "iso_alpha3", "region", "is_active")}),
        (_("Time and languages"), {"fields": ("time_zone", "official_languages")}),
        (
            _("Working days"),
            {"fields": ("weekend_days", ("workday_start", "workday_end"))},
        ),
        (_("Liaison"), {"fields": ("liaison_name", "liaison_email", "liaison_phone")}),
    )


@admin.register(FocusArea)
class FocusAreaAdmin(HistoryAdmin):
    list_display = ("name", "name_es", "name_pt_br", "slug", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "name_es", "name_pt_br", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


PREFERENCES_FIELDSET = (
    _("Nation and preferences"),
    {"fields": ("nation", "time_zone", "language")},
)


@admin.register(User)
class UserAdmin(HistoryAdmin, BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],
        PREFERENCES_FIELDSET,
        *BaseUserAdmin.fieldsets[2:],
    )
    # The address is asked for at creation too, so that one another account uses
    # is refused beside the field (the user_unique_email_ci constraint).
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
        PREFERENCES_FIELDSET,
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "nation",
        "language",
        "time_zone",
        "is_staff",
        "is_active",
    )
    list_select_related = ("nation",)
    list_filter = (*BaseUserAdmin.list_filter, "nation", "language")
    search_fields = (*BaseUserAdmin.search_fields, "nation__name")
    autocomplete_fields = ("nation",)
    actions = ["end_sessions"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = role_label  # the roles in the reader's language
        return field

    def save_model(self, request, obj, form, change):
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            # The sessions are ended below, in this admin's name; the post_save
            # safety net (cooperation.user_sessions) need not do it again.
            obj._stored_is_active = False
        super().save_model(request, obj, form, change)
        if deactivating:
            ended = account_services.user_end_sessions(
                user=obj, acting_user=request.user
            )
            self.message_user(
                request,
                ngettext(
                    "The account is inactive; its %(count)d session was ended.",
                    "The account is inactive; its %(count)d sessions were ended.",
                    ended,
                )
                % {"count": ended},
                messages.INFO,
            )

    @admin.action(description=_("End all sessions"), permissions=["change"])
    def end_sessions(self, request, queryset):
        ended = sum(
            account_services.user_end_sessions(user=user, acting_user=request.user)
            for user in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d session ended.", "%(count)d sessions ended.", ended)
            % {"count": ended},
            messages.SUCCESS,
        )


# ----------------------------------------------------------------------- initiatives


def release_changes(form):
    """The releasability a valid admin form asks for, as ``record_release`` keywords:
    nothing when the fields are read-only (the user may not manage releasability)."""
    data = form.cleaned_data
    return {name: data[name] for name in RELEASABILITY_FIELDS if name in data}


class ServiceCheckedConstraintsMixin:
    """For a ModelForm whose record has a rule across rows that its service keeps
    (it changes the other rows first, then saves this one): the constraints naming
    ``service_checked_fields`` are not checked row by row against the database here,
    where a legal change (a new lead, a new primary concern) would fail. As Django's
    own check, the others skip what the form does not hold or found invalid."""

    service_checked_fields = frozenset()

    def validate_constraints(self):
        exclude = {
            field.name
            for field in self.instance._meta.get_fields()
            if field.name not in self.fields or field.name in self.errors
        } | set(self.service_checked_fields)
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self.add_error(None, error)


class ParticipationInlineForm(ServiceCheckedConstraintsMixin, forms.ModelForm):
    # "One lead per initiative": the formset checks it, and the service demotes the
    # old lead before it promotes the new one.
    service_checked_fields = frozenset({"role"})


class ParticipationInlineFormSet(SharedChoicesFormSet):
    """Exactly one lead and each nation once. The rows are saved with the initiative
    by its service (``InitiativeAdmin.save_related``), never row by row here."""

    def participation_rows(self):
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if form in self.deleted_forms or not data.get("nation"):
                continue
            rows.append(
                services.ParticipationRow(
                    nation=data["nation"],
                    role=data.get("role") or "",
                    contribution=data.get("contribution") or "",
                )
            )
        return rows

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        services.initiative_validate_participations(self.participation_rows())

    def save(self, commit=True):
        raise NotImplementedError(
            "Participations are saved by services.initiative_create and "
            "initiative_update (InitiativeAdmin.save_related)."
        )

    def note_saved(self, before):
        """Set what the admin's change message reads from a saved formset: what the
        service changed since ``before`` ({nation id: participation})."""
        initiative = self.instance
        after = {
            p.nation_id: p
            for p in initiative.participations.select_related("nation", "initiative")
        }
        # What the admin's change message reads from a saved formset.
        self.new_objects = [p for key, p in after.items() if key not in before]
        self.deleted_objects = [p for key, p in before.items() if key not in after]
        self.changed_objects = []
        for key, participation in after.items():
            if key in before:
                changed = [
                    name
                    for name in ("role", "contribution")
                    if getattr(participation, name) != getattr(before[key], name)
                ]
                if changed:
                    self.changed_objects.append((participation, changed))


class ParticipationInline(admin.TabularInline):
    model = Participation
    form = ParticipationInlineForm
    formset = ParticipationInlineFormSet
    fields = ("nation", "role", "contribution")
    min_num = 1
    extra = 0
    ordering = ("role", "nation__name")  # the nation is joined for its label anyway

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("nation", "initiative")


@admin.register(Initiative)
class InitiativeAdmin(
    VersionedAdminMixin, LargeChangeListMixin, ReleasableAdminMixin, HistoryAdmin
):
    list_display = (
        "title",
        "kind",
        "status",
        "lead",
        "participation_count",
        "owner",
        "planned_start",
        "planned_end",
        "released_to_summary",
    )
    # Dates as list filters, not a date hierarchy: the hierarchy reads the first and
    # last date and every year of the whole table on each page.
    list_filter = (
        "status",
        "kind",
        "planned_start",
        "released_to_all",
        "focus_areas",
        "nations",
    )
    list_select_related = ("owner",)
    # The text columns have trigram indexes; a nation is picked with its filter (a
    # search ORed across the participations' join reads every row).
    search_fields = ("title", "summary")
    autocomplete_fields = ("owner", "focus_areas", "released_to")
    readonly_fields = ("created_at", "updated_at")
    inlines = (ParticipationInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "language",
                    "kind",
                    "status",
                    "summary",
                    "objectives",
                    "focus_areas",
                    "owner",
                )
            },
        ),
        (
            _("Dates"),
            {
                "fields": (
                    ("planned_start", "planned_end"),
                    ("actual_start", "actual_end"),
                )
            },
        ),
        RELEASABILITY_FIELDSET,
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_lead()
            .annotate(participation_count=count_of(Participation, "initiative"))
            .prefetch_related("released_to")
        )

    @admin.display(description=_("lead nation"), ordering="lead_nation_order")
    def lead(self, obj):
        return obj.lead_nation_display or "—"

    def save_model(self, request, obj, form, change):
        """Nothing yet: ``save_related`` writes the initiative once the inline's
        participations are known, in the same service call."""

    def save_related(self, request, form, formsets, change):
        """Write the initiative, its focus areas, participations and release through
        ``services.initiative_create`` or ``initiative_update``, as the pages do."""
        initiative = form.instance
        inline = next(
            (fs for fs in formsets if isinstance(fs, ParticipationInlineFormSet)), None
        )
        before = (
            {p.nation_id: p for p in initiative.participations.all()} if change else {}
        )
        changes = {
            "initiative": initiative,
            "acting_user": request.user,
            "focus_areas": form.cleaned_data["focus_areas"],
            "participations": inline.participation_rows() if inline else None,
            **release_changes(form),
        }
        if change:
            services.initiative_update(
                version=form.cleaned_data["loaded_version"], **changes
            )
        else:
            services.initiative_create(**changes)
        for formset in formsets:
            if formset is inline:
                formset.note_saved(before)
            else:
                self.save_formset(request, form, formset, change=change)

    @admin.display(description=_("nations"), ordering="participation_count")
    def participation_count(self, obj):
        return obj.participation_count


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdminMixin, VisibleToMixin, HistoryAdmin):
    """A list to look things up in; participations are edited on their initiative,
    where the one-lead rule is checked over all the rows together."""

    list_display = ("initiative", "nation", "role", "contribution")
    list_filter = ("role", "nation")
    list_select_related = ("initiative", "nation")
    ordering = ("initiative__title", "role", "nation__name")  # both joined to show
    show_full_result_count = False
    search_fields = ("initiative__title", "nation__name", "contribution")
    autocomplete_fields = ("initiative", "nation")

    def restrict_to_visible(self, request, queryset):
        visible = Initiative.objects.visible_to(request.user).values("pk")
        return queryset.filter(initiative__in=visible)


# -------------------------------------------------------------------------- meetings


class AgendaItemInline(VisibleInline):
    model = AgendaItem
    fields = (
        "position",
        "title",
        "presenter",
        "duration_minutes",
        "notes",
        *OUTCOME_FIELDS,
    )
    # The outcomes are recorded with the minutes (``meeting_record_minutes``).
    readonly_fields = OUTCOME_FIELDS
    autocomplete_fields = ("presenter",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("presenter")


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """Shown on the parent's page; written on the record's own admin page, through
    its service (who may write, locks, reasons)."""

    show_change_link = True


class SituationAssessmentInline(ReadOnlyInlineMixin, VisibleInline):
    model = SituationAssessment
    fields = (
        "nation",
        "focus_area",
        "primary_concern",
        "is_primary",
        "trend",
        "threat_level",
        "is_draft",
        "summary",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_related().by_nation_name()


class InvitationInline(ReadOnlyInlineMixin, VisibleInline):
    """Who is invited and what they answered; attendees are chosen on the
    meeting's own form, so the services send and resend the invitations."""

    model = Invitation
    fields = ("user", "response", "responded_at", "attendance", "represented_by")
    autocomplete_fields = ("user",)
    readonly_fields = ("responded_at", "attendance", "represented_by")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("meeting").by_attendee_name()
        )


class InitiativeEvaluationInline(ReadOnlyInlineMixin, VisibleInline):
    model = InitiativeEvaluation
    fields = ("initiative", "rating", "findings")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("initiative")
            .order_by("initiative__title", "pk")
        )


class AssessmentMeetingAdminForm(VersionedAdminForm):
    """The admin's meeting form, saved by the meeting services as the portal's own
    form is: attendees are chosen here (their answers show in the invitations
    below); ``clean`` plans the save (``meeting_plan``), so what the services would
    refuse is a form error.

    ``acting_user`` is set on the class ``get_form`` builds for each request.
    """

    invitees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.all(),
        required=False,
        help_text=_(
            "They are sent the invitation, and each change that concerns them."
        ),
    )

    acting_user = None
    plan = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        invitees = self.fields["invitees"]
        invitees.widget = admin_input.CheckedAutocompleteSelectMultiple(
            AssessmentMeeting._meta.get_field("attendees"), admin.site
        )
        invitees.widget.choices = invitees.choices
        if self.instance.pk is not None:
            self.initial["invitees"] = list(
                self.instance.attendees.values_list("pk", flat=True)
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        meeting = self.instance
        details = meeting_services.MeetingDetails(
            **{
                name: cleaned.get(name, getattr(meeting, name))
                for name in (
                    "title",
                    "starts_at",
                    "ends_at",
                    "time_zone",
                    "status",
                    "location",
                    "online_url",
                    "chair",
                    "language",
                )
            },
            nations=tuple(cleaned.get("nations") or ()),
            attendees=tuple(cleaned.get("invitees") or ()),
        )
        try:
            self.plan = meeting_services.meeting_plan(
                details=details,
                acting_user=self.acting_user,
                meeting=meeting if meeting.pk is not None else None,
            )
        except ValidationError as error:
            self.add_error(None, error.messages)
        return cleaned


@admin.register(AssessmentMeeting)
class AssessmentMeetingAdmin(
    VersionedAdminMixin, LargeChangeListMixin, ReleasableAdminMixin, HistoryAdmin
):
    """Meetings, saved through ``meeting_create`` and ``meeting_update`` as on the
    portal's pages: an admin save sends the invitations, raises the iCalendar
    SEQUENCE, carries a held meeting's open items over and refuses to overwrite a
    change made since the form was opened."""

    form = AssessmentMeetingAdminForm
    list_display = (
        "title",
        "starts_at",
        "local_start",
        "status",
        "chair",
        "participating_nations",
        "agenda_item_count",
        "assessment_count",
        "released_to_summary",
    )
    list_filter = ("status", "released_to_all", "nations")
    list_select_related = ("chair",)
    search_fields = ("title", "location", "minutes")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("chair", "nations", "released_to")
    readonly_fields = ("created_at", "updated_at")
    inlines = (
        InvitationInline,
        AgendaItemInline,
        SituationAssessmentInline,
        InitiativeEvaluationInline,
    )
    fieldsets = (
        (None, {"fields": ("title", "language", "status", "chair")}),
        (
            _("When and where"),
            {"fields": ("starts_at", "ends_at", "time_zone", "location", "online_url")},
        ),
        (_("Participants"), {"fields": ("nations", "invitees")}),
        (_("Minutes"), {"fields": ("minutes",)}),
        (_("Briefing"), {"fields": ("briefing_summary",)}),
        RELEASABILITY_FIELDSET,
        RECORD_FIELDSET,
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user  # a class of this request's own
        return form

    def save_model(self, request, obj, form, change):
        """Nothing yet: ``save_related`` saves through the meeting services once
        the agenda rows are saved (marking a meeting held carries over the items
        it left open)."""

    def save_related(self, request, form, formsets, change):
        meeting = form.instance
        release = release_changes(form)
        if change:
            for formset in formsets:
                self.save_formset(request, form, formset, change=True)
            saved = meeting_services.meeting_update(
                meeting=meeting,
                version=form.cleaned_data["loaded_version"],
                plan=form.plan,
                acting_user=request.user,
                **release,
            )
            if "minutes" in form.changed_data:
                meeting_services.meeting_save_minutes(
                    meeting=saved[0],
                    acting_user=request.user,
                    minutes=form.cleaned_data["minutes"],
                )
        else:
            (saved,) = meeting_services.meeting_create(
                plan=form.plan, acting_user=request.user, **release
            )
            # The admin goes on with the object it built: it is the saved meeting
            # now, for the inlines below and the page that follows.
            meeting.pk = saved.pk
            meeting._state.adding = False
            for formset in formsets:
                self.save_formset(request, form, formset, change=False)
        if "briefing_summary" in form.changed_data:
            # Under the lock meeting_update / meeting_create took: this version.
            current = AssessmentMeeting.objects.values_list("version", flat=True).get(
                pk=meeting.pk
            )
            meeting_services.meeting_set_briefing_summary(
                meeting=AssessmentMeeting.objects.get(pk=meeting.pk),
                version=str(current),
                summary=form.cleaned_data["briefing_summary"],
                acting_user=request.user,
            )
        for label, warning in form.plan.warnings:
            messages.warning(
                request, f"{label}: {warning.message}" if label else warning.message
            )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                agenda_item_count=count_of(AgendaItem, "meeting"),
                assessment_count=count_of(SituationAssessment, "meeting"),
            )
            .prefetch_related("nations", "released_to")
        )

    @admin.display(description=_("local start"), ordering="starts_at")
    def local_start(self, obj):
        """The start in the meeting's own time zone."""
        try:
            zone = zoneinfo.ZoneInfo(obj.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return "—"
        start = timezone.localtime(obj.starts_at, zone)
        return f"{date_format(start, 'DATETIME_FORMAT')} ({obj.time_zone})"

    @admin.display(description=_("nations"))
    def participating_nations(self, obj):
        return nation_codes(obj.nations.all())

    @admin.display(description=_("agenda items"), ordering="agenda_item_count")
    def agenda_item_count(self, obj):
        return obj.agenda_item_count

    @admin.display(description=_("assessments"), ordering="assessment_count")
    def assessment_count(self, obj):
        return obj.assessment_count


@admin.register(AgendaItem)
class AgendaItemAdmin(VisibleToMixin, HistoryAdmin):
    list_display = ("title", "meeting", "position", "presenter", "duration_minutes")
    list_select_related = ("meeting", "presenter")
    show_full_result_count = False
    search_fields = ("title", "notes", "meeting__title")
    autocomplete_fields = ("meeting", "presenter", "carried_from", "recommendation")
    readonly_fields = OUTCOME_FIELDS


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(HistoryAdmin):
    list_display = (
        "title",
        "frequency",
        "interval",
        "starts_on",
        "start_time",
        "time_zone",
        "until",
        "count",
        "created_by",
    )
    list_filter = ("frequency",)
    list_select_related = ("created_by",)
    show_full_result_count = False
    search_fields = ("title",)
    date_hierarchy = "starts_on"
    autocomplete_fields = ("created_by",)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # A series is seen through its occurrences released to the user.
        visible = AssessmentMeeting.objects.visible_to(request.user)
        return queryset.filter(occurrences__in=visible).distinct()


@admin.register(Invitation)
class InvitationAdmin(VisibleToMixin, HistoryAdmin):
    list_display = ("user", "meeting", "response", "responded_at", "sent_sequence")
    list_filter = ("response",)
    list_select_related = ("user", "meeting")
    show_full_result_count = False
    search_fields = ("user__username", "user__last_name", "meeting__title")
    autocomplete_fields = ("meeting", "user")
    readonly_fields = ("responded_at", "sent_sequence")


@admin.register(Briefing)
class BriefingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """PDF briefings asked for, being made, made or failed: written by the services
    and the worker. The PDF itself is not offered here: it holds what was released
    to the one who asked. A failed one can be tried again; old ones are deleted by
    ``housekeeping``."""

    list_display = (
        "created_at",
        "kind",
        "requested_by",
        "status",
        "attempts",
        "pages",
        "render_seconds",
        "short_error",
    )
    list_filter = ("status", "kind", "created_at")
    list_select_related = ("requested_by",)
    show_full_result_count = False
    paginator = KeysFirstPaginator
    search_fields = ("title", "requested_by__username")
    fields = readonly_fields = (
        "kind",
        "title",
        "requested_by",
        "language",
        "time_zone",
        "meeting",
        "as_of",
        "region",
        "focus_area",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "pages",
        "render_seconds",
        "created_at",
        "finished_at",
    )
    actions = ["retry"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_retry_permission(self, request):
        return request.user.has_perm(briefing_services.RETRY_ANY_PERMISSION)

    @admin.action(
        description=_("Try the failed briefings again"), permissions=["retry"]
    )
    def retry(self, request, queryset):
        count = 0
        for briefing in queryset.filter(status=Briefing.Status.FAILED)[:100]:
            briefing_services.briefing_retry(
                briefing=briefing, acting_user=request.user
            )
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d briefing will be made again.",
                "%(count)d briefings will be made again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: what the portal is sending, has sent, or gave up on. Written by
    the services and the delivery task; a failed message can be retried from here.
    The message text is not shown (a password reset link must not be read here)."""

    list_display = (
        "created_at",
        "status",
        "kind",
        "to_email",
        "recipient",
        "attempts",
        "next_attempt_at",
        "short_error",
    )
    list_filter = ("status", "kind", "created_at")
    list_select_related = ("recipient",)
    show_full_result_count = False
    paginator = KeysFirstPaginator
    search_fields = ("key", "to_email", "recipient__username")
    fields = readonly_fields = (
        "key",
        "kind",
        "recipient",
        "to_email",
        "language",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_retry_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Retry the failed e-mails"), permissions=["retry"])
    def retry(self, request, queryset):
        count = outbox_services.delivery_retry(
            deliveries=queryset.filter(status=OutboundEmail.Status.FAILED),
            acting_user=request.user,
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail will be sent again.",
                "%(count)d e-mails will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class CorrectionReasonAdminForm(forms.ModelForm):
    """A record that locks with its meeting's minutes: a correction says why."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        required=False,
        max_length=assessment_services.REASON_MAX_LENGTH,
        help_text=_("Required when the meeting's minutes are published."),
    )

    def clean(self):
        cleaned = super().clean()
        meeting = cleaned.get("meeting") or getattr(self.instance, "meeting", None)
        if (
            meeting is not None
            and assessment_services.meeting_is_locked(meeting)
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", assessment_services.REASON_REQUIRED)
        return cleaned


class LockedWithMinutesAdmin(VisibleToMixin, HistoryAdmin):
    """Assessments and evaluations, written through their service so that the
    admin follows the rules of the pages: who may write, locks and reasons."""

    form = CorrectionReasonAdminForm

    def has_delete_permission(self, request, obj=None):
        # Records of record: a wrong one is corrected, not deleted.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        self.service(obj, acting_user=request.user, reason=form.cleaned_data["reason"])

    def add_view(self, request, form_url="", extra_context=None):
        return self._refusal_as_message(
            request, super().add_view, form_url, extra_context
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._refusal_as_message(
            request, super().change_view, object_id, form_url, extra_context
        )

    def _refusal_as_message(self, request, view, *args):
        """A rule the form could not check before the service ran (the service
        decides with the rows locked): nothing is saved, and the person is told
        why on the page they came from."""
        try:
            return view(request, *args)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return HttpResponseRedirect(request.get_full_path())


class SituationAssessmentAdminForm(
    WrittenInMixin, ServiceCheckedConstraintsMixin, CorrectionReasonAdminForm
):
    # One primary concern per meeting, nation and focus area: the service makes the
    # former primary concern a secondary one before it saves this one.
    service_checked_fields = frozenset({"is_primary"})

    def clean(self):
        cleaned = super().clean()
        # As the service will ask it, before the service is called: a secondary
        # concern needs a primary one beside it.
        group = {key: cleaned.get(key) for key in ("meeting", "nation", "focus_area")}
        if not cleaned.get("is_primary") and all(group.values()):
            assessment = SituationAssessment(pk=self.instance.pk, **group)
            if not assessment_services.other_primary_concerns(
                assessment=assessment
            ).exists():
                self.add_error("is_primary", assessment_services.NO_PRIMARY)
        return cleaned


@admin.register(SituationAssessment)
class SituationAssessmentAdmin(LockedWithMinutesAdmin):
    form = SituationAssessmentAdminForm
    list_display = (
        "primary_concern",
        "nation",
        "focus_area",
        "meeting",
        "is_primary",
        "trend",
        "threat_level",
        "confidence",
        "created_at",
    )
    list_filter = (
        "is_draft",
        "is_primary",
        "threat_level",
        "trend",
        "confidence",
        "nation",
        "focus_area",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "meeting",
                    ("nation", "focus_area"),
                    ("primary_concern", "is_primary"),
                    ("trend", "threat_level"),
                    "summary",
                    "language",
                    "is_draft",
                )
            },
        ),
        (
            _("Analysis"),
            {
                "fields": (
                    ("production_trend", "trafficking_trend", "consumption_trend"),
                    "emerging_shift",
                    "key_drivers",
                    "sources",
                    "confidence",
                )
            },
        ),
        (_("Correction"), {"fields": ("reason",)}),
        RECORD_FIELDSET,
    )
    list_select_related = ("meeting", "nation", "focus_area")
    show_full_result_count = False
    search_fields = (
        "primary_concern",
        "emerging_shift",
        "summary",
        "nation__name",
        "meeting__title",
    )
    date_hierarchy = "created_at"
    autocomplete_fields = ("meeting", "nation", "focus_area")
    readonly_fields = ("created_at", "updated_at")

    @staticmethod
    def service(obj, **kwargs):
        return assessment_services.assessment_save(assessment=obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return assessment_services.assessment_can_change(
            user=request.user, assessment=obj
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "nation":
            kwargs["queryset"] = assessment_services.assessment_nations_for(
                user=request.user
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(InitiativeEvaluation)
class InitiativeEvaluationAdmin(LockedWithMinutesAdmin):
    list_display = ("initiative", "meeting", "rating", "created_at")
    list_filter = ("rating",)
    list_select_related = ("initiative", "meeting")
    show_full_result_count = False
    search_fields = ("initiative__title", "meeting__title", "findings")
    date_hierarchy = "created_at"
    autocomplete_fields = ("meeting", "initiative")
    readonly_fields = ("created_at", "updated_at")

    @staticmethod
    def service(obj, **kwargs):
        return assessment_services.evaluation_save(evaluation=obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return assessment_services.evaluation_can_change(
            user=request.user, evaluation=obj
        )


# ------------------------------------------------------------------ recommendations


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The counter behind REC-<year>-<nnnn>: shown, never edited by hand."""

    list_display = ("year", "last_number")
    ordering = ("-year",)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        return queryset


def timeline_entry(update):
    """What a timeline entry says: its system text (from its code, in the reader's
    language) and what its author wrote."""
    return " ".join(
        str(part) for part in (timeline.system_text(update.code), update.note) if part
    )


class RecommendationUpdateInline(
    ReadOnlyAdminMixin, VisibleToMixin, admin.TabularInline
):
    """The timeline, written by the services; shown, not edited."""

    model = RecommendationUpdate
    fields = (
        "created_at",
        "author",
        "kind",
        "from_status",
        "to_status",
        "progress",
        "entry",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("note"))
    def entry(self, obj):
        return timeline_entry(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "recommendation")


class RecommendationAdminForm(VersionedAdminForm):
    """The change form, with a status change that goes through the workflow."""

    new_status = forms.ChoiceField(
        label=_("new status"),
        required=False,
        choices=[("", _("Keep the current status")), *Recommendation.Status.choices],
    )
    transition_note = forms.CharField(
        label=_("why the status changes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded on the recommendation's timeline."),
    )
    seen_status = forms.CharField(required=False, widget=forms.HiddenInput)

    # Set per request by RecommendationAdmin.get_form().
    allowed_statuses = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_status"].initial = self.instance.status
        labels = dict(Recommendation.Status.choices)
        allowed = ", ".join(str(labels[status]) for status in self.allowed_statuses)
        self.fields["new_status"].help_text = (
            gettext("From here it can move to: %(statuses)s.") % {"statuses": allowed}
            if allowed
            else gettext("Its status is final.")
        )


@admin.register(Recommendation)
class RecommendationAdmin(
    VersionedAdminMixin, LargeChangeListMixin, ReleasableAdminMixin, HistoryAdmin
):
    list_display = (
        "reference",
        "title",
        "status",
        "priority",
        "due_date",
        "progress_percent",
        "owner",
        "focus_area",
        "addressed_nations",
        "released_to_summary",
    )
    list_filter = (
        "status",
        "priority",
        OverdueFilter,
        "due_date",
        "focus_area",
        "released_to_all",
        "nations",
    )
    list_select_related = ("owner", "focus_area")
    search_fields = ("reference", "title", "description", "source_note")
    autocomplete_fields = (
        "source_meeting",
        "focus_area",
        "initiative",
        "nations",
        "owner",
        "released_to",
    )
    # The agenda item is linked by ``recommendation_raise`` (raised from an
    # outcome of the minutes); shown, never chosen here.
    readonly_fields = (
        "reference",
        "status",
        "source_agenda_item",
        "created_at",
        "updated_at",
    )
    inlines = (RecommendationUpdateInline,)
    content_fieldset = (
        None,
        {"fields": ("reference", *recommendation_forms.CONTENT_FIELDS)},
    )
    source_fieldset = (
        _("Source"),
        {"fields": ("source_meeting", "source_agenda_item", "source_note")},
    )
    status_fieldset = (_("Status"), {"fields": ("status",)})
    workflow_fieldset = (
        _("Status"),
        {"fields": ("status", "new_status", "transition_note", "seen_status")},
    )
    fieldsets = (
        content_fieldset,
        source_fieldset,
        workflow_fieldset,
        RELEASABILITY_FIELDSET,
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("nations", "released_to")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                self.content_fieldset,
                self.source_fieldset,
                self.status_fieldset,
                RELEASABILITY_FIELDSET,
            )
        if self.has_change_permission(request, obj):
            return self.fieldsets
        return (
            self.content_fieldset,
            self.source_fieldset,
            self.status_fieldset,
            RELEASABILITY_FIELDSET,
            RECORD_FIELDSET,
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = RecommendationAdminForm
        form = super().get_form(request, obj, change=change, **kwargs)
        allowed = services.recommendation_allowed_transitions(
            recommendation=obj, user=request.user
        )
        return type(form.__name__, (form,), {"allowed_statuses": tuple(allowed)})

    @admin.display(description=_("progress"), ordering="progress")
    def progress_percent(self, obj):
        return f"{obj.progress}%"

    @admin.display(description=_("addressed nations"))
    def addressed_nations(self, obj):
        return nation_codes(obj.nations.all())

    def save_model(self, request, obj, form, change):
        """Write through the services, as the pages do: ``recommendation_raise``
        numbers a new recommendation, releases it and starts its timeline;
        ``recommendation_update`` saves an edit (never the status, so one someone
        else set meanwhile stays); a new status goes through the workflow."""
        data = form.cleaned_data
        if not change:
            services.recommendation_raise(
                recommendation=obj,
                acting_user=request.user,
                nations=data.get("nations", ()),
                **release_changes(form),
            )
            return
        services.recommendation_update(
            recommendation=obj,
            version=data["loaded_version"],
            acting_user=request.user,
            nations=data.get("nations"),
            **release_changes(form),
        )
        new_status = data.get("new_status")
        if new_status:
            self._transition(request, obj, form, new_status)

    def save_related(self, request, form, formsets, change):
        # ``save_model``'s service saved the many-to-many fields and the release;
        # the timeline inline is read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _transition(self, request, obj, form, new_status):
        try:
            services.recommendation_transition(
                recommendation=obj,
                acting_user=request.user,
                to_status=new_status,
                note=form.cleaned_data.get("transition_note") or "",
                expected_status=form.cleaned_data.get("seen_status") or None,
            )
        except ValidationError as error:
            obj._transition_refused = True
            self.message_user(
                request,
                gettext(
                    "The status of %(reference)s was not changed: %(reason)s "
                    "Any other changes were saved."
                )
                % {"reference": obj.reference, "reason": " ".join(error.messages)},
                level=messages.ERROR,
            )
        else:
            self.message_user(
                request,
                gettext("%(reference)s moved to “%(status)s”.")
                % {"reference": obj.reference, "status": obj.get_status_display()},
                level=messages.SUCCESS,
            )

    def response_change(self, request, obj):
        if getattr(obj, "_transition_refused", False):
            # Back to the same form, with the reason, instead of "changed successfully".
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


@admin.register(RecommendationUpdate)
class RecommendationUpdateAdmin(ReadOnlyAdminMixin, VisibleToMixin, HistoryAdmin):
    """The timeline, written by ``recommendation_raise`` and
    ``recommendation_transition``; read-only here."""

    list_display = (
        "recommendation",
        "created_at",
        "author",
        "kind",
        "from_status",
        "to_status",
        "progress",
    )
    list_filter = ("to_status", "created_at")
    list_select_related = ("recommendation", "author")
    show_full_result_count = False
    paginator = KeysFirstPaginator  # its count kept per data generation
    # Newest first, by an index of its own (the model's order goes through a join).
    ordering = ("-created_at", "-pk")
    search_fields = ("recommendation__reference", "recommendation__title", "note")
    autocomplete_fields = ("recommendation", "author")


# ------------------------------------------------------------------ notifications


def _released_records_only(queryset, request, fields):
    """Rows whose records named in ``fields`` (each may be empty) are released to
    the staff member: a notification or a follow names a record."""
    if request.user.is_superuser:
        return queryset
    for field_name, model in fields:
        visible = model.objects.visible_to(request.user).values("pk")
        queryset = queryset.filter(
            Q(**{f"{field_name}__isnull": True}) | Q(**{f"{field_name}__in": visible})
        )
    return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What users were told, written by the services' hooks
    (``services.notifications``); read-only here."""

    list_display = ("created_at", "recipient", "kind", "actor", "read_at", "emailed_at")
    list_filter = ("kind", "created_at")
    list_select_related = ("recipient", "actor")
    show_full_result_count = False
    paginator = KeysFirstPaginator
    search_fields = ("recipient__username", "recipient__last_name")
    fields = readonly_fields = (
        "recipient",
        "kind",
        "actor",
        "recommendation",
        "meeting",
        "initiative",
        "document",
        "detail",
        "created_at",
        "read_at",
        "emailed_at",
    )

    def get_queryset(self, request):
        return _released_records_only(
            super().get_queryset(request),
            request,
            (
                ("recommendation", Recommendation),
                ("meeting", AssessmentMeeting),
                ("initiative", Initiative),
            ),
        )


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """How each user wants to be told, chosen on their profile page."""

    list_display = ("user", "kind", "delivery")
    list_filter = ("kind", "delivery")
    list_select_related = ("user",)
    show_full_result_count = False
    search_fields = ("user__username", "user__last_name")
    fields = readonly_fields = ("user", "kind", "delivery")


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who follows which recommendation, chosen on the recommendation's page."""

    list_display = ("user", "recommendation", "created_at")
    list_select_related = ("user", "recommendation")
    show_full_result_count = False
    search_fields = ("user__username", "recommendation__reference")
    fields = readonly_fields = ("user", "recommendation", "created_at")

    def get_queryset(self, request):
        return _released_records_only(
            super().get_queryset(request),
            request,
            (("recommendation", Recommendation),),
        )


# ------------------------------------------------------------------ saved filters


@admin.register(SavedFilter)
class SavedFilterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The lists' filters users saved under a name, from the lists themselves."""

    list_display = ("user", "list_name", "name", "created_at")
    list_filter = ("list_name",)
    list_select_related = ("user",)
    show_full_result_count = False
    search_fields = ("user__username", "name")
    fields = readonly_fields = ("user", "list_name", "name", "query", "created_at")


# ---------------------------------------------------------------------- documents


class DocumentVersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A document's files, newest first; written by the upload services."""

    model = DocumentVersion
    fields = readonly_fields = (
        "number",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


def _visible_documents(request):
    return Document.objects.visible_to(request.user).values("pk")


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, VisibleToMixin, HistoryAdmin):
    """Documents on meetings, recommendations and initiatives: added, replaced and
    deleted (softly) from the record's page through ``services.documents``, which
    checks each file's content; shown here, with the versions kept. The files are
    downloaded from the record's page, where releasability is checked."""

    list_display = (
        "title",
        "kind",
        "meeting",
        "recommendation",
        "initiative",
        "created_at",
        "deleted_at",
    )
    list_filter = ("kind", "created_at", "deleted_at")
    list_select_related = ("meeting", "recommendation", "initiative")
    show_full_result_count = False
    paginator = KeysFirstPaginator
    ordering = ("-created_at", "-pk")
    search_fields = ("title",)
    fields = readonly_fields = (
        "title",
        "kind",
        "description",
        "meeting",
        "recommendation",
        "initiative",
        "uploaded_by",
        "created_at",
        "deleted_at",
        "deleted_by",
    )
    inlines = [DocumentVersionInline]


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every file of every document, with its checksum; read-only."""

    list_display = (
        "document",
        "number",
        "original_name",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("content_type", "uploaded_at")
    list_select_related = ("document", "uploaded_by")
    show_full_result_count = False
    paginator = KeysFirstPaginator
    ordering = ("-uploaded_at", "-pk")
    search_fields = ("original_name", "document__title", "sha256")
    fields = readonly_fields = (
        "document",
        "number",
        "original_name",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(document__in=_visible_documents(request))


# Last, once every app has registered its admin: the guards against hostile input
# (cooperation.admin_input) under every ModelAdmin of the site.
admin_input.harden(admin.site)
