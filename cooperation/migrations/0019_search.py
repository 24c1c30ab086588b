# Full-text search (PostgreSQL: unaccent, per-language configurations, GIN indexes).
# Filled in by the search work; empty on purpose until then.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0018_collaboration")]

    operations = []
