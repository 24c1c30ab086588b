"""Account safety: e-mail addresses unique per account (case-insensitive), and a
record of each user's login sessions so that they can be ended at once."""

import logging

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

logger = logging.getLogger("cooperation.migrations")


def blank_duplicate_emails(apps, schema_editor):
    """Make the addresses unique before the constraint is added.

    Where several accounts share an address (in any case), the oldest account keeps
    it and the others' addresses are blanked, and each is logged so an administrator
    can give them their own. Blanking rather than refusing to migrate: a deployment
    should not stop on data only an administrator can sort out, an account without
    an address still works (it just receives no mail), and an address shared by two
    accounts already sent one person's mail to the other.
    """
    User = apps.get_model("cooperation", "User")
    db = schema_editor.connection.alias
    users = User.objects.using(db).exclude(email="")
    duplicated = (
        users.annotate(email_ci=Lower("email"))
        .values("email_ci")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("email_ci", flat=True)
    )
    for email_ci in list(duplicated):
        sharing = list(
            users.annotate(email_ci=Lower("email"))
            .filter(email_ci=email_ci)
            .order_by("date_joined", "pk")
        )
        keeper, others = sharing[0], sharing[1:]
        for user in others:
            logger.warning(
                "Blanked the e-mail address %r of user %r (pk %s): account %r "
                "(pk %s) already uses it.",
                user.email,
                user.username,
                user.pk,
                keeper.username,
                keeper.pk,
            )
        User.objects.using(db).filter(pk__in=[user.pk for user in others]).update(
            email=""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0003_portuguese_brazil"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "session_key",
                    models.CharField(
                        max_length=40, unique=True, verbose_name="session key"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="login_sessions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "user session",
                "verbose_name_plural": "user sessions",
            },
        ),
        # Blanking cannot be undone; going back leaves the addresses as they are.
        migrations.RunPython(blank_duplicate_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="user_unique_email_ci",
                violation_error_code="email_taken",
                violation_error_message=(
                    "Another account already uses this e-mail address."
                ),
            ),
        ),
    ]
