"""No 500 on hostile input: every URL and form answers 4xx or a field error.

The sweep reuses ``tests/sweep.py`` (its world, its URL building and its signed-in
clients) and sends, for every URL pattern of the portal and the admin:

* GET with hostile query strings (NUL, invalid UTF-8, huge or garbage ``page`` and
  ``sort``), and each query parameter a page offers (its GET forms' fields and the
  parameters of its ``?…`` links, the admin's filters) set to a hostile value;
* POST of every form a page renders, its own fields filled with its own values but
  one field hostile at a time, one class of hostility at a time;
* the URL itself with NUL, invalid UTF-8, a huge integer or a long string in each
  argument.

Dates go in as both a superuser whose zone is east of UTC and the Brazilian editor
(west of it): year 1 and year 9999 overflow in one direction each. To keep the sweep
under a minute, each class goes once into each field of each distinct form (formset
rows after the first, and an admin add page beside its change page, are the same
form), not in every combination.

Every request runs in a savepoint that is rolled back, with the client's cookies
restored after it, so what one request changes (a logout, a record saved with a
value that should have been refused) does not change what the next one meets, and a
database error does not abort the rest of the sweep on PostgreSQL. The sweep
returns its findings as strings so one assertion shows them all.
"""

import copy
import datetime
import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, reverse
from django.urls import path as route
from django.utils import timezone

from cooperation import counts
from cooperation.forms.meetings import MeetingForm
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    Invitation,
    MeetingSeries,
    Nation,
    Recommendation,
    SituationAssessment,
)
from cooperation.services import invitations as invitation_services
from tests import sweep

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
INVALID_UTF8 = b"\xff\xfe"
HUGE = "1" + "0" * 30  # 10**30: beyond any integer column
HUGE_PK = "99999999999999999999"  # beyond a bigint
LONG_TEXT = "x" * (2 * 1024 * 1024)  # 2 MB, under Django's 2.5 MB body limit
LONG_QUERY = "x" * 5000
FORM_URLENCODED = "application/x-www-form-urlencoded"

# Query strings sent to every URL, refused before any view runs.
HOSTILE_QUERIES = ("q=%00", "q=%ff%fe", "%ff=1", "sort=%ed%a0%80")
# And to every page that reads its query string (lists, the calendar, the forms
# filled in from a link): a huge page, a garbage sort, an unknown export format.
GARBAGE_QUERY = f"page={HUGE_PK}&sort=-{'x' * 300}&format=%3Cscript%3E"
# And to the admin's changelists: ordering, page, "show all", a forged to-field.
CHANGELIST_QUERIES = (
    "o=9.-99.x.1&p=-3",
    f"p={HUGE_PK}&all=1&_to_field=password",
)

# The argument values substituted into every URL pattern that takes arguments.
HOSTILE_PATH_VALUES = ("%00", "%ff", "%ed%a0%80", HUGE_PK, "x" * 500)

