"""Filter pieces shared by the list pages."""

import functools
import operator

import django_filters
from django import forms
from django.db.models import Q
from django.forms.boundfield import BoundField

from cooperation.models.nations import collation_key
from cooperation.widgets import AutocompleteModelChoiceField

# Radio and checkbox groups: ``{% filter_field %}`` styles each of their options.
CHOICE_GROUP_WIDGETS = (forms.CheckboxSelectMultiple, forms.RadioSelect)


def bootstrap_widget_classes(widget):
    """Give ``widget`` the classes crispy-forms' Bootstrap 5 pack gave it at each
    render: its own class name (``select``, ``dateinput``…) and ``form-select``,
    ``form-check-input`` or ``form-control``. Set once, when the form is built."""
    for part in getattr(widget, "widgets", None) or [widget]:
        if isinstance(part, CHOICE_GROUP_WIDGETS):
            continue
        if isinstance(part, forms.CheckboxInput):
            bootstrap = "form-check-input"
        elif isinstance(part, forms.Select):
            bootstrap = "form-select"
        else:
            bootstrap = "form-control"
        name = type(part).__name__.lower()
        css_class = part.attrs.get("class", "")
        if not css_class:
            css_class = name
        elif name not in css_class:
            css_class = f"{css_class} {name}"
        if bootstrap not in css_class.split():
            css_class = f"{css_class} {bootstrap}"
        part.attrs["class"] = css_class


class FilterBoundField(BoundField):
    """A filter field whose widget is marked ``is-invalid`` while it has errors."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            css_class = (widget or self.field.widget).attrs.get("class")
            if css_class and "is-invalid" not in css_class.split():
                attrs["class"] = f"{css_class} is-invalid"
        return attrs


class FilterForm(forms.Form):
    """The form of a list's filters, styled for Bootstrap 5 once, when built.

    Every FilterSet of the portal names it (or a subclass) as its ``Meta.form``;
    ``includes/_filter_form.html`` shows its fields with ``{% filter_field %}``.
    """

    bound_field_class = FilterBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            bootstrap_widget_classes(field.widget)


class ReferenceChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The choices of a short reference table (nations, focus areas), read with one
    plain query. Django reads model choices through ``QuerySet.iterator()``, which on
    PostgreSQL is a server-side cursor: three round trips (DECLARE, FETCH, CLOSE) and
    about twice the CPU of a plain query for a dozen rows."""

    def __iter__(self):
        field = self.field
        if field.empty_label is not None:
            yield ("", field.empty_label)
        if field.null_label is not None:
            yield (field.null_value, field.null_label)
        # By the name the reader sees (a focus area's translation, a nation's CLDR
        # name), which the database cannot sort by for every language.
        for obj in sorted(self.queryset.all(), key=lambda obj: collation_key(str(obj))):
            yield self.choice(obj)


class ReferenceModelChoiceField(django_filters.fields.ModelChoiceField):
    """A record of a short reference table, offered in a select."""

    iterator = ReferenceChoiceIterator


class ReferenceChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` over a short reference table (see above)."""

    field_class = ReferenceModelChoiceField


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


class DeferredQuerySet:
    """Stands for the queryset ``factory()`` returns, built when first used.

    An autocomplete filter's queryset (the records released to the reader) is read
    only to check and label a chosen record; with nothing chosen, building it would
    be wasted work on every list page. Form fields copy their queryset with
    ``all()``: the copies share this one until it is built.
    """

    def __init__(self, factory):
        self._factory = factory
        self._queryset = None

    def _built(self):
        if self._queryset is None:
            self._queryset = self._factory()
        return self._queryset

    def all(self):
        return self if self._queryset is None else self._queryset.all()

    def __getattr__(self, name):
        # Only what is not found on the object: the queryset's own attributes. Not
        # the special methods copy and pickle look for, nor ours before __init__.
        if name.startswith("__") or name in ("_factory", "_queryset"):
            raise AttributeError(name)
        return getattr(self._built(), name)


class AutocompleteFilter(django_filters.ModelChoiceFilter):
    """A record chosen with an autocomplete (``widget=AutocompleteSelect(...)``):
    ``?name=<pk>``, checked against ``queryset`` (which may take the request and is
    then only built when a record is chosen)."""

    field_class = AutocompleteChoiceField

    def get_queryset(self, request):
        queryset = self.queryset
        if callable(queryset):
            return DeferredQuerySet(lambda: queryset(request))
        return queryset


class RecordFilterSet(django_filters.FilterSet):
    """What the filters of the record lists share: the free-text search (``q``,
    with ``method="search"``) over ``search_fields``, and the reader's own records
    (``mine``, with ``method="filter_mine"``), as ``mine_condition`` says.

    Build it with ``request=request``: ``mine`` depends on the signed-in user.
    """

    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            functools.reduce(
                operator.or_,
                (Q(**{f"{field}__icontains": value}) for field in self.search_fields),
            )
        )

    def mine_condition(self, user):
        """The records that are ``user``'s own: by default, those they own."""
        return Q(owner=user)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(self.mine_condition(user))
