"""Accessibility in a real browser: axe-core on every page, labels, keyboard, colours.

Issue 6, part 4: every page passes axe-core (axe-playwright-python) with no serious or
critical violation; every form field has a label; everything works with the keyboard;
status colours always come with text.

The axe tests crawl the portal the way a user does: from the dashboard they follow
every same-origin link, opening each kind of page (one URL pattern with one set of
query parameter names) at most twice, and they also open what no link leads to: forms
sent back with their errors, the anonymous pages, the 403 and 404 pages. Every serious
or critical violation of a crawl is collected and reported at once.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.urls import Resolver404, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from cooperation.models import (
    AssessmentMeeting,
    Nation,
    Recommendation,
    User,
)
from tests import factories

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING_IMPACTS = {"serious", "critical"}
INSTANCES_PER_KIND = 2

# The HTML pages of the portal that answer GET: the crawl must reach every one.
# Left out: health probes, downloads and feeds, and the views that only take a POST.
NOT_PAGES = {
    "healthz",
    "readyz",
    "meeting-ics",
    "meeting-series-ics",
    "calendar-feed",
    "meeting-rsvp",
    "meeting-cancel",
    "meeting-minutes-publish",
    "recommendation-transition",
    "language-switch",
    # A document's file, downloaded (its links carry ``download``).
    "document-download",
    # Buttons of the notifications page, the profile and a recommendation's page.
    "notification-read",
    "notification-read-all",
    "notification-preferences",
    "recommendation-follow",
    # Briefings: the PDF buttons and "Try again" take a POST; the PDF is a download;
    # a briefing's own page is reached only after that POST (tests/test_briefings.py
    # renders it in every state).
    "meeting-briefing-pdf",
    "regional-briefing-pdf",
    "briefing",
    "briefing-pdf",
    "briefing-retry",
    # The forms of a recommendation's timeline and of the lists' saved filters.
    "recommendation-comment",
    "recommendation-progress",
    "saved-filter-save",
    "saved-filter-delete",
    # JSON searches behind the autocomplete choosers, not pages.
    "lookup-users",
    "lookup-initiatives",
    "lookup-meetings",
    "lookup-recommendations",
}
# Reached by the coordinator (an editor); the read-only liaison sees no form to edit.
EDIT_PAGES = {
    "initiative-create",
    "initiative-edit",
    "meeting-create",
    "meeting-edit",
    "meeting-find-time",
    "assessment-create",
    "assessment-edit",
    "evaluation-create",
    "evaluation-edit",
    "meeting-recommendation-create",
    "meeting-minutes",
    "recommendation-create",
    "recommendation-edit",
    "meeting-document-add",
    "recommendation-document-add",
    "initiative-document-add",
    "document-replace",
    "document-delete",
}
# What the crawls check today: pages opened (forms sent back with errors included),
# and, with some slack for the demo data, the status colours and form controls met.
# Fewer means the crawl broke, not that the portal shrank.
MIN_COORDINATOR_PAGES = 94
MIN_BRAZIL_PAGES = 64
MIN_STATUS_COLOURS = 150  # 187 today
MIN_NAMED_CONTROLS = 750  # 948 today

# What a user fills in: every control but hidden fields and buttons.
FORM_CONTROLS = (
    "input:not([type=hidden]):not([type=submit]):not([type=button])"
    ":not([type=reset]):not([type=image]), select, textarea"
)
# Status colours: Bootstrap's badges and its coloured backgrounds.
STATUS_COLOURS = (
    ".badge, [class*='text-bg-'], .bg-danger, .bg-warning, .bg-success, .bg-info"
)


def portal_page_names():
    from cooperation.urls import urlpatterns

    return {
        f"cooperation:{pattern.name}"
        for pattern in urlpatterns
        if pattern.name not in NOT_PAGES
    }


def url_name(path):
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def kind_of(url):
    """A kind of page: its URL pattern (so no ids) and its query parameter names."""
    parts = urlsplit(url)
    keys = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return url_name(parts.path) or parts.path, tuple(sorted(keys))


def is_followed(link, origin):
    """Same-origin pages only: no download, feed, export, admin page or logout."""
    parts = urlsplit(link["href"])
    if f"{parts.scheme}://{parts.netloc}" != origin or link["download"]:
        return False
    path = parts.path
    if path.startswith(("/admin/", "/accounts/logout")):
        return False
    if path.endswith((".csv", ".ics")) or "export" in path or "feed" in path:
        return False
    if "format" in dict(parse_qsl(parts.query)):
        return False
    return (url_name(path) or "").removeprefix("cooperation:") not in NOT_PAGES


@dataclass
class Crawl:
    """Pages one browser visited, and what each check found wrong on them."""

    page: object
    checks: list
    visited: list = field(default_factory=list)
    url_names: set = field(default_factory=set)
    problems: list = field(default_factory=list)

    def check(self, label=None):
        label = label or self.page.url.removeprefix(self.origin)
        self.visited.append(label)
        self.url_names.add(url_name(urlsplit(self.page.url).path))
        for check in self.checks:
            self.problems.extend(f"{label}: {problem}" for problem in check(self.page))

    @property
    def origin(self):
        return "{0.scheme}://{0.netloc}".format(urlsplit(self.page.url))

    def open(self, path, *, status=200):
        response = self.page.goto(path)
        if response.status != status:
            self.problems.append(f"{path}: answered {response.status}, not {status}")
        self.check()
        return response

    def follow_links(self, *starts, per_kind_limit=INSTANCES_PER_KIND):
        """Open ``starts`` and every page their links lead to, each kind of page at
        most ``per_kind_limit`` times."""
        queue, seen, per_kind = [], set(), {}
        for start in starts:
            url = self.origin + start
            seen.add(url)
            per_kind[kind_of(url)] = per_kind.get(kind_of(url), 0) + 1
            queue.append(url)
        while queue:
            url = queue.pop(0)
            self.open(url.removeprefix(self.origin))
            links = self.page.eval_on_selector_all(
                "a[href]",
                "links => links.map(a => ({href: a.href, download: a.hasAttribute('download')}))",
            )
            for link in links:
                href = urldefrag(link["href"]).url
                if href in seen or not is_followed(link, self.origin):
                    continue
                seen.add(href)
                kind = kind_of(href)
                if per_kind.get(kind, 0) < per_kind_limit:
                    per_kind[kind] = per_kind.get(kind, 0) + 1
                    queue.append(href)

    def send_with_errors(self, path, *, fill=None):
        """Send the page's main form so that it comes back with its errors, and check it.

        The browser's own validation is turned off first, as a user without
        JavaScript would meet it; the server's messages are what is checked.
        """
        page = self.page
        page.goto(path)
        submit = "button.btn-primary[type=submit]"
        form = page.locator("main form[method=post]").filter(has=page.locator(submit))
        form = form.first
        form.evaluate("form => { form.noValidate = true; }")
        if fill:
            fill(form)
        with page.expect_navigation():
            form.locator(submit).first.click()
        label = f"{path} (sent with errors)"
        errors = page.locator(".invalid-feedback, .alert-danger, .errorlist")
        if not errors.count():
            self.problems.append(f"{label}: the form came back without an error")
        self.check(label)


def axe_check(axe, *, ignored=None):
    """A check listing every serious or critical axe-core violation on the page.

    ``ignored`` maps a rule id to the containers (a CSS selector) inside which its
    violations are not ours to fix; see ADMIN_IGNORED.
    """
    ignored = ignored or {}

    def ours(page, rule, node):
        within = ignored.get(rule)
        return not within or not page.evaluate(
            "([target, within]) => Boolean(document.querySelector(target)?.closest(within))",
            [node["target"][-1], within],
        )

    def check(page):
        results = axe.run(page, options={"resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            nodes = [n for n in violation["nodes"] if ours(page, violation["id"], n)]
            if violation["impact"] in BLOCKING_IMPACTS and nodes:
                targets = ", ".join(" ".join(node["target"]) for node in nodes)
                yield (
                    f"{violation['id']} ({violation['impact']}) on {targets}"
                    f" — {violation['help']}"
                )

    return check


def report(crawl, what):
    return f"{len(crawl.problems)} {what}:\n" + "\n".join(crawl.problems)


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def held_meeting(demo_data):
    """The demo meeting with assessments and evaluations, so their edit links show."""
    return (
        AssessmentMeeting.objects.filter(
            assessments__isnull=False, evaluations__isnull=False
        )
        .order_by("starts_at")
        .first()
    )


@pytest.fixture
def series_meeting(demo_data):
    """The demo series' first occurrence, whose page links the series' download."""
    return (
        AssessmentMeeting.objects.filter(series__isnull=False)
        .order_by("starts_at")
        .first()
    )


def send_editor_forms_with_errors(crawl, held_meeting):
    meeting = held_meeting.pk
    # The demo has no documents: one on the meeting, for its version and delete pages.
    document = factories.DocumentFactory(
        recommendation=None, meeting=held_meeting, uploaded_by=held_meeting.chair
    )
    crawl.open(reverse("cooperation:document-delete", args=[document.pk]))
    recommendation = Recommendation.objects.filter(released_to_all=True).first()
    for path in (
        reverse("cooperation:meeting-document-add", args=[meeting]),
        reverse(
            "cooperation:recommendation-document-add", args=[recommendation.reference]
        ),
        reverse(
            "cooperation:initiative-document-add",
            args=[held_meeting.evaluations.first().initiative_id],
        ),
        reverse("cooperation:document-replace", args=[document.pk]),
        reverse("cooperation:initiative-create"),
        reverse("cooperation:meeting-create"),
        reverse("cooperation:recommendation-create"),
        reverse("cooperation:assessment-create", args=[meeting]),
        reverse("cooperation:evaluation-create", args=[meeting]),
        reverse("password_change"),
    ):
        crawl.send_with_errors(path)
    crawl.send_with_errors(
        reverse("cooperation:profile"),
        fill=lambda form: form.locator("[name=email]").fill("not an e-mail address"),
    )


def test_every_page_the_coordinator_reaches_has_no_serious_axe_violation(
    page, axe, held_meeting, series_meeting
):
    login(page, "coordinator")
    crawl = Crawl(page, [axe_check(axe)])

    crawl.follow_links(
        "/", held_meeting.get_absolute_url(), series_meeting.get_absolute_url()
    )
    send_editor_forms_with_errors(crawl, held_meeting)
    # Find a time is a GET form: its proposals, and the form with its errors.
    find_time = reverse("cooperation:meeting-find-time")
    page.goto(find_time)
    page.get_by_label("Colombia").check()
    page.get_by_role("button", name="Find times").click()
    expect(page.get_by_role("heading", name="Proposed times")).to_be_visible()
    crawl.check(f"{find_time} (proposed times)")
    crawl.open(f"{find_time}?duration=0&first_day=not-a-date")
    expect(page.locator("main .alert-danger")).to_be_visible()
    crawl.open("/no-such-page/", status=404)

    assert not crawl.problems, report(crawl, "problems (axe: serious or critical)")
    missing = (portal_page_names() | {"password_change"}) - crawl.url_names
    assert not missing, f"the crawl never reached {sorted(missing)}"
    assert len(crawl.visited) >= MIN_COORDINATOR_PAGES, crawl.visited


def test_every_page_the_read_only_portuguese_liaison_reaches_has_no_serious_axe_violation(
    page, axe, series_meeting
):
    login(page, "brazil")

    def in_portuguese(page):
        lang = page.locator("html").get_attribute("lang")
        if lang != "pt-br":
            yield f'<html lang="{lang}">, not "pt-br"'

    crawl = Crawl(page, [in_portuguese, axe_check(axe)])
    crawl.follow_links("/", series_meeting.get_absolute_url())
    edit_pages = {f"cooperation:{name}" for name in EDIT_PAGES}
    linked_edit_pages = crawl.url_names & edit_pages
    crawl.open(reverse("cooperation:initiative-create"), status=403)
    crawl.send_with_errors(
        reverse("cooperation:profile"),
        fill=lambda form: form.locator("[name=email]").fill("not an e-mail address"),
    )

    assert not crawl.problems, report(crawl, "problems (axe: serious or critical)")
    missing = portal_page_names() - edit_pages - crawl.url_names
    assert not missing, f"the crawl never reached {sorted(missing)}"
    assert not linked_edit_pages, "a read-only user was shown links to edit pages"
    assert len(crawl.visited) >= MIN_BRAZIL_PAGES, crawl.visited


def test_anonymous_pages_have_no_serious_axe_violation(page, axe):
    crawl = Crawl(page, [axe_check(axe)])
    page.goto("/")  # sends an anonymous visitor to the login page
    crawl.check()
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main .alert-danger")).to_contain_text("correct username")
    crawl.check(f"{page.url.removeprefix(crawl.origin)} (wrong password)")

    crawl.open(reverse("password_reset"))
    crawl.send_with_errors(reverse("password_reset"))
    page.get_by_label("Email").fill("coordinator@example.org")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url(f"**{reverse('password_reset_done')}")
    crawl.check()

    user = User.objects.get(username="coordinator")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    page.goto(reverse("password_reset_confirm", args=[uid, token]))
    crawl.check()  # the form to choose a new password
    crawl.send_with_errors(page.url.removeprefix(crawl.origin))
    crawl.open(reverse("password_reset_confirm", args=[uid, "expired-token"]))
    crawl.open(reverse("password_reset_complete"))

    assert not crawl.problems, report(crawl, "problems (axe: serious or critical)")
    assert len(crawl.visited) == 9, crawl.visited


# Django's own admin markup, which no template of ours renders (Django 6.1):
# - the tabular inlines (admin/edit_inline/tabular.html) name each column in a <th>
#   and give the inputs under it no <label>: rules "label", "select-name" and
#   "label-title-only", and "aria-input-field-name" for a select2 combobox in a row
#   (an agenda item's presenter);
# - the select2 widget of autocomplete_fields (admin/js/vendor/select2) adds a search
#   <input> without a label inside a <ul> that holds a <span>: rules "label", "list".
# Those rules are ignored inside exactly those containers, on admin pages only.
DJANGO_TABULAR_INLINE = ".inline-group .tabular"
DJANGO_SELECT2 = ".select2-container"
ADMIN_IGNORED = {
    "label": f"{DJANGO_TABULAR_INLINE}, {DJANGO_SELECT2}",
    "select-name": DJANGO_TABULAR_INLINE,
    "label-title-only": DJANGO_TABULAR_INLINE,
    "aria-input-field-name": DJANGO_TABULAR_INLINE,
    "list": DJANGO_SELECT2,
}


def test_admin_pages_have_no_serious_axe_violation(page, axe):
    login(page, "admin")
    crawl = Crawl(page, [axe_check(axe, ignored=ADMIN_IGNORED)])
    recommendation = Recommendation.objects.order_by("reference").first()
    meeting = AssessmentMeeting.objects.order_by("starts_at").first()

    crawl.open(reverse("admin:index"))
    crawl.open(reverse("admin:cooperation_recommendation_changelist"))
    crawl.open(
        reverse("admin:cooperation_recommendation_change", args=[recommendation.pk])
    )
    crawl.open(reverse("admin:cooperation_assessmentmeeting_change", args=[meeting.pk]))

    assert not crawl.problems, report(crawl, "problems (axe: serious or critical)")


# Keyboard ---------------------------------------------------------------------------

FOCUS_STATE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgba = colour => (colour.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number);
  // What is behind the outline: the ancestors' backgrounds, laid over white.
  const layers = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const [r, g, b, a = 1] = rgba(getComputedStyle(node).backgroundColor);
    if (a > 0) layers.push([r, g, b, a]);
    if (a >= 1) break;
  }
  const behind = layers.reverse().reduce(
    (under, [r, g, b, a]) => [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)],
    [255, 255, 255],
  );
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase() + (el.type ? `[type=${el.type}]` : ''),
    // False when the focus is on a part of the browser's own widget, such as the
    // calendar button inside a date field, which the browser rings itself.
    focused: el.matches(':focus'),
    text: (el.innerText || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColour: style.outlineColor,
    behind: `rgb(${behind.map(Math.round).join(', ')})`,
    inView: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
  };
}"""


