"""Forms of the minutes page: the free text with the version it was loaded from,
who attended, and the outcome of each agenda item; ``meeting_record_minutes``
saves them together."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation.concurrency import VERSION_FIELD, version_token
from cooperation.models import AgendaItem, Invitation
from cooperation.services.meetings import AttendanceEntry, OutcomeEntry


class MinutesForm(forms.Form):
    """The free text of the minutes, carrying the meeting's version
    (``cooperation.concurrency``): a save over a newer version is refused."""

    minutes = forms.CharField(
        label=_("Minutes"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50_000,
        required=False,
        strip=True,
        help_text=_("What the outcomes above do not say: the free text."),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, meeting=None, **kwargs):
        if meeting is not None:
            kwargs.setdefault(
                "initial",
                {"minutes": meeting.minutes, VERSION_FIELD: version_token(meeting)},
            )
        super().__init__(*args, **kwargs)

    def posted_version(self):
        return self.cleaned_data.get(VERSION_FIELD, "")


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["attendance", "represented_by"]
        widgets = {"attendance": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        attendance = self.fields["attendance"]
        attendance.choices = [("", _("Not recorded")), *Invitation.Attendance.choices]
        self.fields["represented_by"].widget.attrs["maxlength"] = "200"


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["decision", "discussion", "follow_up"]
        widgets = {
            "decision": forms.Textarea(attrs={"rows": 2}),
            "discussion": forms.Textarea(attrs={"rows": 3}),
            "follow_up": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "follow_up": _(
                "What is to be done next; it can become a recommendation in one step."
            )
        }


class BaseMinutesFormSet(forms.BaseModelFormSet):
    """One form per existing row of the meeting (its invitations or agenda items):
    a posted row beyond them adds nothing, a forged id is an error."""

    def clean(self):
        super().clean()
        if self.total_form_count() > self.initial_form_count():
            raise forms.ValidationError(
                _("Only the rows shown can be recorded; reload the page."),
                code="extra_rows",
            )


AttendanceFormSet = forms.modelformset_factory(
    Invitation, form=AttendanceForm, formset=BaseMinutesFormSet, extra=0
)
OutcomeFormSet = forms.modelformset_factory(
    AgendaItem, form=OutcomeForm, formset=BaseMinutesFormSet, extra=0
)


def attendance_formset(data, meeting):
    return AttendanceFormSet(
        data,
        queryset=Invitation.objects.filter(meeting=meeting).by_attendee_name(),
        prefix="attendance",
    )


def outcome_formset(data, meeting):
    return OutcomeFormSet(
        data,
        queryset=AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"),
        prefix="outcomes",
    )


def attendance_entries(formset):
    return [
        AttendanceEntry(
            invitation_id=form.instance.pk,
            attendance=form.cleaned_data.get("attendance", ""),
            represented_by=form.cleaned_data.get("represented_by", ""),
        )
        for form in formset.initial_forms
    ]


def outcome_entries(formset):
    return [
        OutcomeEntry(
            item_id=form.instance.pk,
            decision=form.cleaned_data.get("decision", ""),
            discussion=form.cleaned_data.get("discussion", ""),
            follow_up=form.cleaned_data.get("follow_up", ""),
        )
        for form in formset.initial_forms
    ]
