# The timeline's system entries as codes: an entry whose note is exactly the sentence
# an earlier version wrote for it (in English, or in the language of the person who
# raised the recommendation) gets its code and an empty note, so every reader sees
# it in their own language. The reverse writes the English sentence back.
from django.db import migrations

# Frozen here: a migration must not change when the application's texts do.
LEGACY_NOTES = {
    "raised": (
        "Recommendation raised.",
        "Recomendación formulada.",
        "Recomendação emitida.",
    ),
}
ENGLISH = {code: notes[0] for code, notes in LEGACY_NOTES.items()}


def notes_to_codes(apps, schema_editor):
    RecommendationUpdate = apps.get_model("cooperation", "RecommendationUpdate")
    for code, notes in LEGACY_NOTES.items():
        RecommendationUpdate.objects.filter(code="", note__in=notes).update(
            code=code, note="", kind="status"
        )


def codes_to_notes(apps, schema_editor):
    RecommendationUpdate = apps.get_model("cooperation", "RecommendationUpdate")
    for code, note in ENGLISH.items():
        RecommendationUpdate.objects.filter(code=code, note="").update(note=note)


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0019_search")]

    operations = [
        migrations.RunPython(notes_to_codes, codes_to_notes, elidable=True),
    ]
