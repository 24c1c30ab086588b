"""The initiative form and its participations formset."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation import services
from cooperation.concurrency import VersionedFormMixin
from cooperation.forms.common import WrittenInMixin
from cooperation.models import FocusArea, Initiative, Nation, Participation, User
from cooperation.widgets import UserChoiceField

PARTICIPATION_PREFIX = "participations"

# (start field, end field, name of the model constraint that holds the pair in order)
DATE_PAIRS = (
    ("planned_start", "planned_end", "initiative_planned_start_before_end"),
    ("actual_start", "actual_end", "initiative_actual_start_before_end"),
)


def _constraint_message(name):
    """The model constraint's own message, so the form and the database agree."""
    for constraint in Initiative._meta.constraints:
        if constraint.name == name:
            return constraint.get_violation_error_message()
    raise LookupError(name)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        # <input type="date"> reads and writes ISO dates whatever the locale.
        super().__init__(attrs, format="%Y-%m-%d")


class InitiativeForm(WrittenInMixin, VersionedFormMixin, forms.ModelForm):
    """An initiative; editing one carries the version it was loaded from."""

    class Meta:
        model = Initiative
        fields = [
            "title",
            "language",
            "kind",
            "summary",
            "objectives",
            "focus_areas",
            "status",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "owner",
        ]
        field_classes = {"owner": UserChoiceField}  # an autocomplete, not every user
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "focus_areas": forms.CheckboxSelectMultiple,
            "planned_start": DateInput,
            "planned_end": DateInput,
            "actual_start": DateInput,
            "actual_end": DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only active focus areas and people are offered, plus what the record
        # already has, so editing never drops a value that has since been retired.
        current_areas = Q(pk__in=[])
        current_owner = Q(pk__in=[])
        if self.instance.pk:
            current_areas = Q(initiatives=self.instance)
            current_owner = Q(pk=self.instance.owner_id)
        self.fields["focus_areas"].queryset = (
            FocusArea.objects.filter(Q(is_active=True) | current_areas)
            .distinct()
            .in_display_order()
        )
        self.fields["owner"].queryset = User.objects.filter(
            Q(is_active=True) | current_owner
        ).order_by("last_name", "first_name", "username")

    def clean(self):
        cleaned = super().clean()
        for start_name, end_name, constraint_name in DATE_PAIRS:
            start, end = cleaned.get(start_name), cleaned.get(end_name)
            if start and end and end < start:
                # A field error beside the end date; the constraint is then skipped
                # for the pair, so the message shows once.
                self.add_error(
                    end_name,
                    ValidationError(
                        _constraint_message(constraint_name), code="end_before_start"
                    ),
                )
        return cleaned


class ParticipationForm(forms.Form):
    nation = forms.ModelChoiceField(
        label=_("Nation"), queryset=Nation.objects.none(), empty_label="—"
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", "—"), *Participation.Role.choices]
    )
    contribution = forms.CharField(
        label=_("Contribution"),
        max_length=Participation._meta.get_field("contribution").max_length,
        required=False,
    )

    def __init__(self, *args, nations=None, nation_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nation"].queryset = (
            nations if nations is not None else Nation.objects.filter(is_active=True)
        )
        if nation_choices is not None:
            # Rendered from one list shared by every row instead of one query per
            # row; the submitted value is still checked against the queryset.
            self.fields["nation"].choices = nation_choices
        self.fields["nation"].widget.attrs["class"] = "form-select"
        self.fields["role"].widget.attrs["class"] = "form-select"
        self.fields["contribution"].widget.attrs["class"] = "form-control"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"


class BaseParticipationFormSet(forms.BaseFormSet):
    """The nations taking part: blank rows to add one, a checkbox to remove one.

    Its ``clean`` applies the service's rules (exactly one lead, each nation once), so
    the page says what is wrong before anything is written.
    """

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if forms.formsets.DELETION_FIELD_NAME in form.fields:
            field = form.fields[forms.formsets.DELETION_FIELD_NAME]
            field.label = _("Remove")
            field.widget.attrs["class"] = "form-check-input"

    def rows(self):
        """The participations asked for, as ``services.ParticipationRow`` values."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or not data.get("nation") or not data.get("role"):
                continue
            if self.can_delete and form in self.deleted_forms:
                continue
            rows.append(
                services.ParticipationRow(
                    nation=data["nation"],
                    role=data["role"],
                    contribution=data.get("contribution", ""),
                )
            )
        return rows

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        services.initiative_validate_participations(self.rows())


ParticipationFormSet = forms.formset_factory(
    ParticipationForm,
    formset=BaseParticipationFormSet,
    extra=3,
    can_delete=True,
    can_delete_extra=False,
)


def participation_formset(data=None, *, initiative=None):
    """The formset for a new initiative (``initiative=None``) or an existing one."""
    nations = Nation.objects.filter(is_active=True)
    initial = []
    if initiative is not None and initiative.pk:
        participations = sorted(
            initiative.participations.select_related("nation"),
            key=lambda p: (p.role != Participation.Role.LEAD, p.nation.display_name),
        )
        initial = [
            {"nation": p.nation_id, "role": p.role, "contribution": p.contribution}
            for p in participations
        ]
        nations = Nation.objects.filter(
            Q(is_active=True) | Q(pk__in=[p.nation_id for p in participations])
        )
    nations = nations.order_by("name")
    nation_choices = [("", "—"), *((n.pk, str(n)) for n in nations)]
    return ParticipationFormSet(
        data,
        initial=initial,
        prefix=PARTICIPATION_PREFIX,
        form_kwargs={"nations": nations, "nation_choices": nation_choices},
    )
