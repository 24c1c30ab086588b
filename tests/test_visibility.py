"""``visible_to``: who sees which initiative, meeting, recommendation and their children.

A record is released to all partners, to a list of nations, or to nobody. Children
(agenda items, assessments, evaluations, recommendation updates) have no releasability
of their own and follow their parents. Participation has no ``visible_to``: it is only
ever read through its initiative.
"""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Recommendation,
    RecommendationUpdate,
    SituationAssessment,
    User,
)
from tests import factories

pytestmark = pytest.mark.django_db


def make_initiative(**release):
    return factories.InitiativeFactory(**release)


def make_meeting(**release):
    return factories.AssessmentMeetingFactory(**release)


def make_recommendation(**release):
    return factories.RecommendationFactory(**release)


def make_agenda_item(**release):
    return factories.AgendaItemFactory(meeting=make_meeting(**release))


def make_assessment(**release):
    return factories.SituationAssessmentFactory(meeting=make_meeting(**release))


def make_evaluation(**release):
    return factories.InitiativeEvaluationFactory(
        meeting=make_meeting(**release), initiative=make_initiative(**release)
    )


def make_update(**release):
    return factories.RecommendationUpdateFactory(
        recommendation=make_recommendation(**release)
    )


RELEASABLE = [
    pytest.param((Initiative, make_initiative), id="initiative"),
    pytest.param((AssessmentMeeting, make_meeting), id="meeting"),
    pytest.param((Recommendation, make_recommendation), id="recommendation"),
]
CHILDREN = [
    pytest.param((AgendaItem, make_agenda_item), id="agenda_item"),
    pytest.param((SituationAssessment, make_assessment), id="assessment"),
    pytest.param((InitiativeEvaluation, make_evaluation), id="evaluation"),
    pytest.param((RecommendationUpdate, make_update), id="recommendation_update"),
]


@pytest.fixture(params=RELEASABLE + CHILDREN)
def kind(request):
    """(model, make) where ``make(released_to_all=..., released_to=[...])``."""
    return request.param


@pytest.fixture
def stateless_user(db):
    return factories.UserFactory(username="no-nation", nation=None)


@pytest.fixture
def view_all_permission(db):
    return Permission.objects.get(
        content_type__app_label="cooperation", codename="view_all_records"
    )


