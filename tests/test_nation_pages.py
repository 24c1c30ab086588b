"""Nation list and detail, dashboard figures, profile and language switch."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import Recommendation, SituationAssessment
from tests import factories

pytestmark = pytest.mark.django_db


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_nation_list_filters_by_region_and_search(
    client, colombian_user, united_states
):
    client.force_login(colombian_user)
    factories.NationFactory(name="Brazil", iso_alpha2="BR", iso_alpha3="BRA")

    response = client.get(
        reverse("cooperation:nation-list"), {"region": "north_america"}
    )
    assert [n.name for n in response.context["object_list"]] == ["United States"]

    response = client.get(reverse("cooperation:nation-list"), {"q": "Brazil"})
    assert [n.name for n in response.context["object_list"]] == ["Brazil"]


def test_nation_list_invalid_filter_shows_error_not_500(client, colombian_user):
    client.force_login(colombian_user)
    response = client.get(reverse("cooperation:nation-list"), {"region": "atlantis"})
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert b"Some filters are not valid" in response.content


def test_nation_list_sorts_both_ways_and_ignores_unknown_sort(
    client, colombian_user, brazil, united_states
):
    client.force_login(colombian_user)
    url = reverse("cooperation:nation-list")
    names = lambda r: [n.name for n in r.context["object_list"]]  # noqa: E731
    assert names(client.get(url, {"sort": "name"})) == [
        "Brazil",
        "Colombia",
        "United States",
    ]
    assert names(client.get(url, {"sort": "-name"})) == [
        "United States",
        "Colombia",
        "Brazil",
    ]
    assert names(client.get(url, {"sort": "password"})) == [
        "Brazil",
        "Colombia",
        "United States",
    ]


def test_nation_counts_leave_out_records_not_released_to_user(
    client, brazilian_user, colombia, brazil
):
    hidden = factories.InitiativeFactory(released_to_all=False, released_to=[colombia])
    factories.ParticipationFactory(initiative=hidden, nation=colombia, role="lead")
    shared = factories.InitiativeFactory()
    factories.ParticipationFactory(initiative=shared, nation=colombia, role="lead")
    withheld = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    withheld.nations.set([colombia])
    client.force_login(brazilian_user)

    response = client.get(reverse("cooperation:nation-list"), {"q": "Colombia"})
    [row] = response.context["object_list"]
    assert row.initiative_count == 1
    assert row.open_recommendation_count == 0

    export = client.get(
        reverse("cooperation:nation-list"), {"q": "Colombia", "format": "csv"}
    )
    rows = _csv_rows(export)
    assert rows[0][0] == "Nation"
    assert rows[1][0] == "Colombia"
    assert rows[1][-2:] == ["1", "0"]
    assert len(rows) == 2


def test_nation_csv_exports_exactly_the_filtered_rows(
    client, colombian_user, brazil, united_states
):
    client.force_login(colombian_user)
    response = client.get(
        reverse("cooperation:nation-list"), {"region": "south_america", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert [row[0] for row in _csv_rows(response)[1:]] == ["Brazil", "Colombia"]


def test_nation_detail_shows_chart_counts_and_upcoming_meetings(
    client, colombian_user, colombia, brazil
):
    held = factories.AssessmentMeetingFactory(
        title="Q3 review",
        status="held",
        starts_at=timezone.now() - datetime.timedelta(days=90),
        ends_at=timezone.now() - datetime.timedelta(days=90, hours=-2),
    )
    later = factories.AssessmentMeetingFactory(
        title="Q4 review",
        status="held",
        starts_at=timezone.now() - datetime.timedelta(days=5),
        ends_at=timezone.now() - datetime.timedelta(days=5, hours=-2),
    )
    narcotics = factories.FocusAreaFactory(name="Counter-narcotics", slug="cn")
    for meeting, level in ((held, 3), (later, 4)):
        factories.SituationAssessmentFactory(
            meeting=meeting, nation=colombia, focus_area=narcotics, threat_level=level
        )
    upcoming = factories.AssessmentMeetingFactory(title="Q1 review")
    upcoming.nations.set([colombia])
    for status in ("proposed", "proposed", "implemented"):
        factories.RecommendationFactory(status=status).nations.set([colombia])

    client.force_login(colombian_user)
    response = client.get(colombia.get_absolute_url())

    assert response.status_code == 200
    (chart,) = response.context["charts"]
    assert chart.name == "Counter-narcotics"
    first, second = chart.points
    assert first.x < second.x  # oldest meeting on the left
    assert second.y < first.y  # critical is drawn higher than high
    page = response.content.decode()
    assert page.count('class="threat-chart ') == 1
    assert "Latest assessment" in page  # the chart's text alternative
    counts = {value: total for value, _, total in response.context["status_counts"]}
    assert counts["proposed"] == 2
    assert counts["implemented"] == 1
    assert [m.title for m in response.context["upcoming_meetings"]] == ["Q1 review"]
    assert response.context["assessments"][0].threat_level == (
        SituationAssessment.ThreatLevel.CRITICAL
    )


def test_nation_page_and_chart_show_the_primary_concern_only(
    client, colombian_user, colombia
):
    narcotics = factories.FocusAreaFactory(name="Counter-narcotics", slug="cn")
    points = []
    for days, level in ((90, 2), (5, 3)):
        meeting = factories.AssessmentMeetingFactory(
            status="held",
            starts_at=timezone.now() - datetime.timedelta(days=days),
            ends_at=timezone.now() - datetime.timedelta(days=days, hours=-2),
        )
        points.append(
            factories.SituationAssessmentFactory(
                meeting=meeting,
                nation=colombia,
                focus_area=narcotics,
                threat_level=level,
            )
        )
        factories.SituationAssessmentFactory(
            meeting=meeting,
            nation=colombia,
            focus_area=narcotics,
            primary_concern="Synthetic opioids",
            threat_level=4,
            is_primary=False,
        )

    client.force_login(colombian_user)
    response = client.get(colombia.get_absolute_url())

    assert response.context["assessment_total"] == 2
    assert {a.pk for a in response.context["assessments"]} == {p.pk for p in points}
    (chart,) = response.context["charts"]
    assert len(chart.points) == 2  # one per meeting: a line, not stacked dots
    assert b"Synthetic opioids" not in response.content


def test_nation_detail_for_unknown_code_is_404(client, colombian_user):
    client.force_login(colombian_user)
    assert client.get("/nations/ZZ/").status_code == 404


def test_dashboard_figures_count_only_released_records_and_link_to_lists(
    client, brazilian_user, colombia, brazil
):
    factories.RecommendationFactory(status="proposed").nations.set([brazil])
    factories.RecommendationFactory(
        status="proposed", released_to_all=False, released_to=[colombia]
    ).nations.set([brazil])
    factories.InitiativeFactory(status="implementation")
    factories.InitiativeFactory(
        status="implementation", released_to_all=False, released_to=[colombia]
    )
    client.force_login(brazilian_user)

    response = client.get("/")

    [(nation, cells, total)] = response.context["recommendation_matrix"]
    assert nation == brazil
    assert total == 1
    assert {value: count for value, _, count in cells}["proposed"] == 1
    initiatives = {v: c for v, _, c in response.context["initiative_statuses"]}
    assert initiatives["implementation"] == 1
    assert b"?nation=BR&amp;status=proposed" in response.content
    # Every status links to the list whatever it counts: read the count beside it.
    assert re.search(
        r'\?status=implementation">Implementation</a>\s*'
        r'<span class="badge text-bg-secondary">1</span>',
        response.content.decode(),
    )


def test_dashboard_lists_overdue_recommendations(client, colombian_user):
    factories.RecommendationFactory(
        title="Late", due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    factories.RecommendationFactory(
        title="Done late",
        status=Recommendation.Status.IMPLEMENTED,
        due_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    client.force_login(colombian_user)
    response = client.get("/")
    assert [r.title for r in response.context["overdue_recommendations"]] == ["Late"]


def test_profile_saves_time_zone_and_language(client, colombian_user):
    assert (colombian_user.time_zone, colombian_user.language) == ("UTC", "en")
    client.force_login(colombian_user)
    response = client.post(
        reverse("cooperation:profile"),
        {
            "first_name": "Ana",
            "last_name": "Gómez",
            # The current address: changing it would ask for the password.
            "email": colombian_user.email,
            "time_zone": "America/Bogota",
            "language": "es",
        },
    )
    assert response.status_code == 302
    colombian_user.refresh_from_db()
    assert (colombian_user.time_zone, colombian_user.language) == (
        "America/Bogota",
        "es",
    )


def test_profile_rejects_unknown_time_zone_with_field_error(client, colombian_user):
    client.force_login(colombian_user)
    response = client.post(
        reverse("cooperation:profile"),
        {
            "time_zone": "Mars/Olympus",
            "language": "en",
            "email": colombian_user.email,
        },
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["time_zone"]
    colombian_user.refresh_from_db()
    assert colombian_user.time_zone == "UTC"


def test_language_switch_remembers_choice_and_pages_follow_it(client, colombian_user):
    client.force_login(colombian_user)
    response = client.post(
        reverse("cooperation:language-switch"),
        {"language": "es", "next": "/nations/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/nations/"
    colombian_user.refresh_from_db()
    assert colombian_user.language == "es"
    assert client.get("/").headers["Content-Language"] == "es"


def test_language_switch_refuses_foreign_redirect_and_unknown_language(
    client, colombian_user
):
    client.force_login(colombian_user)
    response = client.post(
        reverse("cooperation:language-switch"),
        {"language": "klingon", "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cooperation:dashboard")
    colombian_user.refresh_from_db()
    assert colombian_user.language == "en"
