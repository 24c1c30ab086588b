"""Nation names in each language the portal speaks, stored as sort keys.

Sorting by the name the reader sees used to build a SQL CASE with one branch per CLDR
territory on every query; each nation now keeps the collation key of its name in
English, Spanish and Brazilian Portuguese, which ``Nation.save()`` maintains.
"""

import unicodedata

from babel import Locale, UnknownLocaleError
from django.db import migrations, models

# Frozen copies of the model's language → column map and key function, so this
# migration keeps working whatever later becomes of the model code.
SORT_NAME_FIELDS = {
    "en": "sort_name_en",
    "es": "sort_name_es",
    "pt_BR": "sort_name_pt_br",
}
MAX_LENGTH = 200


def collation_key(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def territories(locale):
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        return {}
    return {code: name for code, name in names.items() if code.isalpha()}


def fill_sort_names(apps, schema_editor):
    names = {locale: territories(locale) for locale in SORT_NAME_FIELDS}
    fields = list(SORT_NAME_FIELDS.values())
    for model_name in ("Nation", "HistoricalNation"):
        model = apps.get_model("cooperation", model_name)
        rows = list(model.objects.only("name", "iso_alpha2", *fields))
        for row in rows:
            for locale, field in SORT_NAME_FIELDS.items():
                name = names[locale].get(row.iso_alpha2) or row.name
                setattr(row, field, collation_key(name)[:MAX_LENGTH])
        model.objects.bulk_update(rows, fields, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0006_input_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalnation",
            name="sort_name_en",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalnation",
            name="sort_name_es",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalnation",
            name="sort_name_pt_br",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="nation",
            name="sort_name_en",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="nation",
            name="sort_name_es",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="nation",
            name="sort_name_pt_br",
            field=models.CharField(
                db_index=True, default="", editable=False, max_length=200
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_sort_names, migrations.RunPython.noop),
    ]
