from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cooperation"
    verbose_name = _("Security cooperation")

    def ready(self):
        from django.db.models import fields
        from django.db.models.signals import post_migrate

        # Django 6.1's label of a select's blank choice, which its own Spanish and
        # Portuguese catalogues leave untranslated: the portal's catalogue has it.
        fields.BLANK_CHOICE_LABEL = _("- Select an option -")

        from cooperation import backends, counts, lookups
        from cooperation.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)
        lookups.register()
        counts.connect()
        backends.connect_permission_signals()
        # Connect the receivers that log logins and start each session's clock
        # (auth_log), and that record each user's sessions and end them when an
        # account is deactivated (user_sessions).
        from cooperation import auth_log, user_sessions  # noqa: F401
