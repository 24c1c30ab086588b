"""The list machinery: one ``ListSpec`` per list declares its columns, sorts and CSV.

The sort keys, table headers and CSV headers are part of the portal's interface
(bookmarked links, spreadsheets that read the exports by header), so they are pinned
here; the pages' queries are pinned in ``test_list_performance`` and
``test_bounded_pages``.
"""

import csv
import io

import pytest
from django.urls import reverse

from cooperation.filters.meetings import MeetingFilter
from cooperation.models import AssessmentMeeting
from cooperation.views.common import Column, ListSpec
from cooperation.views.initiatives import INITIATIVE_LIST
from cooperation.views.meetings import MEETING_LIST
from cooperation.views.nations import NATION_LIST
from cooperation.views.recommendations import RECOMMENDATION_LIST
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = {
    "initiative-list": (
        INITIATIVE_LIST,
        ["title", "kind", "status", "lead", "planned_start", "planned_end"],
        [
            "Title",
            "Kind",
            "Status",
            "Lead nation",
            "Focus areas",
            "Planned start",
            "Planned end",
        ],
        [
            "Title",
            "Kind",
            "Status",
            "Lead nation",
            "Participating nations",
            "Focus areas",
            "Planned start",
            "Planned end",
            "Owner",
            "Released to",
        ],
    ),
    "recommendation-list": (
        RECOMMENDATION_LIST,
        ["reference", "title", "status", "priority", "due", "owner"],
        [
            "Reference",
            "Title",
            "Status",
            "Priority",
            "Due date",
            "Progress",
            "Owner",
            "Focus area",
            "Addressed nations",
        ],
        [
            "Reference",
            "Title",
            "Status",
            "Priority",
            "Due date",
            "Overdue",
            "Progress (%)",
            "Owner",
            "Focus area",
            "Source meeting",
            "Initiative",
            "Addressed nations",
            "Released to",
        ],
    ),
    "meeting-list": (
        MEETING_LIST,
        ["title", "starts", "status", "location", "assessments", "next"],
        ["Title", "When", "Status", "Where", "Chair", "Nations", "Assessments"],
        [
            "Title",
            "Starts",
            "Ends",
            "Time zone",
            "Status",
            "Location",
            "Online link",
            "Chair",
            "Nations",
            "Assessments",
            "Released to",
        ],
    ),
    "nation-list": (
        NATION_LIST,
        ["name", "code", "region", "initiatives", "open"],
        [
            "Nation",
            "ISO codes",
            "Region",
            "Time zone",
            "Languages",
            "Liaison",
            "Initiatives",
            "Open recommendations",
        ],
        [
            "Nation",
            "ISO codes",
            "Region",
            "Time zone",
            "Languages",
            "Liaison",
            "Initiatives",
            "Open recommendations",
        ],
    ),
}


@pytest.mark.parametrize("url_name", LISTS)
def test_a_list_offers_its_sorts_table_headers_and_csv_headers(
    client, colombian_user, url_name
):
    spec, sorts, table, exported = LISTS[url_name]
    assert list(spec.sort_fields) == sorts
    client.force_login(colombian_user)
    url = reverse(f"cooperation:{url_name}")

    page = client.get(url)
    export = client.get(url, {"format": "csv"})

    assert [str(column.label) for column in page.context["table_columns"]] == table
    # "next" (the meeting list's default: the next meeting first) is an order, not a
    # column.
    assert [c.sort for c in page.context["table_columns"] if c.sort] == [
        sort for sort in sorts if sort != "next"
    ]
    text = b"".join(export.streaming_content).decode().lstrip("\ufeff")
    assert next(csv.reader(io.StringIO(text))) == exported


@pytest.mark.parametrize("url_name", LISTS)
def test_an_unknown_sort_falls_back_to_the_lists_default(
    client, colombian_user, url_name
):
    spec = LISTS[url_name][0]
    client.force_login(colombian_user)

    response = client.get(reverse(f"cooperation:{url_name}"), {"sort": "-password"})

    assert response.context["current_sort"] == spec.default_sort


def _spec(**overrides):
    fields = {
        "filterset": MeetingFilter,
        "queryset": lambda user, **kwargs: AssessmentMeeting.objects.none(),
        "columns": [Column("Title", "title", order_by=["title"])],
        "default_sort": "title",
        "template": "cooperation/meeting_list.html",
        "csv_filename": "meetings",
    }
    return ListSpec(**{**fields, **overrides})


def test_a_spec_refuses_a_sortable_column_that_orders_by_nothing():
    assert _spec().sort_fields == {"title": ["title"]}
    with pytest.raises(ValueError, match="sorts by nothing"):
        _spec(columns=[Column("Title", "title")])


def test_a_spec_refuses_a_default_sort_no_column_offers():
    assert _spec(default_sort="-title").default_sort == "-title"
    with pytest.raises(ValueError, match="No column sorts by"):
        _spec(default_sort="starts")


def test_mine_keeps_the_meetings_the_reader_chairs_or_attends(
    client, colombian_user, brazilian_user
):
    chaired = factories.AssessmentMeetingFactory(
        released_to_all=True, chair=colombian_user, title="Chaired"
    )
    attended = factories.AssessmentMeetingFactory(released_to_all=True, title="Went")
    attended.attendees.add(colombian_user)
    factories.AssessmentMeetingFactory(
        released_to_all=True, chair=brazilian_user, title="Other"
    )
    client.force_login(colombian_user)
    url = reverse("cooperation:meeting-list")

    everything = client.get(url)
    mine = client.get(url, {"mine": "on"})

    assert len(everything.context["object_list"]) == 3
    assert {m.pk for m in mine.context["object_list"]} == {chaired.pk, attended.pk}
