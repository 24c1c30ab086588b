"""Validators for codes the portal takes from international standards, and for
dates a person can mean."""

import zoneinfo
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def available_time_zones():
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value):
    if value not in available_time_zones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone, such as America/Bogota."),
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_iso_alpha2(value):
    if pycountry.countries.get(alpha_2=value or "") is None or value != value.upper():
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 alpha-2 country code, such as CO."),
            code="invalid_alpha2",
            params={"value": value},
        )


def validate_iso_alpha3(value):
    if pycountry.countries.get(alpha_3=value or "") is None or value != value.upper():
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166-1 alpha-3 country code, such as COL."),
            code="invalid_alpha3",
            params={"value": value},
        )


def parse_language_codes(value):
    return [code.strip().lower() for code in (value or "").split(",") if code.strip()]


def validate_language_codes(value):
    codes = parse_language_codes(value)
    if not codes:
        raise ValidationError(
            _("Give at least one ISO 639-1 language code, such as es."),
            code="no_language",
        )
    unknown = [code for code in codes if pycountry.languages.get(alpha_2=code) is None]
    if unknown:
        raise ValidationError(
            _("Not ISO 639-1 language codes: %(codes)s."),
            code="invalid_language",
            params={"codes": ", ".join(unknown)},
        )


# Dates and times outside these years are typing mistakes or probes. Refusing them
# where they are entered keeps every later computation (a time-zone conversion, the
# end of a series, an .ics file) inside what ``datetime`` can represent.
FIRST_YEAR = 1900
LAST_YEAR = 2200


def validate_sane_year(value):
    """Refuse a date or datetime outside the years 1900 to 2200."""
    if value is None:
        return
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="year_out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )
