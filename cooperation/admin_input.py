"""The admin's guards against hostile input: a refusal or a field error, never a 500.

Django's admin trusts what a request can forge:

* the date drill-down of a changelist (``?starts_at__year=9999``) is turned into a
  date range without a bound, and year 9999 overflows (``year 10000 is out of
  range``), a huge year too (OverflowError), year 1 in a zone east of UTC once the
  database converts it;
* an autocomplete field posted with a value that is not an id (``owner=abc``) is
  refused by the form, and then the form, shown again with the error, looks the
  value up with ``pk__in`` and raises ValueError;
* a date field takes any year: the admin's own forms check the model's validators
  only after the form, and the fields of other apps' models (a user's "date
  joined") have none, so year 1 entered east of UTC overflows when it is saved;
* django-otp's device pages read the device with ``objects.get``: a wrong id is a
  500, not a 404.

``InputCheckedAdminMixin`` answers the first three for a ModelAdmin; ``harden``
puts it under every ModelAdmin registered on the site (the portal's, Django's,
django-axes' and django-otp's), and the device pages' fix on django-otp's.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

from cooperation.validators import FIRST_YEAR, LAST_YEAR, validate_sane_year


class CheckedChangeList(ChangeList):
    """A changelist whose date drill-down stays within the years a date may have:
    anything else is an unknown filter, which the admin answers by showing the list
    again with ``?e=1``."""

    def get_filters(self, request):
        if self.date_hierarchy:
            years = self.filter_params.get(f"{self.date_hierarchy}__year") or []
            for year in years:
                if (
                    year.isascii()
                    and year.isdigit()
                    and not (FIRST_YEAR <= int(year) <= LAST_YEAR)
                ):
                    raise IncorrectLookupParameters(f"year {year[:10]} out of range")
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class CheckedAutocompleteMixin:
    """Show again only the posted values that can be ids; the field itself reports
    the others as not a valid choice."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        usable = []
        for item in value:
            try:
                target.get_prep_value(target.to_python(item))
            except (ValidationError, ValueError, TypeError):
                continue
            usable.append(item)
        return super().optgroups(name, usable, attr)


class CheckedAutocompleteSelect(CheckedAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(
    CheckedAutocompleteMixin, AutocompleteSelectMultiple
):
    pass


class InputCheckedAdminMixin:
    """For a ModelAdmin: the checked changelist, date fields and autocomplete
    widgets."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # DateTimeField is a DateField too. Checked with the form field, before
        # anything converts the value between zones.
        if isinstance(db_field, models.DateField) and formfield is not None:
            formfield.validators.append(validate_sane_year)
        return formfield

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class DeviceNotFoundAs404Mixin:
    """django-otp's TOTP device pages: a device that does not exist is a 404."""

    def config_view(self, request, pk):
        return self._or_404(super().config_view, request, pk)

    def qrcode_view(self, request, pk):
        return self._or_404(super().qrcode_view, request, pk)

    def _or_404(self, view, request, pk):
        try:
            return view(request, pk)
        except self.model.DoesNotExist as error:
            raise Http404 from error


def harden(site):
    """Re-register every ModelAdmin of ``site`` that lacks the guards with them;
    called once every app has registered its admin."""
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin

    for model, model_admin in list(site._registry.items()):
        bases = [type(model_admin)]
        if not isinstance(model_admin, InputCheckedAdminMixin):
            bases.insert(0, InputCheckedAdminMixin)
        if isinstance(model_admin, TOTPDeviceAdmin):
            bases.insert(0, DeviceNotFoundAs404Mixin)
        if len(bases) == 1:
            continue
        hardened = type(type(model_admin).__name__, tuple(bases), {})
        site.unregister(model)
        site.register(model, hardened)
