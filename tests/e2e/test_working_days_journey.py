"""A scheduler, in Spanish, finds a time for a weekly series over days that cross a
weekend and (on the second occurrence) a public holiday, sees both flagged, uses an
offered time and creates the series."""

import datetime
import zoneinfo

import holidays
import pytest
from django.utils import translation
from django.utils.dates import WEEKDAYS
from playwright.sync_api import expect

from cooperation.forms.common import ReleasabilityForm
from cooperation.forms.scheduling import FindTimeForm
from cooperation.models import AssessmentMeeting, MeetingSeries

from .test_journeys import (
    exactly,
    expect_page,
    field_label,
    form_label,
    log_in,
    nation_name,
    navigate,
    set_language,
    t,
)

pytestmark = pytest.mark.django_db(transaction=True)

LANG = "es"
TITLE = "Weekly Brazil–Colombia coordination"


def next_brazilian_weekday_holiday(after):
    day = after
    calendar = holidays.country_holidays("BR", years=range(day.year, day.year + 2))
    while day not in calendar or day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def test_scheduler_finds_a_time_for_a_series_past_a_weekend_and_a_holiday(page):
    # The holiday at least two weeks ahead: a weekly series of two starting a week
    # earlier (``target``) has its second occurrence on it. The search covers
    # ``target`` and a weekend, and at most three working days, so that the ten
    # proposals shown reach the flagged ones (two per day, the best days first).
    holiday = next_brazilian_weekday_holiday(
        datetime.date.today() + datetime.timedelta(days=14)
    )
    target = holiday - datetime.timedelta(days=7)
    # With another working day beside it, free in both weeks.
    weekday = target.weekday()
    if weekday == 0:  # Saturday to Tuesday
        first, last = (
            target - datetime.timedelta(days=2),
            target + datetime.timedelta(days=1),
        )
    elif weekday <= 2:  # Saturday to Tuesday or Wednesday
        first, last = target - datetime.timedelta(days=weekday + 2), target
    else:  # Wednesday or Thursday to Sunday
        first = target - datetime.timedelta(days=1)
        last = target + datetime.timedelta(days=6 - weekday)
    set_language("coordinator", LANG)
    log_in(page, "coordinator", LANG)

    navigate(page, LANG, "Meetings")
    page.get_by_role("link", name=t(LANG, "Find a time"), exact=True).click()
    expect_page(page, LANG, t(LANG, "Find a time"))
    nations = page.get_by_role(
        "group", name=exactly(form_label(LANG, FindTimeForm, "nations"))
    )
    nations.get_by_label(nation_name(LANG, "BR"), exact=True).check()
    nations.get_by_label(nation_name(LANG, "CO"), exact=True).check()
    page.get_by_label(exactly(form_label(LANG, FindTimeForm, "duration"))).fill("60")
    page.get_by_label(exactly(form_label(LANG, FindTimeForm, "first_day"))).fill(
        first.isoformat()
    )
    page.get_by_label(exactly(form_label(LANG, FindTimeForm, "last_day"))).fill(
        last.isoformat()
    )
    zone = page.get_by_label(exactly(form_label(LANG, FindTimeForm, "time_zone")))
    # The partner nations' zones come first, in a group of their own.
    partners = zone.locator(f'optgroup[label="{t(LANG, "Partner nations")}"]')
    for value in ("America/Sao_Paulo", "America/Bogota"):
        expect(partners.locator(f'option[value="{value}"]')).to_have_count(1)
    zone.select_option("America/Sao_Paulo")
    page.get_by_label(
        exactly(form_label(LANG, FindTimeForm, "frequency"))
    ).select_option(label=t(LANG, MeetingSeries.Frequency.WEEKLY.label))
    page.get_by_label(exactly(form_label(LANG, FindTimeForm, "count"))).fill("2")
    page.get_by_role("button", name=t(LANG, "Find times"), exact=True).click()

    expect_page(page, LANG, t(LANG, "Proposed times"), level=2)
    rows = page.locator("tr.proposed-slot")
    expect(rows.first).to_be_visible()
    # The weekend is flagged for each nation, naming the day in Spanish…
    with translation.override(LANG):
        saturday_name = str(WEEKDAYS[5])
    weekend = page.locator('li[data-code="weekend"]')
    expect(weekend.filter(has_text=saturday_name).first).to_be_visible()
    for code in ("BR", "CO"):
        expect(weekend.filter(has_text=nation_name(LANG, code)).first).to_be_visible()
    # …and so is the holiday that the second occurrence of the last day falls on.
    expect(
        page.locator('li[data-code="holiday"]')
        .filter(has_text=nation_name(LANG, "BR"))
        .first
    ).to_be_visible()
    # The best time has no warnings and is on a working day.
    best = rows.first
    expect(best).to_contain_text(t(LANG, "No warnings"))
    best.get_by_role("link", name=t(LANG, "Use this time")).click()

    expect_page(page, LANG, t(LANG, "New meeting"))
    meeting = page.get_by_role("group", name=t(LANG, "Meeting"), exact=True)
    meeting.get_by_label(exactly(field_label(LANG, AssessmentMeeting, "title"))).fill(
        TITLE
    )
    repeat = page.get_by_role("group", name=t(LANG, "Repeat"), exact=True)
    expect(repeat.locator("select[name=repeat-frequency]")).to_have_value("weekly")
    expect(repeat.locator("input[name=repeat-count]")).to_have_value("2")
    page.get_by_role("group", name=t(LANG, "Releasability"), exact=True).get_by_label(
        exactly(form_label(LANG, ReleasabilityForm, "released_to_all"))
    ).check()
    page.get_by_role("button", name=t(LANG, "Create meeting"), exact=True).click()

    expect_page(page, LANG, f"{TITLE} #1")
    series = MeetingSeries.objects.get(title=TITLE)
    sao_paulo = zoneinfo.ZoneInfo("America/Sao_Paulo")
    days = [
        m.starts_at.astimezone(sao_paulo).date()
        for m in series.occurrences.order_by("occurrence_number")
    ]
    assert len(days) == 2
    assert days[1] - days[0] == datetime.timedelta(days=7)
    assert all(day.weekday() < 5 for day in days)
    assert holiday not in days
    assert first <= days[0] <= last
    assert page.console_errors == []
