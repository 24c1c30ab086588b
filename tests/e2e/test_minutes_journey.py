"""Structured minutes end to end, in English and in Spanish: the coordinator records
who attended the held meeting and the outcome of its first agenda item, then turns
that outcome into a recommendation in one step; both pages show the link."""

import pytest
from playwright.sync_api import expect

from cooperation.forms.common import ReleasabilityForm
from cooperation.models import AgendaItem, AssessmentMeeting, Invitation, Recommendation

from .test_journeys import (
    HELD_MEETING,
    LANGUAGES,
    exactly,
    expect_page,
    field_label,
    form_label,
    log_in,
    nation_name,
    set_language,
    t,
)

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_ITEM = "Opening and adoption of the agenda"


def expect_record_page(page, lang, title):
    """A record's page in ``lang``: its heading starts with the record's title (a
    record written in another language says so beside it)."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_coordinator_records_minutes_and_raises_a_recommendation_from_an_outcome(
    page, lang
):
    set_language("coordinator", lang)
    meeting = AssessmentMeeting.objects.get(title=HELD_MEETING)
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.DRAFT

    log_in(page, "coordinator", lang)
    page.goto(meeting.get_absolute_url())
    expect_record_page(page, lang, HELD_MEETING)
    page.get_by_role("link", name=t(lang, "Record minutes")).click()
    expect_page(page, lang, t(lang, "Record minutes"))

    # Attendance: Camila present, Rafael represented by a colleague.
    camila = page.get_by_role("group", name="Camila Restrepo", exact=True)
    camila.get_by_label(t(lang, "Present"), exact=True).check()
    rafael = page.get_by_role("group", name="Rafael Oliveira", exact=True)
    rafael.get_by_label(t(lang, "Represented"), exact=True).check()
    rafael.get_by_label(exactly(field_label(lang, Invitation, "represented_by"))).fill(
        "Lucas Pereira"
    )
    # The outcome of the first agenda item.
    item = page.get_by_role("group", name=f"1. {FIRST_ITEM}", exact=True)
    item.get_by_label(exactly(field_label(lang, AgendaItem, "decision"))).fill(
        "The agenda was adopted with a cyber item added."
    )
    item.get_by_label(exactly(field_label(lang, AgendaItem, "follow_up"))).fill(
        "Name a cyber focal point in every nation"
    )
    page.get_by_role("button", name=t(lang, "Save draft")).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        t(lang, "Draft minutes saved.")
    )
    expect_record_page(page, lang, HELD_MEETING)
    expect(page.get_by_text("Rafael Oliveira: ")).to_contain_text("Lucas Pereira")
    assert Invitation.objects.get(
        meeting=meeting, user__username="brazil"
    ).represented_by == ("Lucas Pereira")

    # One step from the outcome to a recommendation, filled in from it.
    page.get_by_role(
        "link", name=t(lang, "Raise a recommendation from this outcome")
    ).first.click()
    expect_page(page, lang, t(lang, "New recommendation"))
    title = page.get_by_label(exactly(field_label(lang, Recommendation, "title")))
    expect(title).to_have_value("Name a cyber focal point in every nation")
    expect(
        page.get_by_label(exactly(field_label(lang, Recommendation, "description")))
    ).to_contain_text("The agenda was adopted with a cyber item added.")
    page.get_by_label(
        exactly(field_label(lang, Recommendation, "focus_area"))
    ).select_option(index=1)
    page.get_by_role(
        "group", name=exactly(field_label(lang, Recommendation, "nations"))
    ).get_by_label(nation_name(lang, "CO"), exact=True).check()
    page.get_by_label(
        exactly(form_label(lang, ReleasabilityForm, "released_to_all"))
    ).check()
    page.get_by_role("button", name=t(lang, "Raise recommendation")).click()
    expect_record_page(page, lang, "Name a cyber focal point in every nation")
    recommendation = Recommendation.objects.get(
        title="Name a cyber focal point in every nation"
    )
    assert recommendation.source_agenda_item.title == FIRST_ITEM
    expect(
        page.get_by_text(t(lang, "Raised from the outcome of the agenda item"))
    ).to_be_visible()

    # The meeting page names the recommendation raised from the item.
    page.get_by_role("link", name=FIRST_ITEM).click()
    expect_record_page(page, lang, HELD_MEETING)
    expect(
        page.locator(f"#outcome-{recommendation.source_agenda_item_id}")
    ).to_contain_text(recommendation.reference)
    assert page.console_errors == []
