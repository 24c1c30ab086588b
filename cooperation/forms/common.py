"""Pieces shared by the portal's forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation import services
from cooperation.models import Nation
from cooperation.models.language import portal_language


class ReleasabilityForm(forms.Form):
    """What a record is released to. Shown only to users who may manage it.

    Views render it beside the record's own form and pass its cleaned data to
    ``services.record_release``; for anyone else they pass nothing and the service
    applies the default (a new record is released to the creator's nation only).
    """

    released_to_all = forms.BooleanField(
        label=_("Released to all partners"), required=False
    )
    released_to = forms.ModelMultipleChoiceField(
        label=_("Released to"),
        queryset=Nation.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The nations that may see this record, when not all partners."),
    )

    prefix = "release"

    def __init__(self, *args, record=None, **kwargs):
        if record is not None and record.pk and "initial" not in kwargs:
            kwargs["initial"] = {
                "released_to_all": record.released_to_all,
                "released_to": list(record.released_to.all()),
            }
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("released_to_all") and not cleaned.get("released_to"):
            raise forms.ValidationError(
                _("Release the record to all partners or to at least one nation."),
                code="released_to_nobody",
            )
        return cleaned


def releasability_form_for(user, data=None, *, record=None):
    """The releasability form when ``user`` may manage releasability, else None."""
    if not services.releasability_can_manage(user=user):
        return None
    return ReleasabilityForm(data, record=record)


def release_kwargs(form):
    """Keyword arguments for ``services.record_release`` from a bound, valid form."""
    if form is None:
        return {}
    return {
        "released_to_all": form.cleaned_data["released_to_all"],
        "released_to": form.cleaned_data["released_to"],
    }


class WrittenInMixin:
    """The "Written in" (``language``) field of a record's form, optional: left out
    of a post, the record keeps its language (a new one: its author's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"].required = False

    def clean_language(self):
        return (
            self.cleaned_data.get("language")
            or self.instance.language
            or portal_language()
        )
