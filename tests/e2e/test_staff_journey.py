"""The Colombian liaison's day, in a real browser (Playwright + Debian's Chromium)."""

import datetime

import pytest
from playwright.sync_api import expect

from cooperation.models import AssessmentMeeting, Recommendation, SituationAssessment

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

HELD_MEETING = "Regional situation assessment, SOUTHCOM headquarters"


def test_colombian_liaison_records_assessment_raises_and_accepts_recommendation(page):
    login(page, "colombia")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    # Opens an initiative from the navigation.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Initiatives"
    ).click()
    page.get_by_role(
        "link", name="Counter-narcotics joint task force", exact=True
    ).click()
    expect(
        page.get_by_role("heading", name="Counter-narcotics joint task force", level=1)
    ).to_be_visible()

    # Records a situation assessment from the held meeting's page.
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Meetings"
    ).click()
    page.get_by_role("link", name=HELD_MEETING).first.click()
    expect(page.get_by_role("heading", name=HELD_MEETING, level=1)).to_be_visible()
    page.get_by_role("link", name="Record a situation assessment").click()
    page.get_by_label("Nation").select_option(label="Colombia")
    page.get_by_label("Focus area").select_option(label="Community engagement")
    page.get_by_label("Primary concern").fill("Recruitment of minors by armed groups")
    page.get_by_label("Increasing", exact=True).check()
    page.get_by_label("High", exact=True).check()
    page.get_by_label("Summary").fill("Armed groups recruit in border municipalities.")
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("alert").first).to_contain_text("assessment")
    expect(page.get_by_text("Recruitment of minors by armed groups")).to_be_visible()
    assert SituationAssessment.objects.filter(
        primary_concern="Recruitment of minors by armed groups", nation__iso_alpha2="CO"
    ).exists()

    # Raises a recommendation from the same meeting page.
    page.get_by_role("link", name="Raise a recommendation").click()
    page.get_by_label("Title").fill("Fund school programmes in border municipalities")
    page.get_by_label("Description").fill(
        "Keep minors in school where armed groups recruit."
    )
    page.get_by_label("Focus area").select_option(label="Community engagement")
    page.get_by_label("Colombia").check()
    page.get_by_label("Due date").fill(
        (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    )
    page.get_by_role("button", name="Raise recommendation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Fund school programmes in border municipalities"
    )
    recommendation = Recommendation.objects.get(
        title="Fund school programmes in border municipalities"
    )
    reference = recommendation.reference
    expect(page.get_by_text(reference).first).to_be_visible()

    # Moves it to accepted with a note.
    page.get_by_label("New status").select_option(label="Accepted")
    page.get_by_label("Note").fill("Ministry of Education agreed to co-fund.")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Ministry of Education agreed to co-fund.")).to_be_visible()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED
    assert recommendation.updates.count() == 2

    # Finds it on the dashboard.
    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    expect(page.get_by_role("link", name=reference).first).to_be_visible()
    assert page.console_errors == []


PAGES = (
    "/",
    "/nations/",
    "/nations/CO/",
    "/initiatives/",
    "/meetings/",
    "/recommendations/",
    "/profile/",
    "/calendar/",
)


@pytest.mark.parametrize("username", ["colombia", "coordinator"])
@pytest.mark.parametrize("width", [1280, 992, 390])
def test_pages_fit_the_screen_without_console_errors_at_desktop_and_phone_width(
    page, width, username, tmp_path
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, username)
    meeting = AssessmentMeeting.objects.get(title=HELD_MEETING)
    recommendation = Recommendation.objects.order_by("reference").first()
    for path in (
        *PAGES,
        meeting.get_absolute_url(),
        recommendation.get_absolute_url(),
    ):
        response = page.goto(path)
        assert response.status == 200, path
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(tmp_path / f"{path.strip('/') or 'home'}.png"))
    assert page.console_errors == []
