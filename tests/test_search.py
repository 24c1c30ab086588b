"""The one search (``cooperation.search``, ``/search/?q=``): every kind of record,
highlighted matches, accents, releasability, bounded cost, and on PostgreSQL the
full-text indexes that serve it."""

import datetime
import importlib
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from cooperation import search
from cooperation.models import AssessmentMeeting, Document, Initiative
from tests import factories
from tests.sweep import _VOLATILE

pytestmark = pytest.mark.django_db

URL = reverse("cooperation:search")
NEEDS_POSTGRESQL = "needs PostgreSQL (DATABASE_URL=postgres://…): full-text search"


def _page(client, query):
    response = client.get(URL, {"q": query})
    return response, response.content.decode()


def _stable(text):
    for pattern in _VOLATILE:
        text = pattern.sub("", text)
    return text


def _document(parent_field, parent, title, user, **kwargs):
    return Document.objects.create(
        **{parent_field: parent}, title=title, uploaded_by=user, **kwargs
    )


@pytest.fixture
def records(colombia, brazil, colombian_user):
    """One record of each kind that mentions "interdiction", released to all."""
    author = colombian_user
    initiative = factories.InitiativeFactory(
        title="Maritime interdiction task force",
        summary="Joint patrols on the Pacific coast.",
        owner=author,
    )
    meeting = factories.AssessmentMeetingFactory(
        title="Quarterly review",
        minutes="The partners agreed on a common interdiction picture.",
        minutes_status=AssessmentMeeting.MinutesStatus.PUBLISHED,
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=3, hours=-2),
    )
    agenda_meeting = factories.AssessmentMeetingFactory(title="Planning session")
    factories.AgendaItemFactory(meeting=agenda_meeting, title="Interdiction results")
    assessment = factories.SituationAssessmentFactory(
        meeting=meeting,
        nation=colombia,
        summary="More interdiction at sea, fewer seizures on land.",
    )
    recommendation = factories.RecommendationFactory(
        reference="REC-2026-0001",
        title="Share radar data",
        description="Within 24 hours.",
        owner=author,
    )
    factories.RecommendationUpdateFactory(
        recommendation=recommendation,
        author=author,
        note="Interdiction data now flows daily.",
    )
    document = _document("meeting", meeting, "Interdiction statistics 2026", author)
    return {
        "initiative": initiative,
        "meeting": meeting,
        "agenda_meeting": agenda_meeting,
        "assessment": assessment,
        "recommendation": recommendation,
        "document": document,
    }


# ------------------------------------------------------------------ the page


def test_an_empty_query_shows_a_hint(client, colombian_user):
    client.force_login(colombian_user)

    response, body = _page(client, "  ")

    assert response.status_code == 200
    assert "Type one or more words" in body
    assert "search-initiatives" not in body


def test_a_query_too_long_is_refused_with_a_message(client, colombian_user):
    client.force_login(colombian_user)

    response, body = _page(client, "x" * (search.MAX_QUERY_LENGTH + 1))

    assert response.status_code == 400
    assert "The search is too long: use at most 200 characters." in body


def test_the_refusal_is_in_the_readers_language(client, colombian_user):
    colombian_user.language = "es"
    colombian_user.save()
    client.force_login(colombian_user)

    response, body = _page(client, "x" * 201)

    assert response.status_code == 400
    assert 'lang="es"' in body


def test_control_characters_are_refused(client, colombian_user):
    client.force_login(colombian_user)

    response, _body = _page(client, "radar\x00data")

    assert response.status_code == 400


def test_search_finds_every_kind_with_highlighted_matches(
    client, colombian_user, records
):
    client.force_login(colombian_user)

    response, body = _page(client, "interdiction")

    assert response.status_code == 200
    for kind in ("initiatives", "meetings", "assessments", "recommendations"):
        assert f'id="search-{kind}"' in body, kind
    assert 'id="search-documents"' in body
    assert "Maritime <mark>interdiction</mark> task force" in body
    # A published minute, an agenda item, an assessment, a timeline note, a document.
    assert "a common <mark>interdiction</mark> picture" in body
    assert "<mark>Interdiction</mark> results" in body
    assert "More <mark>interdiction</mark> at sea" in body
    assert "<mark>Interdiction</mark> data now flows daily." in body
    assert "<mark>Interdiction</mark> statistics 2026" in body
    assert records["recommendation"].get_absolute_url() in body
    assert records["agenda_meeting"].get_absolute_url() in body


def test_every_word_must_match(client, colombian_user, records):
    client.force_login(colombian_user)

    _response, body = _page(client, "maritime interdiction")

    assert "Maritime" in body
    assert "Planning session" not in body


def test_draft_minutes_are_not_searched(client, colombian_user, records):
    meeting = records["meeting"]
    meeting.minutes_status = AssessmentMeeting.MinutesStatus.DRAFT
    meeting.minutes = "Draft talk of smuggling corridors."
    meeting.save()
    client.force_login(colombian_user)

    _response, body = _page(client, "corridors")

    assert "smuggling" not in body
    assert 'id="search-no-results"' in body


def test_a_deleted_document_is_not_found(client, colombian_user, records):
    document = records["document"]
    document.deleted_at = timezone.now()
    document.save()
    client.force_login(colombian_user)

    _response, body = _page(client, "statistics")

    assert "statistics 2026" not in body


def test_search_is_accent_and_case_insensitive(client, colombian_user):
    factories.InitiativeFactory(title="Sistema de información regional")
    factories.AssessmentMeetingFactory(title="Reunión en Brasília")
    client.force_login(colombian_user)

    _response, body = _page(client, "INFORMACION")
    assert "Sistema de <mark>información</mark> regional" in body

    _response, body = _page(client, "brasilia")
    assert "Reunión en <mark>Brasília</mark>" in body


def test_record_text_is_escaped_never_marked_safe(client, colombian_user):
    factories.InitiativeFactory(
        title="<script>alert(1)</script> interdiction <b>bold</b>",
        summary='Plan "interdiction" & <img src=x onerror=alert(2)>',
    )
    client.force_login(colombian_user)

    _response, body = _page(client, "interdiction")

    assert "<script>alert(1)</script>" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>interdiction</mark>" in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
    assert "&amp; &lt;img src=x" in body


def test_the_navbar_box_keeps_the_query_escaped(client, colombian_user):
    client.force_login(colombian_user)

    _response, body = _page(client, '"><script>x</script>')

    assert "<script>x</script>" not in body
    assert 'id="navbar-search-q"' in body


def test_each_kind_shows_a_bounded_number_of_rows_and_count(
    client, colombian_user, monkeypatch
):
    monkeypatch.setattr(search, "PER_KIND", 3)
    monkeypatch.setattr(search, "COUNT_LIMIT", 5)
    Initiative.objects.bulk_create(
        Initiative(
            title=f"Port security {n}",
            kind=Initiative.Kind.JOINT_TASK_FORCE,
            summary="Harbour checks.",
            owner=colombian_user,
            released_to_all=True,
        )
        for n in range(8)
    )
    client.force_login(colombian_user)

    _response, body = _page(client, "harbour")

    assert body.count('class="list-group-item search-hit"') == 3
    assert ">5+<" in body
    link = reverse("cooperation:initiative-list") + "?q=harbour"
    assert link in body


def test_queries_do_not_grow_with_the_matches(
    client, colombian_user, records, django_assert_max_num_queries
):
    client.force_login(colombian_user)
    _page(client, "interdiction")  # warm the permission cache
    for n in range(15):
        meeting = factories.AssessmentMeetingFactory(title=f"Interdiction {n}")
        factories.AgendaItemFactory(meeting=meeting, title="Interdiction item")
        recommendation = factories.RecommendationFactory(title=f"Interdiction {n}")
        factories.RecommendationUpdateFactory(
            recommendation=recommendation, note="Interdiction note"
        )
        factories.InitiativeFactory(title=f"Interdiction {n}")

    with django_assert_max_num_queries(20):
        response, body = _page(client, "interdiction")

    assert response.status_code == 200
    assert body.count('class="list-group-item search-hit"') <= 5 * search.PER_KIND


