"""Forms of the meeting pages: the meeting with its agenda, assessments, evaluations."""

import datetime
import zoneinfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from cooperation.concurrency import VERSION_FIELD, VersionedFormMixin
from cooperation.forms.common import WrittenInMixin
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    FocusArea,
    Initiative,
    InitiativeEvaluation,
    MeetingSeries,
    Nation,
    SituationAssessment,
    User,
)
from cooperation.services.assessments import (
    REASON_MAX_LENGTH,
    REASON_REQUIRED,
    assessment_nations_for,
    meeting_is_locked,
)
from cooperation.services.meetings import (
    MAX_OCCURRENCES,
    MeetingDetails,
    Repeat,
    Scope,
)
from cooperation.validators import available_time_zones, validate_sane_year
from cooperation.widgets import (
    AutocompleteModelChoiceField,
    AutocompleteSelect,
    UserChoiceField,
    UserMultipleChoiceField,
)

MAX_AGENDA_ITEMS = 100


def limit_length(field, max_length):
    """Cap a free-text field (a TextField has no length of its own)."""
    field.max_length = max_length
    field.validators.append(MaxLengthValidator(max_length))
    field.widget.attrs["maxlength"] = str(max_length)


def time_zone_choices():
    zones = sorted(
        zone
        for zone in available_time_zones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix"))
    )
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


def partner_zone_choices(choices, nations):
    """``choices`` (a flat list of time zones) grouped for a picker: the zones of
    the partner ``nations`` first, each named with its nations, then the others
    (each zone once, so the one selected is never ambiguous)."""
    labels = dict(choices)
    names = {}
    for nation in nations:
        if nation.time_zone in labels:
            names.setdefault(nation.time_zone, []).append(nation.display_name)
    partner = [
        (zone, f"{labels[zone]} ({', '.join(sorted(names[zone]))})")
        for zone in sorted(names, key=lambda zone: labels[zone])
    ]
    if not partner:
        return list(choices)
    return [
        (_("Partner nations"), partner),
        (_("Other time zones"), [c for c in choices if c[0] not in names]),
    ]


def partner_nations():
    """The active nations, for the partner zones of a time-zone picker."""
    return list(
        Nation.objects.filter(is_active=True).only("name", "iso_alpha2", "time_zone")
    )


def active_users(*, keep=()):
    """Active users, plus the ones already on the record (so an edit can be saved)."""
    keep = [pk for pk in keep if pk is not None]
    return User.objects.filter(Q(is_active=True) | Q(pk__in=keep)).order_by(
        "last_name", "first_name", "username"
    )


def active_nations(*, keep=()):
    keep = [pk for pk in keep if pk is not None]
    return Nation.objects.filter(Q(is_active=True) | Q(pk__in=keep)).order_by("name")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time with no zone: the form says which zone it is in.

    Django's own field reads input in the user's zone; a meeting is entered in its
    own zone, so this one returns a naive datetime for the form to localise.
    """

    widget = forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
    )
    # Checked with the field, before the form's clean() converts between zones:
    # year 1 or 9999 would overflow there.
    default_validators = [validate_sane_year]

    def to_python(self, value):
        # In UTC a wall-clock time always exists, so parsing never fails on a DST gap
        # of the user's own zone; the zone is dropped again right after.
        with timezone.override(datetime.UTC):
            result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=None)

    def prepare_value(self, value):
        # Initial values are already naive wall-clock times in the meeting's zone.
        return value


def zone_or_utc(name):
    """The ZoneInfo of a stored zone name (validated on save), UTC if it is unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def localise(naive, zone):
    """``naive`` read in ``zone``, or None when that wall-clock time never happens."""
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        return None  # skipped by a daylight-saving change
    return aware.astimezone(datetime.UTC)


