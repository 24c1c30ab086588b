"""The portal's roles: Django groups with permissions.

Viewer reads; Editor creates and updates initiatives, assessments, evaluations and
recommendations; Scheduler plans meetings; Coordinator does both, sees every record
and manages releasability; Administrator manages everything, accounts included.

They are brought back to this definition after every ``migrate`` (a ``post_migrate``
receiver, so a permission added by a later migration reaches its roles);
``sync_roles`` can be run again at any time (``seed_demo`` does).
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import pgettext_lazy

VIEWER = "Viewer"
EDITOR = "Editor"
SCHEDULER = "Scheduler"
COORDINATOR = "Coordinator"
ADMINISTRATOR = "Administrator"

ALL = (VIEWER, EDITOR, SCHEDULER, COORDINATOR, ADMINISTRATOR)

# The roles' names as the reader sees them; the group's own name is the English one
# the code and the database know it by.
LABELS = {
    VIEWER: pgettext_lazy("role", "Viewer"),
    EDITOR: pgettext_lazy("role", "Editor"),
    SCHEDULER: pgettext_lazy("role", "Scheduler"),
    COORDINATOR: pgettext_lazy("role", "Coordinator"),
    ADMINISTRATOR: pgettext_lazy("role", "Administrator"),
}


def role_label(group):
    """The name of role ``group`` (a Group or its name) in the reader's language;
    a group that is not one of the portal's roles keeps its own name."""
    name = getattr(group, "name", group)
    return str(LABELS.get(name, name))


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
    "assess_any_nation",
    "correct_locked_assessments",
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


def sync_roles(using=DEFAULT_DB_ALIAS):
    """Create or update the role groups and their permissions."""
    # Outside ``migrate`` (seed_demo), a model added since may have no permissions yet.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    cooperation = Permission.objects.using(using).filter(
        content_type__app_label="cooperation"
    )
    groups = Group.objects.using(using)
    for name, codenames in ROLES.items():
        group, _ = groups.get_or_create(name=name)
        permissions = list(cooperation.filter(codename__in=codenames))
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise RuntimeError(f"Role {name}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)
    administrator, _ = groups.get_or_create(name=ADMINISTRATOR)
    administrator.permissions.set(
        list(cooperation)
        + list(
            Permission.objects.using(using).filter(
                content_type__app_label="auth", content_type__model="group"
            )
        )
    )


def sync_roles_after_migrate(sender, using=DEFAULT_DB_ALIAS, plan=None, **kwargs):
    """``post_migrate`` receiver (connected by ``CooperationConfig.ready``): keep the
    roles in step with the code after every ``migrate``."""
    if plan and all(backwards for _migration, backwards in plan):
        return  # migrated backwards (perhaps past auth): nothing to bring up to date
    sync_roles(using=using)