# ------------------------------------------------------------------ releasability


def _withheld_world(colombia, colombian_user):
    """Records released to Colombia only, each mentioning the searched words, with
    their children (agenda, assessment, timeline note, documents)."""
    withheld = {"released_to_all": False, "released_to": [colombia]}
    initiative = factories.InitiativeFactory(
        title="SECRET-initiative interdiction", owner=colombian_user, **withheld
    )
    meeting = factories.AssessmentMeetingFactory(
        title="SECRET-meeting interdiction",
        minutes="SECRET-minutes interdiction",
        minutes_status=AssessmentMeeting.MinutesStatus.PUBLISHED,
        **withheld,
    )
    factories.AgendaItemFactory(meeting=meeting, title="SECRET-agenda interdiction")
    factories.SituationAssessmentFactory(
        meeting=meeting,
        nation=colombia,
        primary_concern="SECRET-concern",
        summary="SECRET-assessment interdiction",
    )
    recommendation = factories.RecommendationFactory(
        title="SECRET-recommendation interdiction", owner=colombian_user, **withheld
    )
    # A note of a withheld recommendation, on a visible word.
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, note="SECRET-note interdiction"
    )
    _document("meeting", meeting, "SECRET-doc-meeting interdiction", colombian_user)
    _document(
        "recommendation", recommendation, "SECRET-doc-rec interdiction", colombian_user
    )
    _document(
        "initiative", initiative, "SECRET-doc-initiative interdiction", colombian_user
    )


QUERIES = ("interdiction", "secret", "SECRET-concern", "minutes", "note")


def test_withheld_records_leave_no_title_snippet_or_count(
    client, colombia, brazilian_user, colombian_user, records
):
    client.force_login(brazilian_user)
    before = {query: _stable(_page(client, query)[1]) for query in QUERIES}

    _withheld_world(colombia, colombian_user)
    after = {query: _stable(_page(client, query)[1]) for query in QUERIES}

    assert after == before
    for body in after.values():
        assert not re.search("SECRET-(?!concern)", body), body
    # The comparison can fail: the Colombian liaison finds them all.
    client.force_login(colombian_user)
    _response, body = _page(client, "interdiction")
    for marker in ("initiative", "meeting", "recommendation", "doc-initiative"):
        assert f"SECRET-{marker}" in body, marker
    assert "SECRET-agenda" in body
    _response, body = _page(client, "note")
    assert "SECRET-<mark>note</mark>" in body


def test_a_withheld_recommendations_note_is_not_found_even_alone(
    client, colombia, brazilian_user, colombian_user
):
    recommendation = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, note="Kingfisher operation"
    )
    client.force_login(brazilian_user)

    _response, body = _page(client, "kingfisher")

    assert 'id="search-no-results"' in body


def test_a_coordinator_who_sees_all_finds_withheld_records(
    client, colombia, colombian_user, superuser
):
    _withheld_world(colombia, colombian_user)
    client.force_login(superuser)

    _response, body = _page(client, "interdiction")

    assert "SECRET-recommendation" in body


# ------------------------------------------------------------------ highlighting


def test_highlight_marks_inflections_and_escapes_the_rest():
    snippet = search.highlight("Meetings & <b>meeting</b>", ["meeting"])

    assert (
        snippet == "<mark>Meetings</mark> &amp; &lt;b&gt;<mark>meeting</mark>&lt;/b&gt;"
    )


def test_a_snippet_is_cut_around_the_first_match():
    text = "word " * 100 + "kingfisher" + " tail" * 100

    snippet = search.highlight(text, ["kingfisher"], limit=60)

    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>kingfisher</mark>" in snippet
    assert len(re.sub("<[^>]+>", "", snippet)) <= 64


