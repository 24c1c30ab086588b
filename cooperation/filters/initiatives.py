"""Filters of the initiative list.

The query parameters are part of the portal's interface: the dashboard and the nation
pages link to filtered lists with them, and users bookmark them. Keep the names stable.

``q``                    free text in the title, summary or objectives
``status``               one or more statuses, repeated: ``?status=pipeline&status=…``
``kind``                 one kind of initiative: ``?kind=joint_task_force``
``nation``               ISO alpha-2 code of a participating nation: ``?nation=CO``
``role``                 the role a nation plays; with ``nation``, the role of that
                         nation: ``?nation=CO&role=lead`` (initiatives Colombia leads)
``focus_area``           the focus area's slug: ``?focus_area=drug-trafficking``
``planned_start_after``  planned to start on or after this date (``YYYY-MM-DD``)
``planned_start_before`` planned to start on or before this date
``planned_end_after``    planned to end on or after this date
``planned_end_before``   planned to end on or before this date
``mine=1``               owned by the signed-in user

Sorting (``sort``), the page (``page``) and ``format=csv`` are read by the list view.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from cooperation.filters.common import (
    FilterForm,
    FlagFilter,
    RecordFilterSet,
    ReferenceChoiceFilter,
    ReferenceModelChoiceField,
)
from cooperation.models import FocusArea, Initiative, Nation, Participation
from cooperation.validators import validate_sane_year

DATE_RANGES = (
    ("planned_start_after", "planned_start_before"),
    ("planned_end_after", "planned_end_before"),
)


class NationCodeField(ReferenceModelChoiceField):
    """A nation chosen by its ISO alpha-2 code, in either case (``co`` or ``CO``)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().upper()
        return super().to_python(value)


class NationCodeFilter(ReferenceChoiceFilter):
    field_class = NationCodeField


class InitiativeFilterForm(FilterForm):
    def clean(self):
        cleaned = super().clean()
        for after_name, before_name in DATE_RANGES:
            after, before = cleaned.get(after_name), cleaned.get(before_name)
            if after and before and before < after:
                self.add_error(
                    before_name,
                    forms.ValidationError(
                        _("The end of a date range cannot be before its start."),
                        code="end_before_start",
                    ),
                )
        return cleaned


def _date_filter(label, field_name, lookup_expr):
    return django_filters.DateFilter(
        label=label,
        field_name=field_name,
        lookup_expr=lookup_expr,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_year],
    )


class InitiativeFilter(RecordFilterSet):
    """Filter an ``Initiative.objects.visible_to(user)`` queryset.

    Build it with ``request=request``: ``mine`` depends on the signed-in user.
    """

    search_fields = ("title", "summary", "objectives")

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        help_text=_("Title, summary or objectives"),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Initiative.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one column: no duplicate rows to remove
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Initiative.Kind.choices)
    nation = NationCodeFilter(
        label=_("Participating nation"),
        queryset=Nation.objects.order_by("name"),
        to_field_name="iso_alpha2",
        method="filter_participation",
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=Participation.Role.choices,
        method="filter_participation",
        help_text=_("With a nation: the role of that nation."),
    )
    focus_area = ReferenceChoiceFilter(
        label=_("Focus area"),
        field_name="focus_areas",
        queryset=FocusArea.objects.all(),
        to_field_name="slug",
        distinct=False,  # a focus area is linked to an initiative at most once
    )
    planned_start_after = _date_filter(
        _("Planned start on or after"), "planned_start", "gte"
    )
    planned_start_before = _date_filter(
        _("Planned start on or before"), "planned_start", "lte"
    )
    planned_end_after = _date_filter(_("Planned end on or after"), "planned_end", "gte")
    planned_end_before = _date_filter(
        _("Planned end on or before"), "planned_end", "lte"
    )
    mine = FlagFilter(label=_("Mine only"), method="filter_mine")

    class Meta:
        model = Initiative
        form = InitiativeFilterForm
        fields = [
            "q",
            "status",
            "kind",
            "nation",
            "role",
            "focus_area",
            "planned_start_after",
            "planned_start_before",
            "planned_end_after",
            "planned_end_before",
            "mine",
        ]

    def filter_participation(self, queryset, name, value):
        """One condition for ``nation`` and ``role``: the same participation row."""
        nation = self.form.cleaned_data.get("nation")
        role = self.form.cleaned_data.get("role")
        if name == "role" and nation:
            return queryset  # applied together with the nation
        conditions = {}
        if nation:
            conditions["nation"] = nation
        if role:
            conditions["role"] = role
        return queryset.filter(
            Exists(
                Participation.objects.filter(initiative=OuterRef("pk"), **conditions)
            )
        )
