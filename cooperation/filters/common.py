"""Filter pieces shared by the list pages."""

import django_filters
from django import forms

from cooperation.widgets import AutocompleteModelChoiceField


class FlagFilter(django_filters.Filter):
    """A checkbox: ``?name=1`` (or ``on``, ``true``) turns it on; absent is off."""

    field_class = forms.BooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxInput)
        super().__init__(*args, **kwargs)


class AutocompleteChoiceField(
    AutocompleteModelChoiceField, django_filters.fields.ModelChoiceField
):
    """django-filter's model choice field that remembers the record it validated,
    so its autocomplete widget shows it without a second query."""


class AutocompleteFilter(django_filters.ModelChoiceFilter):
    """A record chosen with an autocomplete (``widget=AutocompleteSelect(...)``):
    ``?name=<pk>``, checked against ``queryset`` (which may take the request)."""

    field_class = AutocompleteChoiceField
