"""Content in the reader's language: the language each record is written in
(existing rows: English), and focus areas named in Spanish and Portuguese."""

import django.core.validators
from django.db import migrations, models

import cooperation.models.language

# The models whose records keep the language they are written in (and their history).
WRITTEN = (
    "initiative",
    "recommendation",
    "assessmentmeeting",
    "situationassessment",
)
LANGUAGES = [("en", "English"), ("es", "Spanish"), ("pt-br", "Portuguese (Brazil)")]


def language_field(default):
    return models.CharField(
        choices=LANGUAGES,
        default=default,
        help_text="The language the text of this record is written in.",
        max_length=7,
        verbose_name="written in",
    )


# Existing rows were written in English; a new one takes its author's language.
LANGUAGE_OPERATIONS = [
    operation
    for model in WRITTEN
    for model_name in (model, f"historical{model}")
    for operation in (
        migrations.AddField(model_name, "language", language_field("en")),
        migrations.AlterField(
            model_name,
            "language",
            language_field(cooperation.models.language.portal_language),
        ),
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0023_structured_minutes"),
    ]

    operations = [
        *LANGUAGE_OPERATIONS,
        migrations.AddField(
            model_name="focusarea",
            name="description_es",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (Spanish)",
            ),
        ),
        migrations.AddField(
            model_name="focusarea",
            name="description_pt_br",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (Portuguese)",
            ),
        ),
        migrations.AddField(
            model_name="focusarea",
            name="name_es",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="name (Spanish)"
            ),
        ),
        migrations.AddField(
            model_name="focusarea",
            name="name_pt_br",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="name (Portuguese)"
            ),
        ),
        migrations.AddField(
            model_name="historicalfocusarea",
            name="description_es",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (Spanish)",
            ),
        ),
        migrations.AddField(
            model_name="historicalfocusarea",
            name="description_pt_br",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (Portuguese)",
            ),
        ),
        migrations.AddField(
            model_name="historicalfocusarea",
            name="name_es",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="name (Spanish)"
            ),
        ),
        migrations.AddField(
            model_name="historicalfocusarea",
            name="name_pt_br",
            field=models.CharField(
                blank=True, max_length=100, verbose_name="name (Portuguese)"
            ),
        ),
        migrations.AlterField(
            model_name="focusarea",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (English)",
            ),
        ),
        migrations.AlterField(
            model_name="focusarea",
            name="name",
            field=models.CharField(
                max_length=100, unique=True, verbose_name="name (English)"
            ),
        ),
        migrations.AlterField(
            model_name="historicalfocusarea",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=10000,
                validators=[django.core.validators.MaxLengthValidator(10000)],
                verbose_name="description (English)",
            ),
        ),
        migrations.AlterField(
            model_name="historicalfocusarea",
            name="name",
            field=models.CharField(
                db_index=True, max_length=100, verbose_name="name (English)"
            ),
        ),
    ]
