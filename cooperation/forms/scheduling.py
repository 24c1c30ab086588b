"""The "Find a time" form: who meets, for how long, between which days, in which zone."""

import datetime
import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperation.validators import available_time_zones, validate_sane_year
from cooperation.widgets import UserMultipleChoiceField

from .meetings import (
    active_nations,
    active_users,
    partner_zone_choices,
    repeat_frequency_field,
    repeat_interval_field,
    time_zone_choices,
)

MIN_DURATION = 15
MAX_DURATION = 480
MAX_RANGE_DAYS = 31
MAX_YEARS_AHEAD = 5
# A series is searched over every occurrence of every candidate: kept small.
MAX_SEARCHED_OCCURRENCES = 12


class _PreloadedChoiceIterator(ModelChoiceIterator):
    def __iter__(self):
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.rows())

    def __bool__(self):
        return bool(self.field.rows())


class PreloadedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Reads its choices once: the same rows check the input and render the options.

    The stock field runs one query to validate and another to render; this page
    shows its form again under the results, so it saves both.
    """

    iterator = _PreloadedChoiceIterator
    _rows = None

    def rows(self):
        if self._rows is None:
            self._rows = list(self.queryset)
        return self._rows

    def clean(self, value):
        """The chosen rows, checked against the preloaded ones (the stock field
        checks with a query of its own)."""
        value = self.prepare_value(value)
        if not value:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if not isinstance(value, (list, tuple)):
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            )
        try:
            wanted = {str(item) for item in value}
        except TypeError:
            raise ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        key = self.to_field_name or "pk"
        known = {str(getattr(obj, key)): obj for obj in self.rows()}
        for item in sorted(wanted):
            self.validate_no_null_characters(item)
            if item not in known:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        self.run_validators(value)
        return [obj for key_value, obj in known.items() if key_value in wanted]


class FindTimeForm(forms.Form):
    """Read from the query string (GET), so a search can be bookmarked or shared."""

    nations = PreloadedMultipleChoiceField(
        label=_("Participating nations"),
        queryset=active_nations(),
        to_field_name="iso_alpha2",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("%(value)s is not an active nation."),
        },
    )
    # An autocomplete: only the chosen people are read, to check and to show them.
    attendees = UserMultipleChoiceField(
        label=_("Attendees"),
        queryset=active_users(),
        required=False,
        error_messages={
            "invalid_choice": _("%(value)s is not an active user."),
        },
    )
    duration = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=MIN_DURATION,
        max_value=MAX_DURATION,
        initial=60,
        widget=forms.NumberInput(attrs={"step": "15"}),
    )
    first_day = forms.DateField(
        label=_("First day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_year],
    )
    last_day = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_year],
        help_text=_("At most %(days)s days after the first one, counting both.")
        % {"days": MAX_RANGE_DAYS},
    )
    time_zone = forms.ChoiceField(
        label=_("Meeting's time zone"),
        help_text=_("Proposed times are every half hour in this zone."),
    )
    frequency = repeat_frequency_field(
        help_text=_(
            "For a series, each proposed time is checked on every occurrence: the "
            "same local time on the same day of each week, month or quarter."
        ),
    )
    interval = repeat_interval_field()
    count = forms.IntegerField(
        label=_("Number of occurrences"),
        min_value=2,
        max_value=MAX_SEARCHED_OCCURRENCES,
        initial=4,
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = time_zone_choices()
        default_zone = getattr(user, "time_zone", "") or "UTC"
        if default_zone in available_time_zones() and default_zone not in dict(choices):
            choices.append((default_zone, default_zone))
        # The partner nations' zones first, from the rows the nations field reads.
        self.fields["time_zone"].choices = partner_zone_choices(
            choices, self.fields["nations"].rows()
        )
        self.fields["time_zone"].initial = default_zone
        today = timezone.localdate()
        self.fields["first_day"].initial = today
        self.fields["last_day"].initial = today + datetime.timedelta(days=13)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("nations", css_class="col-md-5"), Column("attendees")),
            Row(
                Column("duration", css_class="col-md-3"),
                Column("first_day", css_class="col-md-3"),
                Column("last_day", css_class="col-md-3"),
                Column("time_zone", css_class="col-md-3"),
            ),
            Row(
                Column("frequency", css_class="col-md-4"),
                Column("interval", css_class="col-md-4"),
                Column("count", css_class="col-md-4"),
            ),
        )

    def repeat(self):
        """(frequency, interval, count) of the series searched, or None."""
        cleaned = self.cleaned_data
        if not cleaned.get("frequency"):
            return None
        return cleaned["frequency"], cleaned.get("interval") or 1, cleaned["count"]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("frequency")
            and not cleaned.get("count")
            and "count" not in self.errors
        ):
            self.add_error(
                "count",
                forms.ValidationError(
                    _("Choose how many occurrences the series has."),
                    code="required",
                ),
            )
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first is None or last is None:
            return cleaned
        zone_name = cleaned.get("time_zone")
        # "Today" where the meeting is held: a day still under way there may be over
        # already for a scheduler further east.
        today = timezone.localdate(
            timezone=zoneinfo.ZoneInfo(zone_name) if zone_name else None
        )
        if last < first:
            self.add_error(
                "last_day",
                forms.ValidationError(
                    _("The last day cannot be before the first day."),
                    code="last_before_first",
                ),
            )
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            self.add_error(
                "last_day",
                forms.ValidationError(
                    _("Search at most %(days)s days at a time."),
                    code="range_too_long",
                    params={"days": MAX_RANGE_DAYS},
                ),
            )
        elif last > today + datetime.timedelta(days=365 * MAX_YEARS_AHEAD):
            self.add_error(
                "last_day",
                forms.ValidationError(
                    _("Choose days within the next %(years)s years."),
                    code="range_too_far",
                    params={"years": MAX_YEARS_AHEAD},
                ),
            )
        elif last < today:
            self.add_error(
                "last_day",
                forms.ValidationError(
                    _("These days have passed; choose days from today on."),
                    code="range_in_the_past",
                ),
            )
        return cleaned
