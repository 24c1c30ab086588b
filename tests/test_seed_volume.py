"""``manage.py seed_volume``: benchmark volume on top of the demo data."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from cooperation import services
from cooperation.management.commands.seed_volume import MARK, USERNAME_PREFIX
from cooperation.models import (
    AssessmentMeeting,
    FocusArea,
    Initiative,
    Nation,
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    SituationAssessment,
    User,
)

pytestmark = pytest.mark.django_db

SMALL = {
    "initiatives": 50,
    "recommendations": 40,
    "updates_per_recommendation": 3,
    "users": 12,
    "nations": 16,
    "meetings": 20,
}


def seed_volume(**sizes):
    out = io.StringIO()
    call_command("seed_volume", with_demo_accounts=True, stdout=out, **sizes)
    return out.getvalue()


def row_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def volume(model):
    return model.objects.filter(title__startswith=MARK)


@pytest.fixture
def seeded():
    return seed_volume(**SMALL)


def test_seeds_the_demo_first_and_the_asked_sizes_on_top(seeded):
    assert User.objects.filter(username="colombia").exists()
    assert volume(Initiative).count() == 50
    assert volume(Recommendation).count() == 40
    assert volume(AssessmentMeeting).count() == 20
    assert User.objects.filter(username__startswith=USERNAME_PREFIX).count() == 12
    assert Nation.objects.count() == 16
    assert (
        RecommendationUpdate.objects.filter(
            recommendation__title__startswith=MARK
        ).count()
        == 40 * 3
    )
    assert SituationAssessment.objects.filter(meeting__title__startswith=MARK).exists()
    assert "Created" in seeded


def test_each_volume_initiative_has_exactly_one_lead(seeded):
    leads = volume(Initiative).annotate(
        leads=Count("participations", filter=Q(participations__role="lead")),
        taking_part=Count("participations"),
    )
    assert {initiative.leads for initiative in leads} == {1}
    assert all(initiative.taking_part >= 2 for initiative in leads)


@pytest.mark.parametrize("model", [Initiative, Recommendation, AssessmentMeeting])
def test_releasability_is_mixed(seeded, model):
    records = list(volume(model).annotate(n=Count("released_to")))
    to_all = [record for record in records if record.released_to_all]
    to_some = [record for record in records if not record.released_to_all]
    assert to_all
    assert to_some
    assert len(to_all) > len(to_some)
    assert {record.n for record in to_all} == {0}
    assert {record.n for record in to_some} <= {1, 2, 3}


def test_volume_users_have_roles_and_cannot_log_in(seeded):
    users = User.objects.filter(username__startswith=USERNAME_PREFIX)
    assert all(user.groups.count() == 1 for user in users)
    assert len({user.nation_id for user in users}) > 1
    assert not any(user.has_usable_password() for user in users)


def test_recommendation_timelines_follow_the_allowed_transitions(seeded):
    for recommendation in volume(Recommendation).prefetch_related("updates"):
        updates = list(recommendation.updates.order_by("created_at", "pk"))
        assert updates[0].from_status == ""
        assert updates[0].to_status == Recommendation.Status.PROPOSED
        for before, after in zip(updates, updates[1:], strict=False):
            assert after.from_status == before.to_status
            assert (
                after.to_status in services.ALLOWED_TRANSITIONS[before.to_status]
                or before.to_status in services.FINAL_STATUSES
            )
        assert recommendation.status == updates[-1].to_status
        assert recommendation.progress == updates[-1].progress


def test_running_the_same_sizes_again_creates_nothing(seeded):
    before = row_counts()

    output = seed_volume(**SMALL)

    assert row_counts() == before
    assert "Created 0 rows" in output


def test_a_larger_size_adds_only_the_difference(seeded):
    first_initiatives = set(volume(Initiative).values_list("pk", "title"))
    first_references = set(volume(Recommendation).values_list("reference", flat=True))
    demo_focus_areas = FocusArea.objects.count()

    seed_volume(**{**SMALL, "initiatives": 80, "recommendations": 55})

    assert volume(Initiative).count() == 80
    assert first_initiatives <= set(volume(Initiative).values_list("pk", "title"))
    assert volume(Recommendation).count() == 55
    assert first_references <= set(
        volume(Recommendation).values_list("reference", flat=True)
    )
    assert (
        RecommendationUpdate.objects.filter(
            recommendation__title__startswith=MARK
        ).count()
        == 55 * 3
    )
    assert FocusArea.objects.count() == demo_focus_areas


def test_more_updates_per_recommendation_top_up_the_earlier_timelines(seeded):
    seed_volume(**{**SMALL, "updates_per_recommendation": 5})

    counts = volume(Recommendation).annotate(n=Count("updates"))
    assert {recommendation.n for recommendation in counts} == {5}
    for recommendation in volume(Recommendation):
        latest = recommendation.updates.latest()
        assert recommendation.status == latest.to_status
        assert recommendation.progress == latest.progress
    assert volume(Recommendation).count() == 40


def test_a_recommendation_raised_afterwards_takes_a_fresh_reference(seeded):
    references = set(Recommendation.objects.values_list("reference", flat=True))
    years = {int(reference.split("-")[1]) for reference in references}
    assert len(references) == Recommendation.objects.count()

    for year in years:
        with transaction.atomic():
            reference = services.recommendation_next_reference(year=year)
        assert reference not in references
        highest = max(
            int(r.rsplit("-", 1)[1]) for r in references if r.startswith(f"REC-{year}-")
        )
        assert ReferenceCounter.objects.get(year=year).last_number == highest + 1

    raised = services.recommendation_create(
        acting_user=User.objects.get(username="coordinator"),
        title="Raised after the volume",
        description="Through the service.",
        focus_area=FocusArea.objects.first(),
        owner=User.objects.get(username="coordinator"),
        released_to_all=True,
    )
    assert raised.reference not in references


def test_participations_reference_only_the_seeded_nations(seeded):
    nations = set(Nation.objects.values_list("pk", flat=True))
    used = set(
        Participation.objects.filter(initiative__title__startswith=MARK).values_list(
            "nation_id", flat=True
        )
    )
    assert used <= nations
    assert len(used) > 10
