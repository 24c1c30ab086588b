"""Roles are groups with permissions, created by migration; the server enforces them."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cooperation import roles
from tests import factories

pytestmark = pytest.mark.django_db


def _member(role, nation=None):
    user = factories.UserFactory(nation=nation)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_migration_creates_every_role():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL)


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
