# Full-text search (PostgreSQL: unaccent, per-language configurations, GIN indexes).
#
# On PostgreSQL: the ``unaccent`` extension; the text search configurations
# ``portal_en``, ``portal_es``, ``portal_pt`` (copies of english, spanish and
# portuguese) and ``portal_simple`` (a copy of simple), each folding accents before
# its stemmer; and one GIN index per searched table on the very expression that
# ``cooperation.search`` queries (kept in step by hand: the expressions are copied
# here so that this migration does not change when the code does;
# tests/test_search.py checks with EXPLAIN that the queries use these indexes).
# On SQLite nothing: the search falls back to ``icontains`` there.
from django.db import migrations

CONFIGURATIONS = {
    "portal_en": ("english", "english_stem"),
    "portal_es": ("spanish", "spanish_stem"),
    "portal_pt": ("portuguese", "portuguese_stem"),
    "portal_simple": ("simple", "simple"),
}


def _vector(columns):
    """Every configuration's weighted tsvector of ``columns`` ((SQL, weight)…),
    concatenated: one index serves a query in any of the languages."""
    parts = []
    for config in CONFIGURATIONS:
        for sql, weight in columns:
            parts.append(
                f"setweight(to_tsvector('{config}'::regconfig, {sql}), '{weight}')"
            )
    return " || ".join(parts)


# table: its vector (the same SQL as cooperation.search.VECTORS).
INDEXES = {
    "cooperation_initiative": _vector(
        [
            ("coalesce(title, '')", "A"),
            ("coalesce(summary, '') || ' ' || coalesce(objectives, '')", "B"),
        ]
    ),
    "cooperation_assessmentmeeting": _vector(
        [
            ("coalesce(title, '')", "A"),
            (
                "CASE WHEN minutes_status = 'published' "
                "THEN coalesce(minutes, '') ELSE '' END",
                "B",
            ),
        ]
    ),
    "cooperation_agendaitem": _vector([("coalesce(title, '')", "B")]),
    "cooperation_situationassessment": _vector(
        [
            ("coalesce(primary_concern, '')", "A"),
            (
                "coalesce(summary, '') || ' ' || coalesce(emerging_shift, '') "
                "|| ' ' || coalesce(key_drivers, '')",
                "B",
            ),
        ]
    ),
    "cooperation_recommendation": _vector(
        [("coalesce(title, '')", "A"), ("coalesce(description, '')", "B")]
    ),
    "cooperation_recommendationupdate": _vector([("coalesce(note, '')", "C")]),
    "cooperation_document": _vector([("coalesce(title, '')", "A")]),
}


def _index_name(table):
    return f"{table.removeprefix('cooperation_')}_search_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for name, (template, stemmer) in CONFIGURATIONS.items():
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {template})"
        )
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} "
            f"ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {stemmer}"
        )
    for table, vector in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX {_index_name(table)} ON {table} USING gin (({vector}))"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index_name(table)}")
    for name in CONFIGURATIONS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
    # The extension stays: other objects may have come to depend on it.


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0018_collaboration")]

    operations = [migrations.RunPython(forwards, backwards)]
