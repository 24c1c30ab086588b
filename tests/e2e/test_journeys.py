"""End-to-end journeys in a real browser (Playwright + Debian's Chromium), each run
in English and in Spanish.

Every label, button and heading the tests look for comes from the project's catalogue
(``t()``), and every nation name from ``str(nation)`` in the reader's language, so a
run checks that the page shows what the catalogue says in that language. The test and
the live server run in one process and share the catalogues: without a compiled
Spanish catalogue both fall back to the English msgid (or to Django's own Spanish, for
Django's own strings), so the journeys pass in English first and check the Spanish
text as soon as locale/es is compiled.

A failed journey leaves a full-page screenshot of each browser page it used in
test-artifacts/, named after the test and its parameters.
"""

import datetime
import re
import zoneinfo
from pathlib import Path

import holidays
import icalendar
import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from playwright.sync_api import expect

from cooperation import briefings, services
from cooperation.forms.common import ReleasabilityForm
from cooperation.forms.meetings import ConfirmWarningsForm, MeetingForm, RepeatForm
from cooperation.forms.recommendations import RecommendationTransitionForm
from cooperation.models import (
    AssessmentMeeting,
    Briefing,
    Document,
    FocusArea,
    Initiative,
    MeetingSeries,
    Nation,
    Recommendation,
    SituationAssessment,
    User,
)
from cooperation.picture import active_focus_areas
from cooperation.services.scheduling import nation_holiday
from tests.factories import MINIMAL_PDF
from tests.test_briefings import PdfText, pdf_pages

from .conftest import ARTIFACTS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ("en", "es")
HELD_MEETING = "Regional situation assessment, SOUTHCOM headquarters"
SERIES_TITLE = "Quarterly Southern Cone review"
# Released to all partners in the demo data, Brazil among the addressed nations.
CYBER_RECOMMENDATION = "Staff a cyber-incident point of contact around the clock"
DISASTER_INITIATIVE = "Regional disaster-response protocols"
# What Chromium logs to the console for a page answered with 403 or 404.
FORBIDDEN_LOGGED = (
    "Failed to load resource: the server responded with a status of 403 (Forbidden)"
)
NOT_FOUND_LOGGED = (
    "Failed to load resource: the server responded with a status of 404 (Not Found)"
)


# ------------------------------------------------------------------------ helpers


def focus_area_name(lang, name):
    """The focus area named ``name`` (in English) as the reader of ``lang`` sees it."""
    focus_area = FocusArea.objects.get(name=name)
    with translation.override(lang):
        return focus_area.display_name


def local_date(lang, day):
    """``day`` as the portal writes a date in ``lang`` (never ISO)."""
    with translation.override(lang):
        return date_format(day, "DATE_FORMAT")


def t(lang, message):
    """``message`` (a msgid, or a lazy string such as a label) in ``lang``."""
    with translation.override(lang):
        if isinstance(message, str):
            return translation.gettext(message)
        return str(message)


def tn(lang, singular, plural, count):
    with translation.override(lang):
        return translation.ngettext(singular, plural, count)


def field_label(lang, model, name):
    """The label a ModelForm gives ``model.name``: its verbose name, capitalised."""
    return capfirst(t(lang, model._meta.get_field(name).verbose_name))


def form_label(lang, form_class, name):
    return t(lang, form_class.base_fields[name].label)


def nation_name(lang, code):
    with translation.override(lang):
        return str(Nation.objects.get(iso_alpha2=code))


def language_name(lang):
    """How the language menu names ``lang``: in that language, capitalised."""
    return capfirst(translation.get_language_info(lang)["name_local"])


def exactly(text):
    """``text`` as the whole accessible name, allowing crispy's required asterisk."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def choose(page, combobox, text):
    """Type ``text`` into an autocomplete chooser and pick what it finds: a person
    is offered with their nation, "Camila Restrepo (Colombia)"."""
    combobox.fill(text)
    page.get_by_role(
        "option", name=re.compile(rf"^{re.escape(text)}( \(.+\))?$")
    ).click()


def other_language(lang):
    return next(code for code in LANGUAGES if code != lang)


def set_language(username, lang):
    User.objects.filter(username=username).update(language=lang)


def log_in(page, username, lang):
    """Log in through the login page, which follows the browser's language."""
    page.set_extra_http_headers({"Accept-Language": lang})
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", name=t(lang, "Log in"), level=1)).to_be_visible()
    page.get_by_label(exactly(field_label(lang, User, "username"))).fill(username)
    page.get_by_label(exactly(t(lang, "Password"))).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t(lang, "Log in")).click()
    page.wait_for_url("**/")


WRITTEN_IN_LABELS = (
    "Written in English",
    "Written in Spanish",
    "Written in Portuguese",
)


