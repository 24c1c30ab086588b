# Full-text search reads a stored vector (PostgreSQL only).
#
# 0019_search indexed an expression per table, so every match was checked, and
# every candidate ranked, by parsing the row's text again in four configurations:
# at 20,000 initiatives a broad word took 300 ms. Here each searched table gets a
# generated column ``search_vector``, the same expression STORED (computed by
# PostgreSQL when a row is written, so no code writes it), and the GIN index moves
# from the expression to the column, under the same name. ``cooperation.search``
# reads the column. The column is not a model field: Django never selects or
# writes it. On SQLite nothing changes.
import importlib

from django.db import migrations

VECTORS = importlib.import_module("cooperation.migrations.0019_search").INDEXES
COLUMN = "search_vector"


def _index_name(table):
    return f"{table.removeprefix('cooperation_')}_search_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, vector in VECTORS.items():
        index = _index_name(table)
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN {COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin ({COLUMN})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, vector in VECTORS.items():
        index = _index_name(table)
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {COLUMN}")
        schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (({vector}))")


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0024_content_language")]

    operations = [migrations.RunPython(forwards, backwards)]
