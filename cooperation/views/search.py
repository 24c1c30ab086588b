"""The one search across the portal's records, and the lists' saved filters."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cooperation import search as portal_search
from cooperation.models import SavedFilter
from cooperation.services import saved_filters as saved_filter_services


@require_GET
def search(request):
    """``?q=``: the records released to the reader that match, by kind."""
    raw = request.GET.get("q", "")
    error = None
    results = None
    try:
        text = portal_search.clean_query(raw)
    except portal_search.SearchError as exc:
        error = str(exc)
        text = raw[: portal_search.MAX_QUERY_LENGTH]
    if error is None and text:
        results = portal_search.search(request.user, text)
    return render(
        request,
        "cooperation/search.html",
        {
            "query": text,
            "error": error,
            "results": results,
            "per_kind": portal_search.PER_KIND,
            "max_length": portal_search.MAX_QUERY_LENGTH,
        },
        status=400 if error else 200,
    )


@require_POST
def saved_filter_save(request):
    """Save the list's current filters (``query``) under ``name``."""
    list_name = request.POST.get("list_name", "")
    query = request.POST.get("query", "")
    try:
        saved = saved_filter_services.saved_filter_save(
            user=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=query,
        )
    except ValidationError as exc:
        return render(
            request,
            "cooperation/saved_filter_error.html",
            {
                "errors": exc.messages,
                "back_url": _list_url(list_name, query),
            },
            status=400,
        )
    messages.success(request, _("Filters saved as “%(name)s”.") % {"name": saved.name})
    return redirect(saved_filter_services.saved_filter_url(saved))


@require_POST
def saved_filter_delete(request):
    """Delete one of the user's saved filters (``saved_filter``: its key)."""
    try:
        saved_filter_id = int(request.POST.get("saved_filter", ""))
    except ValueError:
        raise Http404 from None
    if not saved_filter_services.saved_filter_delete(
        user=request.user, saved_filter_id=saved_filter_id
    ):
        raise Http404
    messages.success(request, _("Saved filter deleted."))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("cooperation:dashboard")


def _list_url(list_name, query):
    if list_name not in saved_filter_services.LISTS:
        return None
    saved = SavedFilter(
        list_name=list_name,
        query=saved_filter_services.saved_filter_clean_query(list_name, query),
    )
    return saved_filter_services.saved_filter_url(saved)