DATEISH = re.compile(r"(date|day|until|_at|_on|start|end|from|_to|after|before)(_0)?$")
# Parameters that views read straight from ``request.GET``, beside their forms.
DIRECT_QUERY_PARAMS = {
    "cooperation:meeting-create": {
        "starts_at": ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00", HUGE),
        "duration": (HUGE, "-5"),
        "time_zone": ("Nowhere/Atlantis", "x" * 500),
        "nations": (HUGE, "x" * 500, "²"),
        "attendees": (HUGE, "²"),
    },
    "cooperation:calendar": {"month": ("9999-12", "0001-01", "2026-99", HUGE)},
    "cooperation:assessment-create": {"nation": (HUGE, "x" * 500)},
    # The picture's choices, which its print page reads with no form of its own.
    "cooperation:regional-briefing": {
        "as_of": ("9999-12-31", "0001-01-01", "2026-02-30", HUGE),
        "region": ("x" * 500, HUGE),
        "focus_area": ("x" * 500, HUGE),
    },
    "login": {"next": ("//evil.example/", "x" * 5000)},
}
AUTOCOMPLETE = "app_label=cooperation&model_name=invitation&field_name=meeting"
WHOLE_QUERIES = {
    "admin:autocomplete": (
        f"{AUTOCOMPLETE}&term={'x' * 5000}",
        f"{AUTOCOMPLETE}&term=a&page={HUGE_PK}",
        "app_label=cooperation&model_name=invitation&field_name=password&term=a",
        f"app_label=cooperation&model_name={HUGE}&field_name=meeting&term=a",
        "app_label=x&model_name=y&field_name=z",
    ),
}
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}
# A formset's management form. Django caps the number of forms it builds, but a
# huge TOTAL_FORMS still renders a thousand of them: slow, and no different.
MANAGEMENT = re.compile(r"-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
LATER_ROW = re.compile(r"-([1-9]\d*|__prefix__)-")


# ---------------------------------------------------------------- page parsing


@dataclass
class FormField:
    name: str
    kind: str  # an <input> type, "select", "select-multiple" or "textarea"
    value: str | None  # what the browser would send; None: nothing sent
    css: str = ""
    limited: bool = False  # the browser is told a maximum length


@dataclass
class HtmlForm:
    method: str
    action: str
    fields: list = field(default_factory=list)

    def defaults(self):
        """The (name, value) pairs the browser sends when nothing is changed."""
        return [(f.name, f.value) for f in self.fields if f.value is not None]


class PageParser(HTMLParser):
    """The forms of a page, their fields with their current values, and the query
    parameters of the page's own ``?…`` links (the admin's filters, sorting)."""

    SKIPPED_INPUTS = {"submit", "button", "reset", "image", "file"}

    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms = []
        self.link_params = set()
        self._form = None
        self._select = None  # (FormField, multiple, first option value)
        self._textarea = None
        self._submitted = False  # a named submit button was taken for this form

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("?"):
            for name, _value in parse_qsl(attrs["href"][1:], keep_blank_values=True):
                self.link_params.add(name)
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page_path).path
            self._form = HtmlForm((attrs.get("method") or "get").lower(), action)
            self._submitted = False
            return
        if self._form is None or "name" not in attrs or "disabled" in attrs:
            if tag == "option" and self._select is not None:
                self._option_start(attrs)
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button"} and not self._submitted:
                self._form.fields.append(FormField(name, kind, attrs.get("value", "")))
                self._submitted = True
            if kind in self.SKIPPED_INPUTS:
                return
            value = attrs.get("value", "")
            if kind in {"checkbox", "radio"}:
                value = attrs.get("value", "on") if "checked" in attrs else None
            self._form.fields.append(
                FormField(
                    name,
                    kind,
                    value,
                    attrs.get("class") or "",
                    limited="maxlength" in attrs,
                )
            )
        elif tag == "button" and not self._submitted:
            if (attrs.get("type") or "submit") == "submit":
                self._form.fields.append(
                    FormField(name, "submit", attrs.get("value", ""))
                )
                self._submitted = True
        elif tag == "select":
            multiple = "multiple" in attrs
            kind = "select-multiple" if multiple else "select"
            select = FormField(name, kind, None, attrs.get("class") or "")
            self._select = [select, multiple, None]
            if not multiple:
                self._form.fields.append(select)
        elif tag == "textarea":
            self._textarea = FormField(name, "textarea", "")
            self._form.fields.append(self._textarea)
        elif tag == "option" and self._select is not None:
            self._option_start(attrs)

    def _option_start(self, attrs):
        select, multiple, first = self._select
        value = attrs.get("value", "")
        if first is None:
            self._select[2] = value
        if "selected" in attrs:
            if multiple:
                self._form.fields.append(
                    FormField(select.name, select.kind, value, select.css)
                )
            else:
                select.value = value

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select" and self._select is not None:
            select, multiple, first = self._select
            if not multiple and select.value is None:
                select.value = first if first is not None else ""
            if multiple and self._form is not None:
                # Remembered without a value: a hostile value may still be sent.
                self._form.fields.append(
                    FormField(select.name, select.kind, None, select.css)
                )
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


def parse_page(path, response):
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return [], set()
    parser = PageParser(path)
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.forms, parser.link_params


# ------------------------------------------------------------ hostile values


def is_dateish(form_field):
    return (
        form_field.kind in {"date", "datetime-local", "datetime", "month"}
        or "vDateField" in form_field.css
        or bool(DATEISH.search(form_field.name))
    )


def hostile_values(form_field):
    """(label, value) pairs for one field: one value per class that applies."""
    values = [("NUL", NUL), ("invalid UTF-8", INVALID_UTF8)]
    if MANAGEMENT.search(form_field.name):
        return [*values, ("not a number", "x")]
    if is_dateish(form_field):
        if form_field.kind == "datetime-local":
            values += [
                ("year 1", "0001-01-01T00:00"),
                ("year 9999", "9999-12-31T23:59"),
            ]
        else:
            values += [("year 1", "0001-01-01"), ("year 9999", "9999-12-31")]
    if form_field.kind == "textarea":
        values.append(("2 MB text", LONG_TEXT))
    elif form_field.kind in {"text", "search", "email", "url", "password"} and (
        not form_field.limited  # else its field checks the same maximum
    ):
        values.append(("10 000 characters", "x" * 10_000))
    if "autocomplete" in form_field.css:
        values.append(("not an id", "x"))
    if form_field.kind in {
        "number",
        "select",
        "select-multiple",
        "hidden",
        "radio",
        "checkbox",
    }:
        values.append(("10**30", HUGE))
    return values


