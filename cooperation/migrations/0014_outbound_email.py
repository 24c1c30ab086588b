"""The send log becomes the outbox: rows already sent are kept as sent (their keys
still stop a second send); new rows are pending until the worker delivers them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

KINDS = [
    ("invitation", "Invitation"),
    ("cancellation", "Cancellation"),
    ("meeting_reminder", "Meeting reminder"),
    ("recommendation_reminder", "Recommendation reminder"),
    ("email_changed", "E-mail address changed"),
    ("password_reset", "Password reset"),
]
STATUSES = [("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")]


def mark_logged_rows_sent(apps, schema_editor):
    outbound = apps.get_model("cooperation", "OutboundEmail")
    user = apps.get_model("cooperation", "User")
    outbound.objects.update(
        sent_at=F("created_at"),
        to_email=Subquery(
            user.objects.filter(pk=OuterRef("recipient")).values("email")
        ),
    )


def rename_permissions(apps, schema_editor):
    """RenameModel renames the content type; its permissions follow (``sync_roles``
    then gives them to the roles as before)."""
    permission = apps.get_model("auth", "Permission")
    for row in permission.objects.filter(
        content_type__app_label="cooperation", codename__endswith="_sentnotification"
    ):
        action = row.codename.removesuffix("_sentnotification")
        row.codename = f"{action}_outboundemail"
        row.name = f"Can {action} outbound e-mail"
        row.save(update_fields=["codename", "name"])


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0013_meta_ordering_own_columns"),
    ]

    operations = [
        migrations.RenameModel("SentNotification", "OutboundEmail"),
        migrations.RenameField("outboundemail", "sent_at", "created_at"),
        migrations.AlterField(
            model_name="outboundemail",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="recorded"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="recipient",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="outbound_emails",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient",
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=30, verbose_name="kind"),
        ),
        # Every row logged so far was sent.
        migrations.AddField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=STATUSES, default="sent", max_length=10, verbose_name="status"
            ),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=STATUSES,
                default="pending",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="to_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="address"),
        ),
        migrations.RunPython(mark_logged_rows_sent, migrations.RunPython.noop),
        migrations.RunPython(rename_permissions, migrations.RunPython.noop),
        migrations.AddField(
            model_name="outboundemail",
            name="language",
            field=models.CharField(blank=True, max_length=10, verbose_name="language"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="subject",
            field=models.CharField(blank=True, max_length=1000, verbose_name="subject"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="body",
            field=models.TextField(blank=True, verbose_name="text"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="html_body",
            field=models.TextField(blank=True, verbose_name="HTML"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="ical",
            field=models.TextField(blank=True, verbose_name="iCalendar attachment"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="ical_method",
            field=models.CharField(
                blank=True, max_length=10, verbose_name="iCalendar method"
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="next attempt"
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterModelOptions(
            name="outboundemail",
            options={
                "ordering": ["-created_at"],
                "verbose_name": "outbound e-mail",
                "verbose_name_plural": "outbound e-mails",
            },
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["next_attempt_at", "id"],
                name="outbound_email_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                fields=["status", "-created_at"], name="outbound_email_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                fields=["kind", "-created_at"], name="outbound_email_kind_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "sent")),
                fields=["sent_at"],
                name="outbound_email_sent_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "sent"), _negated=True),
                    ("sent_at__isnull", False),
                    _connector="OR",
                ),
                name="outbound_email_sent_has_time",
                violation_error_message="A sent e-mail records when it was sent.",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "pending"), _negated=True),
                    ("next_attempt_at__isnull", False),
                    _connector="OR",
                ),
                name="outbound_email_pending_is_due",
                violation_error_message=(
                    "A pending e-mail records when it is next attempted."
                ),
            ),
        ),
    ]
