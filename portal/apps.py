from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the portal's site (second factor, "view on
    site" limited to released records) as ``admin.site``."""

    default_site = "cooperation.admin_site.PortalAdminSite"