def query_values(name):
    """Hostile values for a query parameter (a filter, a link's parameter); NUL and
    invalid UTF-8 are refused before any view runs, so they are sent with ``q``."""
    if name == "q":
        return [("NUL", "%00"), ("invalid UTF-8", "%ff%fe"), ("long", LONG_QUERY)]
    if name.endswith(("__year", "__month", "__day")):
        return [("9999", "9999"), ("0", "0"), ("huge", HUGE)]
    if DATEISH.search(name) or name.endswith(("__gte", "__lt", "__lte", "__gt")):
        return [("year 1", "0001-01-01"), ("year 9999", "9999-12-31"), ("huge", HUGE)]
    return [("huge", HUGE)]


def multipart(pairs):
    """A multipart/form-data body from (name, str | bytes) pairs, bytes sent as is."""
    boundary = "HostileBoundary"
    parts = []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def urlencoded(pairs):
    return "&".join(
        f"{quote(name, safe='')}="
        + (
            "".join(f"%{byte:02X}" for byte in value)
            if isinstance(value, bytes)
            else quote(value, safe="")
        )
        for name, value in pairs
    ).encode("ascii")


# ----------------------------------------------------------------- the sweep


class _RolledBack(Exception):
    pass


class Prober:
    """Sends requests that leave nothing behind and records any answer >= 500."""

    def __init__(self, user):
        self.user = user
        self.client = sweep.client_for(user, raise_request_exception=False)
        self.failures = []
        self.count = 0

    @property
    def who(self):
        return self.user.username if self.user else "anonymous"

    def send(self, method, path, *, query="", body=None, content_type=None, label=""):
        url = f"{path}?{query}" if query else path
        cookies = copy.deepcopy(self.client.cookies)
        response = None
        try:
            with transaction.atomic():
                if method == "get":
                    response = self.client.get(url)
                elif body is None:
                    response = self.client.post(url)
                else:
                    response = self.client.post(url, body, content_type=content_type)
                raise _RolledBack
        except _RolledBack:
            pass
        finally:
            self.client.cookies = cookies
        self.count += 1
        if response.status_code >= 500:
            error = getattr(response, "exc_info", None)
            cause = f"{error[0].__name__}: {str(error[1])[:120]}" if error else ""
            shown = url if len(url) < 200 else url[:200] + "…"
            self.failures.append(
                f"{method.upper()} {shown} [{label}] as {self.who} answered "
                f"{response.status_code} {cause}"
            )
        return response

    def get_page(self, path):
        """The page itself, parsed; it must not fail either."""
        response = self.send("get", path, label="page")
        return parse_page(path, response)

    def post_form(self, form, name, label, value, extra=()):
        """POST the form with ``name`` set to ``value`` (and the ``extra`` pairs)
        instead of what the page holds."""
        replaced = {name, *(n for n, _v in extra)}
        pairs = [(n, v) for n, v in form.defaults() if n not in replaced]
        pairs += [(name, value), *extra]
        if isinstance(value, bytes):
            body, content_type = urlencoded(pairs), FORM_URLENCODED
        else:
            body, content_type = multipart(pairs)
        self.send(
            "post",
            form.action,
            body=body,
            content_type=content_type,
            label=f"{name}={label}",
        )

    def get_form(self, form, name, label, value):
        pairs = [(n, v) for n, v in form.defaults() if n != name]
        query = urlencode(pairs) + ("&" if pairs else "") + f"{quote(name)}={value}"
        self.send("get", form.action, query=query, label=f"{name}={label}")


def page_paths(world):
    """(pattern, path, query) of every page a signed-in user reaches."""
    paths = []
    for pattern, spec in sweep.patterns_with_routes():
        if spec.anonymous == sweep.TOKEN_404:
            continue
        path = sweep.build_url(world, pattern, spec, "visible")
        for query in spec.queries:
            paths.append((pattern, path, sweep._query(world, query)))
    return paths


def date_hierarchy_params():
    """The admin changelists' date drill-down parameters, by URL name: they show as
    links only when there are rows to drill into."""
    params = {}
    for model, model_admin in admin.site._registry.items():
        if model_admin.date_hierarchy:
            name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            params[name] = {
                f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month")
            }
    return params


def is_admin(pattern):
    return pattern.key.startswith("admin:")


def reads_query(pattern):
    """Whether the pattern's view reads its query string (beside forms bound to
    it, which the parameters found on its page cover)."""
    return (
        pattern.key.endswith(("-list", "_changelist"))
        or pattern.key in DIRECT_QUERY_PARAMS
        or pattern.key in WHOLE_QUERIES
        or pattern.key == "cooperation:meeting-find-time"
    )