def expect_page(page, lang, heading, *, level=1):
    """The page is in ``lang``: its ``<html lang>`` and one of its headings, named
    ``heading`` (then, for a record written in another language than ``lang``,
    the "Written in …" of its badge)."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    badges = "|".join(re.escape(t(lang, label)) for label in WRITTEN_IN_LABELS)
    name = re.compile(rf"^{re.escape(heading)}(\s+({badges}))?$")
    expect(page.get_by_role("heading", name=name, level=level)).to_be_visible()


def navigate(page, lang, msgid):
    page.get_by_role("navigation", name=t(lang, "Main navigation")).get_by_role(
        "link", name=t(lang, msgid), exact=True
    ).click()


def definition(page, term):
    """The ``<dd>`` that follows the ``<dt>`` named ``term``."""
    return (
        page.locator("dt")
        .filter(has_text=exactly(term))
        .locator("xpath=following-sibling::dd[1]")
    )


def expect_absent(page, role, name):
    expect(page.get_by_role(role, name=name, exact=True)).to_have_count(0)


@pytest.fixture(params=LANGUAGES)
def lang(request):
    return request.param


@pytest.fixture
def other_browser_page(browser, live_server, request):
    """Open a page in a browser context of its own (a second person at another
    computer); like ``page``, it is screenshotted when the test fails."""
    opened = []

    def open_page(label):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.console_errors = []
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                page.console_errors.append(message.text)
                if message.type == "error"
                else None
            ),
        )
        opened.append((label, page))
        return page

    yield open_page
    report = getattr(request.node, "rep_call", None)
    for label, page in opened:
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(
                path=str(ARTIFACTS / f"{request.node.name}-{label}.png"),
                full_page=True,
            )
        page.context.close()


# ------------------------------------------------- 1. the coordinator schedules


def next_brazilian_weekday_holiday(after):
    """The first Brazilian public holiday on a weekday, at least a week ahead."""
    day = after + datetime.timedelta(days=7)
    calendar = holidays.country_holidays("BR", years=range(day.year, day.year + 2))
    while day not in calendar or day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def holiday_name(lang, day):
    """Brazil's holiday on ``day`` as the portal names it to a reader of ``lang``."""
    with translation.override(lang):
        return nation_holiday(Nation.objects.get(iso_alpha2="BR"), day)


