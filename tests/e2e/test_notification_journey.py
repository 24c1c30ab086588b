"""Notifications end to end, in English and in Spanish: the coordinator moves a
recommendation the Colombian liaison owns; she sees the unread count in the
navigation bar, reads the notification in her language, opens it, and the count
clears."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from cooperation.forms.recommendations import RecommendationTransitionForm
from cooperation.models import Notification, Recommendation, User
from cooperation.services import notifications as notification_services
from cooperation.services import recommendations as recommendation_services

from .test_journeys import (
    LANGUAGES,
    exactly,
    expect_page,
    form_label,
    log_in,
    other_browser_page,  # noqa: F401 - the fixture, for a second browser
    set_language,
    t,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_owner_is_told_of_a_status_change_and_the_badge_clears_once_opened(
    page,
    other_browser_page,  # noqa: F811 - the fixture imported above
    lang,
):
    set_language("coordinator", lang)
    set_language("colombia", lang)
    owner = User.objects.get(username="colombia")
    recommendation = (
        Recommendation.objects.visible_to(owner)
        .filter(owner=owner, status__in=Recommendation.OPEN_STATUSES)
        .order_by("reference")
        .first()
    )
    assert recommendation is not None, "the demo data gives Colombia an open one"
    Notification.objects.filter(recipient=owner).update(read_at=timezone.now())
    coordinator = User.objects.get(username="coordinator")
    to_status = recommendation_services.recommendation_allowed_transitions(
        recommendation=recommendation, user=coordinator
    )[0]

    # The coordinator changes its status on its page.
    log_in(page, "coordinator", lang)
    page.goto(recommendation.get_absolute_url())
    page.get_by_label(
        exactly(form_label(lang, RecommendationTransitionForm, "to_status"))
    ).select_option(label=t(lang, Recommendation.Status(to_status).label))
    page.get_by_label(
        exactly(form_label(lang, RecommendationTransitionForm, "note"))
    ).fill("Agreed at the regional meeting.")
    page.get_by_role("button", name=t(lang, "Change status")).click()
    expect(page.get_by_text("Agreed at the regional meeting.")).to_be_visible()
    notification = Notification.objects.get(
        recipient=owner, kind=Notification.Kind.STATUS_CHANGED, read_at=None
    )

    # The owner sees one unread notification in the navigation bar.
    owner_page = other_browser_page("owner")
    log_in(owner_page, "colombia", lang)
    badge = owner_page.locator("#unread-notifications")
    expect(badge).to_contain_text(re.compile(r"^1\b"))
    owner_page.locator("#notifications-link").click()
    expect_page(owner_page, lang, t(lang, "Notifications"))
    with translation.override(lang):
        sentence = notification_services.notification_sentence(notification)
    new_label = t(lang, "Status changed on what I own or follow")
    expect(owner_page.get_by_text(new_label).first).to_be_visible()

    # Opening it goes to the recommendation and clears the count.
    owner_page.get_by_role("button", name=sentence, exact=True).click()
    owner_page.wait_for_url(f"**{recommendation.get_absolute_url()}")
    expect_page(owner_page, lang, recommendation.title)
    expect(owner_page.locator("#unread-notifications")).to_have_count(0)
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert page.console_errors == [] and owner_page.console_errors == []
