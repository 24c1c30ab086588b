"""Reference data: partner nations and the lines of effort (focus areas)."""

import functools
import unicodedata

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Q
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


# The column holding the sort key of the nation's name in each portal language
# (settings.LANGUAGES); ``Nation.save()`` fills them from the CLDR names.
SORT_NAME_FIELDS = {
    "en": "sort_name_en",
    "es": "sort_name_es",
    "pt-br": "sort_name_pt_br",
}
SORT_NAME_MAX_LENGTH = 200


def sort_name_field(language=None):
    """The sort-key column for ``language`` (default: the active one); a regional
    variant falls back to its base language ("es-mx" → es), anything else to English."""
    language = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return SORT_NAME_FIELDS.get(
        language,
        SORT_NAME_FIELDS.get(language.split("-")[0], SORT_NAME_FIELDS["en"]),
    )


def display_order(relation=""):
    """A database expression sorting rows by the territory name the reader sees, so
    "Estados Unidos" sorts under E in Spanish; unknown codes sort by the record's name.

    A stored column per language (``sort_name_<language>``), so the expression stays
    one column whatever the number of territories. ``relation`` is the path to the
    nation from the rows being sorted, e.g. ``"nation"`` for a participation.
    """
    field = sort_name_field()
    return F(f"{relation}__{field}" if relation else field)


class NationQuerySet(models.QuerySet):
    def with_display_order(self):
        """Annotate ``display_order``, the sort key of the name the reader sees."""
        return self.annotate(display_order=display_order())

    def in_display_order(self):
        return self.with_display_order().order_by("display_order", "name")

    def visible_counts(self, user):
        """``{nation pk: (initiatives, open recommendations)}``: the initiatives each
        nation takes part in and the open recommendations addressed to it, counting
        only records released to ``user``; nations with neither are left out.

        Two grouped queries (one per relation: joining both would multiply
        participations by recommendations), each computed once per data generation
        and reader's releasability (``cooperation.counts``): counting every record
        is the part of the nations list that grows with the data.
        """
        from cooperation.counts import cached_rows

        # The related models through the reverse relations: they import this module.
        participation = self.model._meta.get_field("participations").related_model
        addressed = self.model._meta.get_field("recommendations")
        recommendation = addressed.related_model
        initiatives = cached_rows(
            participation.objects.visible_to(user)
            .order_by()
            .values_list("nation_id")
            .annotate(n=Count("pk"))
        )
        open_recommendations = dict(
            cached_rows(
                addressed.through.objects.filter(
                    recommendation__in=recommendation.objects.visible_to(user)
                    .open()
                    .values("pk")
                )
                .order_by()
                .values_list("nation_id")
                .annotate(n=Count("pk"))
            )
        )
        counts = {pk: (n, open_recommendations.pop(pk, 0)) for pk, n in initiatives}
        counts.update((pk, (0, n)) for pk, n in open_recommendations.items())
        return counts


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

    # The collation key of the name in each portal language, for sorting by the name
    # the reader sees (``display_order``); computed in ``save()``.
    sort_name_en = models.CharField(
        max_length=SORT_NAME_MAX_LENGTH, editable=False, db_index=True
    )
    sort_name_es = models.CharField(
        max_length=SORT_NAME_MAX_LENGTH, editable=False, db_index=True
    )
    sort_name_pt_br = models.CharField(
        max_length=SORT_NAME_MAX_LENGTH, editable=False, db_index=True
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

    def save(self, *args, **kwargs):
        self.set_sort_names()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "iso_alpha2"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *SORT_NAME_FIELDS.values()}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cooperation:nation-detail", args=[self.iso_alpha2])

    def set_sort_names(self):
        """Store the sort key of the name in each portal language: the CLDR name of
        the code, or the record's own name when CLDR does not know the code."""
        for language, field in SORT_NAME_FIELDS.items():
            name = territory_name(self.iso_alpha2, self.name, language=language)
            setattr(self, field, collation_key(name)[:SORT_NAME_MAX_LENGTH])

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
