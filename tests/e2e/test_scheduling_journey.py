"""The coordinator schedules a quarterly series on a Brazilian holiday, in a browser."""

import datetime

import holidays
import pytest
from playwright.sync_api import expect

from cooperation.models import MeetingSeries

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def next_brazilian_weekday_holiday(after):
    """The first Brazilian public holiday on a weekday, at least a week ahead."""
    day = after + datetime.timedelta(days=7)
    calendar = holidays.country_holidays("BR", years=range(day.year, day.year + 2))
    while day not in calendar or day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day, calendar[day]


def test_coordinator_schedules_quarterly_series_confirming_the_holiday_warning(page):
    holiday, holiday_name = next_brazilian_weekday_holiday(datetime.date.today())
    login(page, "coordinator")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Meetings"
    ).click()
    page.get_by_role("link", name="New meeting").click()

    page.get_by_label("Title").first.fill("Quarterly Southern Cone review")
    page.locator("select[name=status]").select_option("scheduled")
    page.locator("select[name=time_zone]").select_option("America/Sao_Paulo")
    page.locator("input[name=starts_at]").fill(f"{holiday.isoformat()}T10:00")
    page.locator("input[name=ends_at]").fill(f"{holiday.isoformat()}T12:00")
    page.get_by_label("Brazil", exact=True).first.check()
    page.get_by_label("Colombia", exact=True).first.check()
    page.locator("select[name=repeat-frequency]").select_option("quarterly")
    page.locator("input[name=repeat-count]").fill("4")
    released_to_all = page.get_by_label("Released to all partners")
    if released_to_all.count():
        released_to_all.check()
    page.get_by_role("button", name="Create meeting").click()

    # The holiday is a warning the scheduler must confirm, not a silent save.
    warning = page.get_by_role("alert").filter(has_text="public holiday in Brazil")
    expect(warning.first).to_be_visible()
    expect(warning.first).to_contain_text(holiday_name)
    assert not MeetingSeries.objects.filter(
        title="Quarterly Southern Cone review"
    ).exists()

    page.get_by_label("I have read these warnings and want to schedule anyway").check()
    page.get_by_role("button", name="Create meeting").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Quarterly Southern Cone review #1"
    )
    series = MeetingSeries.objects.get(title="Quarterly Southern Cone review")
    occurrences = list(series.occurrences.order_by("occurrence_number"))
    assert [m.occurrence_number for m in occurrences] == [1, 2, 3, 4]
    assert (
        occurrences[0]
        .starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=-3)))
        .hour
        == 10
    )
    assert page.console_errors == []
