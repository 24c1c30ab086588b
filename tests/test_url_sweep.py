"""Sweep every URL pattern for the access rules (issue 5, item 8).

The patterns come from the resolver, not from a list: a view added later is swept
too, and one nobody classified in ``tests/sweep.py`` fails
``test_every_url_pattern_is_classified``. The last tests add a deliberately unguarded
view to the URLconf (this module is that URLconf) and show the sweep reports it.
"""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.test import override_settings
from django.urls import include, path, reverse
from django.views.decorators.csrf import csrf_exempt

from cooperation.models import Initiative
from cooperation.services import invitations as invitation_services
from tests import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return sweep.add_withheld(sweep.build_world())


# ------------------------------------------------------------- classification


def test_every_url_pattern_is_classified():
    assert sweep.unclassified_patterns() == []


def test_every_model_in_the_admin_is_classified():
    assert sweep.admin_models_unclassified() == []


def test_sweep_covers_the_portal_admin_and_auth_patterns():
    keys = {pattern.key for pattern in sweep.all_patterns()}
    assert "cooperation:recommendation-transition" in keys
    assert "admin:cooperation_initiative_change" in keys
    assert "password_reset_confirm" in keys
    assert len(keys) == len(sweep.all_patterns()) > 150


# ----------------------------------------------------------------- 1. anonymous


def test_anonymous_requests_are_redirected_to_login_except_the_allow_list(world):
    assert sweep.anonymous_violations(world) == []


def test_calendar_feed_with_a_wrong_token_is_404_for_anonymous(world):
    response = sweep.Client().get(
        reverse("cooperation:calendar-feed", args=["wrong-token"])
    )
    assert response.status_code == 404


def test_health_checks_and_login_are_open_to_anonymous(world):
    client = sweep.Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200


# ----------------------------------------------------------- 2. releasability


VIEW_ON_SITE = "/admin/r/"


def test_every_object_url_of_a_withheld_record_answers_like_a_missing_one(world):
    assert sweep.releasability_violations(world) == []


def test_admin_view_on_site_answers_a_withheld_record_like_a_missing_one(world):
    violations = sweep.releasability_violations(world)
    assert [v for v in violations if v.split()[1].startswith(VIEW_ON_SITE)] == []


def test_the_releasability_sweep_covers_every_child_route(world):
    object_routes = {
        pattern.key
        for pattern, spec in sweep.patterns_with_routes()
        if spec.is_object_url and pattern.key.startswith("cooperation:")
    }
    assert {
        "cooperation:initiative-edit",
        "cooperation:initiative-history",
        "cooperation:meeting-ics",
        "cooperation:meeting-rsvp",
        "cooperation:meeting-cancel",
        "cooperation:meeting-minutes",
        "cooperation:meeting-minutes-publish",
        "cooperation:assessment-edit",
        "cooperation:evaluation-edit",
        "cooperation:meeting-recommendation-create",
        "cooperation:recommendation-transition",
        "cooperation:meeting-briefing",
        "cooperation:meeting-briefing-pdf",
        "cooperation:briefing",
        "cooperation:briefing-pdf",
        "cooperation:briefing-retry",
    } <= object_routes


def test_the_brazilian_user_may_open_the_same_pages_for_a_released_record(world):
    client = sweep.client_for(world.brazilian)
    initiative = world.visible["initiative"]
    meeting = world.visible["meeting"]
    recommendation = world.visible["recommendation"]
    for url in (
        initiative.get_absolute_url(),
        reverse("cooperation:initiative-edit", args=[initiative.pk]),
        meeting.get_absolute_url(),
        reverse("cooperation:meeting-ics", args=[meeting.pk]),
        reverse("cooperation:meeting-edit", args=[meeting.pk]),
        recommendation.get_absolute_url(),
        reverse("cooperation:recommendation-edit", args=[recommendation.reference]),
    ):
        assert client.get(url).status_code == 200, url


# ------------------------------------------------ 3. lists, counts, exports, feed


def test_no_page_or_export_shows_a_withheld_record(world):
    urls = sweep.page_urls(world)
    assert any(url.endswith("format=csv") for url in urls)
    assert sweep.withheld_text_violations(world, urls) == []


def test_pages_and_counts_are_the_same_with_and_without_withheld_records(db):
    world = sweep.build_world()
    urls = sweep.page_urls(world)
    token = invitation_services.calendar_token_create(
        user=world.brazilian, acting_user=world.brazilian
    )
    forms = sweep.form_urls(world)
    before = sweep.snapshot(world, urls)
    feed_before = sweep.feed_snapshot(token)
    errors_before, payloads = sweep.form_error_snapshot(world, forms)
    sweep.add_withheld(world)
    after = sweep.snapshot(world, urls)
    assert sweep.changed_pages(before, after) == []
    # The calendar feed, and every form sent back with errors, too.
    assert sweep.feed_snapshot(token) == feed_before
    errors_after, _ = sweep.form_error_snapshot(world, forms, payloads)
    assert sweep.changed_pages(errors_before, errors_after) == []
    assert len(forms) >= 8
    # Most of them come back with errors (an early date breaks a rule or two).
    refused = [url for url, (status, _) in errors_after.items() if status != 302]
    assert len(refused) >= 5, errors_after.keys()
    # The comparison can fail: the superuser sees the withheld records appear.
    world.brazilian = world.superuser
    dashboard = reverse("cooperation:dashboard")
    assert sweep.snapshot(world, [dashboard]) != {dashboard: before[dashboard]}


