"""Choosers over tables that grow: autocomplete widgets and the fields that use them.

A ``<select>`` of every user, initiative or meeting grows with the data (20,000
options at volume). These widgets render only the chosen option(s), so the page stays
the same size; ``static/js/autocomplete.js`` turns each one into a Tom Select that asks
the lookup endpoints (``cooperation.views.lookups``) as the user types. Without
JavaScript the select still shows, and posts back, the current value.

The field's queryset stays the whole set the user may choose from (active users,
``Initiative.objects.visible_to(user)``…): a posted id is checked against it as
before, so a forged or withheld id is still a field error.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

SEARCH_PLACEHOLDER = _("Type to search")
NO_RESULTS = _("Nothing matches.")
REMOVE = _("Remove")


def user_label(user):
    """How a person is named in a chooser: "Ana Gómez (Colombia)"."""
    if user.nation_id is None:
        return str(user)
    return f"{user} ({user.nation})"


class AutocompleteMixin:
    """Render the chosen options only, labelled through the field's own queryset.

    ``url_name`` names the lookup endpoint the browser searches. Labels of values the
    field has just validated are remembered (``remember``), so a form shown again
    after a POST reads nothing more; any other value is labelled with one query over
    the field's queryset, which never names a record the user may not choose.
    """

    def __init__(self, url_name, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.url_name = url_name
        self.known_labels = {}

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.known_labels = dict(self.known_labels)
        return result

    @property
    def model_field(self):
        """The ModelChoiceField whose choices these are (set with its queryset)."""
        return getattr(self.choices, "field", None)

    def remember(self, values_and_labels):
        self.known_labels.update((str(v), label) for v, label in values_and_labels)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-autocomplete-url": reverse(self.url_name),
                "data-placeholder": str(SEARCH_PLACEHOLDER),
                "data-no-results": str(NO_RESULTS),
                "data-remove-label": str(REMOVE),
            }
        )
        return context

    def use_required_attribute(self, initial):
        # Django's Select reads the first choice to decide; that would run the
        # field's query. A single select starts on the empty choice when it has one.
        required = forms.Widget.use_required_attribute(self, initial)
        if self.allow_multiple_selected:
            return required
        field = self.model_field
        return required and field is not None and field.empty_label is not None

    def optgroups(self, name, value, attrs=None):
        chosen = [v for v in dict.fromkeys(value) if v not in (None, "")]
        labels = self._labels(chosen)
        options = []
        field = self.model_field
        # A single select keeps its empty choice, so it can be cleared without
        # JavaScript (Tom Select shows it as the placeholder).
        if (
            not self.allow_multiple_selected
            and field is not None
            and field.empty_label is not None
        ):
            options.append(
                self.create_option(
                    name, "", field.empty_label, not chosen, 0, attrs=attrs
                )
            )
        for v in chosen:
            if v in labels:
                options.append(
                    self.create_option(
                        name, v, labels[v], True, len(options), attrs=attrs
                    )
                )
        return [(None, options, 0)]

    def _labels(self, values):
        """{value: label} of the values the field's queryset holds."""
        unknown = [v for v in values if v not in self.known_labels]
        field = self.model_field
        if unknown and field is not None and field.queryset is not None:
            key = field.to_field_name or "pk"
            meta = field.queryset.model._meta
            model_field = meta.pk if key == "pk" else meta.get_field(key)
            keys = []
            for v in unknown:
                try:
                    keys.append(model_field.to_python(v))
                except ValidationError:
                    continue  # not a key at all: nothing to label
            if keys:
                rows = field.queryset.filter(**{f"{key}__in": keys})
                self.remember(
                    (field.prepare_value(obj), field.label_from_instance(obj))
                    for obj in rows
                )
        return {v: self.known_labels[v] for v in values if v in self.known_labels}


class AutocompleteSelect(AutocompleteMixin, forms.Select):
    pass


class AutocompleteSelectMultiple(AutocompleteMixin, forms.SelectMultiple):
    pass


class RememberChosenMixin:
    """A model choice field that hands the labels of the records it validated to its
    autocomplete widget, so showing the form again costs no query."""

    def remember(self, objs):
        widget = self.widget
        if isinstance(widget, AutocompleteMixin):
            widget.remember(
                (self.prepare_value(obj), self.label_from_instance(obj)) for obj in objs
            )


class AutocompleteModelChoiceField(RememberChosenMixin, forms.ModelChoiceField):
    def to_python(self, value):
        obj = super().to_python(value)
        if obj is not None:
            self.remember([obj])
        return obj


class AutocompleteModelMultipleChoiceField(
    RememberChosenMixin, forms.ModelMultipleChoiceField
):
    def clean(self, value):
        queryset = super().clean(value)  # evaluated by the check: no second query
        self.remember(queryset)
        return queryset


class UserChoiceMixin:
    """People are named with their nation; the nation is read with them."""

    @property
    def queryset(self):
        return forms.ModelChoiceField.queryset.fget(self)

    @queryset.setter
    def queryset(self, queryset):
        # Whenever it is set (by the constructor, a form, a copy): the nation is
        # read with the person, for the label.
        if queryset is not None:
            queryset = queryset.select_related("nation")
        forms.ModelChoiceField.queryset.fset(self, queryset)

    def label_from_instance(self, obj):
        return user_label(obj)


class UserChoiceField(UserChoiceMixin, AutocompleteModelChoiceField):
    """One person, chosen by typing their name."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", AutocompleteSelect("cooperation:lookup-users"))
        super().__init__(queryset, **kwargs)


class UserMultipleChoiceField(UserChoiceMixin, AutocompleteModelMultipleChoiceField):
    """Several people, chosen by typing their names."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault(
            "widget", AutocompleteSelectMultiple("cooperation:lookup-users")
        )
        super().__init__(queryset, **kwargs)