def test_coordinator_schedules_a_quarterly_series_inviting_brazil_and_colombia(
    page, lang
):
    holiday = next_brazilian_weekday_holiday(datetime.date.today())
    set_language("coordinator", lang)
    # The liaisons read their mail in a language other than the scheduler's page, so
    # the invitations must follow each recipient, not the request.
    set_language("colombia", other_language(lang))
    set_language("brazil", "pt-br")
    log_in(page, "coordinator", lang)
    expect_page(page, lang, t(lang, "Dashboard"))

    navigate(page, lang, "Meetings")
    expect_page(page, lang, t(lang, "Situation-assessment meetings"))
    page.get_by_role("link", name=t(lang, "New meeting"), exact=True).click()
    expect_page(page, lang, t(lang, "New meeting"))

    meeting = page.get_by_role("group", name=t(lang, "Meeting"), exact=True)
    meeting.get_by_label(exactly(field_label(lang, AssessmentMeeting, "title"))).fill(
        SERIES_TITLE
    )
    meeting.get_by_label(
        exactly(field_label(lang, AssessmentMeeting, "status"))
    ).select_option(label=t(lang, AssessmentMeeting.Status.SCHEDULED.label))
    meeting.get_by_label(
        exactly(form_label(lang, MeetingForm, "time_zone"))
    ).select_option("America/Sao_Paulo")
    meeting.get_by_label(exactly(form_label(lang, MeetingForm, "starts_at"))).fill(
        f"{holiday.isoformat()}T10:00"
    )
    meeting.get_by_label(exactly(form_label(lang, MeetingForm, "ends_at"))).fill(
        f"{holiday.isoformat()}T12:00"
    )
    nations = meeting.get_by_role(
        "group", name=exactly(field_label(lang, AssessmentMeeting, "nations"))
    )
    nations.get_by_label(nation_name(lang, "BR"), exact=True).check()
    nations.get_by_label(nation_name(lang, "CO"), exact=True).check()
    attendees = meeting.get_by_role(
        "combobox", name=exactly(field_label(lang, AssessmentMeeting, "attendees"))
    )
    for person in ("Camila Restrepo", "Rafael Oliveira"):
        choose(page, attendees, person)

    repeat = page.get_by_role("group", name=t(lang, "Repeat"), exact=True)
    repeat.get_by_label(
        exactly(form_label(lang, RepeatForm, "frequency"))
    ).select_option(label=t(lang, MeetingSeries.Frequency.QUARTERLY.label))
    repeat.get_by_label(exactly(form_label(lang, RepeatForm, "count"))).fill("4")
    page.get_by_role("group", name=t(lang, "Releasability"), exact=True).get_by_label(
        exactly(form_label(lang, ReleasabilityForm, "released_to_all"))
    ).check()
    page.get_by_role("button", name=t(lang, "Create meeting"), exact=True).click()

    # The holiday is a warning the scheduler must confirm, not a silent save.
    holiday_warning = t(
        lang, "%(date)s is a public holiday in %(nation)s: %(name)s."
    ) % {
        "date": local_date(lang, holiday),
        "nation": nation_name(lang, "BR"),
        "name": holiday_name(lang, holiday),
    }
    expect(
        page.get_by_role("alert").filter(has_text=holiday_warning).first
    ).to_be_visible()
    expect_page(page, lang, t(lang, "New meeting"))
    assert not MeetingSeries.objects.filter(title=SERIES_TITLE).exists()
    assert mail.outbox == []

    page.get_by_label(
        exactly(form_label(lang, ConfirmWarningsForm, "confirm_warnings"))
    ).check()
    page.get_by_role("button", name=t(lang, "Create meeting"), exact=True).click()

    expect_page(page, lang, f"{SERIES_TITLE} #1")
    scheduled = tn(
        lang,
        "Series “%(title)s” scheduled: %(count)d meeting.",
        "Series “%(title)s” scheduled: %(count)d meetings.",
        4,
    ) % {"title": SERIES_TITLE, "count": 4}
    expect(page.get_by_role("alert").first).to_contain_text(scheduled)
    series = MeetingSeries.objects.get(title=SERIES_TITLE)
    occurrences = list(series.occurrences.order_by("occurrence_number"))
    assert [m.occurrence_number for m in occurrences] == [1, 2, 3, 4]
    sao_paulo = zoneinfo.ZoneInfo("America/Sao_Paulo")
    assert [m.starts_at.astimezone(sao_paulo).hour for m in occurrences] == [10] * 4

    # The invited nations are on each occurrence's page; the series links them up.
    for number in (1, 2, 3, 4):
        expect_page(page, lang, f"{SERIES_TITLE} #{number}")
        expect_page(page, lang, t(lang, "Agenda"), level=2)
        expect(
            page.get_by_text(
                t(lang, "Occurrence %(number)s of %(total)s in this series.")
                % {"number": number, "total": 4}
            )
        ).to_be_visible()
        participating = definition(page, t(lang, "Participating nations"))
        for code in ("BR", "CO"):
            expect(
                participating.get_by_role(
                    "link", name=nation_name(lang, code), exact=True
                )
            ).to_be_visible()
        next_link = page.get_by_role("link", name=t(lang, "Next occurrence"))
        if number < 4:
            next_link.click()
        else:
            expect(next_link).to_have_count(0)

    # Each liaison is sent one invitation for the whole series, in their own
    # language: one recurring calendar entry of four occurrences.
    liaisons = {
        user.email: user
        for user in User.objects.filter(username__in=["colombia", "brazil"])
    }
    assert sorted(message.to[0] for message in mail.outbox) == sorted(liaisons)
    for email, user in liaisons.items():
        (message,) = [message for message in mail.outbox if message.to == [email]]
        assert message.extra_headers["Content-Language"] == user.mail_language
        assert message.subject == tn(
            user.mail_language,
            "Invitation: %(title)s (%(counter)s meeting)",
            "Invitation: %(title)s (%(counter)s meetings)",
            4,
        ) % {"title": SERIES_TITLE, "counter": 4}
        (_name, content, _type) = message.attachments[0]
        (event,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
        assert event["RRULE"]["COUNT"] == [4]
        assert event["RRULE"]["FREQ"] == ["MONTHLY"]
    assert page.console_errors == []


# --------------------------- 2. the Colombian liaison records and recommends


def test_colombian_liaison_records_assessment_raises_and_accepts_recommendation(
    page, lang
):
    # Stored in the other language: the menu switches it to this run's language.
    set_language("colombia", other_language(lang))
    log_in(page, "colombia", lang)
    expect_page(page, other_language(lang), t(other_language(lang), "Dashboard"))

    page.get_by_role(
        "navigation", name=t(other_language(lang), "Main navigation")
    ).get_by_role("button", name="Camila Restrepo").click()
    page.get_by_role("button", name=language_name(lang), exact=True).click()
    expect_page(page, lang, t(lang, "Dashboard"))
    assert User.objects.get(username="colombia").language == lang

    # Opens an initiative from the navigation.
    navigate(page, lang, "Initiatives")
    expect_page(page, lang, t(lang, "Initiatives"))
    page.get_by_role(
        "link", name="Counter-narcotics joint task force", exact=True
    ).click()
    expect_page(page, lang, "Counter-narcotics joint task force")
    expect(
        page.get_by_role("heading", name=t(lang, "Participants"), level=2)
    ).to_be_visible()

    # Records a situation assessment from the held meeting's page.
    navigate(page, lang, "Meetings")
    expect_page(page, lang, t(lang, "Situation-assessment meetings"))
    page.get_by_role("link", name=HELD_MEETING).first.click()
    expect_page(page, lang, HELD_MEETING)
    expect_page(page, lang, t(lang, "Situation assessments"), level=2)
    page.get_by_role("link", name=t(lang, "Record a situation assessment")).click()
    expect_page(page, lang, t(lang, "Record a situation assessment"))

    def label(name):
        return exactly(field_label(lang, SituationAssessment, name))

    page.get_by_label(label("nation")).select_option(label=nation_name(lang, "CO"))
    page.get_by_label(label("focus_area")).select_option(
        label=focus_area_name(lang, "Community engagement")
    )
    page.get_by_label(label("primary_concern")).fill(
        "Recruitment of minors by armed groups"
    )
    page.get_by_label(
        t(lang, SituationAssessment.Trend.INCREASING.label), exact=True
    ).check()
    page.get_by_label(
        t(lang, SituationAssessment.ThreatLevel.HIGH.label), exact=True
    ).check()
    page.get_by_label(label("summary")).fill(
        "Armed groups recruit in border municipalities."
    )
    page.get_by_role("button", name=t(lang, "Record assessment")).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        t(lang, "Situation assessment of %s recorded.") % nation_name(lang, "CO")
    )
    expect_page(page, lang, t(lang, "Situation assessments"), level=2)
    expect(page.get_by_text("Recruitment of minors by armed groups")).to_be_visible()
    assert SituationAssessment.objects.filter(
        primary_concern="Recruitment of minors by armed groups", nation__iso_alpha2="CO"
    ).exists()

    # Raises a recommendation from the same meeting page.
    page.get_by_role("link", name=t(lang, "Raise a recommendation")).click()
    expect_page(page, lang, t(lang, "New recommendation"))
    page.get_by_label(exactly(field_label(lang, Recommendation, "title"))).fill(
        "Fund school programmes in border municipalities"
    )
    page.get_by_label(exactly(field_label(lang, Recommendation, "description"))).fill(
        "Keep minors in school where armed groups recruit."
    )
    page.get_by_label(
        exactly(field_label(lang, Recommendation, "focus_area"))
    ).select_option(label=focus_area_name(lang, "Community engagement"))
    page.get_by_role(
        "group", name=exactly(field_label(lang, Recommendation, "nations"))
    ).get_by_label(nation_name(lang, "CO"), exact=True).check()
    page.get_by_label(exactly(field_label(lang, Recommendation, "due_date"))).fill(
        (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    )
    page.get_by_role("button", name=t(lang, "Raise recommendation")).click()
    expect_page(page, lang, "Fund school programmes in border municipalities")
    expect_page(page, lang, t(lang, "Description"), level=2)
    recommendation = Recommendation.objects.get(
        title="Fund school programmes in border municipalities"
    )
    reference = recommendation.reference
    expect(page.get_by_role("alert").first).to_contain_text(
        t(lang, "Recommendation %(reference)s was raised.") % {"reference": reference}
    )
    expect(page.get_by_text(reference).first).to_be_visible()

    # Moves it to accepted with a note.
    page.get_by_label(
        exactly(form_label(lang, RecommendationTransitionForm, "to_status"))
    ).select_option(label=t(lang, Recommendation.Status.ACCEPTED.label))
    page.get_by_label(
        exactly(form_label(lang, RecommendationTransitionForm, "note"))
    ).fill("Ministry of Education agreed to co-fund.")
    page.get_by_role("button", name=t(lang, "Change status")).click()
    expect(page.get_by_text("Ministry of Education agreed to co-fund.")).to_be_visible()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED
    assert recommendation.updates.count() == 2

    # Finds it on the dashboard and in the list.
    navigate(page, lang, "Dashboard")
    expect_page(page, lang, t(lang, "Dashboard"))
    expect(page.get_by_role("link", name=reference).first).to_be_visible()
    navigate(page, lang, "Recommendations")
    expect_page(page, lang, t(lang, "Recommendations"))
    expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()
    assert page.console_errors == []


# -------------------------------- 3. the Brazilian liaison reads, and only reads


def test_brazilian_viewer_sees_released_records_without_edit_buttons_and_gets_403(
    page, lang
):
    set_language("brazil", lang)
    log_in(page, "brazil", lang)
    expect_page(page, lang, t(lang, "Dashboard"))

    # A recommendation released to Brazil: shown, with nothing to change it.
    recommendation = Recommendation.objects.get(title=CYBER_RECOMMENDATION)
    assert recommendation.is_visible_to(User.objects.get(username="brazil"))
    navigate(page, lang, "Recommendations")
    expect_page(page, lang, t(lang, "Recommendations"))
    expect_absent(page, "link", t(lang, "New recommendation"))
    page.get_by_role("link", name=recommendation.reference, exact=True).click()
    expect_page(page, lang, CYBER_RECOMMENDATION)
    expect(
        page.get_by_role("heading", name=t(lang, "Description"), level=2)
    ).to_be_visible()
    expect(
        page.get_by_role("link", name=nation_name(lang, "BR"), exact=True)
    ).to_be_visible()
    expect_absent(page, "link", t(lang, "Edit"))
    expect_absent(page, "button", t(lang, "Change status"))
    expect_absent(page, "heading", t(lang, "Change status"))

    response = page.goto(f"/recommendations/{recommendation.reference}/edit/")
    assert response.status == 403
    expect_page(page, lang, t(lang, "You may not do this"))

    # A meeting released to Brazil: shown, with nothing to record or change.
    meeting = AssessmentMeeting.objects.get(title=HELD_MEETING)
    navigate(page, lang, "Meetings")
    expect_page(page, lang, t(lang, "Situation-assessment meetings"))
    expect_absent(page, "link", t(lang, "New meeting"))
    expect_absent(page, "link", t(lang, "Find a time"))
    page.get_by_role("link", name=HELD_MEETING).first.click()
    expect_page(page, lang, HELD_MEETING)
    expect_page(page, lang, t(lang, "Situation assessments"), level=2)
    expect(
        page.get_by_role("link", name=nation_name(lang, "BR"), exact=True).first
    ).to_be_visible()
    for name in (
        "Record a situation assessment",
        "Evaluate an initiative",
        "Raise a recommendation",
    ):
        expect_absent(page, "link", t(lang, name))
    # Neither "Edit meeting" nor the "Edit <nation — focus area>" of each row.
    starts_with_edit = re.compile(rf"^{re.escape(t(lang, 'Edit'))}(\s|$)")
    expect(page.get_by_role("link", name=starts_with_edit)).to_have_count(0)
    expect(page.get_by_text(t(lang, "Cancel meeting"))).to_have_count(0)
    expect_absent(page, "button", t(lang, "Save draft"))

    for path in (
        f"/meetings/{meeting.pk}/edit/",
        f"/meetings/{meeting.pk}/assessments/new/",
        f"/meetings/{meeting.pk}/recommendations/new/",
    ):
        response = page.goto(path)
        assert response.status == 403, path
        expect_page(page, lang, t(lang, "You may not do this"))
    # The only console errors: the four pages answered 403.
    assert page.console_errors == [FORBIDDEN_LOGGED] * 4


# ------------------ 4. the coordinator withdraws a release; Brazil loses sight


def test_withdrawn_release_answers_404_to_brazil_and_leaves_its_list(
    page, other_browser_page, lang
):
    coordinator = User.objects.get(username="coordinator")
    initiative = Initiative.objects.get(title=DISASTER_INITIATIVE)
    # Released to its participants (Brazil among them) rather than to all partners.
    services.record_release(
        record=initiative,
        acting_user=coordinator,
        released_to_all=False,
        released_to=Nation.objects.filter(
            iso_alpha2__in=["PE", "EC", "CL", "BR", "US"]
        ),
    )
    set_language("coordinator", lang)
    set_language("brazil", lang)

    # The Brazilian liaison, at their own computer, sees the initiative.
    brazil = other_browser_page("brazil")
    log_in(brazil, "brazil", lang)
    expect_page(brazil, lang, t(lang, "Dashboard"))
    navigate(brazil, lang, "Initiatives")
    expect_page(brazil, lang, t(lang, "Initiatives"))
    brazil.get_by_role("link", name=DISASTER_INITIATIVE, exact=True).click()
    expect_page(brazil, lang, DISASTER_INITIATIVE)
    expect_page(brazil, lang, t(lang, "Participants"), level=2)
    initiative_url = brazil.url

    # The coordinator withdraws the release to Brazil through the edit form.
    log_in(page, "coordinator", lang)
    expect_page(page, lang, t(lang, "Dashboard"))
    navigate(page, lang, "Initiatives")
    expect_page(page, lang, t(lang, "Initiatives"))
    page.get_by_role("link", name=DISASTER_INITIATIVE, exact=True).click()
    expect_page(page, lang, DISASTER_INITIATIVE)
    expect_page(page, lang, t(lang, "Participants"), level=2)
    page.get_by_role("link", name=t(lang, "Edit"), exact=True).click()
    expect_page(page, lang, t(lang, "Edit %(title)s") % {"title": DISASTER_INITIATIVE})
    releasability = page.get_by_role("group", name=t(lang, "Releasability"), exact=True)
    expect(
        releasability.get_by_label(
            exactly(form_label(lang, ReleasabilityForm, "released_to_all"))
        )
    ).not_to_be_checked()
    released_to_brazil = releasability.get_by_label(nation_name(lang, "BR"), exact=True)
    expect(released_to_brazil).to_be_checked()
    released_to_brazil.uncheck()
    page.get_by_role("button", name=t(lang, "Save changes"), exact=True).click()
    expect_page(page, lang, DISASTER_INITIATIVE)
    expect_page(page, lang, t(lang, "Participants"), level=2)
    expect(page.get_by_role("alert").first).to_contain_text(
        t(lang, "Initiative “%(title)s” saved.") % {"title": DISASTER_INITIATIVE}
    )
    released_to = definition(page, t(lang, "Released to"))
    expect(released_to).to_contain_text(nation_name(lang, "PE"))
    expect(released_to).not_to_contain_text(nation_name(lang, "BR"))
    assert sorted(initiative.released_to.values_list("iso_alpha2", flat=True)) == [
        "CL",
        "EC",
        "PE",
        "US",
    ]

    # The Brazilian liaison's page now answers 404, as if it had never existed.
    response = brazil.reload()
    assert response.status == 404
    expect_page(brazil, lang, t(lang, "Page not found"))
    expect(brazil.get_by_text(DISASTER_INITIATIVE)).to_have_count(0)
    assert brazil.url == initiative_url
    navigate(brazil, lang, "Initiatives")
    expect_page(brazil, lang, t(lang, "Initiatives"))
    expect(brazil.get_by_role("link", name=DISASTER_INITIATIVE)).to_have_count(0)
    expect(
        brazil.get_by_role(
            "link", name="Southern Partners joint training exercise programme"
        )
    ).to_be_visible()
    assert page.console_errors == []
    assert brazil.console_errors == [NOT_FOUND_LOGGED]


# ------------------------- 5. the coordinator takes a PDF briefing to the meeting


def regional_marking(username, lang):
    """The releasability marking of ``username``'s regional briefing as of today,
    in ``lang``: what every page of their PDF must carry."""
    user = User.objects.get(username=username)
    zone = zoneinfo.ZoneInfo(user.time_zone)
    with translation.override(lang), timezone.override(zone):
        return briefings.regional_briefing(
            user, as_of=timezone.localdate(), focus_areas=active_focus_areas()
        ).marking.text


@pytest.mark.parametrize("lang", ["en", "es", "pt-br"])
def test_coordinator_goes_from_the_dashboard_to_a_pdf_briefing_in_three_clicks(
    page, lang
):
    set_language("coordinator", lang)
    log_in(page, "coordinator", lang)
    expect_page(page, lang, t(lang, "Dashboard"))
    clicks = 0

    navigate(page, lang, "Regional picture")
    clicks += 1
    expect_page(page, lang, t(lang, "Regional picture"))
    # The button asks the worker for the PDF; the briefing's page that follows
    # starts the download by itself once it is made.
    with page.expect_download(timeout=30_000) as started:
        page.get_by_role("button", name=t(lang, "Briefing as PDF"), exact=True).click()
        clicks += 1
    download = started.value

    assert clicks <= 3  # the download included, which needs no click of its own
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    briefing = Briefing.objects.get(requested_by__username="coordinator")
    assert (briefing.status, briefing.language) == (Briefing.Status.READY, lang)
    assert data == bytes(briefing.pdf)
    pages = pdf_pages(data)
    marking = regional_marking("coordinator", lang)
    for number, text in enumerate(pages, start=1):
        assert marking in text, number
        assert f"{number} / {len(pages)}" in text, number
    whole = " ".join(pages)
    for heading in ("Regional picture", "Bottom line up front", "Recommendations"):
        assert t(lang, heading) in PdfText(whole), heading
    expect_page(page, lang, t(lang, "Regional picture"))
    assert page.console_errors == []


# ------------------------------------------------- every page fits the screen


def calendar_heading(lang, username):
    """The calendar's heading: this month, in the user's zone and language."""
    user = User.objects.get(username=username)
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(user.time_zone))
    with translation.override(lang):
        month = formats.date_format(today.replace(day=1), "YEAR_MONTH_FORMAT")
    return t(lang, "Meetings in %(month)s") % {"month": month}


