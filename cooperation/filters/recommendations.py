"""Filters of the recommendation list.

The query parameters are part of the portal's interface: the dashboard, the nation,
meeting and initiative pages link to filtered lists with them, and users bookmark them.
Keep the names stable.

``q``               free text in the reference, title or description
``status``          one or more statuses, repeated: ``?status=proposed&status=accepted``
``priority``        ``1`` low … ``4`` critical
``nation``          ISO alpha-2 code of an addressed nation: ``?nation=CO``
``focus_area``      the focus area's slug: ``?focus_area=drug-trafficking``
``source_meeting``  the pk of the meeting that raised it (meetings visible to the user)
``initiative``      the pk of the related initiative (initiatives visible to the user)
``due_after``       due on or after this date (``YYYY-MM-DD``)
``due_before``      due on or before this date (``YYYY-MM-DD``)
``overdue=1``       open and due before today (``RecommendationQuerySet.overdue``)
``mine=1``          owned by the signed-in user

Sorting (``sort``), the page (``page``) and ``format=csv`` are read by the list view.
"""

import django_filters
from django import forms
from django.db.models import Value
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from cooperation.filters.common import (
    AutocompleteFilter,
    FilterForm,
    FlagFilter,
    RecordFilterSet,
)
from cooperation.models import (
    AssessmentMeeting,
    FocusArea,
    Initiative,
    Nation,
    Recommendation,
)
from cooperation.models.language import column_suffix
from cooperation.models.nations import collation_key, territory_name
from cooperation.validators import validate_sane_year
from cooperation.widgets import AutocompleteSelect

ANY = _("Any")


class CachedChoices(BaseChoiceIterator):
    """Choices read from the database once, when first needed.

    The select is rendered and a submitted value validated against the same list,
    so each of these filters costs one query, used or not, whatever the rows.
    """

    def __init__(self, load):
        self._load = load
        self._choices = None

    def __iter__(self):
        if self._choices is None:
            self._choices = [(str(key), label) for key, label in self._load()]
        return iter(self._choices)

    def __len__(self):
        return len(list(iter(self)))

    def __deepcopy__(self, memo):
        return self  # form fields are deep-copied; share the one list


class ReferenceChoices:
    """Nations (by ISO code) and focus areas (by slug) read in one query.

    Both are short reference lists shown on every list page; one UNION saves a
    round trip on a page whose query budget is tight.
    """

    def __init__(self):
        self._rows = None

    def of(self, kind):
        if self._rows is None:
            nations = (
                Nation.objects.order_by()
                .annotate(kind=Value("nation"), name_es=Value(""), name_pt_br=Value(""))
                .values_list("kind", "iso_alpha2", "name", "name_es", "name_pt_br")
            )
            areas = (
                FocusArea.objects.order_by()
                .annotate(kind=Value("focus_area"))
                .values_list("kind", "slug", "name", "name_es", "name_pt_br")
            )
            self._rows = list(nations.union(areas, all=True))
        # Named in the reader's language (a nation by its CLDR name, a focus area by
        # its translation) and sorted by that name.
        suffix = column_suffix(None)
        choices = []
        for row_kind, key, name, name_es, name_pt_br in self._rows:
            if row_kind != kind:
                continue
            if kind == "nation":
                label = territory_name(key, name)
            else:
                label = {"_es": name_es, "_pt_br": name_pt_br}.get(suffix) or name
            choices.append((key, label))
        return sorted(choices, key=lambda choice: collation_key(choice[1]))


class NationCodeField(django_filters.fields.ChoiceField):
    """A nation chosen by its ISO alpha-2 code, in either case (``co`` or ``CO``)."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class NationCodeFilter(django_filters.ChoiceFilter):
    field_class = NationCodeField


class RecommendationFilterForm(FilterForm):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and before < after:
            self.add_error(
                "due_before",
                forms.ValidationError(
                    _("The end of the due-date range cannot be before its start."),
                    code="end_before_start",
                ),
            )
        return cleaned


class RecommendationFilter(RecordFilterSet):
    """Filter a ``Recommendation.objects.visible_to(user)`` queryset.

    Build it with ``request=request``: the meeting and initiative choices, and
    ``mine``, depend on the signed-in user.
    """

    search_fields = ("reference", "title", "description")

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        help_text=_("Reference, title or description"),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Recommendation.Status.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one column: no duplicate rows to remove
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"),
        choices=Recommendation.Priority.choices,
        empty_label=ANY,
    )
    # Choices of the two filters below are set per request in __init__.
    nation = NationCodeFilter(
        label=_("Addressed nation"),
        field_name="nations__iso_alpha2",
        empty_label=ANY,
        distinct=False,  # a nation is addressed at most once per recommendation
    )
    focus_area = django_filters.ChoiceFilter(
        label=_("Focus area"), field_name="focus_area__slug", empty_label=ANY
    )
    # Autocompletes over the meetings and initiatives released to the user: only
    # the chosen one is read, to check it and to show it.
    source_meeting = AutocompleteFilter(
        label=_("Source meeting"),
        queryset=lambda request: AssessmentMeeting.objects.visible_to(
            getattr(request, "user", None)
        ),
        widget=AutocompleteSelect("cooperation:lookup-meetings"),
        empty_label=ANY,
    )
    initiative = AutocompleteFilter(
        label=_("Related initiative"),
        queryset=lambda request: Initiative.objects.visible_to(
            getattr(request, "user", None)
        ),
        widget=AutocompleteSelect("cooperation:lookup-initiatives"),
        empty_label=ANY,
    )
    due_after = django_filters.DateFilter(
        label=_("Due on or after"),
        field_name="due_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_year],
    )
    due_before = django_filters.DateFilter(
        label=_("Due on or before"),
        field_name="due_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_year],
    )
    overdue = FlagFilter(label=_("Overdue only"), method="filter_overdue")
    mine = FlagFilter(label=_("Mine only"), method="filter_mine")

    class Meta:
        model = Recommendation
        form = RecommendationFilterForm
        fields = [
            "q",
            "status",
            "priority",
            "nation",
            "focus_area",
            "source_meeting",
            "initiative",
            "due_after",
            "due_before",
            "overdue",
            "mine",
        ]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        reference = ReferenceChoices()
        choices = {
            "nation": CachedChoices(lambda: reference.of("nation")),
            "focus_area": CachedChoices(lambda: reference.of("focus_area")),
        }
        for name, choice_list in choices.items():
            self.filters[name].extra["choices"] = choice_list

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset
