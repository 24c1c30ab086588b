"""How a user wants to be told of each kind of notification."""

from django import forms

from cooperation.models import Notification, NotificationPreference


class NotificationPreferencesForm(forms.Form):
    """One choice per kind of notification: in the portal only, by e-mail at once,
    or in the daily digest. ``initial`` is ``{kind: delivery}``."""

    prefix = "notifications"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Notification.Kind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=NotificationPreference.Delivery.choices,
                widget=forms.RadioSelect,
            )
