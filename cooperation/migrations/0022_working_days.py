import datetime

from django.db import migrations, models

import cooperation.models.nations


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0021_notification_kinds")]

    operations = [
        migrations.AddField(
            model_name="historicalmeetingseries",
            name="week_of_month",
            field=models.SmallIntegerField(
                blank=True,
                choices=[
                    (1, "First (days 1–7)"),
                    (2, "Second (days 8–14)"),
                    (3, "Third (days 15–21)"),
                    (4, "Fourth (days 22–28)"),
                    (-1, "Last (the month's last seven days)"),
                ],
                null=True,
                verbose_name="week of the month",
            ),
        ),
        migrations.AddField(
            model_name="historicalmeetingseries",
            name="weekday",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (0, "Monday"),
                    (1, "Tuesday"),
                    (2, "Wednesday"),
                    (3, "Thursday"),
                    (4, "Friday"),
                    (5, "Saturday"),
                    (6, "Sunday"),
                ],
                null=True,
                verbose_name="day of the week",
            ),
        ),
        migrations.AddField(
            model_name="historicalnation",
            name="weekend_days",
            field=cooperation.models.nations.WeekdaysField(
                blank=True,
                default="56",
                help_text="The days of the week the nation's offices rest; a meeting on one of them is flagged, as on a public holiday.",
                max_length=7,
                verbose_name="weekend days",
            ),
        ),
        migrations.AddField(
            model_name="historicalnation",
            name="workday_end",
            field=models.TimeField(
                default=datetime.time(18, 0),
                help_text="Local time; a meeting later than this is flagged.",
                verbose_name="working day ends",
            ),
        ),
        migrations.AddField(
            model_name="historicalnation",
            name="workday_start",
            field=models.TimeField(
                default=datetime.time(8, 0),
                help_text="Local time; a meeting earlier than this is flagged.",
                verbose_name="working day starts",
            ),
        ),
        migrations.AddField(
            model_name="meetingseries",
            name="week_of_month",
            field=models.SmallIntegerField(
                blank=True,
                choices=[
                    (1, "First (days 1–7)"),
                    (2, "Second (days 8–14)"),
                    (3, "Third (days 15–21)"),
                    (4, "Fourth (days 22–28)"),
                    (-1, "Last (the month's last seven days)"),
                ],
                null=True,
                verbose_name="week of the month",
            ),
        ),
        migrations.AddField(
            model_name="meetingseries",
            name="weekday",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (0, "Monday"),
                    (1, "Tuesday"),
                    (2, "Wednesday"),
                    (3, "Thursday"),
                    (4, "Friday"),
                    (5, "Saturday"),
                    (6, "Sunday"),
                ],
                null=True,
                verbose_name="day of the week",
            ),
        ),
        migrations.AddField(
            model_name="nation",
            name="weekend_days",
            field=cooperation.models.nations.WeekdaysField(
                blank=True,
                default="56",
                help_text="The days of the week the nation's offices rest; a meeting on one of them is flagged, as on a public holiday.",
                max_length=7,
                verbose_name="weekend days",
            ),
        ),
        migrations.AddField(
            model_name="nation",
            name="workday_end",
            field=models.TimeField(
                default=datetime.time(18, 0),
                help_text="Local time; a meeting later than this is flagged.",
                verbose_name="working day ends",
            ),
        ),
        migrations.AddField(
            model_name="nation",
            name="workday_start",
            field=models.TimeField(
                default=datetime.time(8, 0),
                help_text="Local time; a meeting earlier than this is flagged.",
                verbose_name="working day starts",
            ),
        ),
        migrations.AddConstraint(
            model_name="meetingseries",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("week_of_month__isnull", True), ("weekday__isnull", True)
                    ),
                    models.Q(
                        ("week_of_month__isnull", False),
                        ("weekday__isnull", False),
                        ("week_of_month__in", [1, 2, 3, 4, -1]),
                        ("weekday__gte", 0),
                        ("weekday__lte", 6),
                        models.Q(("frequency", "weekly"), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="series_week_of_month_and_weekday",
                violation_error_message="A monthly or quarterly series falls on a week of the month and a day of the week together, or on neither.",
            ),
        ),
        migrations.AddConstraint(
            model_name="nation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("weekend_days__regex", "^0?1?2?3?4?5?6?$"),
                    models.Q(("weekend_days", "0123456"), _negated=True),
                ),
                name="nation_weekend_days",
                violation_error_message="At least one day of the week must be a working day.",
            ),
        ),
        migrations.AddConstraint(
            model_name="nation",
            constraint=models.CheckConstraint(
                condition=models.Q(("workday_start__lt", models.F("workday_end"))),
                name="nation_workday_order",
                violation_error_message="The working day must end after it starts.",
            ),
        ),
    ]
