"""The portal's roles: Django groups with permissions.

Viewer reads; Editor creates and updates initiatives, assessments, evaluations and
recommendations; Scheduler plans meetings; Coordinator does both, sees every record
and manages releasability; Administrator manages everything, accounts included.

The ``0002_roles`` migration creates them; ``sync_roles`` can be run again at any time
(``seed_demo`` does) and brings each group back to this definition.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

VIEWER = "Viewer"
EDITOR = "Editor"
SCHEDULER = "Scheduler"
COORDINATOR = "Coordinator"
ADMINISTRATOR = "Administrator"

ALL = (VIEWER, EDITOR, SCHEDULER, COORDINATOR, ADMINISTRATOR)

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
    VIEWER: _actions(["view"], READ),
    EDITOR: _actions(["view"], READ) + _actions(["add", "change"], EDIT),
    SCHEDULER: _actions(["view"], READ) + _actions(["add", "change"], SCHEDULE),
    COORDINATOR: (
        _actions(["view"], READ)
        + _actions(["add", "change"], EDIT + SCHEDULE)
        + COORDINATE
    ),
}


def sync_roles(apps=global_apps):
    """Create or update the role groups and their permissions."""
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        if apps is global_apps:
            create_permissions(app_config, verbosity=0)
            continue
        # Historical app configs of a migration carry no models module.
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
    administrator, _ = Group.objects.get_or_create(name=ADMINISTRATOR)
    administrator.permissions.set(
        list(cooperation)
        + list(
            Permission.objects.filter(
                content_type__app_label="auth", content_type__model="group"
            )
        )
    )