def query_sweep(prober, paths):
    """Hostile query strings on every URL; each page's own parameters one by one."""
    drill_down = date_hierarchy_params()
    for pattern, path, query in paths:
        queries = HOSTILE_QUERIES
        if reads_query(pattern):
            queries += (GARBAGE_QUERY, *WHOLE_QUERIES.get(pattern.key, ()))
        if pattern.key.endswith("_changelist"):
            queries += CHANGELIST_QUERIES
        for hostile in queries:
            prober.send("get", path, query=hostile, label="query")
        forms, params = prober.get_page(path + (f"?{query}" if query else ""))
        for form in forms:
            if form.method == "get":
                params |= {f.name for f in form.fields}
        params |= drill_down.get(pattern.key, set())
        for name in sorted(params - SKIPPED_FIELDS):
            for label, value in query_values(name):
                prober.send(
                    "get", path, query=f"{quote(name)}={value}", label=f"{name}={label}"
                )
        for name, values in DIRECT_QUERY_PARAMS.get(pattern.key, {}).items():
            for value in values:
                prober.send(
                    "get", path, query=urlencode({name: value}), label=f"{name}={value}"
                )


def form_key(form):
    """Where a form posts (ids folded, an admin add page as its change page, every
    changelist's actions as one: Django's own code for any model) and its field
    names (formset rows folded)."""
    action = re.sub(r"/\d+/", "/N/", form.action)
    action = re.sub(r"^(/admin/.*/)add/$", r"\1N/change/", action)
    action = re.sub(r"^/admin/[^/]+/[^/]+/$", "/admin/<changelist>/", action)
    names = frozenset(LATER_ROW.sub("-0-", f.name) for f in form.fields)
    return (form.method, action), names


def split_time(form, name, label):
    """The time beside the date of an admin date-and-time field, at the end of the
    day the date is at the end of the calendar: the instant furthest out."""
    time_name = name.removesuffix("_0") + "_1"
    if not name.endswith("_0") or time_name not in {f.name for f in form.fields}:
        return ()
    if label == "year 1":
        return ((time_name, "00:00:00"),)
    if label == "year 9999":
        return ((time_name, "23:59:59"),)
    return ()


def form_sweep(prober, paths, seen, *, classes=None):
    """Every form of every page, one hostile field and class at a time. A form is
    skipped when ``seen`` holds one posting to the same place with all its fields
    (found on another page, or by another user): an admin add page is its change
    page with fewer fields, unless its form is another (a user's).
    ``classes``: only these classes of hostile values (labels), else all."""
    # Change pages first, so that the add pages they cover are skipped.
    for _pattern, path, query in sorted(paths, key=lambda p: p[1].endswith("/add/")):
        forms, _links = parse_page(
            path, prober.client.get(path + (f"?{query}" if query else ""))
        )
        for form in forms:
            where, names = form_key(form)
            known = seen.setdefault(where, [])
            if any(names <= other for other in known):
                continue
            if form.action.startswith("/accounts/logout"):
                continue
            known.append(names)
            targets = {}
            for f in form.fields:
                skipped = f.kind in {"submit", "button"} or f.name in SKIPPED_FIELDS
                if not skipped and not LATER_ROW.search(f.name):
                    targets.setdefault(f.name, f)
            for name, target in targets.items():
                for label, value in hostile_values(target):
                    if classes is not None and label not in classes:
                        continue
                    if form.method == "post":
                        extra = split_time(form, name, label)
                        prober.post_form(form, name, label, value, extra)
                    elif not isinstance(value, bytes) and value != NUL:
                        prober.get_form(form, name, label, quote(value))


def path_sweep(prober, patterns):
    """Each argument of each pattern replaced by a hostile value, for GET and POST."""
    for pattern, spec in patterns:
        if not spec.params:
            continue
        for value in HOSTILE_PATH_VALUES:
            path = sweep.fill(pattern.route, dict.fromkeys(spec.params, value))
            prober.send("get", path, label="path")
            prober.send("post", path, label="path")


@pytest.fixture
def world(db):
    world = sweep.build_world()
    # East and west of UTC: a date at either end of the calendar overflows when
    # converted from one of them.
    world.superuser.time_zone = "Asia/Tokyo"
    world.superuser.save(update_fields=["time_zone"])
    return world


