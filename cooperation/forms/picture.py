"""The choices of the regional picture: as of which day, which region, which focus
area. A GET form: the picture can be bookmarked and shared."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation.filters.common import FilterForm
from cooperation.models import Nation
from cooperation.validators import validate_sane_year


class RegionalPictureForm(FilterForm):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        validators=[validate_sane_year],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Only meetings that started on or before this day count."),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        required=False,
        choices=[("", _("All regions")), *Nation.Region.choices],
    )
    focus_area = forms.ChoiceField(label=_("Focus area"), required=False)

    def __init__(self, *args, focus_areas, **kwargs):
        """``focus_areas``: the active focus areas, already read (the page shows
        them as its columns): the choices cost no query of their own."""
        super().__init__(*args, **kwargs)
        self.fields["focus_area"].choices = [
            ("", _("All focus areas")),
            *((area.slug, area.display_name) for area in focus_areas),
        ]

    def choices(self):
        """The valid choices, by field name; a field whose input is not valid is
        left out (the page shows its error and ignores it, never fails)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }
