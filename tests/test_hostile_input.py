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

Every request runs in a savepoint that is rolled back, with the client's cookies
restored after it, so what one request changes (a logout, a record saved with a
value that should have been refused) does not change what the next one meets, and a
database error does not abort the rest of the sweep on PostgreSQL. The sweep
returns its findings as strings so one assertion shows them all.
"""

import copy
import logging
import datetime
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cooperation.forms.meetings import MeetingForm
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Invitation,
    SituationAssessment,
)
from cooperation.services import invitations as invitation_services
from tests import factories, sweep

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
INVALID_UTF8 = b"\xff\xfe"
HUGE = "1" + "0" * 30  # 10**30: beyond any integer column
HUGE_PK = "99999999999999999999"  # beyond a bigint
LONG_TEXT = "x" * (2 * 1024 * 1024)  # 2 MB, under Django's 2.5 MB body limit
LONG_QUERY = "x" * 5000

# Query strings sent to every URL; the first two never reach a view.
HOSTILE_QUERIES = (
    "q=%00",
    "q=%ff%fe",
    "page=%ff&sort=%00",
    f"page={HUGE_PK}&sort=-{'x' * 300}",
    "page=-1&sort=--title&o=9.-99.x&p=-3&format=%3Cscript%3E",
)

# The argument values substituted into every URL pattern that takes arguments.
HOSTILE_PATH_VALUES = ("%00", "%ff", "%ed%a0%80", HUGE_PK, "x" * 500)

DATEISH = re.compile(
    r"(date|day|_at|_on$|start|end|until|from$|_to$|after|before|year|month|time)"
)


# ---------------------------------------------------------------- page parsing


@dataclass
class FormField:
    name: str
    kind: str  # an <input> type, "select", "select-multiple" or "textarea"
    value: str | None  # what the browser would send; None: nothing sent
    css: str = ""


@dataclass
class HtmlForm:
    method: str
    action: str
    fields: list = field(default_factory=list)

    def signature(self):
        return (self.method, self.action, tuple(f.name for f in self.fields))

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
        self._option = None
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
                FormField(name, kind, value, attrs.get("class") or "")
            )
        elif tag == "button" and not self._submitted:
            if (attrs.get("type") or "submit") == "submit":
                self._form.fields.append(
                    FormField(name, "submit", attrs.get("value", ""))
                )
                self._submitted = True
        elif tag == "select":
            multiple = "multiple" in attrs
            select = FormField(name, "select-multiple" if multiple else "select", None)
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
                self._form.fields.append(FormField(select.name, select.kind, value))
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
                self._form.fields.append(FormField(select.name, select.kind, None))
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
        form_field.kind in {"date", "datetime-local", "datetime", "month", "time"}
        or "vDateField" in form_field.css
        or "vTimeField" in form_field.css
        or bool(DATEISH.search(form_field.name))
    )


def hostile_values(form_field):
    """(label, value) pairs for one field: one value per class that applies."""
    values = [("NUL", NUL), ("invalid UTF-8", INVALID_UTF8)]
    if is_dateish(form_field):
        if form_field.kind == "datetime-local":
            values += [("year 1", "0001-01-01T00:00"), ("year 9999", "9999-12-31T23:59")]
        elif "vTimeField" in form_field.css or form_field.kind == "time":
            values += [("bad time", "99:99")]
        else:
            values += [("year 1", "0001-01-01"), ("year 9999", "9999-12-31")]
    if form_field.kind in {"textarea", "text", "search", "email", "url", "password"}:
        values.append(("2 MB text", LONG_TEXT))
    if form_field.kind in {
        "number",
        "select",
        "select-multiple",
        "hidden",
        "radio",
        "checkbox",
        "text",
    }:
        values.append(("10**30", HUGE))
    return values


def query_values(name):
    """Hostile values for a query parameter (a filter, a link's parameter)."""
    values = [("NUL", "%00"), ("invalid UTF-8", "%ff%fe")]
    if DATEISH.search(name) or name.endswith(("__gte", "__lt", "__lte", "__gt")):
        values += [("year 1", "0001-01-01"), ("year 9999", "9999-12-31")]
        if name.endswith(("__year", "__month", "__day")):
            values += [("year 9999", "9999"), ("huge", HUGE)]
    values += [("huge", HUGE), ("long", LONG_QUERY)]
    return values


def multipart(pairs):
    """A multipart/form-data body from (name, str | bytes) pairs, bytes sent as is."""
    boundary = "HostileBoundary"
    parts = []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            .encode()
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

    def post_form(self, form, name, label, value):
        pairs = [(n, v) for n, v in form.defaults() if n != name] + [(name, value)]
        if isinstance(value, bytes):
            body, content_type = urlencoded(pairs), "application/x-www-form-urlencoded"
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
    """(pattern, path) for every pattern signed-in users reach, records visible."""
    paths = []
    for pattern, spec in sweep.patterns_with_routes():
        if spec.anonymous == sweep.TOKEN_404:
            continue
        for query in spec.queries:
            path = sweep.build_url(world, pattern, spec, "visible")
            paths.append((pattern, path, sweep._query(world, query)))
    return paths


def query_sweep(world, prober, paths):
    """Hostile query strings on every URL; each page's own parameters one by one."""
    for _pattern, path, query in paths:
        for hostile in HOSTILE_QUERIES:
            prober.send("get", path, query=hostile, label="query")
        forms, link_params = prober.get_page(path + (f"?{query}" if query else ""))
        params = set(link_params)
        for form in forms:
            if form.method == "get":
                params |= {f.name for f in form.fields}
        for name in sorted(params):
            for label, value in query_values(name):
                if label in {"NUL", "invalid UTF-8"} and name != "q":
                    continue  # refused before any view runs: shown once, with q
                prober.send(
                    "get", path, query=f"{quote(name)}={value}", label=f"{name}={label}"
                )


def form_sweep(prober, paths):
    """Every form of every page, one hostile field and class at a time."""
    seen = set()
    for _pattern, path, query in paths:
        forms, _links = parse_page(
            path, prober.client.get(path + (f"?{query}" if query else ""))
        )
        for form in forms:
            if form.signature() in seen or form.action.startswith("/accounts/logout"):
                continue
            seen.add(form.signature())
            names = dict.fromkeys(
                f.name for f in form.fields if f.kind not in {"submit", "button"}
            )
            by_name = {}
            for f in form.fields:
                by_name.setdefault(f.name, f)
            for name in names:
                for label, value in hostile_values(by_name[name]):
                    if form.method == "get":
                        if isinstance(value, bytes) or value == LONG_TEXT:
                            continue  # covered by the query sweep
                        prober.get_form(form, name, label, quote(value))
                    else:
                        prober.post_form(form, name, label, value)
    return seen


def path_sweep(world, prober):
    """Each argument of each pattern replaced by a hostile value, for GET and POST."""
    for pattern, spec in sweep.patterns_with_routes():
        if not spec.params:
            continue
        for value in HOSTILE_PATH_VALUES:
            path = sweep.fill(pattern.route, dict.fromkeys(spec.params, value))
            prober.send("get", path, label="path")
            prober.send("post", path, label="path")


@pytest.fixture
def world(db):
    return sweep.build_world()


@pytest.fixture(autouse=True)
def quiet_request_log():
    """The sweep's thousands of 4xx (and any 5xx, reported by the test) would
    flood the output."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def test_no_url_fails_on_hostile_query_strings(world):
    failures = []
    paths = page_paths(world)
    for user in (world.superuser, world.brazilian):
        prober = Prober(user)
        query_sweep(world, prober, paths)
        failures += prober.failures
    assert failures == [], "\n".join(failures)


def test_no_form_fails_on_hostile_field_values(world):
    failures = []
    paths = page_paths(world)
    for user in (world.superuser, world.brazilian):
        prober = Prober(user)
        seen = form_sweep(prober, paths)
        assert len(seen) > 40  # the portal's forms and the admin's were found
        failures += prober.failures
    assert failures == [], "\n".join(failures)


def test_no_url_fails_on_hostile_path_arguments(world):
    failures = []
    for user in (world.superuser, world.brazilian, None):
        prober = Prober(user)
        path_sweep(world, prober)
        failures += prober.failures
    assert failures == [], "\n".join(failures)
