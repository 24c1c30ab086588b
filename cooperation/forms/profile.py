import logging

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from cooperation.models import User
from cooperation.services.accounts import user_password_reset_queue
from cooperation.validators import available_time_zones

logger = logging.getLogger("cooperation.auth")


def time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


class ProfileForm(forms.ModelForm):
    """Name, e-mail address, time zone and language of the signed-in user.

    Changing the e-mail address asks for the current password: whoever finds a
    session left open must not be able to redirect the account's mail (and with it
    the password reset). ``save()`` leaves a changed address to the view, which
    hands it to ``user_change_email`` (which tells the old address).
    """

    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your e-mail address."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The one my browser asks for")), *settings.LANGUAGES],
        required=False,
        help_text=_("Pages, e-mails and calendar invitations use this language."),
    )

    field_order = [
        "first_name",
        "last_name",
        "email",
        "current_password",
        "time_zone",
        "language",
    ]

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_email = self.instance.email

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"])

    @property
    def email_changed(self):
        """Whether the posted address is another one (not merely in other case)."""
        email = getattr(self, "cleaned_data", {}).get("email")
        return email is not None and email.lower() != self.stored_email.lower()

    def clean(self):
        cleaned_data = super().clean()
        if self.email_changed:
            password = cleaned_data.get("current_password")
            if not password:
                self.add_error(
                    "current_password",
                    forms.ValidationError(
                        _("Enter your current password to change your e-mail address."),
                        code="password_required",
                    ),
                )
            elif not self.instance.check_password(password):
                logger.warning(
                    "E-mail change refused, wrong current password: username=%r",
                    self.instance.get_username(),
                )
                self.add_error(
                    "current_password",
                    forms.ValidationError(
                        _("Your current password was entered incorrectly."),
                        code="password_incorrect",
                    ),
                )
        return cleaned_data


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset form, whose message goes through the outbox: the
    page never waits for the mail server (``services.accounts``)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = render_to_string(subject_template_name, context)
        user_password_reset_queue(
            user=context["user"],
            to_email=to_email,
            token=context["token"],
            subject=" ".join(subject.split()),
            body=render_to_string(email_template_name, context),
            html_body=render_to_string(html_email_template_name, context)
            if html_email_template_name
            else "",
        )