@pytest.mark.parametrize("lang", ["en", "es", "pt-br"])
@pytest.mark.parametrize("username", ["colombia", "coordinator"])
@pytest.mark.parametrize("width", [1280, 992, 390])
def test_pages_fit_the_screen_without_console_errors_at_desktop_and_phone_width(
    page, width, username, lang, tmp_path
):
    set_language(username, lang)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, username, lang)
    meeting = AssessmentMeeting.objects.get(title=HELD_MEETING)
    recommendation = Recommendation.objects.order_by("reference").first()
    pages = (
        ("/", t(lang, "Dashboard"), 1),
        ("/nations/", t(lang, "Nations"), 1),
        ("/nations/CO/", t(lang, "Upcoming meetings"), 2),
        ("/initiatives/", t(lang, "Initiatives"), 1),
        ("/meetings/", t(lang, "Situation-assessment meetings"), 1),
        ("/recommendations/", t(lang, "Recommendations"), 1),
        ("/profile/", t(lang, "Your profile"), 1),
        ("/calendar/", calendar_heading(lang, username), 1),
        ("/picture/", t(lang, "Regional picture"), 1),
        (meeting.get_absolute_url(), t(lang, "Agenda"), 2),
        (recommendation.get_absolute_url(), t(lang, "Description"), 2),
    )
    for path, heading, level in pages:
        response = page.goto(path)
        assert response.status == 200, path
        expect_page(page, lang, heading, level=level)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
        page.screenshot(path=str(tmp_path / f"{path.strip('/') or 'home'}.png"))
    assert page.console_errors == []


