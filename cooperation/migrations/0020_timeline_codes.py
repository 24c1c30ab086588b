# The timeline's system entries as codes. Filled in by the timeline work.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0019_search")]

    operations = []