@pytest.fixture(autouse=True)
def quiet_request_log():
    """The sweep's thousands of 4xx (and any 5xx, reported by the test) would
    flood the output."""
    loggers = [
        logging.getLogger(name) for name in ("django.request", "django.security")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


# The superuser meets every page and form. The Brazilian editor, whose permissions
# and released records differ, meets the portal's own pages; the admin answers them
# with the same code.
# Dates are the values whose handling depends on the user: read in their zone (the
# superuser's is east of UTC, the Brazilian's west), they overflow at either end.
DATE_CLASSES = ("year 1", "year 9999")


def test_no_url_fails_on_hostile_query_strings(world):
    paths = page_paths(world)
    superuser, brazilian = Prober(world.superuser), Prober(world.brazilian)
    query_sweep(superuser, paths)
    query_sweep(brazilian, [p for p in paths if not is_admin(p[0])])
    failures = superuser.failures + brazilian.failures
    assert superuser.count > 1000
    assert failures == [], "\n".join(failures)


def test_no_form_fails_on_hostile_field_values(world):
    paths = page_paths(world)
    superuser, brazilian = Prober(world.superuser), Prober(world.brazilian)
    seen = {}
    form_sweep(superuser, paths, seen)
    assert len(seen) > 60  # the portal's forms and the admin's were all found
    portal = [p for p in paths if not is_admin(p[0])]
    form_sweep(brazilian, portal, {}, classes=DATE_CLASSES)
    failures = superuser.failures + brazilian.failures
    assert failures == [], "\n".join(failures)


def test_no_url_fails_on_hostile_path_arguments(world):
    patterns = sweep.patterns_with_routes()
    public = [
        (p, spec)
        for p, spec in patterns
        if spec.anonymous in {sweep.PUBLIC, sweep.TOKEN_404}
    ]
    failures = []
    for user, swept in (
        (world.superuser, patterns),
        (world.brazilian, [(p, spec) for p, spec in patterns if not is_admin(p)]),
        (None, public),
    ):
        prober = Prober(user)
        path_sweep(prober, swept)
        failures += prober.failures
    assert failures == [], "\n".join(failures)


# ------------------------------------------------- malformed input: one 400 page


@pytest.fixture
def signed_in(world):
    return sweep.client_for(world.brazilian)


@pytest.mark.parametrize(
    "url",
    [
        "/nations/?q=%00",
        "/recommendations/?q=%ff%fe",
        "/meetings/?nation=CO%ed%a0%80",
        "/nations/%00/",
        "/recommendations/REC%00/",
        "/admin/cooperation/initiative/?q=%00",
    ],
)
def test_nul_or_invalid_utf8_in_the_address_is_the_friendly_400_page(signed_in, url):
    response = signed_in.get(url)

    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]
    assert "The request could not be understood" in response.content.decode()


@pytest.mark.parametrize("url", ["/nations/%ff/", "/recommendations/%ed%a0%80/"])
def test_invalid_utf8_in_the_path_is_a_404(signed_in, url):
    # Django escapes the bytes again: the view looks up "%FF", which is no nation.
    assert signed_in.get(url).status_code == 404


def test_the_400_page_speaks_the_language_the_browser_asks_for(signed_in):
    response = signed_in.get("/nations/?q=%00", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert "No se ha podido interpretar la solicitud" in response.content.decode()


def test_valid_utf8_and_a_typed_replacement_character_are_accepted(signed_in):
    assert signed_in.get("/nations/?q=S%C3%A3o+Paulo").status_code == 200
    assert signed_in.get("/nations/?q=%EF%BF%BD").status_code == 200


def test_nul_or_invalid_utf8_in_a_posted_form_is_refused_and_nothing_changes(
    world, signed_in
):
    recommendation = world.visible["recommendation"]
    url = reverse("cooperation:recommendation-edit", args=[recommendation.reference])
    urlencoded_body = urlencoded([("title", INVALID_UTF8)])
    multipart_body, multipart_type = multipart([("title", "Renamed\x00")])

    responses = [
        signed_in.post(url, urlencoded_body, content_type=FORM_URLENCODED),
        signed_in.post(url, urlencoded([("title", "Renamed\x00")]), FORM_URLENCODED),
        signed_in.post(url, multipart_body, content_type=multipart_type),
        signed_in.post(url, multipart([("title", b"Renamed \xff")])[0], multipart_type),
    ]

    assert [response.status_code for response in responses] == [400] * 4
    recommendation.refresh_from_db()
    assert recommendation.title == "Open recommendation"


def test_a_nul_in_the_session_cookie_is_refused_not_looked_up(world):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "\x00abcdefghijklmnop"  # sent as "\000…"

    response = client.get("/nations/")

    assert response.status_code == 400


def test_a_body_over_the_upload_limit_is_the_friendly_400_page(signed_in):
    body = urlencoded([("summary", "x" * (3 * 1024 * 1024))])

    response = signed_in.post(
        reverse("cooperation:initiative-create"), body, FORM_URLENCODED
    )

    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]


