"""Pages whose cost does not grow with the data: the dashboard, the nations list and a
nation's page show a bounded number of rows per panel, link to the filtered list of
all with the true total, and run the same pinned number of queries whatever the rows.
Records not released to the reader are neither shown nor counted.
"""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    Nation,
    Participation,
    Recommendation,
    SituationAssessment,
)
from cooperation.models.nations import SORT_NAME_FIELDS, display_order
from tests import factories

# Each request draws its page: the work pinned here is that of drawing it (a kept
# fragment, tests/test_page_cache.py, would skip it).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_fragment_cache")]

# Exact query counts: 4 for the session, the user and their permissions, then the page,
# then 1 for the navigation bar's saved filters and 1 for its unread notifications
# (never cached: it changes as its reader reads).
DASHBOARD_QUERIES = 18  # meetings, their nations, overdue rows + COUNT, open rows,
# initiative figures, recommendation matrix (one grouped query + the nations), and
# My work's panel: recommendations owned and invitations unanswered, rows + COUNT
# each (a user without a role records no assessment and publishes no minutes)
NATION_PAGE_QUERIES = 14  # nation, initiatives rows + COUNT, assessments rows + COUNT,
# recommendation figures (grouped), recommendation rows, upcoming meetings
NATION_LIST_QUERIES = 10  # COUNT for the paginator, the page of nations, and the
# initiatives and open recommendations per nation (one grouped query each)
# The same pages once their counts are cached (``cooperation.counts``): the rows only.
# The reader's permissions and the navigation bar's unread count and saved filters
# are kept as well.
NATION_LIST_WARM_QUERIES = 3

WITHHELD_REFERENCE = "REC-1990-0001"