def test_every_searched_table_has_a_stored_vector_column():
    migration = importlib.import_module("cooperation.migrations.0025_search_columns")

    assert set(migration.VECTORS) == set(search.TABLES.values())


# ------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_spanish_and_english_stems_match_in_the_readers_language(colombian_user):
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    factories.InitiativeFactory(title="Operación conjunta en el Caribe")
    factories.RecommendationFactory(title="Hold quarterly meetings")

    with translation.override("es"):
        spanish = search.search(colombian_user, "operaciones")
    with translation.override("en"):
        english = search.search(colombian_user, "meeting")

    assert [group.count for group in spanish.groups][0] == 1
    assert english.groups[3].count == 1


@pytest.mark.postgres
def test_a_title_match_ranks_before_a_newer_body_match(colombian_user):
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    in_title = factories.InitiativeFactory(title="Kingfisher interdiction")
    in_body = factories.InitiativeFactory(
        title="Coastal patrols", summary="Follows the kingfisher interdiction."
    )

    hits = search.search(colombian_user, "kingfisher").groups[0].hits

    assert in_body.pk > in_title.pk
    assert [hit.url for hit in hits] == [
        in_title.get_absolute_url(),
        in_body.get_absolute_url(),
    ]


@pytest.mark.postgres
def test_the_stored_vector_follows_an_edit(colombian_user):
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    initiative = factories.InitiativeFactory(title="Kingfisher interdiction")

    before = search.search(colombian_user, "kingfisher").groups[0].count
    initiative.title = "Heron interdiction"
    initiative.save(update_fields=["title"])

    assert before == 1
    assert search.search(colombian_user, "kingfisher").groups[0].count == 0
    assert search.search(colombian_user, "heron").groups[0].count == 1


@pytest.mark.postgres
def test_the_searches_use_the_full_text_indexes(colombia, colombian_user):
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    owner = colombian_user
    focus_area = factories.FocusAreaFactory()
    Initiative.objects.bulk_create(
        Initiative(
            title=f"Routine cooperation {n}",
            kind=Initiative.Kind.JOINT_TASK_FORCE,
            summary="Training and exchanges of officers.",
            owner=owner,
            released_to_all=True,
        )
        for n in range(3000)
    )
    recommendations = factories.RecommendationFactory._meta.model.objects.bulk_create(
        factories.RecommendationFactory.build(
            reference=f"REC-2025-{n:04d}", focus_area=focus_area, owner=owner
        )
        for n in range(3000)
    )
    factories.RecommendationUpdateFactory._meta.model.objects.bulk_create(
        factories.RecommendationUpdateFactory.build(
            recommendation=recommendation, author=owner, note="Progress as planned."
        )
        for recommendation in recommendations
    )
    factories.InitiativeFactory(title="Kingfisher interdiction")
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE cooperation_initiative, cooperation_recommendation, "
            "cooperation_recommendationupdate"
        )
    query = search.Query(text="kingfisher", words=["kingfisher"], config="portal_en")

    initiatives = search._match(
        Initiative.objects.visible_to(colombian_user),
        query,
        vector="initiative",
        fields=(),
    )
    recommendations = search._match(
        factories.RecommendationFactory._meta.model.objects.visible_to(colombian_user),
        query,
        vector="recommendation",
        fields=(),
        children=[("update", "recommendation_id")],
    )

    with connection.cursor() as cursor:
        # Which plan is cheapest depends on the table's size (a few thousand rows
        # are read faster in a scan); what is checked is that the GIN index on
        # the stored vector serves the query's condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = initiatives.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "initiative_search_idx" in plan, plan
        sql, params = recommendations.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "recommendation_search_idx" in plan, plan
    assert "recommendationupdate_search_idx" in plan, plan
    assert [row.title for row in initiatives] == ["Kingfisher interdiction"]
