"""Structural guards of the initiative, recommendation and meeting lists at volume.

Each list is rendered with more than ten pages of rows (bulk-created, with their
many-to-many rows, a third of them withheld from the reader): the page shows 25 rows,
renders a bounded number of ``<option>`` elements (no select of every record), runs
its pinned number of queries on the first and the tenth page alike, and its CSV runs
the same queries for 12 rows as for 120. Search finds only what is released to the
reader. Speed itself is measured by the benchmark, not here.
"""

import csv
import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation.models import (
    AssessmentMeeting,
    FocusArea,
    Initiative,
    Participation,
    Recommendation,
)
from tests import factories

# Each request draws its page: the work pinned here is that of drawing it (a kept
# fragment, tests/test_page_cache.py, would skip it).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fragment_cache")]

PAGE_SIZE = 25
# Ten pages and more of rows the reader may see, and half as many again withheld.
VISIBLE = 10 * PAGE_SIZE + 10
# A page's filter form offers the short reference lists (statuses, kinds, nations,
# focus areas…) in full, never a list of records.
MAX_OPTIONS = 100
WITHHELD_WORD = "Zanzibar"  # in the title of withheld records only


@pytest.fixture
def reader(colombia):
    return factories.UserFactory(username="reader", nation=colombia)


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def world(colombia, brazil):
    """What every list needs: nations, focus areas, a few owners."""
    return {
        "colombia": colombia,
        "brazil": brazil,
        "areas": [
            factories.FocusAreaFactory(name=f"Area {n}", slug=f"area-{n}")
            for n in range(3)
        ],
        "owners": [factories.UserFactory(username=f"owner{n}") for n in range(3)],
    }


def release_kind(index):
    """Of every three rows: released to all, to the reader's nation, withheld."""
    return ("all", "reader", "withheld")[index % 3]


def titled(index, noun):
    if release_kind(index) == "withheld":
        return f"{WITHHELD_WORD} {noun} {index:04d}"
    return f"Shared {noun} {index:04d}"


def release(model, records, world):
    through = model.released_to.through
    source = f"{model._meta.model_name}_id"
    rows = []
    for index, record in enumerate(records):
        kind = release_kind(index)
        if kind != "all":
            nation = world["colombia"] if kind == "reader" else world["brazil"]
            rows.append(through(**{source: record.pk, "nation_id": nation.pk}))
    through.objects.bulk_create(rows)


def build_initiatives(count, world, start=0):
    initiatives = Initiative.objects.bulk_create(
        Initiative(
            title=titled(index, "initiative"),
            kind=Initiative.Kind.values[index % len(Initiative.Kind.values)],
            summary="Coordinated operations.",
            status=Initiative.Status.values[index % len(Initiative.Status.values)],
            planned_start=(
                datetime.date(2026, 1, 1) + datetime.timedelta(days=index)
                if index % 4
                else None
            ),
            owner=world["owners"][index % 3],
            released_to_all=release_kind(index) == "all",
        )
        for index in range(start, start + count)
    )
    release(Initiative, initiatives, world)
    nations = [world["colombia"], world["brazil"]]
    Participation.objects.bulk_create(
        Participation(
            initiative=initiative,
            nation=nations[index % 2],
            role=Participation.Role.LEAD,
        )
        for index, initiative in enumerate(initiatives)
    )
    Initiative.focus_areas.through.objects.bulk_create(
        Initiative.focus_areas.through(
            initiative_id=initiative.pk,
            focusarea_id=world["areas"][index % 3].pk,
        )
        for index, initiative in enumerate(initiatives)
    )
    return initiatives


