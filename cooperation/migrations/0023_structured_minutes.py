"""Structured minutes: attendance per invitation, an outcome per agenda item, and
the agenda item a recommendation was raised from."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0022_working_days"),
    ]

    operations = [
        migrations.AddField(
            model_name="agendaitem",
            name="decision",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
                verbose_name="decision",
            ),
        ),
        migrations.AddField(
            model_name="agendaitem",
            name="discussion",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
                verbose_name="discussion summary",
            ),
        ),
        migrations.AddField(
            model_name="agendaitem",
            name="follow_up",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="follow-up",
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="decision",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
                verbose_name="decision",
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="discussion",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
                verbose_name="discussion summary",
            ),
        ),
        migrations.AddField(
            model_name="historicalagendaitem",
            name="follow_up",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
                verbose_name="follow-up",
            ),
        ),
        migrations.AddField(
            model_name="historicalinvitation",
            name="attendance",
            field=models.CharField(
                blank=True,
                choices=[
                    ("present", "Present"),
                    ("absent", "Absent"),
                    ("represented", "Represented"),
                ],
                help_text="Recorded with the minutes; empty until then.",
                max_length=12,
                verbose_name="attendance",
            ),
        ),
        migrations.AddField(
            model_name="historicalinvitation",
            name="represented_by",
            field=models.CharField(
                blank=True,
                help_text="The name of the person who attended in their place.",
                max_length=200,
                verbose_name="represented by",
            ),
        ),
        migrations.AddField(
            model_name="historicalrecommendation",
            name="source_agenda_item",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The agenda item of the source meeting whose outcome raised it.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cooperation.agendaitem",
                verbose_name="raised from agenda item",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="attendance",
            field=models.CharField(
                blank=True,
                choices=[
                    ("present", "Present"),
                    ("absent", "Absent"),
                    ("represented", "Represented"),
                ],
                help_text="Recorded with the minutes; empty until then.",
                max_length=12,
                verbose_name="attendance",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="represented_by",
            field=models.CharField(
                blank=True,
                help_text="The name of the person who attended in their place.",
                max_length=200,
                verbose_name="represented by",
            ),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="source_agenda_item",
            field=models.ForeignKey(
                blank=True,
                help_text="The agenda item of the source meeting whose outcome raised it.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="raised_recommendations",
                to="cooperation.agendaitem",
                verbose_name="raised from agenda item",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("attendance__in", ["", "present", "absent", "represented"])
                ),
                name="invitation_attendance_valid",
                violation_error_message="Choose present, absent or represented.",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("attendance", "represented"),
                        models.Q(("represented_by", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("attendance", "represented"), _negated=True),
                        ("represented_by", ""),
                    ),
                    _connector="OR",
                ),
                name="invitation_represented_by_named",
                violation_error_message="Name the representative exactly when the attendee was represented.",
            ),
        ),
    ]