# ------------------------------------------------------------ dates: 1900-2200


def meeting_post(**overrides):
    return {
        "title": "Far-off assessment",
        "status": "draft",
        "time_zone": "Asia/Tokyo",
        "starts_at": "2030-06-01T10:00",
        "ends_at": "2030-06-01T12:00",
        "location": "",
        "online_url": "",
        "chair": "",
        "agenda-TOTAL_FORMS": "0",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "100",
        **overrides,
    }


def test_a_meeting_in_year_9999_is_refused_with_a_clear_error_and_not_saved(
    world, signed_in
):
    before = AssessmentMeeting.objects.count()

    response = signed_in.post(
        reverse("cooperation:meeting-create"),
        meeting_post(starts_at="9999-12-31T22:00", ends_at="9999-12-31T23:59"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["starts_at"] == ["Enter a date between 1900 and 2200."]
    assert errors["ends_at"] == ["Enter a date between 1900 and 2200."]
    assert AssessmentMeeting.objects.count() == before


@pytest.mark.parametrize(
    ("year", "accepted"), [(1899, False), (1900, True), (2200, True), (2201, False)]
)
def test_meeting_dates_are_accepted_from_1900_to_2200(world, year, accepted):
    form = MeetingForm(
        meeting_post(starts_at=f"{year}-06-01T10:00", ends_at=f"{year}-06-01T12:00"),
        instance=AssessmentMeeting(),
        user=world.brazilian,
    )

    assert form.is_valid() is accepted
    if not accepted:
        assert form.errors["starts_at"] == ["Enter a date between 1900 and 2200."]


def test_a_series_ending_in_year_9999_is_refused(world, signed_in):
    response = signed_in.post(
        reverse("cooperation:meeting-create"),
        meeting_post(
            **{
                "repeat-frequency": "weekly",
                "repeat-interval": "1",
                "repeat-ends": "on_date",
                "repeat-until": "9999-12-31",
            }
        ),
    )

    assert response.status_code == 200
    assert response.context["repeat"].errors["until"] == [
        "Enter a date between 1900 and 2200."
    ]


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Initiative, "planned_start"),
        (Initiative, "planned_end"),
        (Initiative, "actual_start"),
        (Initiative, "actual_end"),
        (MeetingSeries, "starts_on"),
        (MeetingSeries, "until"),
        (AssessmentMeeting, "starts_at"),
        (AssessmentMeeting, "ends_at"),
        (Recommendation, "due_date"),
    ],
)
def test_model_date_fields_refuse_years_outside_1900_to_2200(model, name):
    field = model._meta.get_field(name)
    day = datetime.date(2201, 1, 1)
    moment = datetime.datetime(1899, 12, 31, 12, tzinfo=datetime.UTC)
    too_far = moment if isinstance(field, models.DateTimeField) else day

    with pytest.raises(ValidationError) as error:
        field.run_validators(too_far)

    assert error.value.messages == ["Enter a date between 1900 and 2200."]


@pytest.mark.parametrize(
    "query",
    [
        "planned_start_after=9999-12-31",
        "planned_end_before=0001-01-01",
    ],
)
def test_a_date_filter_outside_1900_to_2200_is_a_field_error(signed_in, query):
    response = signed_in.get(f"{reverse('cooperation:initiative-list')}?{query}")

    assert response.status_code == 200
    assert "Enter a date between 1900 and 2200." in response.content.decode()


def test_find_a_time_refuses_year_1(world, signed_in):
    query = (
        f"nations={world.brazil.iso_alpha2}&duration=60&first_day=0001-01-01"
        "&last_day=0001-01-05&time_zone=Asia/Tokyo"
    )

    response = signed_in.get(f"{reverse('cooperation:meeting-find-time')}?{query}")

    assert response.status_code == 200
    assert response.context["form"].errors["first_day"] == [
        "Enter a date between 1900 and 2200."
    ]


def test_a_link_to_the_meeting_form_with_year_9999_fills_nothing_in(signed_in):
    response = signed_in.get(
        reverse("cooperation:meeting-create")
        + "?starts_at=9999-12-31T23:59:59Z&time_zone=Asia/Tokyo&duration=60"
        + "&nations=%C2%B2&attendees=%C2%B2"
    )

    assert response.status_code == 200
    assert response.context["form"].initial.get("starts_at") is None


def test_the_admin_date_drill_down_outside_1900_to_2200_is_an_unknown_filter(world):
    client = sweep.client_for(world.superuser)
    url = reverse("admin:cooperation_assessmentmeeting_changelist")

    for year in ("9999", "0001", HUGE):
        response = client.get(f"{url}?starts_at__year={year}")
        assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
    assert client.get(f"{url}?starts_at__year=2026").status_code == 200