class MeetingForm(WrittenInMixin, VersionedFormMixin, forms.ModelForm):
    """A meeting, its start and end entered in the meeting's own time zone; editing
    one carries the version it was loaded from (``cooperation.concurrency``)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("The meeting's own time zone; start and end are read in it."),
    )
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))

    class Meta:
        model = AssessmentMeeting
        fields = [
            "title",
            "language",
            "status",
            "time_zone",
            "starts_at",
            "ends_at",
            "location",
            "online_url",
            "chair",
            "nations",
            "attendees",
        ]
        # People are chosen with an autocomplete, never from a list of every user.
        field_classes = {"chair": UserChoiceField, "attendees": UserMultipleChoiceField}
        widgets = {"nations": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        meeting = self.instance
        choices = time_zone_choices()
        zone_name = meeting.time_zone
        if zone_name in available_time_zones() and zone_name not in dict(choices):
            # A valid zone left out of the list (Etc/GMT+5…) stays selectable.
            choices.append((zone_name, zone_name))
        self.fields["time_zone"].choices = partner_zone_choices(
            choices, partner_nations()
        )
        if meeting.pk:
            zone = zone_or_utc(meeting.time_zone)
            for name in ("starts_at", "ends_at"):
                self.initial[name] = (
                    getattr(meeting, name).astimezone(zone).replace(tzinfo=None)
                )
            chair_ids = [meeting.chair_id]
            attendee_ids = list(meeting.attendees.values_list("pk", flat=True))
            nation_ids = list(meeting.nations.values_list("pk", flat=True))
        else:
            chair_ids = attendee_ids = nation_ids = []
            if user is not None and not self.initial.get("time_zone"):
                self.initial["time_zone"] = (
                    user.nation.time_zone if user.nation_id else user.time_zone
                )
        self.fields["chair"].queryset = active_users(keep=chair_ids)
        self.fields["attendees"].queryset = active_users(keep=attendee_ids)
        self.fields["nations"].queryset = active_nations(keep=nation_ids)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("title", css_class="col-md-9"), Column("language")),
            Row(Column("status", css_class="col-md-4"), Column("time_zone")),
            Row(Column("starts_at"), Column("ends_at")),
            Row(Column("location"), Column("online_url")),
            "chair",
            Row(Column("nations", css_class="col-md-5"), Column("attendees")),
        )
        if VERSION_FIELD in self.fields:
            self.helper.layout.append(VERSION_FIELD)

    def details(self):
        """What the valid form asks the meeting to be, for ``meeting_plan``."""
        cleaned = self.cleaned_data
        return MeetingDetails(
            title=cleaned["title"],
            starts_at=cleaned["starts_at"],
            ends_at=cleaned["ends_at"],
            time_zone=cleaned["time_zone"],
            status=cleaned["status"],
            location=cleaned["location"],
            online_url=cleaned["online_url"],
            chair=cleaned["chair"],
            language=cleaned.get("language", ""),
            nations=tuple(cleaned["nations"]),
            attendees=tuple(cleaned["attendees"]),
        )

    def clean(self):
        cleaned = super().clean()
        zone_name = cleaned.get("time_zone")
        # The field accepted only names from the zone database, so this cannot fail.
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else None
        for name in ("starts_at", "ends_at"):
            naive = cleaned.get(name)
            if naive is None:
                continue
            if zone is None:
                # Without a valid zone the time means nothing: keep the stored one.
                del cleaned[name]
                continue
            aware = localise(naive, zone)
            if aware is None:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _(
                            "%(time)s does not exist in %(zone)s: the clocks skip it "
                            "for daylight saving. Choose another time."
                        ),
                        code="nonexistent_time",
                        params={
                            "time": date_format(naive, "DATETIME_FORMAT"),
                            "zone": zone_name,
                        },
                    ),
                )
                continue
            cleaned[name] = aware
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error(
                "ends_at",
                forms.ValidationError(
                    _("A meeting must end after it starts."), code="end_before_start"
                ),
            )
            # Keep the stored times on the instance, so the model's own check does
            # not report the same mistake a second time.
            cleaned.pop("starts_at", None)
        return cleaned


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "presenter", "duration_minutes", "notes", "covered"]
        field_classes = {"presenter": UserChoiceField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model allows 1 to 480 minutes; let the browser say so too.
        self.fields["duration_minutes"].widget.attrs.update(min="1", max="480")
        limit_length(self.fields["notes"], 2_000)


class BaseAgendaFormSet(forms.BaseInlineFormSet):
    """The agenda; the ORDER column (``can_order``) sets each item's position."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "queryset", AgendaItem.objects.select_related("presenter__nation")
        )
        super().__init__(*args, **kwargs)

    @cached_property
    def presenters(self):
        """Who may present: active users plus each item's current presenter."""
        keep = [item.presenter_id for item in self.get_queryset()]
        return active_users(keep=keep)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        order = form.fields[forms.formsets.ORDERING_FIELD_NAME]
        order.label = _("Position")
        order.min_value = 1
        order.validators.append(MinValueValidator(1))
        order.widget.attrs["min"] = "1"
        form.fields[forms.formsets.DELETION_FIELD_NAME].label = _("Remove")
        presenter = form.fields["presenter"]
        presenter.queryset = self.presenters
        if form.instance.presenter_id:
            # Read with the item: the chooser shows it without a query per row.
            presenter.remember([form.instance.presenter])

    def agenda(self):
        """(the items in their new order, the items removed) for the meeting
        services: the ORDER column's order, removed rows left out."""
        removed = [form.instance for form in self.deleted_forms if form.instance.pk]
        return [form.instance for form in self.ordered_forms], removed