def refetched(user):
    """The user as a new request would load it: without a stale permission cache."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def view_all_user(view_all_permission, brazil):
    user = factories.UserFactory(username="auditor", nation=brazil)
    user.user_permissions.add(view_all_permission)
    return refetched(user)


@pytest.fixture
def view_all_group_member(view_all_permission):
    group = Group.objects.create(name="Auditors")
    group.permissions.add(view_all_permission)
    user = factories.UserFactory(username="group-auditor", nation=None)
    user.groups.add(group)
    return refetched(user)


def visible_pks(model, user):
    return list(model.objects.visible_to(user).values_list("pk", flat=True))


def test_users_granted_view_all_actually_hold_the_permission(
    view_all_user, view_all_group_member, colombian_user
):
    # Guards the fixtures: the tests below mean nothing if the grant failed.
    assert view_all_user.has_perm("cooperation.view_all_records")
    assert view_all_group_member.has_perm("cooperation.view_all_records")
    assert not colombian_user.has_perm("cooperation.view_all_records")


def test_record_released_to_all_is_visible_to_every_signed_in_partner(
    kind, colombian_user, brazilian_user, stateless_user
):
    model, make = kind
    record = make(released_to_all=True)
    for user in (colombian_user, brazilian_user, stateless_user):
        assert visible_pks(model, user) == [record.pk], user


def test_record_released_to_colombia_is_visible_only_to_colombians(
    kind, colombia, colombian_user, brazilian_user, stateless_user
):
    model, make = kind
    record = make(released_to_all=False, released_to=[colombia])
    assert visible_pks(model, colombian_user) == [record.pk]
    assert visible_pks(model, brazilian_user) == []
    assert visible_pks(model, stateless_user) == []


def test_record_released_to_two_nations_appears_once_for_each(
    kind, colombia, brazil, colombian_user, brazilian_user
):
    model, make = kind
    record = make(released_to_all=False, released_to=[colombia, brazil])
    for user in (colombian_user, brazilian_user):
        queryset = model.objects.visible_to(user)
        assert [row.pk for row in queryset] == [record.pk]
        assert queryset.count() == 1


def test_record_released_to_all_and_to_nations_appears_once(
    kind, colombia, brazil, colombian_user
):
    model, make = kind
    record = make(released_to_all=True, released_to=[colombia, brazil])
    assert visible_pks(model, colombian_user) == [record.pk]


def test_record_released_to_nobody_is_seen_only_by_view_all_holders(
    kind,
    colombian_user,
    brazilian_user,
    stateless_user,
    superuser,
    view_all_user,
    view_all_group_member,
):
    model, make = kind
    record = make(released_to_all=False)
    for user in (colombian_user, brazilian_user, stateless_user):
        assert visible_pks(model, user) == [], user
    for user in (superuser, view_all_user, view_all_group_member):
        assert visible_pks(model, user) == [record.pk], user


def test_an_unrelated_permission_or_staff_status_does_not_widen_visibility(
    kind, brazil
):
    model, make = kind
    make(released_to_all=False)
    user = factories.UserFactory(username="releaser", nation=brazil, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="cooperation", codename="manage_releasability"
        )
    )
    assert visible_pks(model, refetched(user)) == []


def test_anonymous_and_inactive_users_see_nothing(kind, colombia, superuser):
    model, make = kind
    make(released_to_all=True)
    make(released_to_all=False, released_to=[colombia])
    make(released_to_all=False)
    inactive_colombian = factories.UserFactory(
        username="retired", nation=colombia, is_active=False
    )
    superuser.is_active = False
    superuser.save()
    for user in (AnonymousUser(), None, inactive_colombian, superuser):
        assert visible_pks(model, user) == [], user


def test_visible_counts_match_what_each_user_is_released(
    kind,
    colombia,
    brazil,
    colombian_user,
    brazilian_user,
    stateless_user,
    superuser,
    view_all_group_member,
):
    model, make = kind
    for _ in range(2):
        make(released_to_all=True)
    make(released_to_all=False, released_to=[colombia])
    make(released_to_all=False, released_to=[colombia])
    make(released_to_all=False, released_to=[brazil])
    make(released_to_all=False, released_to=[colombia, brazil])
    make(released_to_all=False)

    expected = {
        colombian_user: 5,
        brazilian_user: 4,
        stateless_user: 2,
        superuser: 7,
        view_all_group_member: 7,
        AnonymousUser(): 0,
    }
    for user, count in expected.items():
        queryset = model.objects.visible_to(user)
        assert queryset.count() == count, user
        assert len(queryset) == count, user


@pytest.mark.parametrize("released", RELEASABLE)
def test_is_visible_to_agrees_with_visible_to(
    released, colombia, colombian_user, brazilian_user
):
    _, make = released
    record = make(released_to_all=False, released_to=[colombia])
    assert record.is_visible_to(colombian_user)
    assert not record.is_visible_to(brazilian_user)
    assert not record.is_visible_to(AnonymousUser())


def test_evaluation_is_hidden_when_only_its_meeting_is_released(
    colombia, colombian_user, superuser
):
    evaluation = factories.InitiativeEvaluationFactory(
        meeting=make_meeting(released_to_all=False, released_to=[colombia]),
        initiative=make_initiative(released_to_all=False),
    )
    assert visible_pks(InitiativeEvaluation, colombian_user) == []
    assert visible_pks(InitiativeEvaluation, superuser) == [evaluation.pk]


def test_evaluation_is_hidden_when_only_its_initiative_is_released(
    colombia, colombian_user
):
    factories.InitiativeEvaluationFactory(
        meeting=make_meeting(released_to_all=False),
        initiative=make_initiative(released_to_all=True),
    )
    assert visible_pks(InitiativeEvaluation, colombian_user) == []


def test_evaluation_of_two_differently_released_parents_both_visible_is_shown(
    colombia, colombian_user, brazilian_user
):
    evaluation = factories.InitiativeEvaluationFactory(
        meeting=make_meeting(released_to_all=False, released_to=[colombia]),
        initiative=make_initiative(released_to_all=True),
    )
    assert visible_pks(InitiativeEvaluation, colombian_user) == [evaluation.pk]
    assert visible_pks(InitiativeEvaluation, brazilian_user) == []


def test_releasing_a_parent_later_reveals_its_children(colombia, colombian_user):
    meeting = make_meeting(released_to_all=False)
    assessment = factories.SituationAssessmentFactory(meeting=meeting)
    assert visible_pks(SituationAssessment, colombian_user) == []
    meeting.released_to.add(colombia)
    assert visible_pks(SituationAssessment, colombian_user) == [assessment.pk]