# ---------------------------------------------------------------- long texts


def cooperation_text_fields():
    """Every text field a person can type into (a form offers only editable ones;
    the outbox's rendered messages are written by the services alone)."""
    return [
        pytest.param(model, field, id=f"{model.__name__}.{field.name}")
        for model in apps.get_app_config("cooperation").get_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.fields
        if isinstance(field, models.TextField) and field.editable
    ]


def test_the_text_fields_left_out_are_the_outboxs_rendered_messages_and_errors():
    left_out = {
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("cooperation").get_models()
        for field in model._meta.fields
        if isinstance(field, models.TextField) and not field.editable
    }
    assert left_out == {
        "OutboundEmail.body",
        "OutboundEmail.html_body",
        "OutboundEmail.ical",
        "OutboundEmail.last_error",
        # Written by the briefing worker (cut to ERROR_MAX_LENGTH), never typed.
        "Briefing.last_error",
    }


@pytest.mark.parametrize(("model", "field"), cooperation_text_fields())
def test_every_text_field_has_a_maximum_that_full_clean_checks(model, field):
    assert field.max_length is not None
    assert field.max_length <= 50_000
    field.run_validators("x" * field.max_length)

    with pytest.raises(ValidationError):
        field.run_validators("x" * (field.max_length + 1))


def test_a_2_mb_summary_is_a_field_error_on_the_form_and_in_full_clean(world):
    summary = "x" * (2 * 1024 * 1024)
    meeting = world.visible["meeting"]
    assessment = SituationAssessment(
        meeting=meeting,
        nation=world.colombia,
        focus_area=world.visible["focusarea"],
        primary_concern="Cocaine",
        threat_level=SituationAssessment.ThreatLevel.HIGH,
        summary=summary,
    )

    with pytest.raises(ValidationError) as error:
        assessment.full_clean()

    assert "summary" in error.value.message_dict
    initiative = world.visible["initiative"]
    initiative.summary = summary
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert list(error.value.message_dict) == ["summary"]


def test_a_2_mb_initiative_summary_posted_is_a_field_error_and_nothing_saved(
    world, signed_in
):
    before = Initiative.objects.count()

    response = signed_in.post(
        reverse("cooperation:initiative-create"),
        {"title": "Long", "kind": "joint_task_force", "summary": "x" * 2_097_152},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["summary"] == [
        "Ensure this value has at most 10000 characters (it has 2097152)."
    ]
    assert Initiative.objects.count() == before


def test_agenda_notes_of_2_mb_are_a_field_error(world, signed_in):
    response = signed_in.post(
        reverse("cooperation:meeting-create"),
        meeting_post(
            **{
                "agenda-TOTAL_FORMS": "1",
                "agenda-0-title": "Routes",
                "agenda-0-duration_minutes": "15",
                "agenda-0-notes": "x" * 2_097_152,
            }
        ),
    )

    assert response.status_code == 200
    assert "notes" in response.context["agenda"].forms[0].errors


# ------------------------------------------------ RSVP to a meeting that is over


@pytest.fixture
def ended_invitation(world):
    meeting = world.visible["meeting"]
    now = timezone.now()
    AssessmentMeeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - datetime.timedelta(hours=3),
        ends_at=now - datetime.timedelta(hours=1),
    )
    invitation = world.visible["invitation"]  # the Brazilian editor's
    invitation.refresh_from_db()
    return invitation


def test_an_answer_to_a_meeting_that_is_over_is_refused_by_the_service(
    world, ended_invitation
):
    with pytest.raises(ValidationError) as error:
        invitation_services.invitation_respond(
            invitation=ended_invitation,
            acting_user=world.brazilian,
            response="accepted",
        )

    assert error.value.code == "ended"
    ended_invitation.refresh_from_db()
    assert ended_invitation.response == Invitation.Response.NEEDS_ACTION


def test_rsvp_to_a_meeting_that_is_over_shows_why_and_changes_nothing(
    world, signed_in, ended_invitation
):
    meeting = ended_invitation.meeting

    response = signed_in.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]),
        {"response": "accepted"},
    )

    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "This meeting is over; answers can no longer be given or changed."
    ]
    ended_invitation.refresh_from_db()
    assert ended_invitation.response == Invitation.Response.NEEDS_ACTION
    assert ended_invitation.responded_at is None


