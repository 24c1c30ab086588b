from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cooperation.models import User
from cooperation.validators import available_time_zones


def time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The one my browser asks for")), *settings.LANGUAGES],
        required=False,
        help_text=_("Pages, e-mails and calendar invitations use this language."),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "language"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
