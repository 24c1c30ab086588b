"""The briefing's summary (bottom line up front), kept with the meeting."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation.concurrency import VersionedFormMixin
from cooperation.models import AssessmentMeeting


class BriefingSummaryForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = AssessmentMeeting
        fields = ["briefing_summary"]
        widgets = {
            "briefing_summary": forms.Textarea(attrs={"rows": 4, "maxlength": 2000})
        }
        help_texts = {
            "briefing_summary": _(
                "Two to five sentences: the situation, what changed, and what is "
                "asked of the reader. At most 2,000 characters."
            )
        }