def test_the_meeting_page_offers_no_answer_buttons_once_the_meeting_is_over(
    world, signed_in, ended_invitation
):
    meeting = ended_invitation.meeting
    rsvp = reverse("cooperation:meeting-rsvp", args=[meeting.pk])
    content = signed_in.get(meeting.get_absolute_url()).content.decode()

    assert rsvp not in content
    assert "This meeting is over; answers can no longer be given or changed." in content
    # Answers close at the start: a meeting under way offers none either.
    # Writes that send no signal announce themselves (``cooperation.counts``): the
    # pages kept in the cache are drawn again.
    AssessmentMeeting.objects.filter(pk=meeting.pk).update(
        ends_at=timezone.now() + datetime.timedelta(hours=1)
    )
    counts.records_changed()
    content = signed_in.get(meeting.get_absolute_url()).content.decode()
    assert rsvp not in content
    assert "This meeting has started; answers can no longer be given" in content
    AssessmentMeeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    counts.records_changed()
    assert rsvp in signed_in.get(meeting.get_absolute_url()).content.decode()


# ------------------------------------------------------------- everything else


def test_an_id_beyond_any_integer_column_matches_nothing_in_an_in_lookup(world):
    assert list(Nation.objects.filter(pk__in=[10**30, world.brazil.pk])) == [
        world.brazil
    ]
    assert list(Nation.objects.filter(pk__in=[10**30])) == []


def test_a_huge_id_in_a_multiple_choice_is_a_field_error(world):
    form = MeetingForm(
        meeting_post(nations=[str(10**30)]),
        instance=AssessmentMeeting(),
        user=world.brazilian,
    )

    assert not form.is_valid()
    assert "nations" in form.errors


def test_an_admin_form_shown_again_with_an_id_that_is_not_one_is_a_field_error(
    world,
):
    client = sweep.client_for(world.superuser)
    initiative = world.visible["initiative"]
    url = reverse("admin:cooperation_initiative_change", args=[initiative.pk])

    response = client.post(url, {"title": "x", "owner": "abc", "released_to": "x"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"owner", "released_to"} <= set(errors)


@pytest.mark.parametrize("object_id", ["%00", "abc", "x" * 300])
def test_admin_history_pages_with_an_id_that_is_not_one_are_404(world, object_id):
    client = sweep.client_for(world.brazilian)
    url = f"/admin/cooperation/initiative/{object_id}/history/"

    assert client.get(url).status_code in {400, 404}
    assert client.get(f"{url}abc/").status_code in {400, 404}


def test_the_admin_device_pages_of_a_device_that_does_not_exist_are_404(world):
    client = sweep.client_for(world.superuser)

    for name in ("config", "qrcode"):
        url = reverse(f"admin:otp_totp_totpdevice_{name}", args=[987654321])
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("next_url", ["foo", "1" + "0" * 30, "", "//evil.example/"])
def test_a_language_switch_with_a_next_that_is_no_path_goes_to_the_dashboard(
    signed_in, next_url
):
    response = signed_in.post(
        reverse("cooperation:language-switch"), {"language": "es", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("cooperation:dashboard")


# ------------------------------------------- the sweep reports a fragile view


def fragile_view(request):
    """Trusts its input: a year in its link, a date in its form."""
    if request.method == "POST":
        day = datetime.date.fromisoformat(request.POST["day"])
        return HttpResponse(str(day + datetime.timedelta(days=1)))
    year = datetime.date(int(request.GET.get("year", "2026")), 1, 1)
    return HttpResponse(
        f'<a href="?year={year.year + 1}">next</a><form method="post">'
        '<input type="date" name="day" value="2026-01-01"></form>',
        content_type="text/html",
    )


urlpatterns = [
    route("fragile/", fragile_view, name="fragile"),
    route("", include("portal.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_the_sweep_reports_a_view_that_trusts_its_input(world):
    prober = Prober(world.superuser)
    paths = [(sweep.Pattern("fragile", "fragile/", fragile_view), "/fragile/", "")]

    query_sweep(prober, paths)
    form_sweep(prober, paths, {})

    assert [failure.split(" as ")[0] for failure in prober.failures] == [
        f"GET /fragile/?year={HUGE} [year=huge]",
        "POST /fragile/ [day=year 9999]",
    ]
    assert all("answered 500 OverflowError" in f for f in prober.failures)


def test_the_admin_refuses_a_user_joined_in_year_1_instead_of_failing(world):
    client = sweep.client_for(world.superuser)  # in Asia/Tokyo, east of UTC
    user = world.colombian
    url = reverse("admin:cooperation_user_change", args=[user.pk])
    forms, _links = parse_page(url, client.get(url))
    (form,) = [form for form in forms if form.action == url]
    data = {}
    for name, value in form.defaults():
        data.setdefault(name, []).append(value)
    joined = user.date_joined

    response = client.post(
        url, {**data, "date_joined_0": ["0001-01-01"], "date_joined_1": ["00:00:00"]}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date_joined"] == [
        "Enter a date between 1900 and 2200."
    ]
    user.refresh_from_db()
    assert user.date_joined == joined
