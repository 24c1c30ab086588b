"""Lists at volume: progress kept on the recommendation, an index per filter and sort,
trigram indexes for text search (issue 11).

- ``Recommendation.progress`` (and its history) holds the progress of the latest
  update, which the list used to look up in the timeline for every row. Existing rows
  get it from their timeline here, with the semantics of the old ``with_progress()``:
  the progress of the latest update by time (then by id), 0 without any update
  (implemented is 100 because the service always records 100 when implementing).
  Each historical version gets the progress as it stood at that version's time.
- B-tree indexes for the filters and sorts of the initiative, recommendation and
  meeting lists (declared in the models' ``Meta.indexes``).
- On PostgreSQL only: the pg_trgm extension and GIN trigram indexes on
  ``UPPER(column)``, which serve the lists' ``icontains`` searches (Django compiles
  them to ``UPPER(column::text) LIKE UPPER(%s)``). They are not in ``Meta.indexes``,
  where django.contrib.postgres indexes would break the SQLite migrations.
"""

import django.core.validators
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

# (index name, table, column): every column a list's ``q`` search reads.
TRIGRAM_INDEXES = [
    ("recommendation_reference_trgm", "cooperation_recommendation", "reference"),
    ("recommendation_title_trgm", "cooperation_recommendation", "title"),
    ("recommendation_description_trgm", "cooperation_recommendation", "description"),
    ("initiative_title_trgm", "cooperation_initiative", "title"),
    ("initiative_summary_trgm", "cooperation_initiative", "summary"),
    ("initiative_objectives_trgm", "cooperation_initiative", "objectives"),
    ("meeting_title_trgm", "cooperation_assessmentmeeting", "title"),
    ("meeting_location_trgm", "cooperation_assessmentmeeting", "location"),
    ("meeting_minutes_trgm", "cooperation_assessmentmeeting", "minutes"),
]


def store_progress(apps, schema_editor):
    db = schema_editor.connection.alias
    Recommendation = apps.get_model("cooperation", "Recommendation")
    HistoricalRecommendation = apps.get_model("cooperation", "HistoricalRecommendation")
    RecommendationUpdate = apps.get_model("cooperation", "RecommendationUpdate")
    newest_first = ("-created_at", "-pk")
    latest = (
        RecommendationUpdate.objects.using(db)
        .filter(recommendation=OuterRef("pk"))
        .order_by(*newest_first)
        .values("progress")[:1]
    )
    Recommendation.objects.using(db).update(progress=Coalesce(Subquery(latest), 0))
    as_of_version = (
        RecommendationUpdate.objects.using(db)
        .filter(recommendation=OuterRef("id"), created_at__lte=OuterRef("history_date"))
        .order_by(*newest_first)
        .values("progress")[:1]
    )
    HistoricalRecommendation.objects.using(db).update(
        progress=Coalesce(Subquery(as_of_version), 0)
    )


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {schema_editor.quote_name(table)} "
            f"USING gin (UPPER({schema_editor.quote_name(column)}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


PROGRESS_FIELD = models.PositiveSmallIntegerField(
    default=0,
    editable=False,
    validators=[
        django.core.validators.MinValueValidator(0),
        django.core.validators.MaxValueValidator(100),
    ],
    verbose_name="progress (%)",
)


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0007_nation_names"),
    ]

    operations = [
        # Progress kept on the row.
        migrations.AddField(
            model_name="historicalrecommendation",
            name="progress",
            field=PROGRESS_FIELD.clone(),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="progress",
            field=PROGRESS_FIELD.clone(),
        ),
        migrations.RunPython(store_progress, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="recommendation",
            constraint=models.CheckConstraint(
                condition=models.Q(("progress__gte", 0), ("progress__lte", 100)),
                name="recommendation_progress_0_to_100",
                violation_error_message="Progress is a percentage from 0 to 100.",
            ),
        ),
        # An index per filter and sort of the lists.
        migrations.AddIndex(
            model_name="assessmentmeeting",
            index=models.Index(
                fields=["status", "starts_at"], name="meeting_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="assessmentmeeting",
            index=models.Index(fields=["ends_at"], name="meeting_ends_idx"),
        ),
        migrations.AddIndex(
            model_name="assessmentmeeting",
            index=models.Index(fields=["title"], name="meeting_title_idx"),
        ),
        migrations.AddIndex(
            model_name="assessmentmeeting",
            index=models.Index(fields=["location"], name="meeting_location_idx"),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(fields=["title"], name="initiative_title_idx"),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                fields=["status", "title"], name="initiative_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(fields=["kind", "title"], name="initiative_kind_idx"),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                fields=["planned_start"], name="initiative_planned_start_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                fields=["planned_end"], name="initiative_planned_end_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["due_date"], name="recommendation_due_idx"),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(
                fields=["priority", "due_date"], name="recommendation_priority_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["title"], name="recommendation_title_idx"),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(
                fields=["created_at"], name="recommendation_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="recommendationupdate",
            index=models.Index(
                fields=["created_at"], name="recommendation_update_time_idx"
            ),
        ),
        # Text search: trigram indexes, on PostgreSQL only (both operations do
        # nothing on another database).
        TrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
