"""The language a record is written in, and reference data named in each portal
language.

Free text (an initiative's summary, a recommendation's description…) stays in the
language its author wrote it in; the record keeps that language so a page marks it
(``lang``) and tells a reader of another language which one it is. Reference data
with a handful of rows (focus areas) holds its name in every portal language in a
column per language (``name_es``, ``name_pt_br``), English in the record's own
column, read through ``localized()``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def portal_language(language=None):
    """``language`` (default: the active one) as one of settings.LANGUAGES: a
    regional variant falls back to its base language ("es-mx" → es), anything else
    to the default language."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = (language or get_language() or settings.LANGUAGE_CODE).lower()
    if language in codes:
        return language
    base = language.split("-")[0]
    return base if base in codes else settings.LANGUAGE_CODE


def language_field():
    """The ``language`` a record is written in (shown on its forms as "Written
    in"): by default the author's active language (``portal_language``), which the
    creating service also sets when it is blank."""
    return models.CharField(
        _("written in"),
        max_length=7,
        choices=settings.LANGUAGES,
        default=portal_language,
        help_text=_("The language the text of this record is written in."),
    )


def column_suffix(language):
    """The suffix of the column holding a text in ``language``: "" for the default
    language (the record's own column), "_es", "_pt_br"…"""
    language = portal_language(language)
    if language == settings.LANGUAGE_CODE:
        return ""
    return "_" + language.replace("-", "_")


def localized(instance, field, language=None):
    """``instance.<field>`` in ``language`` (default: the reader's), falling back to
    the default language's text where that language's column is empty."""
    value = getattr(instance, field + column_suffix(language), "")
    return value or getattr(instance, field)


def localized_column(field, language=None, relation="", *, lower=True):
    """A database expression of ``field`` in ``language`` with the same fallback as
    ``localized()``, for sorting by the name the reader sees."""
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, Lower, NullIf

    prefix = f"{relation}__" if relation else ""
    own = F(prefix + field)
    suffix = column_suffix(language)
    column = (
        Coalesce(NullIf(F(prefix + field + suffix), Value("")), own) if suffix else own
    )
    return Lower(column) if lower else column
