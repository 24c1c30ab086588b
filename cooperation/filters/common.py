"""Filter pieces shared by the list pages."""

import django_filters
from django import forms


class FlagFilter(django_filters.Filter):
    """A checkbox: ``?name=1`` (or ``on``, ``true``) turns it on; absent is off."""

    field_class = forms.BooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxInput)
        super().__init__(*args, **kwargs)