AgendaFormSet = forms.inlineformset_factory(
    AssessmentMeeting,
    AgendaItem,
    form=AgendaItemForm,
    formset=BaseAgendaFormSet,
    extra=3,
    can_delete=True,
    can_order=True,
    max_num=MAX_AGENDA_ITEMS,
    validate_max=True,
)


DUPLICATE_ASSESSMENT = _(
    "This meeting already has an assessment of this concern of this nation for this "
    "focus area. Edit that one instead, or name a different concern."
)
DUPLICATE_EVALUATION = _(
    "This meeting has already evaluated this initiative. Edit that evaluation instead."
)


class CorrectionReasonMixin:
    """Ask for a reason when the record's meeting has published minutes (a
    correction, kept in history with the old values)."""

    def add_reason_field(self, meeting):
        self.needs_reason = meeting_is_locked(meeting)
        if self.needs_reason:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the correction"),
                max_length=REASON_MAX_LENGTH,
                help_text=_(
                    "The minutes are published: the history keeps this reason with "
                    "the values before your correction."
                ),
                error_messages={"required": REASON_REQUIRED},
            )


class SituationAssessmentForm(WrittenInMixin, CorrectionReasonMixin, forms.ModelForm):
    """An assessment recorded at the meeting it belongs to (set by the view), of a
    nation the user may assess."""

    # Primary or secondary, said explicitly; a POST without it records the primary
    # concern, as before secondary concerns existed.
    is_primary = forms.TypedChoiceField(
        label=_("This concern is"),
        choices=[
            (True, _("The primary concern of this nation in this focus area")),
            (False, _("A secondary concern")),
        ],
        coerce=lambda value: value in (True, "True"),
        empty_value=True,
        required=False,
        initial=True,
        widget=forms.RadioSelect,
        help_text=_(
            "Recording a primary concern makes the one that was primary at this "
            "meeting a secondary concern."
        ),
    )

    class Meta:
        model = SituationAssessment
        fields = [
            "nation",
            "focus_area",
            "primary_concern",
            "is_primary",
            "language",
            "trend",
            "threat_level",
            "summary",
            "production_trend",
            "trafficking_trend",
            "consumption_trend",
            "emerging_shift",
            "key_drivers",
            "sources",
            "confidence",
            "is_draft",
        ]
        widgets = {
            "trend": forms.RadioSelect,
            "threat_level": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 5}),
            "key_drivers": forms.Textarea(attrs={"rows": 3}),
            "sources": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        nations = assessment_nations_for(user=user)
        if self.instance.nation_id:
            nations = nations | Nation.objects.filter(pk=self.instance.nation_id)
        self.fields["nation"].queryset = nations.order_by("name")
        self.fields["focus_area"].queryset = FocusArea.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.focus_area_id)
        ).in_display_order()
        # Radio buttons need no "choose one" entry.
        self.fields["threat_level"].choices = SituationAssessment.ThreatLevel.choices
        # Blank is "not assessed", offered as a choice of its own. Selects, not
        # radio buttons: their labels would repeat the trend's and threat level's.
        for name in ("production_trend", "trafficking_trend", "consumption_trend"):
            self.fields[name].choices = [
                ("", _("Not assessed")),
                *SituationAssessment.Trend.choices,
            ]
        self.fields["confidence"].choices = [
            ("", _("Not stated")),
            *SituationAssessment.Confidence.choices,
        ]
        limit_length(self.fields["summary"], 5_000)
        limit_length(self.fields["key_drivers"], 2_000)
        limit_length(self.fields["sources"], 2_000)
        self.add_reason_field(self.instance.meeting)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("nation"), Column("focus_area")),
            Row(Column("primary_concern"), Column("is_primary")),
            Row(Column("trend"), Column("threat_level")),
            Row(Column("language", css_class="col-md-4")),
            "summary",
            Fieldset(
                _("Analysis"),
                Row(
                    Column("production_trend", css_class="col-md-4"),
                    Column("trafficking_trend", css_class="col-md-4"),
                    Column("consumption_trend", css_class="col-md-4"),
                ),
                Row(
                    Column("emerging_shift", css_class="col-md-8"),
                    Column("confidence", css_class="col-md-4"),
                ),
                Row(Column("key_drivers"), Column("sources")),
            ),
            "is_draft",
            *(["reason"] if self.needs_reason else []),
        )

    def clean(self):
        cleaned = super().clean()
        nation, focus_area = cleaned.get("nation"), cleaned.get("focus_area")
        concern = cleaned.get("primary_concern")
        if nation and focus_area and concern:
            duplicate = (
                SituationAssessment.objects.filter(
                    meeting_id=self.instance.meeting_id,
                    nation=nation,
                    focus_area=focus_area,
                    primary_concern=concern,
                )
                .exclude(pk=self.instance.pk)
                .exists()
            )
            if duplicate:
                self.add_error(
                    "primary_concern",
                    forms.ValidationError(DUPLICATE_ASSESSMENT, code="duplicate"),
                )
        return cleaned


