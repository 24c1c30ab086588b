import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation.models import Nation


class NationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=100)
    region = django_filters.ChoiceFilter(
        label=_("Region"), choices=Nation.Region.choices
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Nation
        fields = ["q", "region", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(iso_alpha2__iexact=value)
            | Q(iso_alpha3__iexact=value)
            | Q(liaison_name__icontains=value)
        )