def _section(html, heading_id):
    """The HTML of the ``<section>`` labelled by ``heading_id``."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def _table_rows(html, heading_id):
    return _section(html, heading_id).count("<tr>") - 1  # less the header row


def _list_items(html, heading_id):
    return len(re.findall(r'class="list-group-item\b', _section(html, heading_id)))


def _get(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return response, len(queries)


def _withheld(brazil):
    """Released to Brazil only, so hidden from a Colombian reader."""
    return {"released_to_all": False, "released_to": [brazil]}


# ------------------------------------------------------------------ the dashboard


def _build_dashboard(rows, colombia, brazil):
    today = timezone.localdate()
    now = timezone.now()
    owner = factories.UserFactory()
    focus = factories.FocusAreaFactory()
    Recommendation.objects.bulk_create(
        factories.RecommendationFactory.build(
            reference=f"REC-2026-{index + 1:04d}",
            owner=owner,
            focus_area=focus,
            due_date=today - datetime.timedelta(days=index + 1),
        )
        for index in range(rows)
    )
    meetings = AssessmentMeeting.objects.bulk_create(
        factories.AssessmentMeetingFactory.build(
            starts_at=now + datetime.timedelta(hours=2, minutes=5 * index),
            ends_at=now + datetime.timedelta(hours=4, minutes=5 * index),
        )
        for index in range(rows)
    )
    AssessmentMeeting.nations.through.objects.bulk_create(
        AssessmentMeeting.nations.through(assessmentmeeting=meeting, nation=colombia)
        for meeting in meetings
    )
    # The most overdue and the soonest of all, but released to Brazil only.
    factories.RecommendationFactory(
        reference=WITHHELD_REFERENCE,
        title="Withheld overdue item",
        due_date=today - datetime.timedelta(days=999),
        **_withheld(brazil),
    )
    factories.AssessmentMeetingFactory(
        title="Withheld meeting",
        starts_at=now + datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=3),
        **_withheld(brazil),
    )


@pytest.mark.parametrize("rows", [1, 120])
def test_dashboard_panels_stay_bounded_and_count_only_released_records(
    client, colombian_user, colombia, brazil, rows
):
    _build_dashboard(rows, colombia, brazil)
    client.force_login(colombian_user)

    response, queries = _get(client, reverse("cooperation:dashboard"))
    html = response.content.decode()

    assert queries == DASHBOARD_QUERIES
    shown = min(rows, 10)
    assert len(response.context["overdue_recommendations"]) == shown
    assert _table_rows(html, "overdue-heading") == shown
    assert response.context["overdue_total"] == rows
    assert len(response.context["upcoming_meetings"]) == shown
    assert _list_items(html, "upcoming-heading") == shown
    assert _table_rows(html, "open-heading") == shown
    # Most overdue first, the withheld one neither shown nor counted.
    dues = [r.due_date for r in response.context["overdue_recommendations"]]
    assert dues == sorted(dues)
    assert WITHHELD_REFERENCE not in html
    assert "Withheld meeting" not in html
    overdue_link = (
        f'href="/recommendations/?overdue=1">All {rows} overdue recommendations'
    )
    assert (overdue_link in html) == (rows > 10)


def test_dashboard_shows_the_next_meeting_when_none_is_within_30_days(
    client, colombian_user
):
    now = timezone.now()
    for days, title in ((45, "In six weeks"), (90, "In three months")):
        factories.AssessmentMeetingFactory(
            title=title,
            starts_at=now + datetime.timedelta(days=days),
            ends_at=now + datetime.timedelta(days=days, hours=2),
        )
    client.force_login(colombian_user)

    response = client.get(reverse("cooperation:dashboard"))

    assert [m.title for m in response.context["upcoming_meetings"]] == ["In six weeks"]
    assert "No meeting in the next 30 days." in response.content.decode()

    factories.AssessmentMeetingFactory(title="Next week")
    response = client.get(reverse("cooperation:dashboard"))

    assert [m.title for m in response.context["upcoming_meetings"]] == ["Next week"]
    assert "No meeting in the next 30 days." not in response.content.decode()


# ------------------------------------------------------------------ a nation's page


def _build_nation_page(rows, colombia, brazil):
    today = timezone.localdate()
    now = timezone.now()
    owner = factories.UserFactory()
    focus = factories.FocusAreaFactory()

    initiatives = Initiative.objects.bulk_create(
        factories.InitiativeFactory.build(title=f"Initiative {index:03d}", owner=owner)
        for index in range(rows)
    )
    Participation.objects.bulk_create(
        Participation(initiative=initiative, nation=colombia, role="partner")
        for initiative in initiatives
    )

    # Assessments: held meetings × focus areas, up to ``rows`` of them.
    areas = [focus] + [factories.FocusAreaFactory() for _ in range(min(rows, 10) - 1)]
    held = AssessmentMeeting.objects.bulk_create(
        factories.AssessmentMeetingFactory.build(
            status="held",
            starts_at=now - datetime.timedelta(days=10 + index),
            ends_at=now - datetime.timedelta(days=10 + index, hours=-2),
        )
        for index in range(-(-rows // len(areas)))
    )
    SituationAssessment.objects.bulk_create(
        [
            factories.SituationAssessmentFactory.build(
                meeting=meeting, nation=colombia, focus_area=area
            )
            for meeting in held
            for area in areas
        ][:rows]
    )

    recommendations = Recommendation.objects.bulk_create(
        factories.RecommendationFactory.build(
            reference=f"REC-2026-{index + 1:04d}",
            owner=owner,
            focus_area=focus,
            due_date=today + datetime.timedelta(days=index),
        )
        for index in range(rows)
    )
    Recommendation.nations.through.objects.bulk_create(
        Recommendation.nations.through(recommendation=recommendation, nation=colombia)
        for recommendation in recommendations
    )

    upcoming = AssessmentMeeting.objects.bulk_create(
        factories.AssessmentMeetingFactory.build(
            starts_at=now + datetime.timedelta(days=1, minutes=5 * index),
            ends_at=now + datetime.timedelta(days=1, hours=2, minutes=5 * index),
        )
        for index in range(rows)
    )
    AssessmentMeeting.nations.through.objects.bulk_create(
        AssessmentMeeting.nations.through(assessmentmeeting=meeting, nation=colombia)
        for meeting in upcoming
    )

    # Colombia's records released to Brazil only: first in every order, never shown.
    withheld = _withheld(brazil)
    factories.ParticipationFactory(
        initiative=factories.InitiativeFactory(title="AAA withheld", **withheld),
        nation=colombia,
        role="lead",
    )
    recent = factories.AssessmentMeetingFactory(
        title="Withheld review",
        status="held",
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now - datetime.timedelta(days=1, hours=-2),
        **withheld,
    )
    factories.SituationAssessmentFactory(
        meeting=recent, nation=colombia, focus_area=focus, primary_concern="Withheld"
    )
    factories.RecommendationFactory(
        reference=WITHHELD_REFERENCE,
        due_date=today - datetime.timedelta(days=999),
        **withheld,
    ).nations.set([colombia])
    factories.AssessmentMeetingFactory(
        title="Withheld meeting",
        starts_at=now + datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=3),
        **withheld,
    ).nations.set([colombia])


@pytest.mark.parametrize(
    ("rows", "participations", "assessments", "recommendations", "meetings"),
    [(1, 1, 1, 1, 1), (300, 25, 25, 25, 10)],
)
def test_nation_page_panels_stay_bounded_and_count_only_released_records(
    client,
    colombian_user,
    colombia,
    brazil,
    rows,
    participations,
    assessments,
    recommendations,
    meetings,
):
    _build_nation_page(rows, colombia, brazil)
    client.force_login(colombian_user)

    response, queries = _get(client, colombia.get_absolute_url())
    html = response.content.decode()
    context = response.context

    assert queries == NATION_PAGE_QUERIES
    assert len(context["participations"]) == participations
    assert _list_items(html, "initiatives-heading") == participations
    assert len(context["assessments"]) == assessments
    assert _table_rows(html, "assessments-heading") == assessments
    assert len(context["recommendations"]) == recommendations
    assert _table_rows(html, "recommendations-heading") == recommendations
    assert len(context["upcoming_meetings"]) == meetings
    assert _list_items(html, "meetings-heading") == meetings
    # The true totals, without the records released to Brazil only.
    assert context["participation_total"] == rows
    assert context["assessment_total"] == rows
    assert context["recommendation_total"] == rows
    for hidden in ("AAA withheld", "Withheld review", WITHHELD_REFERENCE):
        assert hidden not in html
    assert "Withheld meeting" not in html
    # Most recent assessments first; the links to all show the true numbers.
    starts = [a.meeting.starts_at for a in context["assessments"]]
    assert starts == sorted(starts, reverse=True)
    links = {
        f'href="/initiatives/?nation=CO">All {rows} initiatives': rows > 25,
        f"The 25 most recent of {rows} assessments.": rows > 25,
        f'href="/recommendations/?nation=CO">All {rows} recommendations': rows > 25,
        'href="/meetings/?nation=CO&amp;when=upcoming">': True,
    }
    assert {text: text in html for text in links} == links


# ------------------------------------------------------------------ the nations list


@pytest.fixture
def americas(colombia, brazil, united_states):
    ecuador = factories.NationFactory(name="Ecuador", iso_alpha2="EC", iso_alpha3="ECU")
    guatemala = factories.NationFactory(
        name="Guatemala", iso_alpha2="GT", iso_alpha3="GTM", region="central_america"
    )
    return colombia, brazil, united_states, ecuador, guatemala


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        # English: United States under U, last.
        ("en", ["BR", "CO", "EC", "GT", "US"]),
        # Spanish: Brasil, Colombia, Ecuador, Estados Unidos, Guatemala.
        ("es", ["BR", "CO", "EC", "US", "GT"]),
        # Portuguese: Brasil, Colômbia (by C), Equador, Estados Unidos, Guatemala.
        ("pt-br", ["BR", "CO", "EC", "US", "GT"]),
    ],
)
def test_nation_list_sorts_by_the_name_in_the_readers_language(
    client, americas, language, expected
):
    colombia = americas[0]
    client.force_login(factories.UserFactory(nation=colombia, language=language))
    url = reverse("cooperation:nation-list")

    listed, queries = _get(client, url)
    backwards = client.get(url, {"sort": "-name"})

    assert [n.iso_alpha2 for n in listed.context["object_list"]] == expected
    assert [n.iso_alpha2 for n in backwards.context["object_list"]] == expected[::-1]
    assert queries == NATION_LIST_QUERIES
    assert _get(client, url)[1] == NATION_LIST_WARM_QUERIES


def test_nation_list_counts_equal_the_released_records_with_many_per_nation(
    client, colombian_user, americas
):
    colombia, brazil, united_states, ecuador, _guatemala = americas
    withheld = _withheld(brazil)
    # Colombia: 3 visible initiatives, 1 withheld; 4 open recommendations visible,
    # 1 implemented (not open), 1 open but withheld. A join of participations with
    # recommendations would see 3 × 4 rows per nation before counting.
    for _ in range(3):
        initiative = factories.InitiativeFactory()
        factories.ParticipationFactory(initiative=initiative, nation=colombia)
        factories.ParticipationFactory(initiative=initiative, nation=brazil)
    factories.ParticipationFactory(
        initiative=factories.InitiativeFactory(**withheld), nation=colombia
    )
    for status in ("proposed", "accepted", "in_progress", "proposed"):
        factories.RecommendationFactory(status=status).nations.set(
            [colombia, united_states]
        )
    factories.RecommendationFactory(status="implemented").nations.set([colombia])
    factories.RecommendationFactory(**withheld).nations.set([colombia])
    factories.ParticipationFactory(
        initiative=factories.InitiativeFactory(), nation=ecuador
    )
    client.force_login(colombian_user)

    response, queries = _get(client, reverse("cooperation:nation-list"))
    by_open = client.get(reverse("cooperation:nation-list"), {"sort": "-open"})

    counts = {
        n.iso_alpha2: (n.initiative_count, n.open_recommendation_count)
        for n in response.context["object_list"]
    }
    assert counts == {
        "BR": (3, 0),
        "CO": (3, 4),
        "EC": (1, 0),
        "GT": (0, 0),
        "US": (0, 4),
    }
    assert queries == NATION_LIST_QUERIES
    assert [n.open_recommendation_count for n in by_open.context["object_list"]] == [
        4,
        4,
        0,
        0,
        0,
    ]


def test_nation_list_query_has_no_case_per_territory(client, colombian_user, americas):
    client.force_login(colombian_user)
    with translation.override("es"):
        queryset = Nation.objects.with_display_order()
        leads = Initiative.objects.with_lead()
        assert str(queryset.query).count("WHEN") < 10
        assert str(leads.query).count("WHEN") < 10
        assert "sort_name_es" in str(queryset.query)
        assert "sort_name_es" in str(leads.query)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cooperation:nation-list"), {"sort": "region"})
    assert max(query["sql"].count("WHEN") for query in queries) < 10
    # Counted by grouped queries, not DISTINCT over a join that multiplies.
    assert not any("DISTINCT" in query["sql"] for query in queries)


# ------------------------------------------------------------------ stored names


def test_every_portal_language_has_a_stored_sort_name():
    fields = {field.name for field in Nation._meta.get_fields()}
    assert set(SORT_NAME_FIELDS) == {code for code, _name in settings.LANGUAGES}
    assert set(SORT_NAME_FIELDS.values()) <= fields


def test_saving_a_nation_stores_the_sort_key_of_its_name_in_each_language(
    united_states,
):
    atlantis = factories.NationFactory(
        name="Ätlantis", iso_alpha2="XY", iso_alpha3="XYZ"
    )

    assert (
        united_states.sort_name_en,
        united_states.sort_name_es,
        united_states.sort_name_pt_br,
    ) == ("united states", "estados unidos", "estados unidos")
    # A code CLDR does not know: the record's own name, without case or accents.
    assert (
        atlantis.sort_name_en,
        atlantis.sort_name_es,
        atlantis.sort_name_pt_br,
    ) == ("atlantis", "atlantis", "atlantis")

    atlantis.name = "Lemuria"
    atlantis.save(update_fields=["name"])
    atlantis.refresh_from_db()
    assert atlantis.sort_name_es == "lemuria"


def test_display_order_follows_the_active_language_and_the_relation():
    with translation.override("pt-br"):
        assert display_order().name == "sort_name_pt_br"
        assert display_order("nation").name == "nation__sort_name_pt_br"
    with translation.override("es-mx"):
        assert display_order().name == "sort_name_es"
    with translation.override("fr"):
        assert display_order().name == "sort_name_en"


def test_migration_fills_the_sort_names_of_existing_rows(united_states):
    migration = importlib.import_module("cooperation.migrations.0007_nation_names")
    Nation.objects.update(sort_name_en="", sort_name_es="", sort_name_pt_br="")
    Nation.history.update(sort_name_en="", sort_name_es="", sort_name_pt_br="")

    migration.fill_sort_names(apps, None)

    assert list(
        Nation.objects.values_list("sort_name_en", "sort_name_es", "sort_name_pt_br")
    ) == [("united states", "estados unidos", "estados unidos")]
    assert set(Nation.history.values_list("sort_name_es", flat=True)) == {
        "estados unidos"
    }


# ------------------------------------------------------------- stored lead nation


def test_the_initiative_keeps_the_nation_of_its_lead_participation(americas):
    colombia, brazil = americas[0], americas[1]
    initiative = factories.InitiativeFactory()

    def stored():
        return Initiative.objects.values_list("lead_nation", flat=True).get(
            pk=initiative.pk
        )

    assert stored() is None
    lead = factories.ParticipationFactory(
        initiative=initiative, nation=colombia, role="lead"
    )
    factories.ParticipationFactory(initiative=initiative, nation=brazil)
    assert stored() == colombia.pk

    lead.role = "partner"
    lead.save()
    assert stored() is None
    Participation.objects.filter(nation=brazil).get().delete()
    assert stored() is None

    lead.role = "lead"
    lead.save()
    assert stored() == colombia.pk
    # Bulk writes send no signals: refresh_lead_nation() does what they skip.
    Initiative.objects.filter(pk=initiative.pk).update(lead_nation=None)
    Initiative.objects.refresh_lead_nation()
    assert stored() == colombia.pk
    lead.delete()
    assert stored() is None
