"""The portal speaks English, Spanish and Brazilian Portuguese, everywhere.

The catalogues must be complete (no untranslated or fuzzy entry), must hold every
string the code and templates mark, and no template may show text that is not marked.
"""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils import translation
from django.utils.translation import gettext

BASE_DIR = Path(settings.BASE_DIR)
LOCALES = ["es", "pt_BR"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
# Attributes a person reads or hears (screen readers announce aria-label and title).
READ_ATTRIBUTES = {"aria-label", "placeholder", "title", "alt"}


def catalogue_path(locale):
    return BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"


def load(locale):
    with catalogue_path(locale).open("rb") as handle:
        return read_po(handle)


def gettext_tool(name):
    """The path of GNU gettext's ``name``: CI must have it, elsewhere the test skips."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"CI must check the catalogues: GNU gettext's {name} is missing"
            )
        pytest.skip(
            f"needs GNU gettext's {name} (apt-get install gettext; .ci/run does)"
        )
    return path


def entries(catalog):
    return [message for message in catalog if message.id]


def test_the_portal_offers_english_spanish_and_brazilian_portuguese():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "es", "pt-br"]
    for locale in LOCALES:
        assert catalogue_path(locale).exists(), locale


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(locale):
    catalog = load(locale)
    assert len(entries(catalog)) > 500  # the whole interface, not a sample

    untranslated = [
        message.id
        for message in entries(catalog)
        if not all(
            message.string if isinstance(message.string, tuple) else [message.string]
        )
    ]
    fuzzy = [message.id for message in entries(catalog) if message.fuzzy]

    assert untranslated == []
    assert fuzzy == []
    assert not catalog.fuzzy, "the header is still marked fuzzy"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder_of_the_source(locale):
    problems = []
    for message in entries(load(locale)):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        known = set(PLACEHOLDER.findall(" ".join(ids)))
        for form, string in enumerate(strings):
            found = set(PLACEHOLDER.findall(string))
            wanted = set(PLACEHOLDER.findall(ids[min(form, len(ids) - 1)]))
            if len(ids) > 1 and form == 0:
                # A singular may say "one" instead of the number, as English does.
                wanted -= {"%(count)d", "%(count)s", "%(counter)s"}
            if found - known or wanted - found:
                problems.append((message.id, string))
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_gnu_msgfmt_accepts_the_catalogue_with_full_statistics(locale):
    msgfmt = gettext_tool("msgfmt")
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own file
        [msgfmt, "--check", "--statistics", "-o", os.devnull, catalogue_path(locale)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr


def test_catalogues_hold_every_string_the_code_and_templates_mark(tmp_path):
    """Extracting the strings afresh finds nothing the committed catalogues lack.

    makemessages runs in a copy of the project, so it cannot touch the real catalogues.
    """
    gettext_tool("xgettext")  # makemessages runs it
    copy = tmp_path / "project"
    for name in ("cooperation", "portal", "templates", "locale"):
        shutil.copytree(
            BASE_DIR / name,
            copy / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
        )
    shutil.copy(BASE_DIR / "manage.py", copy / "manage.py")
    environment = {**os.environ, "DJANGO_DEBUG": "1"}
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [
            sys.executable,
            "manage.py",
            "makemessages",
            *(f"--locale={locale}" for locale in LOCALES),
            "--no-location",
            "--verbosity=0",
        ],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    for locale in LOCALES:
        with (copy / "locale" / locale / "LC_MESSAGES" / "django.po").open("rb") as f:
            fresh = read_po(f)
        committed = load(locale)
        fresh_keys = {(m.id, m.context) for m in entries(fresh)}
        committed_keys = {(m.id, m.context) for m in entries(committed)}
        assert fresh_keys - committed_keys == set(), (
            f"run 'make messages' and translate the new strings of {locale}"
        )
        assert committed_keys - fresh_keys == set(), (
            f"{locale} keeps strings the code no longer uses: run 'make messages'"
        )


class _UnmarkedText(HTMLParser):
    """Collects text and read-aloud attributes left in a template outside the
    translation tags (the tags themselves were replaced by NUL characters)."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._raw = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _has_words(value):
                self.found.append(f"line {self.getpos()[0]}: {name}={value!r}")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw and _has_words(data):
            self.found.append(f"line {self.getpos()[0]}: {' '.join(data.split())!r}")


def _has_words(text):
    return re.search(r"[A-Za-z]{2,}", text.replace("\0", "")) is not None


def _unmarked_text(source):
    kept = []
    skipping = 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = (token.contents.split() or [""])[0]
            if name in ("comment", "blocktranslate", "blocktrans"):
                skipping += 1
            elif name in ("endcomment", "endblocktranslate", "endblocktrans"):
                skipping -= 1
        if token.token_type == TokenType.TEXT and not skipping:
            kept.append(token.contents)
        elif token.token_type != TokenType.COMMENT:
            kept.append("\0")
    parser = _UnmarkedText()
    parser.feed("".join(kept))
    return parser.found


def test_the_template_check_finds_unmarked_text_and_attributes():
    source = (
        '{% load i18n %}<h1>{% translate "Nations" %}</h1>'
        '<p title="Open it">Plain words</p>'
        "{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}"
    )
    assert _unmarked_text(source) == [
        "line 1: title='Open it'",
        "line 1: 'Plain words'",
    ]


def test_no_template_shows_text_outside_the_translation_tags():
    templates = sorted((BASE_DIR / "templates").rglob("*.html"))
    assert len(templates) > 40
    unmarked = {
        str(path.relative_to(BASE_DIR)): found
        for path in templates
        if (found := _unmarked_text(path.read_text()))
    }
    assert unmarked == {}


@pytest.mark.parametrize(
    ("language", "expected"),
    [("es", "Recomendaciones"), ("pt-br", "Recomendações")],
)
def test_compiled_catalogues_are_loaded(language, expected):
    # Built by the Makefile from the .po files (make test / make run do it).
    with translation.override(language):
        assert gettext("Recommendations") == expected
