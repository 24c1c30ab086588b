"""The navigation bar's search box and saved filters, and the lists' save form."""

from django import template

from cooperation import counts
from cooperation.models import SavedFilter
from cooperation.services import saved_filters as saved_filter_services

register = template.Library()


@register.simple_tag
def user_saved_filters(user):
    """``user``'s saved filters with their links, by list and name: one query of at
    most ``MAX_PER_USER`` rows (none for an anonymous visitor), kept in the cache
    until the data changes (saving or deleting a filter is a change)."""
    if not user.is_authenticated:
        return []

    def rows():
        return list(
            SavedFilter.objects.filter(user=user).values_list(
                "pk", "list_name", "name", "query"
            )[: saved_filter_services.MAX_PER_USER]
        )

    saved = [
        SavedFilter(pk=pk, list_name=list_name, name=name, query=query)
        for pk, list_name, name, query in counts.cached_value(
            "saved-filters", user.pk, compute=rows
        )
    ]
    return [
        {
            "pk": row.pk,
            "name": row.name,
            "list": row.get_list_name_display(),
            "url": saved_filter_services.saved_filter_url(row),
        }
        for row in saved
    ]


@register.inclusion_tag("includes/_save_filter_form.html", takes_context=True)
def save_filter_form(context):
    """The "Save these filters" form of a list that can save them, when filtered."""
    request = context["request"]
    match = request.resolver_match
    list_name = saved_filter_services.LIST_OF_URL_NAME.get(
        match.url_name if match else ""
    )
    query = (
        saved_filter_services.saved_filter_clean_query(
            list_name, request.GET.urlencode()
        )
        if list_name
        else ""
    )
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "list_name": list_name,
        "query": query,
        "name_max_length": saved_filter_services.NAME_MAX_LENGTH,
    }