class InitiativeEvaluationForm(CorrectionReasonMixin, forms.ModelForm):
    """An evaluation recorded at a meeting, of an initiative released to the user."""

    class Meta:
        model = InitiativeEvaluation
        fields = ["initiative", "rating", "findings"]
        widgets = {
            "rating": forms.RadioSelect,
            "findings": forms.Textarea(attrs={"rows": 5}),
            "initiative": AutocompleteSelect("cooperation:lookup-initiatives"),
        }
        field_classes = {"initiative": AutocompleteModelChoiceField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only initiatives released to the user: a withheld one cannot be chosen, not
        # even by posting its id.
        self.fields["initiative"].queryset = Initiative.objects.visible_to(
            user
        ).order_by("title")
        self.fields["rating"].choices = InitiativeEvaluation.Rating.choices
        limit_length(self.fields["findings"], 5_000)
        self.add_reason_field(self.instance.meeting)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        initiative = cleaned.get("initiative")
        if initiative:
            duplicate = (
                InitiativeEvaluation.objects.filter(
                    meeting_id=self.instance.meeting_id, initiative=initiative
                )
                .exclude(pk=self.instance.pk)
                .exists()
            )
            if duplicate:
                raise forms.ValidationError(DUPLICATE_EVALUATION, code="duplicate")
        return cleaned


# --------------------------------------------------------- series, scope, warnings

SCOPE_CHOICES = [
    (Scope.THIS, _("This occurrence only")),
    (Scope.FOLLOWING, _("This and following occurrences")),
]


def repeat_frequency_field(**kwargs):
    """How a meeting repeats, or not: the field of the meeting form's "Repeat"
    section and of find-a-time's."""
    return forms.ChoiceField(
        label=_("Repeat"),
        required=False,
        choices=[("", _("Does not repeat")), *MeetingSeries.Frequency.choices],
        **kwargs,
    )


def repeat_interval_field():
    """Every how many weeks, months or quarters a series repeats."""
    return forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=12,
        initial=1,
        required=False,
        help_text=_("1 = every week/month/quarter, 2 = every other one, …"),
    )


