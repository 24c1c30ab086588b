"""The language a record is written in, on its pages.

``{% written_in record %}`` is a small badge ("ES", titled "Written in Spanish")
shown beside a record's title when it is written in another language than the
reader's; ``{{ record|content_lang }}`` is the value of the ``lang`` attribute of
the element holding its text, so that screen readers and hyphenation use the
language it is written in.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cooperation.models.language import portal_language

register = template.Library()

WRITTEN_IN = {
    "en": _("Written in English"),
    "es": _("Written in Spanish"),
    "pt-br": _("Written in Portuguese"),
}


def _record_language(record):
    """The portal language ``record`` is written in; ``record`` may also be the
    language code itself (a value read without its record, as a search hit's)."""
    language = record if isinstance(record, str) else getattr(record, "language", "")
    return portal_language(language or None)


@register.filter
def content_lang(record):
    """The BCP 47 tag of the language ``record`` (or a language code) is written
    in ("es", "pt-BR")."""
    language, _sep, region = _record_language(record).partition("-")
    return f"{language}-{region.upper()}" if region else language


@register.simple_tag
def written_in(record):
    """A badge naming the language of ``record`` when it is not the reader's."""
    language = _record_language(record)
    if language == portal_language(get_language()):
        return ""
    label = WRITTEN_IN.get(language, language)
    return format_html(
        '<span class="badge text-bg-light border fw-normal align-middle ms-1 '
        'written-in" title="{}"><span aria-hidden="true" lang="{}">{}</span>'
        '<span class="visually-hidden">{}</span></span>',
        label,
        content_lang(record),
        language.split("-")[0].upper(),
        label,
    )
