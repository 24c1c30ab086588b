"""Forms of the recommendation pages: raise, edit, and change status."""

import zoneinfo

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cooperation.concurrency import VersionedFormMixin
from cooperation.forms.common import WrittenInMixin
from cooperation.models import (
    AssessmentMeeting,
    FocusArea,
    Initiative,
    Nation,
    Recommendation,
    User,
)
from cooperation.widgets import (
    AutocompleteModelChoiceField,
    AutocompleteSelect,
    UserChoiceField,
)

NOTE_MAX_LENGTH = 5000
# What a recommendation says: raised with its source, edited without it.
CONTENT_FIELDS = [
    "title",
    "language",
    "description",
    "focus_area",
    "initiative",
    "nations",
    "owner",
    "priority",
    "due_date",
]


class RecommendationForm(WrittenInMixin, forms.ModelForm):
    """Raise a recommendation.

    Every choice is limited to what the user may pick: active focus areas, nations
    and owners, and only the initiatives and meetings released to the user, so a
    forged or withheld id is a field error. When the recommendation is raised from
    a meeting page, pass ``source_meeting``: the field is removed and the meeting is
    fixed, whatever the request posts.
    """

    class Meta:
        model = Recommendation
        fields = [*CONTENT_FIELDS, "source_meeting", "source_note"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "nations": forms.CheckboxSelectMultiple,
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "initiative": AutocompleteSelect("cooperation:lookup-initiatives"),
            "source_meeting": AutocompleteSelect("cooperation:lookup-meetings"),
        }
        # Choosers over tables that grow: autocompletes, never a list of every row.
        field_classes = {
            "owner": UserChoiceField,
            "initiative": AutocompleteModelChoiceField,
            "source_meeting": AutocompleteModelChoiceField,
        }

    def __init__(
        self, *args, user, source_meeting=None, source_agenda_item=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fixed_source_meeting = source_meeting
        self.source_agenda_item = source_agenda_item
        self.withheld_initiative = False
        instance = self.instance

        self.fields["focus_area"].queryset = FocusArea.objects.filter(
            Q(is_active=True) | Q(pk=instance.focus_area_id)
        ).in_display_order()
        current_nations = list(instance.nations.all()) if instance.pk else []
        self.fields["nations"].queryset = Nation.objects.filter(
            Q(is_active=True) | Q(pk__in=[nation.pk for nation in current_nations])
        ).order_by("name")
        owner = self.fields["owner"]
        owner.queryset = User.objects.filter(
            Q(is_active=True) | Q(pk=instance.owner_id)
        ).order_by("last_name", "first_name", "username")
        if not instance.pk:
            owner.initial = user.pk
            owner.help_text = _("The person who follows it up; you, unless you choose.")

        visible_initiatives = Initiative.objects.visible_to(user)
        if instance.initiative_id and not (
            visible_initiatives.filter(pk=instance.initiative_id).exists()
        ):
            # Linked to an initiative this user may not see: keep the link as it
            # is rather than offer (or silently drop) a record they cannot see.
            del self.fields["initiative"]
            self.withheld_initiative = True
        else:
            self.fields["initiative"].queryset = visible_initiatives.order_by("title")

        if "source_meeting" in self.fields:
            if source_meeting is not None:
                del self.fields["source_meeting"]
                del self.fields["source_note"]  # the meeting is the source
                self.instance.source_meeting = source_meeting
            else:
                meetings = AssessmentMeeting.objects.visible_to(user)
                self.fields["source_meeting"].queryset = meetings.order_by("-starts_at")

    def clean(self):
        cleaned = super().clean()
        meeting = self.fixed_source_meeting or cleaned.get("source_meeting")
        if meeting is None and self.instance.pk and "due_date" in self.changed_data:
            meeting = self.instance.source_meeting
        source_missing = (
            "source_note" in self.fields
            and "source_note" not in self.errors
            and meeting is None
            and not cleaned.get("source_note")
        )
        if source_missing:
            self.add_error(
                "source_note",
                forms.ValidationError(
                    _("Choose the meeting that raised it, or say where it came from."),
                    code="source_required",
                ),
            )
        due_date = cleaned.get("due_date")
        if meeting is not None and due_date is not None:
            held_on = timezone.localtime(
                meeting.starts_at, zoneinfo.ZoneInfo(meeting.time_zone)
            ).date()
            if due_date < held_on:
                self.add_error(
                    "due_date", self.due_before_source_error(meeting, held_on)
                )
        return cleaned

    def due_before_source_error(self, meeting, held_on):
        """The error quotes the source meeting's date only to a user who may see
        that meeting: a withheld meeting's date is not theirs to learn."""
        visible = AssessmentMeeting.objects.visible_to(self.user).filter(pk=meeting.pk)
        if not visible.exists():
            return forms.ValidationError(
                _("The due date cannot be before the meeting that raised it."),
                code="due_before_source",
            )
        return forms.ValidationError(
            _("The due date cannot be before the meeting that raised it (%(date)s)."),
            code="due_before_source",
            params={"date": date_format(held_on, "DATE_FORMAT")},
        )

    def service_kwargs(self):
        """The fields of ``services.recommendation_create`` (the release comes from
        the releasability form)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "focus_area": data["focus_area"],
            "initiative": data.get("initiative"),
            "nations": list(data.get("nations") or []),
            "owner": data["owner"],
            "priority": data["priority"],
            "due_date": data.get("due_date"),
            "source_meeting": self.fixed_source_meeting or data.get("source_meeting"),
            "source_note": data.get("source_note", ""),
            "source_agenda_item": self.source_agenda_item,
        }


class RecommendationEditForm(VersionedFormMixin, RecommendationForm):
    """Edit what a recommendation says; ``services.recommendation_update`` saves it.
    Its status changes only through a transition; its reference and source are fixed
    once raised. It carries the version it was loaded from
    (``cooperation.concurrency``)."""

    class Meta(RecommendationForm.Meta):
        fields = CONTENT_FIELDS


class RecommendationTransitionForm(forms.Form):
    """Move a recommendation to another status, saying why.

    The select offers only ``allowed`` targets; any status is accepted as input so
    the service, which re-checks under a row lock, answers a forged or stale change
    with its own clear message.
    """

    to_status = forms.ChoiceField(
        label=_("New status"), choices=Recommendation.Status.choices
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the status changes. It is kept on the timeline."),
        error_messages={"required": _("Say why the status changes.")},
    )
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("0 to 100. Empty keeps the current progress; implemented is 100."),
    )
    expected_status = forms.ChoiceField(
        choices=Recommendation.Status.choices, widget=forms.HiddenInput
    )

    def __init__(self, *args, recommendation, allowed, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("expected_status", recommendation.status)
        initial.setdefault("progress", recommendation.progress)
        super().__init__(*args, **kwargs)
        labels = dict(Recommendation.Status.choices)
        self.fields["to_status"].widget.choices = [
            (status, labels[status]) for status in allowed
        ]


class RecommendationProgressForm(forms.Form):
    """A progress update: how far it has come and what was done, no status change."""

    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=_("0 to 100."),
        error_messages={"required": _("Give the progress, from 0 to 100.")},
    )
    note = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what has been done.")},
    )

    def __init__(self, *args, recommendation, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("progress", recommendation.progress)
        kwargs.setdefault("auto_id", "id_progress_%s")
        super().__init__(*args, **kwargs)


class RecommendationCommentForm(forms.Form):
    """A comment on the timeline, by anyone who sees the recommendation."""

    note = forms.CharField(
        label=_("Comment"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a comment.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)