# ------------- issue 15: progress updates and comments on a timeline; My work


@pytest.mark.parametrize("lang", ["en", "pt-br"])
def test_owner_posts_progress_a_viewer_comments_and_my_work_shows_overdue_first(
    page, other_browser_page, lang
):
    from cooperation import my_work
    from cooperation.forms.recommendations import (
        RecommendationCommentForm,
        RecommendationProgressForm,
    )

    coordinator = User.objects.get(username="coordinator")
    recommendation = Recommendation.objects.get(title=CYBER_RECOMMENDATION)
    assert recommendation.owner == coordinator
    first = my_work.owned_recommendations(coordinator).first()
    assert first.is_overdue()
    # Days late as of the reader's day, in their own time zone.
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(coordinator.time_zone))
    days_late = (today - first.due_date).days

    # My work, from the navigation bar: the most overdue recommendation first.
    set_language("coordinator", lang)
    log_in(page, "coordinator", lang)
    navigate(page, lang, "My work")
    expect_page(page, lang, t(lang, "My work"))
    owned = page.locator(".my-work-recommendations > li")
    expect(owned.first).to_contain_text(first.reference)
    expect(owned.first).to_contain_text(
        tn(lang, "%(days)s day late", "%(days)s days late", days_late)
        % {"days": days_late}
    )

    # The owner posts a progress update: the status stays as it was.
    page.goto(recommendation.get_absolute_url())
    expect_page(page, lang, CYBER_RECOMMENDATION)
    # Its own card: the status change beside it has a progress field too.
    progress = page.get_by_role("region", name=t(lang, "Post a progress update"))
    progress.get_by_label(
        exactly(form_label(lang, RecommendationProgressForm, "progress"))
    ).fill("45")
    progress.get_by_label(
        exactly(form_label(lang, RecommendationProgressForm, "note"))
    ).fill("Three of five partners have named a contact.")
    progress.get_by_role("button", name=t(lang, "Post the update")).click()
    timeline = page.locator(".recommendation-timeline")
    expect(timeline.locator(".timeline-progress").last).to_contain_text(
        "Three of five partners have named a contact."
    )
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.progress) == (
        Recommendation.Status.ACCEPTED,
        45,
    )

    # A Brazilian Viewer sees the update and comments; no progress form for them.
    set_language("brazil", lang)
    viewer_page = other_browser_page("brazil")
    log_in(viewer_page, "brazil", lang)
    viewer_page.goto(recommendation.get_absolute_url())
    expect_page(viewer_page, lang, CYBER_RECOMMENDATION)
    expect_absent(viewer_page, "heading", t(lang, "Post a progress update"))
    viewer_timeline = viewer_page.locator(".recommendation-timeline")
    expect(viewer_timeline).to_contain_text(
        "Three of five partners have named a contact."
    )
    viewer_page.get_by_label(
        exactly(form_label(lang, RecommendationCommentForm, "note"))
    ).fill("Brazil names its contact next week.")
    viewer_page.get_by_role("button", name=t(lang, "Add the comment")).click()
    expect(viewer_page.get_by_text(t(lang, "Your comment was added."))).to_be_visible()
    expect(viewer_timeline.locator(".timeline-comment").last).to_contain_text(
        "Brazil names its contact next week."
    )
    expect(viewer_timeline.locator(".timeline-comment").last).to_contain_text(
        "Rafael Oliveira"
    )
    assert viewer_page.console_errors == []


