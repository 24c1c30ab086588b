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
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.db import transaction

from tests import sweep

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
INVALID_UTF8 = b"\xff\xfe"
HUGE = "1" + "0" * 30  # 10**30: beyond any integer column
HUGE_PK = "99999999999999999999"  # beyond a bigint
LONG_TEXT = "x" * (2 * 1024 * 1024)  # 2 MB, under Django's 2.5 MB body limit
LONG_QUERY = "x" * 5000

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

DATEISH = re.compile(
    r"(date|day|until|_at|_on|start|end|from|_to|after|before)(_0)?$"
)
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
            values += [("year 1", "0001-01-01T00:00"), ("year 9999", "9999-12-31T23:59")]
        else:
            values += [("year 1", "0001-01-01"), ("year 9999", "9999-12-31")]
    if form_field.kind == "textarea":
        values.append(("2 MB text", LONG_TEXT))
    elif form_field.kind in {"text", "search", "email", "url", "password"}:
        if not form_field.limited:  # else its field checks the same maximum
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


def normalised(form):
    """A form's identity: where it posts and its fields, formset rows folded. The
    admin's add and change pages of a model are one form (the same ModelForm)."""
    action = re.sub(r"/\d+/", "/N/", form.action)
    if re.search(r"^/admin/.*/(add|N/change)/$", action):
        return (form.method, re.sub(r"(add|N/change)/$", "form/", action))
    names = sorted({LATER_ROW.sub("-0-", f.name) for f in form.fields})
    return (form.method, action, tuple(names))


def form_sweep(prober, paths, seen, *, classes=None):
    """Every form of every page, one hostile field and class at a time; a form
    already in ``seen`` (found on another page, or by another user) is skipped.
    ``classes``: only these classes of hostile values (labels), else all."""
    for _pattern, path, query in paths:
        forms, _links = parse_page(
            path, prober.client.get(path + (f"?{query}" if query else ""))
        )
        for form in forms:
            if normalised(form) in seen or form.action.startswith("/accounts/logout"):
                continue
            seen.add(normalised(form))
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
                        prober.post_form(form, name, label, value)
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
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
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
    seen = set()
    form_sweep(superuser, paths, seen)
    assert len(seen) > 60  # the portal's forms and the admin's were all found
    portal = [p for p in paths if not is_admin(p[0])]
    form_sweep(brazilian, portal, set(), classes=DATE_CLASSES)
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