class RepeatForm(forms.Form):
    """Whether a new meeting repeats, and until when: the "Repeat" section."""

    ENDS_ON_DATE = "on_date"
    ENDS_AFTER_COUNT = "after_count"

    frequency = repeat_frequency_field()
    interval = repeat_interval_field()
    ends = forms.ChoiceField(
        label=_("Ends"),
        choices=[
            (ENDS_AFTER_COUNT, _("After a number of occurrences")),
            (ENDS_ON_DATE, _("On a date")),
        ],
        initial=ENDS_AFTER_COUNT,
        widget=forms.RadioSelect,
        required=False,
    )
    count = forms.IntegerField(
        label=_("Number of occurrences"),
        min_value=1,
        max_value=MAX_OCCURRENCES,
        initial=4,
        required=False,
    )
    until = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_sane_year],
    )
    week_of_month = forms.TypedChoiceField(
        label=_("Week of the month"),
        choices=[
            ("", _("Same day of the month as the first occurrence")),
            *MeetingSeries.WeekOfMonth.choices,
        ],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "Monthly and quarterly series only. With a day of the week, e.g. the "
            "first Tuesday of each quarter or the last Thursday of the month; the "
            "first occurrence must fall on that day."
        ),
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"),
        choices=[("", "---------"), *WEEKDAYS.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )

    prefix = "repeat"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interval"].widget.attrs.update(min="1", max="12")
        self.fields["count"].widget.attrs.update(min="1", max=str(MAX_OCCURRENCES))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("frequency"), Column("interval", css_class="col-md-3")),
            Row(Column("week_of_month"), Column("weekday")),
            Row(Column("ends"), Column("count"), Column("until")),
        )

    @classmethod
    def initial_from_query(cls, query):
        """Initial values from the find-a-time page's link (``repeat-frequency``,
        ``repeat-interval``, ``repeat-ends``, ``repeat-count``…); input that does
        not validate is ignored (this only fills in the form)."""
        if not any(key.startswith(f"{cls.prefix}-") for key in query):
            return None
        probe = cls(query)
        if not probe.is_valid() or not probe.cleaned_data.get("frequency"):
            return None
        return {
            name: value
            for name, value in probe.cleaned_data.items()
            if value is not None and value != ""
        }

    def repeat(self):
        """The series the new meeting starts, None when it does not repeat."""
        cleaned = self.cleaned_data
        if not cleaned.get("frequency"):
            return None
        return Repeat(
            frequency=cleaned["frequency"],
            interval=cleaned["interval"],
            until=cleaned.get("until"),
            count=cleaned.get("count"),
            week_of_month=cleaned.get("week_of_month"),
            weekday=cleaned.get("weekday"),
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("frequency"):
            return cleaned
        if not cleaned.get("interval"):
            cleaned["interval"] = 1
        week, weekday = cleaned.get("week_of_month"), cleaned.get("weekday")
        if week is not None and cleaned["frequency"] == MeetingSeries.Frequency.WEEKLY:
            self.add_error(
                "week_of_month",
                forms.ValidationError(
                    _("A weekly series cannot fall on a week of the month."),
                    code="weekly_week_of_month",
                ),
            )
        elif week is not None and weekday is None and "weekday" not in self.errors:
            self.add_error(
                "weekday",
                forms.ValidationError(
                    _("Choose the day of the week, e.g. Tuesday."), code="required"
                ),
            )
        elif (
            weekday is not None and week is None and "week_of_month" not in self.errors
        ):
            self.add_error(
                "week_of_month",
                forms.ValidationError(
                    _("Choose the week of the month, e.g. the first."),
                    code="required",
                ),
            )
        ends = cleaned.get("ends") or self.ENDS_AFTER_COUNT
        if ends == self.ENDS_ON_DATE:
            cleaned["count"] = None
            if not cleaned.get("until") and "until" not in self.errors:
                self.add_error(
                    "until",
                    forms.ValidationError(
                        _("Choose the date the series ends on."), code="required"
                    ),
                )
        else:
            cleaned["until"] = None
            if not cleaned.get("count") and "count" not in self.errors:
                self.add_error(
                    "count",
                    forms.ValidationError(
                        _("Choose how many occurrences the series has."),
                        code="required",
                    ),
                )
        return cleaned


class ScopeForm(forms.Form):
    """Which occurrences of a series a change applies to."""

    scope = forms.ChoiceField(
        label=_("Apply to"),
        choices=SCOPE_CHOICES,
        initial=Scope.THIS,
        widget=forms.RadioSelect,
    )

    prefix = "scope"

    def clean_scope(self):
        return Scope(self.cleaned_data["scope"])


class ConfirmWarningsForm(forms.Form):
    """The scheduler's confirmation that they read the scheduling warnings.

    ``warnings_digest`` names the warnings they saw: when the warnings differ at
    the next POST, the confirmation does not count.
    """

    confirm_warnings = forms.BooleanField(
        label=_("I have read these warnings and want to schedule anyway"),
        required=True,
    )
    warnings_digest = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64
    )

    prefix = "confirm"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_warnings"].widget.attrs["required"] = "required"

    def confirms(self, digest):
        return self.is_valid() and self.cleaned_data["warnings_digest"] == digest

    def posted_digest(self):
        return (self.data.get(self.add_prefix("warnings_digest")) or "").strip()