# ------------------------- issue 15: one search from the navbar; saved filters

CYBER_INITIATIVE = "Regional cybersecurity collaboration framework"
# The list as saved: its filter and the sort in force, nothing else.
SAVED_ACCEPTED = re.compile(r"/recommendations/\?status=accepted&sort=-?\w+$")


def test_liaison_searches_from_the_navbar_and_reopens_a_saved_filter(page, lang):
    # A desktop screen (1400 px and more) shows the search box in the bar; a
    # laptop's shows a link to the search page (the bar must fit on one line).
    page.set_viewport_size({"width": 1440, "height": 900})
    set_language("colombia", lang)
    log_in(page, "colombia", lang)
    recommendation = Recommendation.objects.get(title=CYBER_RECOMMENDATION)

    # The search box of the navigation bar: an initiative (by its title) and a
    # recommendation (by its description), each with its matches marked.
    navbar = page.get_by_role("navigation", name=t(lang, "Main navigation"))
    navbar.get_by_label(t(lang, "Search the portal")).fill("framework")
    navbar.get_by_role("button", name=t(lang, "Search"), exact=True).click()
    expect_page(page, lang, t(lang, "Search"))
    initiatives = page.locator("#search-initiatives")
    expect(
        initiatives.get_by_role("heading", name=re.compile(t(lang, "Initiatives")))
    ).to_be_visible()
    expect(
        initiatives.get_by_role("link", name=CYBER_INITIATIVE, exact=True)
    ).to_be_visible()
    expect(initiatives.locator("mark").first).to_have_text("framework")
    recommendations = page.locator("#search-recommendations")
    found = recommendations.get_by_role(
        "link", name=f"{recommendation.reference} {CYBER_RECOMMENDATION}"
    )
    expect(found).to_be_visible()
    expect(recommendations.locator(".search-snippet mark").first).to_have_text(
        "framework"
    )
    found.click()
    expect_page(page, lang, CYBER_RECOMMENDATION)

    # The recommendations list, filtered, saved under a name...
    navigate(page, lang, "Recommendations")
    expect_page(page, lang, t(lang, "Recommendations"))
    page.get_by_role("checkbox", name=capfirst(t(lang, "Accepted"))).check()
    page.get_by_role("button", name=t(lang, "Apply filters")).click()
    page.get_by_label(t(lang, "Save these filters as")).fill("Accepted, mine to watch")
    page.get_by_role("button", name=t(lang, "Save these filters")).click()
    expect(page).to_have_url(SAVED_ACCEPTED)

    # ... and opened again from the menu, from another page.
    navigate(page, lang, "Dashboard")
    expect_page(page, lang, t(lang, "Dashboard"))
    navbar.locator(".dropdown-toggle").last.click()
    navbar.get_by_role("link", name=re.compile("^Accepted, mine to watch")).click()
    expect(page).to_have_url(SAVED_ACCEPTED)
    expect(
        page.get_by_role("checkbox", name=capfirst(t(lang, "Accepted")))
    ).to_be_checked()
    assert page.console_errors == []


