"""Saved list filters: a user keeps a list's current filters under a name.

What is kept is the query string of the list, reduced to the parameters that list
understands (its filters and its sort: never the page, the CSV format or anything
else sent along), so a saved filter opens the list as it was filtered. Saving under a
name the user already has for that list replaces what that name holds.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from cooperation.filters.initiatives import InitiativeFilter
from cooperation.filters.meetings import MeetingFilter
from cooperation.filters.recommendations import RecommendationFilter
from cooperation.models import SavedFilter, User

# Each list: its filter set (whose parameters a saved filter keeps) and its URL.
LISTS = {
    SavedFilter.ListName.INITIATIVES: (InitiativeFilter, "cooperation:initiative-list"),
    SavedFilter.ListName.MEETINGS: (MeetingFilter, "cooperation:meeting-list"),
    SavedFilter.ListName.RECOMMENDATIONS: (
        RecommendationFilter,
        "cooperation:recommendation-list",
    ),
}
# The list URL names, for the save form on each list.
LIST_OF_URL_NAME = {
    url_name.removeprefix("cooperation:"): list_name
    for list_name, (_filterset, url_name) in LISTS.items()
}
MAX_PER_USER = 30
MAX_VALUES = 50
NAME_MAX_LENGTH = SavedFilter._meta.get_field("name").max_length
QUERY_MAX_LENGTH = SavedFilter._meta.get_field("query").max_length


def saved_filter_url(saved_filter):
    """The list the filter was saved on, filtered as it was."""
    _filterset, url_name = LISTS[saved_filter.list_name]
    return f"{reverse(url_name)}?{saved_filter.query}"


def saved_filter_clean_query(list_name, query):
    """``query`` reduced to the parameters of ``list_name``'s filters and its sort
    (empty values dropped), in a stable order."""
    filterset, _url_name = LISTS[list_name]
    known = [*filterset.base_filters, "sort"]
    given = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in known:
        values = [value.strip() for value in given.getlist(name) if value.strip()]
        if values:
            kept.setlist(name, values[:MAX_VALUES])
    return kept.urlencode()


@transaction.atomic
def saved_filter_save(
    *, user: User, list_name: str, name: str, query: str
) -> SavedFilter:
    """Save ``query`` (a list's query string) as ``user``'s filter ``name`` on
    ``list_name``; the same name on the same list replaces what it held. Raises
    ``ValidationError`` for an unknown list, an empty or too long name, no filter
    to save, too long a query or one saved filter too many."""
    if list_name not in LISTS:
        raise ValidationError(_("Filters cannot be saved for that list."))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the saved filter a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("The name is too long: use at most %(limit)d characters.")
            % {"limit": NAME_MAX_LENGTH}
        )
    cleaned = saved_filter_clean_query(list_name, query or "")
    if not set(QueryDict(cleaned)) - {"sort"}:
        raise ValidationError(_("There are no filters to save: apply some first."))
    if len(cleaned) > QUERY_MAX_LENGTH:
        raise ValidationError(_("These filters are too long to be saved."))
    mine = SavedFilter.objects.select_for_update().filter(user=user)
    existing = mine.filter(list_name=list_name, name=name).first()
    if existing is None:
        if mine.count() >= MAX_PER_USER:
            raise ValidationError(
                _("You have %(limit)d saved filters already: delete one first.")
                % {"limit": MAX_PER_USER}
            )
        existing = SavedFilter(user=user, list_name=list_name, name=name)
    existing.query = cleaned
    existing.full_clean()
    existing.save()
    return existing


@transaction.atomic
def saved_filter_delete(*, user: User, saved_filter_id: int) -> bool:
    """Delete ``user``'s saved filter ``saved_filter_id``; False when the user has
    no such filter (another user's filter is never touched)."""
    deleted, _rows = SavedFilter.objects.filter(user=user, pk=saved_filter_id).delete()
    return bool(deleted)