def test_dashboard_figures_leave_withheld_records_out(world):
    client = sweep.client_for(world.brazilian)
    context = client.get(reverse("cooperation:dashboard")).context
    assert [m.pk for m in context["upcoming_meetings"]] == [world.visible["meeting"].pk]
    assert context["overdue_recommendations"] == []
    assert sum(count for *_, count in context["initiative_statuses"]) == 1
    superuser = sweep.client_for(world.superuser)
    context = superuser.get(reverse("cooperation:dashboard")).context
    assert sum(count for *_, count in context["initiative_statuses"]) == 2


def test_calendar_feed_leaves_withheld_meetings_out(world):
    assert sweep.feed_violations(world) == []


# ----------------------------------------------------------------------- 4. CSRF


def test_every_post_without_a_csrf_token_is_refused(world):
    assert sweep.csrf_violations(world) == []


# -------------------------------------------- 5. the sweep catches a new leak

LEAK_ROUTES = {
    **sweep.ROUTES,
    "leak": sweep.Route({"pk": "initiative"}),
    "leak-public": sweep.Route({"pk": "initiative"}),
    "leak-csrf": sweep.Route(),
}


def leaky_view(request, pk):
    """Forgets ``visible_to``: shows any initiative to any signed-in user."""
    return HttpResponse(get_object_or_404(Initiative, pk=pk).title)


@login_not_required
def leaky_public_view(request, pk):
    """Forgets the login too."""
    return HttpResponse(get_object_or_404(Initiative, pk=pk).title)


@csrf_exempt
def leaky_csrf_view(request):
    return HttpResponse("changed")


urlpatterns = [
    path("leak/<int:pk>/", leaky_view, name="leak"),
    path("leak-public/<int:pk>/", leaky_public_view, name="leak-public"),
    path("leak-csrf/", leaky_csrf_view, name="leak-csrf"),
    path("", include("portal.urls")),
]
LEAKY_URLCONF = override_settings(ROOT_URLCONF=__name__)


@LEAKY_URLCONF
def test_sweep_reports_a_new_view_nobody_classified():
    violations = sweep.unclassified_patterns()
    assert len(violations) == 3
    assert violations[0].startswith("leak (")
    assert "add it to tests/sweep.py ROUTES" in violations[0]


@LEAKY_URLCONF
def test_sweep_reports_a_view_that_forgets_the_login(world):
    violations = sweep.anonymous_violations(world, routes=LEAK_ROUTES)
    url = f"/leak-public/{world.visible['initiative'].pk}/"
    assert violations == [
        f"anonymous GET {url}: 200  not redirected to the login page",
        f"anonymous POST {url}: 200  not redirected to the login page",
    ]


@LEAKY_URLCONF
def test_sweep_reports_a_view_that_forgets_releasability(world):
    violations = sweep.releasability_violations(world, routes=LEAK_ROUTES)
    url = f"/leak/{world.withheld['initiative'].pk}/"
    assert f"GET {url} (withheld) answered 200; a missing record answers 404" in (
        " ".join(violations)
    )
    assert f"GET {url} (withheld) shows ['WITHHELD-from-Brazil'," in " ".join(
        violations
    )
    assert any(v.startswith("GET /leak-public/") for v in violations)
    # Nothing else but the known admin shortcut: the portal's own URLs hold.
    assert all("/leak" in v for v in violations)


@LEAKY_URLCONF
def test_sweep_reports_a_post_accepted_without_a_csrf_token(world):
    violations = sweep.csrf_violations(world, routes=LEAK_ROUTES)
    assert any(v.startswith("POST /leak-csrf/ without a CSRF") for v in violations)
    assert all("/leak" in v for v in violations)


# ------------------------------------- 6. series, carried-over reviews, form errors


def test_a_series_counts_and_numbers_only_the_occurrences_released_to_the_reader(
    world,
):
    meeting = world.visible["meeting"]
    page = sweep.client_for(world.brazilian).get(meeting.get_absolute_url())
    assert page.context["series_position"] == 2
    assert page.context["series_total"] == 2
    assert "Occurrence 2 of 2" in page.content.decode()
    assert page.context["previous_occurrence"]["title"] == "Open first occurrence"
    # The comparison can fail: a Colombian sees all three.
    colombian = sweep.client_for(world.colombian).get(meeting.get_absolute_url())
    assert "Occurrence 3 of 3" in colombian.content.decode()


def test_a_carried_over_review_names_its_recommendation_only_to_who_may_see_it(world):
    meeting = world.visible["meeting"]
    reference = world.withheld["recommendation"].reference
    ics = reverse("cooperation:meeting-ics", args=[meeting.pk])
    brazilian = sweep.client_for(world.brazilian)
    assert reference not in brazilian.get(meeting.get_absolute_url()).content.decode()
    assert reference not in brazilian.get(ics).content.decode()
    colombian = sweep.client_for(world.colombian)
    assert reference in colombian.get(meeting.get_absolute_url()).content.decode()