def build_meetings(count, world, start=0):
    now = timezone.now()
    meetings = AssessmentMeeting.objects.bulk_create(
        AssessmentMeeting(
            title=titled(index, "meeting"),
            starts_at=now + datetime.timedelta(days=index - count // 2),
            ends_at=now + datetime.timedelta(days=index - count // 2, hours=2),
            time_zone="America/Bogota",
            location="Bogotá",
            chair=world["owners"][index % 3],
            status=AssessmentMeeting.Status.SCHEDULED,
            released_to_all=release_kind(index) == "all",
        )
        for index in range(start, start + count)
    )
    release(AssessmentMeeting, meetings, world)
    AssessmentMeeting.nations.through.objects.bulk_create(
        AssessmentMeeting.nations.through(
            assessmentmeeting_id=meeting.pk, nation_id=nation.pk
        )
        for meeting in meetings
        for nation in (world["colombia"], world["brazil"])
    )
    return meetings


def build_recommendations(count, world, start=0):
    # Each with a source meeting and an initiative of its own, so that a select of
    # every meeting or initiative in the filters would show in the option count.
    meetings = build_meetings(count, world, start=start)
    initiatives = build_initiatives(count, world, start=start)
    statuses = Recommendation.Status.values
    recommendations = Recommendation.objects.bulk_create(
        Recommendation(
            reference=f"REC-2026-{index + 1:04d}",
            title=titled(index, "recommendation"),
            description="Share interdiction data.",
            focus_area=world["areas"][index % 3],
            owner=world["owners"][index % 3],
            priority=index % 4 + 1,
            due_date=(
                timezone.localdate() + datetime.timedelta(days=index - 50)
                if index % 5
                else None
            ),
            status=statuses[index % len(statuses)],
            progress=index % 101,
            source_meeting=meetings[index - start],
            initiative=initiatives[index - start],
            released_to_all=release_kind(index) == "all",
        )
        for index in range(start, start + count)
    )
    release(Recommendation, recommendations, world)
    Recommendation.nations.through.objects.bulk_create(
        Recommendation.nations.through(
            recommendation_id=recommendation.pk, nation_id=nation.pk
        )
        for recommendation in recommendations
        for nation in (world["colombia"], world["brazil"])
    )
    return recommendations


@dataclass(frozen=True)
class ListCase:
    url_name: str
    build: object
    page_queries: int
    csv_queries: int

    @property
    def url(self):
        return reverse(f"cooperation:{self.url_name}")


# A page, once its count and the reader's permissions are cached
# (``cooperation.counts``, ``cooperation.backends``; the first request of a data
# generation adds one COUNT, a user's first request two for the permissions):
# session, user, the filter form's reference lists (initiatives: nations, focus areas; recommendations: both in one
# UNION; meetings: nations), the page's rows, their prefetch (focus areas or nations).
# (The navigation bar's saved filters and unread notifications are cached too, per
# user and data generation.)
# A CSV: session, user, then
# - initiatives: nations, focus areas, the rows, and per chunk of 2000 rows their
#   participations, focus areas, releasability and owners;
# - recommendations: nations, the rows, and per chunk their addressed nations,
#   releasability and owners;
# - meetings: the rows, and per chunk of 500 their nations and releasability.
LISTS = {
    "initiatives": ListCase("initiative-list", build_initiatives, 6, 9),
    "recommendations": ListCase("recommendation-list", build_recommendations, 5, 7),
    "meetings": ListCase("meeting-list", build_meetings, 5, 5),
}


def get_counted(client, url, params=None):
    client.get(url, params or {})  # warm the per-process caches (content types…)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
    assert response.status_code == 200, url
    return response, body.decode(), len(queries)


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def build(case, world, count):
    """``count`` rows the reader may see, and half as many withheld."""
    return case.build(count * 3 // 2, world)


@pytest.mark.parametrize("name", LISTS)
def test_a_page_shows_25_rows_and_runs_its_pinned_queries_at_volume(
    reader_client, world, name
):
    case = LISTS[name]
    build(case, world, VISIBLE)

    response, text, queries = get_counted(reader_client, case.url)

    assert len(response.context["object_list"]) == PAGE_SIZE
    assert response.context["page_obj"].paginator.count == VISIBLE
    assert queries == case.page_queries
    assert text.count("<option") < MAX_OPTIONS
    assert WITHHELD_WORD not in text


@pytest.mark.parametrize("name", LISTS)
def test_the_tenth_page_runs_the_queries_of_the_first(reader_client, world, name):
    case = LISTS[name]
    build(case, world, VISIBLE)

    first, _, first_queries = get_counted(reader_client, case.url)
    tenth, text, tenth_queries = get_counted(reader_client, case.url, {"page": 10})

    assert tenth.context["page_obj"].number == 10
    assert len(tenth.context["object_list"]) == PAGE_SIZE
    shown = {row.pk for row in first.context["object_list"]}
    assert shown.isdisjoint(row.pk for row in tenth.context["object_list"])
    assert tenth_queries == first_queries == case.page_queries
    assert WITHHELD_WORD not in text


@pytest.mark.parametrize("name", LISTS)
def test_every_sort_runs_the_pinned_queries(reader_client, world, name):
    case = LISTS[name]
    build(case, world, 3 * PAGE_SIZE)
    sorts = {
        column.sort
        for column in get_counted(reader_client, case.url)[0].context["table_columns"]
        if column.sort
    }
    for sort in sorted(sorts):
        for key in (sort, f"-{sort}"):
            params = {"sort": key, "page": 2}
            response, _, queries = get_counted(reader_client, case.url, params)
            assert response.context["current_sort"] == key
            assert queries == case.page_queries, key
            # The page picked by its keys first holds the rows, in the order, that
            # slicing the sorted list gives.
            page = response.context["page_obj"]
            expected = Paginator(page.paginator.object_list, PAGE_SIZE).page(2)
            assert [row.pk for row in page] == [row.pk for row in expected], key


@pytest.mark.parametrize("name", LISTS)
def test_a_csv_of_120_rows_runs_the_queries_of_one_of_12(reader_client, world, name):
    case = LISTS[name]
    params = {"format": "csv"}
    build(case, world, 12)
    _, small, small_queries = get_counted(reader_client, case.url, params)
    case.build(120 * 3 // 2 - 12 * 3 // 2, world, start=12 * 3 // 2)
    _, large, large_queries = get_counted(reader_client, case.url, params)

    assert len(csv_rows(small)) == 12
    assert len(csv_rows(large)) == 120
    assert small_queries == large_queries == case.csv_queries
    assert WITHHELD_WORD not in large


@pytest.mark.parametrize("name", LISTS)
def test_a_csv_is_sent_in_pieces_of_rows(reader_client, world, name, monkeypatch):
    """A write to the client per piece of rows, not per row (each is a system call
    under gunicorn) and not the whole file at once (it is never held in memory)."""
    from cooperation.views import common

    monkeypatch.setattr(common, "CSV_ROWS_PER_PIECE", 5)
    case = LISTS[name]
    build(case, world, 12)
    response = reader_client.get(case.url, {"format": "csv"})
    pieces = [piece.decode() for piece in response.streaming_content]

    assert len(csv_rows("".join(pieces))) == 12
    assert len(pieces) == 3  # 5 + 5 + 2 rows, the header with the first
    assert pieces[0].startswith("\ufeff")
    assert [piece.count("\n") for piece in pieces] == [6, 5, 2]


@pytest.mark.parametrize("name", LISTS)
def test_search_finds_only_records_released_to_the_reader(reader_client, world, name):
    case = LISTS[name]
    build(case, world, VISIBLE)

    shared, text, queries = get_counted(reader_client, case.url, {"q": "shared"})
    assert shared.context["page_obj"].paginator.count == VISIBLE
    assert len(shared.context["object_list"]) == PAGE_SIZE
    assert queries == case.page_queries
    assert WITHHELD_WORD not in text

    withheld, text, _ = get_counted(reader_client, case.url, {"q": WITHHELD_WORD})
    assert withheld.context["page_obj"].paginator.count == 0
    assert list(withheld.context["object_list"]) == []
    assert f"{WITHHELD_WORD} " not in text  # only the search box echoes the word

    _, exported, _ = get_counted(
        reader_client, case.url, {"q": WITHHELD_WORD, "format": "csv"}
    )
    assert csv_rows(exported) == []


def test_the_recommendation_csv_reads_progress_and_names_from_the_rows(
    reader_client, world
):
    """The CSV's related columns come from its per-chunk lookups, not the table's
    prefetches: every row carries its own nations, owner and releasability."""
    build_recommendations(6, world)
    _, text, _ = get_counted(reader_client, reverse("cooperation:recommendation-list"))
    _, exported, _ = get_counted(
        reader_client,
        reverse("cooperation:recommendation-list"),
        {"format": "csv", "sort": "reference"},
    )
    rows = csv_rows(exported)
    assert [row["Reference"] for row in rows] == [
        "REC-2026-0001",
        "REC-2026-0002",
        "REC-2026-0004",
        "REC-2026-0005",
    ]
    first, second = rows[:2]
    assert first["Progress (%)"] == "0"
    assert second["Progress (%)"] == "1"
    assert first["Addressed nations"] == "Brazil; Colombia"
    assert first["Released to"] == "All partners"
    assert second["Released to"] == "Colombia"
    assert first["Owner"] == str(world["owners"][0])
    assert first["Focus area"] == FocusArea.objects.get(slug="area-0").name


@pytest.mark.parametrize(
    "values",
    [[], [0], [3, 1, 3], [10**30, -(10**30), 2], [None, 1]],
    ids=["none", "missing", "repeated", "beyond-any-column", "null"],
)
def test_any_of_finds_what_in_finds(world, values):
    """``__any_of`` (one array on PostgreSQL) answers as ``__in`` does."""
    build_recommendations(3, world)
    keys = list(Recommendation.objects.values_list("pk", flat=True)[:3])
    values = [
        keys[value - 1] if value is not None and 0 < value <= len(keys) else value
        for value in values
    ]

    found = set(Recommendation.objects.filter(pk__any_of=values))

    assert found == set(Recommendation.objects.filter(pk__in=values))


def test_any_of_takes_a_subquery_as_in_does(world):
    build_recommendations(3, world)
    chosen = Recommendation.objects.order_by("pk").values("pk")[:2]

    found = set(Recommendation.objects.filter(pk__any_of=chosen))

    assert found == set(Recommendation.objects.filter(pk__in=chosen))
    assert len(found) == 2


def test_any_of_sends_a_long_list_as_one_array_on_postgresql(world):
    build_recommendations(3, world)
    keys = list(range(1, 2001))

    with CaptureQueriesContext(connection) as queries:
        count = len(Recommendation.objects.filter(pk__any_of=keys))

    assert count == Recommendation.objects.filter(pk__in=keys).count()
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        # One parameter, not two thousand placeholders for the driver to convert.
        assert "= ANY(" in sql
        assert " IN (" not in sql
    else:
        assert " IN (" in sql
