"""Reference data: partner nations and the lines of effort (focus areas)."""

import datetime
import functools
import unicodedata

from babel import Locale, UnknownLocaleError
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
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

from .language import localized, localized_column


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


# Weekdays as ``datetime.date.weekday()`` numbers (0 = Monday … 6 = Sunday), stored
# as their digits in order: "56" is Saturday and Sunday.
ALL_WEEKDAYS = "0123456"
DEFAULT_WEEKEND = "56"
DEFAULT_WORKDAY_START = datetime.time(8, 0)
DEFAULT_WORKDAY_END = datetime.time(18, 0)


def weekday_choices():
    return [(str(day), name) for day, name in WEEKDAYS.items()]


def validate_weekend_days(value):
    if not isinstance(value, str) or not set(value) <= set(ALL_WEEKDAYS):
        raise ValidationError(_("Choose weekend days among the days of the week."))
    if set(value) == set(ALL_WEEKDAYS):
        raise ValidationError(
            _("At least one day of the week must be a working day."),
            code="no_working_day",
        )


class WeekdaysFormField(forms.TypedMultipleChoiceField):
    """Checkboxes for the days of the week; cleans to the stored digits ("56")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=weekday_choices, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):
            return list(value)
        return value

    def has_changed(self, initial, data):
        return super().has_changed(self.prepare_value(initial or ""), data)

    def clean(self, value):
        days = super().clean(value)
        return "".join(sorted(set(days)))


class WeekdaysField(models.Field):
    """A set of days of the week, stored as their digits in order (see above)."""

    default_validators = [validate_weekend_days]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", len(ALL_WEEKDAYS))
        super().__init__(*args, **kwargs)

    def get_internal_type(self):
        return "CharField"

    def to_python(self, value):
        if isinstance(value, (list, tuple, set)):
            return "".join(sorted({str(day) for day in value}))
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        # Not the admin's text input: checkboxes, whatever the caller passes.
        kwargs.pop("widget", None)
        defaults = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
            "form_class": WeekdaysFormField,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        for unused in ("choices_form_class", "max_length", "empty_value"):
            defaults.pop(unused, None)
        if self.has_default():
            defaults["initial"] = self.get_default()
        return form_class(**defaults)


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
    weekend_days = WeekdaysField(
        _("weekend days"),
        default=DEFAULT_WEEKEND,
        blank=True,
        help_text=_(
            "The days of the week the nation's offices rest; a meeting on one of "
            "them is flagged, as on a public holiday."
        ),
    )
    workday_start = models.TimeField(
        _("working day starts"),
        default=DEFAULT_WORKDAY_START,
        help_text=_("Local time; a meeting earlier than this is flagged."),
    )
    workday_end = models.TimeField(
        _("working day ends"),
        default=DEFAULT_WORKDAY_END,
        help_text=_("Local time; a meeting later than this is flagged."),
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
            models.CheckConstraint(
                condition=Q(weekend_days__regex=r"^0?1?2?3?4?5?6?$")
                & ~Q(weekend_days=ALL_WEEKDAYS),
                name="nation_weekend_days",
                violation_error_message=_(
                    "At least one day of the week must be a working day."
                ),
            ),
            models.CheckConstraint(
                condition=Q(workday_start__lt=F("workday_end")),
                name="nation_workday_order",
                violation_error_message=_("The working day must end after it starts."),
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

    def is_weekend(self, day: datetime.date) -> bool:
        """Whether ``day`` (a date in the nation's own zone) is a weekend day."""
        return str(day.weekday()) in (self.weekend_days or "")

    @property
    def weekend_day_names(self):
        return [WEEKDAYS[int(day)] for day in self.weekend_days or ""]

    def clean(self):
        self.official_languages = ", ".join(self.language_codes)
        if (
            self.workday_start is not None
            and self.workday_end is not None
            and self.workday_start >= self.workday_end
        ):
            raise ValidationError(
                {"workday_end": _("The working day must end after it starts.")},
                code="workday_order",
            )


def _description_field(verbose_name):
    return models.TextField(
        verbose_name,
        blank=True,
        max_length=10_000,
        validators=[MaxLengthValidator(10_000)],
    )


class FocusAreaQuerySet(models.QuerySet):
    def in_display_order(self):
        """By the name the reader sees ("Narcotráfico" under N in Spanish)."""
        return self.order_by(localized_column("name"), "name")


class FocusArea(models.Model):
    # ``name`` and ``description`` are English, the portal's default language; the
    # other portal languages have a column each (blank: the English text is shown).
    name = models.CharField(_("name (English)"), max_length=100, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=100, blank=True)
    name_pt_br = models.CharField(_("name (Portuguese)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = _description_field(_("description (English)"))
    description_es = _description_field(_("description (Spanish)"))
    description_pt_br = _description_field(_("description (Portuguese)"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = FocusAreaQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """The name in the reader's language; ``name`` is the English one."""
        return localized(self, "name")

    @property
    def display_description(self):
        return localized(self, "description")
