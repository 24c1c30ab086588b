"""Assessments belong to their nation and lock with published minutes; drafts.

Also removes recommendation references from the titles of carried-over review
items: those titles reach everyone the next meeting is released to, so they no
longer name the recommendation (the meeting page links it for those who may see it).
"""

import re

from django.db import migrations, models

REFERENCE = re.compile(r"REC-\d{4}-\d+")
NEUTRAL_TITLE = "Review of a recommendation"


def neutral_review_titles(apps, schema_editor):
    for name in ("AgendaItem", "HistoricalAgendaItem"):
        model = apps.get_model("cooperation", name)
        rows = model.objects.filter(
            kind="review", recommendation__isnull=False, title__contains="REC-"
        )
        for row in rows.iterator():
            if REFERENCE.search(row.title):
                model.objects.filter(pk=row.pk).update(title=NEUTRAL_TITLE)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0004_account_safety"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="situationassessment",
            options={
                "ordering": ["nation__name", "focus_area__name"],
                "permissions": [
                    (
                        "assess_any_nation",
                        "Can record and change the assessments of any nation",
                    ),
                    (
                        "correct_locked_assessments",
                        "Can correct the assessments and evaluations of a meeting "
                        "whose minutes are published",
                    ),
                ],
                "verbose_name": "situation assessment",
                "verbose_name_plural": "situation assessments",
            },
        ),
        migrations.AddField(
            model_name="historicalsituationassessment",
            name="is_draft",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A draft is work in progress: it is never a nation's latest "
                    "assessment and never a point on a chart. An assessment recorded "
                    "before its meeting starts is a draft."
                ),
                verbose_name="draft",
            ),
        ),
        migrations.AddField(
            model_name="situationassessment",
            name="is_draft",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A draft is work in progress: it is never a nation's latest "
                    "assessment and never a point on a chart. An assessment recorded "
                    "before its meeting starts is a draft."
                ),
                verbose_name="draft",
            ),
        ),
        migrations.RunPython(neutral_review_titles, migrations.RunPython.noop),
    ]