def relative_luminance(css_colour):
    red, green, blue = (int(v) for v in re.findall(r"[\d.]+", css_colour)[:3])

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(first, second):
    lighter, darker = sorted(
        (relative_luminance(first), relative_luminance(second)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def focus_problem(state):
    """Why the keyboard focus is hard to see, or None when it is plain to see.

    It must be on screen with an outline of at least 2px that has 3:1 contrast against
    what is behind it (WCAG 2.4.7 and 1.4.11).
    """
    where = f"<{state['tag']}> “{state['text']}”"
    if not state["inView"]:
        return f"{where} is focused off screen"
    if state["outlineStyle"] in ("none", "hidden") or state["outlineWidth"] < 2:
        return f"{where} has no focus outline ({state['outlineStyle']})"
    ratio = contrast(state["outlineColour"], state["behind"])
    if ratio < 3:
        return (
            f"{where}: focus outline {state['outlineColour']} on {state['behind']}"
            f" has a contrast of {ratio:.1f}:1"
        )
    return None


class Keyboard:
    """Presses keys like a keyboard user and checks the focus can be seen each time."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        self.checked = 0

    def press(self, key, *, navigates=False):
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            return
        self.page.keyboard.press(key)
        state = self.page.evaluate(FOCUS_STATE)
        if state["tag"] == "body" or not state["focused"]:
            return
        self.checked += 1
        if problem := focus_problem(state):
            self.problems.append(problem)

    def tab_to(self, selector, *, limit=40):
        """Press Tab until the focus is on ``selector``."""
        for _ in range(limit):
            self.press("Tab")
            if self.page.evaluate(
                "selector => document.activeElement.matches(selector)", selector
            ):
                return
        raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_keyboard_user_skips_to_content_switches_language_and_filters_a_list(page):
    login(page, "coordinator")
    page.goto("/")
    keys = Keyboard(page)

    # The first Tab shows the skip link; Enter moves on to the page's own content.
    keys.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    keys.press("Enter")
    assert page.url.endswith("#main")
    keys.press("Tab")
    assert page.evaluate(
        "document.querySelector('main').contains(document.activeElement)"
    )

    # The user menu opens with Enter; the arrow keys reach the language buttons.
    page.goto("/")
    keys.tab_to("nav .dropdown-toggle")
    keys.press("Enter")
    expect(page.locator("nav .dropdown-menu")).to_be_visible()
    for _ in range(12):
        keys.press("ArrowDown")
        if page.evaluate("document.activeElement.lang") == "es":
            break
    expect(page.get_by_role("button", name="Español")).to_be_focused()
    keys.press("Enter", navigates=True)
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # The recommendations list, opened from the navigation: type in the search field
    # of its filters and apply them with the space bar.
    keys.tab_to(f"nav a[href='{reverse('cooperation:recommendation-list')}']")
    keys.press("Enter", navigates=True)
    assert urlsplit(page.url).path == reverse("cooperation:recommendation-list")
    reference = Recommendation.objects.order_by("reference").first().reference
    keys.tab_to("form[role=search] [name=q]")
    page.keyboard.type(reference)
    keys.tab_to("form[role=search] button[type=submit]")
    keys.press("Space", navigates=True)
    assert dict(parse_qsl(urlsplit(page.url).query))["q"] == reference
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name=reference)).to_be_visible()

    assert keys.problems == [], "\n".join(keys.problems)
    assert keys.checked >= 20, "the focus was hardly ever checked"


# Labels and colours -----------------------------------------------------------------


def test_every_visible_form_control_has_an_accessible_name(
    page, held_meeting, series_meeting
):
    """Every page once, the forms sent back with errors too. The name is the one
    Playwright computes (the W3C accessible name: <label>, aria-label(ledby), ...);
    the axe crawls above check the same with axe's "label" and "select-name" rules."""
    login(page, "coordinator")
    named = []

    def unnamed_controls(page):
        controls = page.locator(FORM_CONTROLS)
        for index in range(controls.count()):
            control = controls.nth(index)
            if not control.is_visible():
                continue
            try:
                expect(control).to_have_accessible_name(re.compile(r"\S"), timeout=200)
                named.append(control)
            except AssertionError:
                html = control.evaluate("el => el.outerHTML.slice(0, 160)")
                yield f"{html} has no accessible name"

    crawl = Crawl(page, [unnamed_controls])
    crawl.follow_links(
        "/",
        held_meeting.get_absolute_url(),
        series_meeting.get_absolute_url(),
        per_kind_limit=1,
    )
    send_editor_forms_with_errors(crawl, held_meeting)

    assert not crawl.problems, report(crawl, "form controls without a name")
    assert portal_page_names() <= crawl.url_names
    assert len(named) >= MIN_NAMED_CONTROLS, "the crawl met hardly any form control"


def test_status_colours_always_come_with_text(page, held_meeting, series_meeting):
    login(page, "coordinator")
    coloured = []

    def colours_without_text(page):
        """Status colours (badges, coloured backgrounds) with neither text nor label."""
        elements = page.eval_on_selector_all(
            STATUS_COLOURS,
            """elements => elements.filter(el => el.checkVisibility()).map(el => ({
                html: el.outerHTML.slice(0, 160),
                named: Boolean(el.textContent.trim() || el.getAttribute('aria-label')),
            }))""",
        )
        coloured.extend(elements)
        return [
            f"{el['html']} shows a colour without text"
            for el in elements
            if not el["named"]
        ]

    crawl = Crawl(page, [colours_without_text])
    crawl.follow_links(
        "/",
        held_meeting.get_absolute_url(),
        series_meeting.get_absolute_url(),
        per_kind_limit=1,
    )

    assert not crawl.problems, report(crawl, "colours without text")
    # The document forms show no status colour; the demo holds no document to
    # replace or delete (the editors' crawl above reaches them with one).
    documents = {
        f"cooperation:{name}"
        for name in (
            "meeting-document-add",
            "recommendation-document-add",
            "initiative-document-add",
            "document-replace",
            "document-delete",
        )
    }
    assert portal_page_names() - documents <= crawl.url_names
    assert len(coloured) >= MIN_STATUS_COLOURS, "the crawl met hardly any status colour"


def test_threat_level_chart_has_a_text_alternative_and_a_data_table(page):
    nation = (
        Nation.objects.filter(assessments__isnull=False).order_by("iso_alpha2").first()
    )
    login(page, "coordinator")
    page.goto(nation.get_absolute_url())

    # One chart per focus area, each an image named by its focus area and nation
    # and described by its latest level.
    charts = page.locator("svg.threat-chart")
    assert charts.count() > 0
    for index in range(charts.count()):
        chart = charts.nth(index)
        expect(chart).to_have_attribute("role", "img")
        expect(chart).to_have_accessible_name(
            re.compile(
                rf"^Threat level over time, .+, {re.escape(nation.display_name)}$"
            )
        )
        expect(chart).to_have_accessible_description(re.compile("Latest assessment"))
    # The table below the charts gives the same figures: one row per point drawn,
    # each threat level as a word beside its colour.
    section = page.get_by_role("region", name="Situation assessments over time")
    expect(section).to_contain_text("the table below gives the same figures")
    table = section.get_by_role("table")
    points = charts.locator("circle").count()
    assert points > 0
    expect(table.locator("tbody tr")).to_have_count(points)
    levels = table.locator("tbody tr td:last-child .badge")
    for level in levels.all_inner_texts():
        assert level.strip() in {"Low", "Moderate", "High", "Critical"}, level