class PublishMinutesForm(forms.Form):
    """Publishing locks the minutes and the meeting's assessments and evaluations,
    so the secretary confirms it first."""

    confirm = forms.BooleanField(
        label=_(
            "I understand that publishing locks the minutes and this meeting's "
            "assessments and evaluations: later changes are corrections, with a "
            "reason."
        ),
        error_messages={
            "required": _(
                "Tick the confirmation to publish: publishing locks the minutes, "
                "the assessments and the evaluations of this meeting."
            )
        },
    )


def prefill_from_query(query, *, user=None):
    """Initial values of a new meeting from the find-a-time page's link.

    ``?starts_at=<ISO>&time_zone=<zone>&nations=<code>…&duration=<minutes>``; a
    value that does not parse is ignored (this only fills in the form).
    """
    initial = {}
    zone_name = (query.get("time_zone") or "").strip()
    if zone_name in available_time_zones():
        initial["time_zone"] = zone_name
    zone = zoneinfo.ZoneInfo(initial["time_zone"]) if "time_zone" in initial else None
    raw = (query.get("starts_at") or "").strip().replace(" ", "+")
    starts = None
    if raw and len(raw) <= 40:
        try:
            starts = datetime.datetime.fromisoformat(raw)
            # Before any zone conversion, which overflows at either end.
            validate_sane_year(starts)
        except (ValueError, forms.ValidationError):
            starts = None
    if starts is not None:
        if starts.tzinfo is not None:
            starts = starts.astimezone(zone or datetime.UTC).replace(tzinfo=None)
            if zone is None:
                initial["time_zone"] = "UTC"
        initial["starts_at"] = starts
        try:
            duration = int(query.get("duration", ""))
        except ValueError:
            duration = None
        if duration and 1 <= duration <= 24 * 60:
            initial["ends_at"] = starts + datetime.timedelta(minutes=duration)
    codes = [code.strip().upper() for code in query.getlist("nations")][:50]
    if codes:
        ids = [int(code) for code in codes if code.isascii() and code.isdigit()]
        nations = Nation.objects.filter(is_active=True).filter(
            Q(iso_alpha2__in=[c for c in codes if len(c) == 2]) | Q(pk__in=ids)
        )
        initial["nations"] = list(nations.values_list("pk", flat=True))
    attendee_ids = [
        int(value)
        for value in query.getlist("attendees")[:100]
        if value.isascii() and value.isdigit()
    ]
    if attendee_ids:
        initial["attendees"] = list(
            active_users().filter(pk__in=attendee_ids).values_list("pk", flat=True)
        )
    return initial
