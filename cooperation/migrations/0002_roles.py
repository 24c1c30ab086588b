"""Roles used to be created here; they are now kept in sync after every migrate.

``cooperation.apps`` connects ``roles.sync_roles_after_migrate`` to ``post_migrate``,
so the roles follow the code (a permission added by a later migration included)
without a migration importing live code. This migration stays for the graph.
"""

from django.db import migrations


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(
        name__in=["Viewer", "Editor", "Scheduler", "Coordinator", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, remove_roles)]
