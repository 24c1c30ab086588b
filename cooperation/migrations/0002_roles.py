"""Create the portal's roles as groups with permissions.

Viewer reads; Editor creates and updates initiatives, assessments, evaluations and
recommendations; Scheduler plans meetings; Coordinator does both, sees every record
and manages releasability; Administrator manages everything, accounts included.
Running it again brings each group's permissions back to this definition.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    "nation",
    "focusarea",
    "initiative",
    "participation",
    "assessmentmeeting",
    "agendaitem",
    "situationassessment",
    "initiativeevaluation",
    "recommendation",
    "recommendationupdate",
    "meetingseries",
    "invitation",
]
EDIT = [
    "initiative",
    "participation",
    "situationassessment",
    "initiativeevaluation",
    "recommendation",
    "recommendationupdate",
]
SCHEDULE = ["assessmentmeeting", "agendaitem", "meetingseries", "invitation"]
COORDINATE = [
    "view_all_records",
    "manage_releasability",
    "reopen_recommendation",
    "correct_published_minutes",
]


def _actions(actions, models):
    return [f"{action}_{model}" for model in models for action in actions]


ROLES = {
    "Viewer": _actions(["view"], READ),
    "Editor": _actions(["view"], READ) + _actions(["add", "change"], EDIT),
    "Scheduler": _actions(["view"], READ) + _actions(["add", "change"], SCHEDULE),
    "Coordinator": (
        _actions(["view"], READ)
        + _actions(["add", "change"], EDIT + SCHEDULE)
        + COORDINATE
    ),
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    cooperation = Permission.objects.filter(content_type__app_label="cooperation")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = list(cooperation.filter(codename__in=codenames))
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise RuntimeError(f"Role {name}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)
    administrator, _ = Group.objects.get_or_create(name="Administrator")
    administrator.permissions.set(
        list(cooperation)
        + list(
            Permission.objects.filter(
                content_type__app_label="auth", content_type__model="group"
            )
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Viewer", "Editor", "Scheduler", "Coordinator", "Administrator"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
