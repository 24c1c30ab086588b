from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cooperation"
    verbose_name = _("Security cooperation")

    def ready(self):
        # Connects the receivers that log logins and start each session's clock.
        from cooperation import auth_log  # noqa: F401 - connects the login signals
