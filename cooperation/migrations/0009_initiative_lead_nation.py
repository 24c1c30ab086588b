"""Store each initiative's lead nation, so the list shows and sorts by it without a
subquery per row (issue 11)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_lead_nation(apps, schema_editor):
    Initiative = apps.get_model("cooperation", "Initiative")
    Participation = apps.get_model("cooperation", "Participation")
    lead = Participation.objects.filter(initiative=OuterRef("pk"), role="lead").values(
        "nation"
    )[:1]
    Initiative.objects.update(lead_nation=Subquery(lead))


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0008_progress_and_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="initiative",
            name="lead_nation",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="cooperation.nation",
                verbose_name="lead nation",
            ),
        ),
        migrations.AddIndex(
            model_name="initiative",
            index=models.Index(
                fields=["lead_nation", "title"], name="initiative_lead_idx"
            ),
        ),
        migrations.RunPython(fill_lead_nation, migrations.RunPython.noop),
    ]
