"""Roles are groups with permissions, kept in step with ``cooperation.roles`` after
every ``migrate``; the server enforces them."""

import pathlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.urls import reverse

from cooperation import roles
from tests import factories

pytestmark = pytest.mark.django_db


def _member(role, nation=None):
    user = factories.UserFactory(nation=nation)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_migrate_creates_every_role():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL)


def test_migrate_brings_changed_roles_back_to_their_definition():
    editor = Group.objects.get(name=roles.EDITOR)
    editor.permissions.remove(Permission.objects.get(codename="add_recommendation"))
    editor.permissions.add(Permission.objects.get(codename="delete_initiative"))
    Group.objects.filter(name=roles.SCHEDULER).delete()

    # What ``migrate`` sends once every migration has run.
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default", plan=[])

    codenames = set(editor.permissions.values_list("codename", flat=True))
    assert "add_recommendation" in codenames
    assert "delete_initiative" not in codenames
    scheduler = Group.objects.get(name=roles.SCHEDULER)
    assert scheduler.permissions.filter(codename="add_assessmentmeeting").exists()


def test_no_migration_imports_the_live_roles():
    """A migration runs against the models as they were; ``cooperation.roles`` is
    today's code and is applied after ``migrate`` instead."""
    migrations = pathlib.Path(apps.get_app_config("cooperation").path, "migrations")
    for path in migrations.glob("0*.py"):
        assert "cooperation.roles" not in path.read_text(encoding="utf-8"), path.name
        assert "from cooperation import" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            roles.VIEWER,
            {"cooperation.view_initiative", "cooperation.view_recommendation"},
            {"cooperation.add_recommendation", "cooperation.add_assessmentmeeting"},
        ),
        (
            roles.EDITOR,
            {
                "cooperation.add_initiative",
                "cooperation.change_recommendation",
                "cooperation.add_situationassessment",
                "cooperation.add_initiativeevaluation",
            },
            {
                "cooperation.add_assessmentmeeting",
                "cooperation.view_all_records",
                "cooperation.manage_releasability",
            },
        ),
        (
            roles.SCHEDULER,
            {
                "cooperation.add_assessmentmeeting",
                "cooperation.change_assessmentmeeting",
            },
            {"cooperation.add_initiative", "cooperation.add_recommendation"},
        ),
        (
            roles.COORDINATOR,
            {
                "cooperation.add_initiative",
                "cooperation.add_assessmentmeeting",
                "cooperation.view_all_records",
                "cooperation.manage_releasability",
            },
            {"cooperation.delete_recommendation", "cooperation.add_user"},
        ),
        (
            roles.ADMINISTRATOR,
            {
                "cooperation.add_user",
                "cooperation.delete_initiative",
                "auth.change_group",
            },
            set(),
        ),
    ],
)
def test_each_role_grants_exactly_its_permissions(role, allowed, refused):
    user = _member(role)
    for permission in allowed:
        assert user.has_perm(permission), permission
    for permission in refused:
        assert not user.has_perm(permission), permission


def test_viewer_is_refused_every_create_page_and_sees_no_create_button(
    client, colombia
):
    client.force_login(_member(roles.VIEWER, colombia))
    for name in (
        "initiative-create",
        "meeting-create",
        "recommendation-create",
    ):
        assert client.get(reverse(f"cooperation:{name}")).status_code == 403, name
    page = client.get(reverse("cooperation:initiative-list"))
    assert reverse("cooperation:initiative-create").encode() not in page.content


def test_scheduler_may_plan_meetings_but_not_raise_recommendations(client, colombia):
    client.force_login(_member(roles.SCHEDULER, colombia))
    assert client.get(reverse("cooperation:meeting-create")).status_code == 200
    assert client.get(reverse("cooperation:recommendation-create")).status_code == 403


def test_editor_may_raise_recommendations_but_not_plan_meetings(client, colombia):
    client.force_login(_member(roles.EDITOR, colombia))
    assert client.get(reverse("cooperation:recommendation-create")).status_code == 200
    assert client.get(reverse("cooperation:meeting-create")).status_code == 403