# ------------------- issue 15: an Editor attaches evidence to a recommendation


def test_editor_uploads_a_pdf_on_a_recommendation_sees_it_listed_and_downloads_it(
    page, lang
):
    set_language("colombia", lang)
    recommendation = Recommendation.objects.get(title=CYBER_RECOMMENDATION)
    log_in(page, "colombia", lang)
    page.goto(recommendation.get_absolute_url())
    expect_page(page, lang, CYBER_RECOMMENDATION)
    documents = page.locator("#documents")
    expect(
        documents.get_by_role("heading", name=t(lang, "Documents"), level=2)
    ).to_be_visible()

    # A program named like a PDF is refused, with the reason.
    documents.get_by_text(t(lang, "Add a document"), exact=True).click()
    title_field = page.get_by_label(exactly(field_label(lang, Document, "title")))
    file_field = page.get_by_label(exactly(t(lang, "File")))
    title_field.fill("Disguised program")
    file_field.set_input_files(
        {
            "name": "report.pdf",
            "mimeType": "application/pdf",
            "buffer": b"MZ" + bytes(512),
        }
    )
    page.get_by_role("button", name=t(lang, "Upload")).click()
    expect(
        page.get_by_text(
            t(
                lang,
                "This file is a program, not a document, whatever its name: "
                "programs cannot be uploaded.",
            )
        )
    ).to_be_visible()
    assert not Document.objects.filter(title="Disguised program").exists()

    # A real PDF is added, listed on the recommendation and downloaded as it was.
    page.get_by_label(exactly(field_label(lang, Document, "title"))).fill(
        "Duty roster of the 24/7 point of contact"
    )
    page.get_by_label(exactly(t(lang, "File"))).set_input_files(
        {
            "name": "duty roster.pdf",
            "mimeType": "application/pdf",
            "buffer": MINIMAL_PDF,
        }
    )
    page.get_by_role("button", name=t(lang, "Upload")).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        t(lang, "The document “%(title)s” was added.")
        % {"title": "Duty roster of the 24/7 point of contact"}
    )
    expect_page(page, lang, CYBER_RECOMMENDATION)
    link = page.locator("#documents").get_by_role(
        "link", name="Duty roster of the 24/7 point of contact", exact=True
    )
    expect(link).to_be_visible()
    expect(page.locator("#documents").get_by_text("duty_roster.pdf")).to_be_visible()
    with page.expect_download() as downloaded:
        link.click()
    download = downloaded.value
    assert download.suggested_filename == "duty_roster.pdf"
    assert Path(download.path()).read_bytes() == MINIMAL_PDF
    document = Document.objects.get(title="Duty roster of the 24/7 point of contact")
    assert document.recommendation == recommendation
    # The refusal is a 400 page, which Chromium logs; nothing else may be.
    refused = "the server responded with a status of 400 (Bad Request)"
    assert [error for error in page.console_errors if refused not in error] == []
