"""Reference data: partner nations and the lines of effort (focus areas)."""

import functools
import unicodedata

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation.validators import (
    parse_language_codes,
    validate_iso_alpha2,
    validate_iso_alpha3,
    validate_language_codes,
    validate_time_zone,
)


@functools.cache
def _cldr_territories(language):
    try:
        territories = Locale.parse(to_locale(language)).territories
    except (UnknownLocaleError, ValueError):
        return {}
    # Alpha-2 codes only: CLDR also names regions by number ("419": Latin America).
    return {code: name for code, name in territories.items() if code.isalpha()}


def territories(language=None):
    """ISO 3166-1 alpha-2 code → name in ``language`` (default: the active one), from
    the Unicode CLDR data Babel maintains."""
    return _cldr_territories(language or get_language() or settings.LANGUAGE_CODE)


def territory_name(code, default="", *, language=None):
    """The name of territory ``code`` in ``language``; ``default`` if unknown."""
    return territories(language).get(code, default) or default


def territory_codes_matching(text, *, language=None):
    """The alpha-2 codes whose name in ``language`` contains ``text``, ignoring case."""
    needle = text.strip().casefold()
    if not needle:
        return []
    return [
        code
        for code, name in territories(language).items()
        if needle in name.casefold()
    ]


def collation_key(text):
    """Sort text as a reader expects: ignoring case and accents ("México" by "M")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def display_order(code_field="iso_alpha2", name_field="name"):
    """A database expression sorting rows by the territory name the reader sees, so
    "Estados Unidos" sorts under E in Spanish; unknown codes sort by ``name_field``."""
    return Case(
        *(
            When(**{code_field: code}, then=Value(collation_key(name)))
            for code, name in sorted(territories().items())
        ),
        default=F(name_field),
        output_field=models.CharField(),
    )


class NationQuerySet(models.QuerySet):
    def with_display_order(self):
        """Annotate ``display_order``, the sort key of the name the reader sees."""
        return self.annotate(display_order=display_order())

    def in_display_order(self):
        return self.with_display_order().order_by("display_order", "name")


class Nation(models.Model):
    class Region(models.TextChoices):
        SOUTH_AMERICA = "south_america", _("South America")
        CENTRAL_AMERICA = "central_america", _("Central America")
        CARIBBEAN = "caribbean", _("Caribbean")
        NORTH_AMERICA = "north_america", _("North America")

    name = models.CharField(_("name"), max_length=100, unique=True)
    iso_alpha2 = models.CharField(
        _("ISO 3166-1 alpha-2 code"),
        max_length=2,
        unique=True,
        validators=[validate_iso_alpha2],
    )
    iso_alpha3 = models.CharField(
        _("ISO 3166-1 alpha-3 code"),
        max_length=3,
        unique=True,
        validators=[validate_iso_alpha3],
    )
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_time_zone],
        help_text=_("The IANA time zone of the capital, e.g. America/Bogota."),
    )
    official_languages = models.CharField(
        _("official languages"),
        max_length=100,
        validators=[validate_language_codes],
        help_text=_("ISO 639-1 codes separated by commas, e.g. es, qu, ay."),
    )
    liaison_name = models.CharField(_("liaison officer"), max_length=150, blank=True)
    liaison_email = models.EmailField(_("liaison e-mail"), blank=True)
    liaison_phone = models.CharField(
        _("liaison phone"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9 ()\-.]{5,40}$",
                _("Enter a phone number of digits, spaces and + ( ) - ."),
            )
        ],
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Inactive nations keep their records but are not offered for new ones."
        ),
    )

    objects = NationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("nation")
        verbose_name_plural = _("nations")
        constraints = [
            models.CheckConstraint(
                condition=Q(iso_alpha2__regex=r"^[A-Z]{2}$"),
                name="nation_alpha2_format",
                violation_error_message=_("The alpha-2 code is two capital letters."),
            ),
            models.CheckConstraint(
                condition=Q(iso_alpha3__regex=r"^[A-Z]{3}$"),
                name="nation_alpha3_format",
                violation_error_message=_("The alpha-3 code is three capital letters."),
            ),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("cooperation:nation-detail", args=[self.iso_alpha2])

    @property
    def display_name(self):
        """The nation's name in the reader's language; ``name`` is the record's own."""
        return territory_name(self.iso_alpha2, self.name)

    @property
    def language_codes(self):
        return parse_language_codes(self.official_languages)

    def clean(self):
        self.official_languages = ", ".join(self.language_codes)


class FocusArea(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=10_000,
        validators=[MaxLengthValidator(10_000)],
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self):
        return self.name
