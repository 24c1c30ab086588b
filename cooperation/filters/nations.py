import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation.filters.common import FilterForm
from cooperation.models import Nation
from cooperation.models.nations import territory_codes_matching


class NationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    region = django_filters.ChoiceFilter(
        label=_("Region"), choices=Nation.Region.choices
    )
    is_active = django_filters.BooleanFilter(
        label=_("Active"),
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        ),
    )

    class Meta:
        model = Nation
        form = FilterForm
        fields = ["q", "region", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            # The name the reader sees, in their language ("Estados Unidos").
            | Q(iso_alpha2__in=territory_codes_matching(value))
            | Q(iso_alpha2__iexact=value)
            | Q(iso_alpha3__iexact=value)
            | Q(liaison_name__icontains=value)
        )
