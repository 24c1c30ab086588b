"""The first pages: login, dashboard and the detail pages the dashboard links to."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation.models import Recommendation
from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.parametrize(
    "url",
    [
        "/nations/CO/",
        "/initiatives/1/",
        "/meetings/1/",
        "/recommendations/REC-2026-0001/",
    ],
)
def test_detail_pages_send_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_styled_form_without_login(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"bootstrap.min.css" in response.content


def test_login_with_valid_credentials_lands_on_dashboard(client, colombian_user):
    response = client.post(
        reverse("login"),
        {"username": colombian_user.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cooperation:dashboard")


def test_login_with_wrong_password_shows_error_and_stays_anonymous(
    client, colombian_user
):
    response = client.post(
        reverse("login"), {"username": colombian_user.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_that_ends_the_session(client, colombian_user):
    client.force_login(colombian_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_healthz_answers_without_login_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_dashboard_lists_upcoming_meetings_and_open_recommendations_released_to_user(
    client, colombian_user, colombia, brazil
):
    shared = factories.AssessmentMeetingFactory(title="Quarterly review Q1")
    withheld = factories.AssessmentMeetingFactory(
        title="Task force review", released_to_all=False, released_to=[colombia]
    )
    factories.AssessmentMeetingFactory(
        title="Far future meeting",
        starts_at=timezone.now() + datetime.timedelta(days=45),
        ends_at=timezone.now() + datetime.timedelta(days=45, hours=2),
    )
    factories.RecommendationFactory(title="Share radar tracks")
    factories.RecommendationFactory(
        title="Brazil-only item", released_to_all=False, released_to=[brazil]
    )
    factories.RecommendationFactory(
        title="Closed item", status=Recommendation.Status.IMPLEMENTED
    )

    client.force_login(colombian_user)
    response = client.get("/")

    assert response.status_code == 200
    assert list(response.context["upcoming_meetings"]) == [shared, withheld] or list(
        response.context["upcoming_meetings"]
    ) == [withheld, shared]
    titles = [r.title for r in response.context["open_recommendations"]]
    assert titles == ["Share radar tracks"]
    assert b"Far future meeting" not in response.content
    assert b"Brazil-only item" not in response.content


def test_dashboard_hides_records_not_released_to_brazil(
    client, brazilian_user, colombia
):
    factories.AssessmentMeetingFactory(
        title="Task force review", released_to_all=False, released_to=[colombia]
    )
    factories.RecommendationFactory(
        title="Colombia-only item", released_to_all=False, released_to=[colombia]
    )
    client.force_login(brazilian_user)
    response = client.get("/")
    assert b"Task force review" not in response.content
    assert b"Colombia-only item" not in response.content
    assert response.context["open_recommendations"] == []


def test_dashboard_marks_overdue_recommendations(client, colombian_user):
    today = timezone.localdate()
    factories.RecommendationFactory(
        title="Late item", due_date=today - datetime.timedelta(days=3)
    )
    factories.RecommendationFactory(
        title="On-time item", due_date=today + datetime.timedelta(days=3)
    )
    client.force_login(colombian_user)
    response = client.get("/")
    # "Overdue" is in the panel's heading whatever it lists: look at its rows.
    html = response.content.decode()
    panel = html[html.index('aria-labelledby="overdue-heading"') :]
    panel = panel[: panel.index("</section>")]
    assert [r.title for r in response.context["overdue_recommendations"]] == [
        "Late item"
    ]
    assert "Late item" in panel
    assert ">Overdue</span>" in panel
    assert "On-time item" not in panel


def test_pages_carry_a_strict_content_security_policy(client, colombian_user):
    client.force_login(colombian_user)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert b"<script>" not in response.content  # no inline script without a nonce


def test_dashboard_shows_times_in_the_users_zone_with_meeting_zone_beside(
    client, colombia
):
    user = factories.UserFactory(nation=colombia, time_zone="America/New_York")
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    factories.AssessmentMeetingFactory(
        title="Zone test",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        time_zone="America/Bogota",
    )
    client.force_login(user)
    response = client.get("/")
    assert b"America/Bogota" in response.content


# --------------------------------------------------------------------- detail pages


def test_detail_pages_of_a_record_not_released_answer_404_like_a_missing_one(
    client, brazilian_user, colombia
):
    initiative = factories.InitiativeFactory(
        released_to_all=False, released_to=[colombia]
    )
    meeting = factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[colombia]
    )
    recommendation = factories.RecommendationFactory(
        released_to_all=False, released_to=[colombia]
    )
    client.force_login(brazilian_user)
    for record in (initiative, meeting, recommendation):
        assert client.get(record.get_absolute_url()).status_code == 404
    assert client.get("/initiatives/999999/").status_code == 404
    assert client.get("/recommendations/REC-2000-9999/").status_code == 404


def test_recommendation_page_does_not_name_a_source_meeting_not_released_to_user(
    client, brazilian_user, colombia
):
    meeting = factories.AssessmentMeetingFactory(
        title="Secret planning session", released_to_all=False, released_to=[colombia]
    )
    recommendation = factories.RecommendationFactory(source_meeting=meeting)
    client.force_login(brazilian_user)
    response = client.get(recommendation.get_absolute_url())
    assert response.status_code == 200
    assert b"Secret planning session" not in response.content


def _build_rows(count, colombia, brazil):
    meeting = factories.AssessmentMeetingFactory(title="Review meeting")
    meeting.nations.set([colombia, brazil])
    initiative = factories.InitiativeFactory(title="Task force")
    factories.ParticipationFactory(initiative=initiative, nation=colombia, role="lead")
    recommendation = factories.RecommendationFactory(
        title="Main recommendation", source_meeting=meeting
    )
    owner = factories.UserFactory()
    for index in range(count):
        area = factories.FocusAreaFactory()
        factories.SituationAssessmentFactory(
            meeting=meeting, nation=colombia, focus_area=area
        )
        factories.AgendaItemFactory(meeting=meeting)
        other_meeting = factories.AssessmentMeetingFactory()
        other_meeting.nations.set([colombia])
        factories.InitiativeEvaluationFactory(
            meeting=other_meeting, initiative=initiative
        )
        factories.RecommendationFactory(source_meeting=meeting, owner=owner)
        factories.RecommendationUpdateFactory(
            recommendation=recommendation, note=f"Step {index}"
        )
        extra = factories.InitiativeFactory()
        factories.ParticipationFactory(initiative=extra, nation=colombia)
    return {
        "dashboard": "/",
        "nations": "/nations/",
        "nation": colombia.get_absolute_url(),
        "initiative": initiative.get_absolute_url(),
        "meeting": meeting.get_absolute_url(),
        "recommendation": recommendation.get_absolute_url(),
    }


def _count_queries(client, url):
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "page",
    ["dashboard", "nations", "nation", "initiative", "meeting", "recommendation"],
)
def test_page_runs_the_same_number_of_queries_with_5_and_50_rows(
    client, colombian_user, colombia, brazil, page
):
    client.force_login(colombian_user)
    small = _count_queries(client, _build_rows(5, colombia, brazil)[page])
    Recommendation.objects.update()  # keep the same DB; build a second, larger set
    large = _count_queries(client, _build_rows(50, colombia, brazil)[page])
    assert small == large
    # 12, and the navigation bar's saved filters; the dashboard's first panel, My
    # work, adds the rows and the count of the two lists that apply to a user
    # without a role (recommendations owned, invitations unanswered).
    # The meeting page lists its documents: one query more. Every page counts the
    # navigation bar's unread notifications: one more.
    assert large <= {"dashboard": 13 + 4, "meeting": 14}.get(page, 13) + 1
