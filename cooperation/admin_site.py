"""The portal's admin site, installed as the default one by ``portal.apps``.

``PortalAdminConfig.default_site`` names ``PortalAdminSite``, so ``admin.site`` (on
which every ``ModelAdmin`` registers, ours and third-party apps' alike) is an instance
of it from the start.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    """The admin, asking for a TOTP code when ``PORTAL_ADMIN_REQUIRE_OTP`` is on.

    The setting (on whenever debug is off) is read on each request. With it on, only
    a staff user verified by one of their OTP devices in this session gets in; the
    others are sent to the admin login, which asks for the code.
    """

    site_header = _("Partner portal administration")
    site_title = _("Partner portal admin")
    index_title = _("Records and accounts")

    def __init__(self, name="admin"):
        # OTPAdminSite names itself "otpadmin"; the default site keeps Django's
        # name, the "admin" URL namespace.
        super().__init__(name)

    @property
    def login_form(self):
        if settings.PORTAL_ADMIN_REQUIRE_OTP:
            return OTPAdminSite.login_form
        return AdminAuthenticationForm

    @property
    def login_template(self):
        if settings.PORTAL_ADMIN_REQUIRE_OTP:
            return OTPAdminSite.login_template
        return None

    def has_permission(self, request):
        if settings.PORTAL_ADMIN_REQUIRE_OTP:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

    def get_urls(self):
        # Django's "view on site" shortcut redirects for any record that exists, so
        # it would tell staff that a record not released to them exists.
        return [
            path(
                str(pattern.pattern),
                self.admin_view(self.visible_shortcut),
                name="view_on_site",
            )
            if isinstance(pattern, URLPattern) and pattern.name == "view_on_site"
            else pattern
            for pattern in super().get_urls()
        ]

    def visible_shortcut(self, request, content_type_id, object_id):
        """ "View on site", answering 404 for a record the user may not see."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except (ContentType.DoesNotExist, ValueError) as error:
            raise Http404 from error
        if model is None:  # a content type whose model is gone
            raise Http404
        try:
            model_admin = self.get_model_admin(model)
        except NotRegistered as error:
            raise Http404 from error
        try:
            visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError) as error:
            raise Http404 from error
        if not visible:
            raise Http404
        return shortcut(request, content_type_id, object_id)
