"""The services: reference numbering, recommendation transitions, participations."""

import datetime
import importlib
import threading
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from cooperation import services
from cooperation.models import (
    Participation,
    Recommendation,
    RecommendationUpdate,
    ReferenceCounter,
    User,
)
from cooperation.services import ParticipationRow
from tests import factories

pytestmark = pytest.mark.django_db

Status = Recommendation.Status
NEEDS_POSTGRESQL = (
    "needs PostgreSQL: SQLite serialises writers, so concurrent reference "
    "allocation and row locking cannot be exercised"
)


def this_year():
    return timezone.localdate().year


def reference(number, year=None):
    return f"REC-{year or this_year()}-{number:04d}"


def raise_recommendation(author, **overrides):
    return services.recommendation_create(
        acting_user=author,
        title=overrides.pop("title", "Share radar tracks"),
        description="Within 24 hours of detection.",
        focus_area=overrides.pop("focus_area", None) or factories.FocusAreaFactory(),
        owner=author,
        **overrides,
    )


@pytest.fixture
def author(colombia):
    return factories.UserFactory(username="analyst", nation=colombia)


# ------------------------------------------------------------------- references


def test_recommendations_are_numbered_from_one_in_the_current_year(author):
    first = raise_recommendation(author)
    second = raise_recommendation(author)
    assert first.reference == reference(1)
    assert second.reference == reference(2)
    assert ReferenceCounter.objects.get(year=this_year()).last_number == 2


def test_a_reference_is_never_reused_after_the_highest_is_deleted(author):
    raise_recommendation(author)
    highest = raise_recommendation(author)
    assert highest.reference == reference(2)
    with pytest.raises(ProtectedError):
        highest.delete()  # its timeline protects it

    highest.updates.all().delete()
    highest.delete()
    assert not Recommendation.objects.filter(reference=reference(2)).exists()

    assert raise_recommendation(author).reference == reference(3)


def test_each_year_has_its_own_numbering(author):
    other_year = 2031 if this_year() != 2031 else 2032
    raise_recommendation(author)
    raise_recommendation(author)
    with transaction.atomic():
        assert services.recommendation_next_reference(year=other_year) == (
            reference(1, year=other_year)
        )
        assert services.recommendation_next_reference(year=other_year) == (
            reference(2, year=other_year)
        )
    assert raise_recommendation(author).reference == reference(3)
    counters = dict(ReferenceCounter.objects.values_list("year", "last_number"))
    assert counters == {this_year(): 3, other_year: 2}


def test_a_recommendation_refused_by_validation_uses_no_number(author):
    with pytest.raises(ValidationError) as excinfo:
        raise_recommendation(author, priority=9)
    assert "priority" in excinfo.value.message_dict
    assert not Recommendation.objects.exists()
    assert raise_recommendation(author).reference == reference(1)


@pytest.mark.django_db(transaction=True)
def test_next_reference_outside_a_transaction_is_refused():
    # Under the plain django_db mark every test runs inside a transaction.
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside a transaction"):
        services.recommendation_next_reference(year=2031)
    assert not ReferenceCounter.objects.exists()


def test_raising_a_recommendation_starts_its_timeline(author, colombia, brazil):
    recommendation = raise_recommendation(
        author, nations=[colombia], released_to=[colombia, brazil]
    )
    assert recommendation.status == Status.PROPOSED
    (update,) = recommendation.updates.all()
    assert (update.from_status, update.to_status, update.progress) == (
        "",
        Status.PROPOSED,
        0,
    )
    assert update.author == author
    # A system entry: its code, shown in the reader's language; no frozen sentence.
    assert (update.kind, update.code, update.note) == ("status", "raised", "")
    assert list(recommendation.nations.all()) == [colombia]
    # The author may not manage releasability: released to their own nation only.
    assert list(recommendation.released_to.all()) == [colombia]
    assert not recommendation.released_to_all


def test_a_releasability_manager_raises_a_recommendation_released_as_asked(
    superuser, colombia, brazil
):
    recommendation = raise_recommendation(superuser, released_to=[colombia, brazil])
    assert set(recommendation.released_to.all()) == {colombia, brazil}
    assert not recommendation.released_to_all

    everyone = raise_recommendation(superuser, released_to_all=True)
    assert everyone.released_to_all


def test_raising_a_recommendation_keeps_the_authors_note(author):
    recommendation = raise_recommendation(author, note="From the March summit.")
    assert recommendation.updates.get().note == "From the March summit."


def run_in_threads(count, work):
    """Run ``work(index)`` in ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count, timeout=30)
    results, errors = [], []

    def target(index):
        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # collected and asserted by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


# The settings' psycopg pool holds at most 10 connections by default; this test's
# own connection plus the threads' must fit.
THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counter_exists", [False, True], ids=["new-year", "same-year"])
def test_concurrent_creations_get_distinct_consecutive_references(counter_exists):
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    author = factories.UserFactory(username="analyst")
    focus_area = factories.FocusAreaFactory()
    if counter_exists:
        ReferenceCounter.objects.create(year=this_year(), last_number=0)

    def create(index):
        return raise_recommendation(
            author, title=f"Concurrent {index}", focus_area=focus_area
        ).reference

    references, errors = run_in_threads(THREADS, create)

    assert errors == []
    assert sorted(references) == [reference(n) for n in range(1, THREADS + 1)]
    assert ReferenceCounter.objects.get(year=this_year()).last_number == THREADS
    assert RecommendationUpdate.objects.count() == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_from_the_same_status_let_only_one_through():
    if connection.vendor != "postgresql":
        pytest.skip(NEEDS_POSTGRESQL)
    author = factories.UserFactory(username="analyst")
    recommendation = raise_recommendation(author)

    def accept(index):
        return services.recommendation_transition(
            recommendation=Recommendation.objects.get(pk=recommendation.pk),
            acting_user=author,
            to_status=Status.ACCEPTED,
            note=f"Accepted by clerk {index}.",
            expected_status=Status.PROPOSED,
        )

    updates, errors = run_in_threads(4, accept)

    assert len(updates) == 1
    assert [error.code for error in errors] == ["stale"] * 3
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED
    assert recommendation.updates.count() == 2


# ------------------------------------------------------------------ transitions

ALLOWED = [
    (from_status, to_status)
    for from_status, targets in services.ALLOWED_TRANSITIONS.items()
    for to_status in sorted(targets)
]
DISALLOWED = [
    (from_status, to_status)
    for from_status in Status.values
    for to_status in Status.values
    if to_status not in services.ALLOWED_TRANSITIONS[from_status]
]
REOPENINGS = [
    (from_status, to_status)
    for from_status in (Status.IMPLEMENTED, Status.REJECTED)
    for to_status in (Status.ACCEPTED, Status.IN_PROGRESS)
]


def pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def recommendation_in(status, progress=30):
    """A recommendation standing in ``status`` with one update on its timeline, its
    progress stored on the row as the services keep it."""
    recommendation = factories.RecommendationFactory(status=status, progress=progress)
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, to_status=status, progress=progress
    )
    return recommendation


@pytest.fixture
def clerk(db):
    return factories.UserFactory(username="clerk")


@pytest.fixture
def reopener(db):
    user = factories.UserFactory(username="reopener")
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="cooperation", codename="reopen_recommendation"
        )
    )
    return User.objects.get(pk=user.pk)


def test_the_transition_table_covers_every_status():
    assert set(services.ALLOWED_TRANSITIONS) == set(Status.values)
    assert len(ALLOWED) + len(DISALLOWED) == len(Status.values) ** 2


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_allowed_transition_moves_the_status_and_records_an_update(pair, clerk):
    from_status, to_status = pair
    recommendation = recommendation_in(from_status)

    update = services.recommendation_transition(
        recommendation=recommendation,
        acting_user=clerk,
        to_status=to_status,
        note="  Agreed at the steering group.  ",
    )

    assert recommendation.status == to_status
    recommendation.refresh_from_db()
    assert recommendation.status == to_status
    assert recommendation.updates.count() == 2
    assert recommendation.updates.latest() == update
    assert (update.from_status, update.to_status) == (from_status, to_status)
    assert update.note == "Agreed at the steering group."
    assert update.author == clerk
    expected_progress = 100 if to_status == Status.IMPLEMENTED else 30
    assert update.progress == expected_progress


@pytest.mark.parametrize("pair", DISALLOWED, ids=pair_id)
def test_disallowed_transition_is_refused_and_changes_nothing(pair, clerk):
    from_status, to_status = pair
    recommendation = recommendation_in(from_status)

    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=to_status,
            note="Trying anyway.",
        )

    assert excinfo.value.code == "illegal_transition"
    recommendation.refresh_from_db()
    assert recommendation.status == from_status
    assert recommendation.updates.count() == 1


def test_transition_to_an_unknown_status_is_refused(clerk):
    recommendation = recommendation_in(Status.PROPOSED)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status="archived",
            note="x",
        )
    assert excinfo.value.code == "illegal_transition"
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED


@pytest.mark.parametrize("pair", REOPENINGS, ids=pair_id)
def test_reopening_needs_the_reopen_permission(pair, clerk, reopener):
    from_status, to_status = pair
    recommendation = recommendation_in(from_status)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=to_status,
            note="New evidence.",
        )
    assert excinfo.value.code == "illegal_transition"

    update = services.recommendation_transition(
        recommendation=recommendation,
        acting_user=reopener,
        to_status=to_status,
        note="New evidence.",
    )
    assert (update.from_status, update.to_status) == (from_status, to_status)
    recommendation.refresh_from_db()
    assert recommendation.status == to_status


@pytest.mark.parametrize("from_status", [Status.IMPLEMENTED, Status.REJECTED])
@pytest.mark.parametrize("to_status", [Status.PROPOSED, Status.DEFERRED])
def test_the_reopen_permission_does_not_open_other_moves(
    from_status, to_status, reopener
):
    recommendation = recommendation_in(from_status)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=reopener,
            to_status=to_status,
            note="New evidence.",
        )
    assert excinfo.value.code == "illegal_transition"


def test_allowed_transitions_lists_reopening_only_for_the_permission_holder(
    clerk, reopener
):
    recommendation = recommendation_in(Status.IMPLEMENTED)
    assert (
        services.recommendation_allowed_transitions(
            recommendation=recommendation, user=clerk
        )
        == []
    )
    assert services.recommendation_allowed_transitions(
        recommendation=recommendation, user=reopener
    ) == [Status.ACCEPTED, Status.IN_PROGRESS]


@pytest.mark.parametrize("note", ["", "   \n"])
def test_a_transition_needs_a_note(note, clerk):
    recommendation = recommendation_in(Status.PROPOSED)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=Status.ACCEPTED,
            note=note,
        )
    assert excinfo.value.message_dict == {"note": ["Say why the status changes."]}
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED
    assert recommendation.updates.count() == 1


def test_a_missing_note_is_reported_with_its_code(clerk):
    recommendation = recommendation_in(Status.PROPOSED)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=Status.ACCEPTED,
            note="",
        )
    assert excinfo.value.error_dict["note"][0].code == "note_required"


def test_a_transition_from_a_status_the_user_no_longer_sees_is_refused(clerk):
    recommendation = recommendation_in(Status.PROPOSED)
    seen_by_clerk = Recommendation.objects.get(pk=recommendation.pk)
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=factories.UserFactory(username="board-secretary"),
        to_status=Status.ACCEPTED,
        note="Accepted by the board.",
    )

    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=seen_by_clerk,
            acting_user=clerk,
            to_status=Status.DEFERRED,
            note="Defer it.",
            expected_status=seen_by_clerk.status,
        )

    assert excinfo.value.code == "stale"
    assert recommendation.reference in excinfo.value.messages[0]
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED
    assert recommendation.updates.count() == 2


def test_a_transition_from_the_expected_status_goes_through(clerk):
    recommendation = recommendation_in(Status.PROPOSED)
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=clerk,
        to_status=Status.ACCEPTED,
        note="Accepted.",
        expected_status=Status.PROPOSED,
    )
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED


def test_implementing_sets_progress_to_one_hundred_whatever_is_given(clerk):
    recommendation = recommendation_in(Status.IN_PROGRESS, progress=40)
    update = services.recommendation_transition(
        recommendation=recommendation,
        acting_user=clerk,
        to_status=Status.IMPLEMENTED,
        note="Done.",
        progress=60,
    )
    assert update.progress == 100
    recommendation.refresh_from_db()
    assert recommendation.progress == 100


def test_a_transition_records_the_progress_given(clerk):
    recommendation = recommendation_in(Status.ACCEPTED, progress=0)
    update = services.recommendation_transition(
        recommendation=recommendation,
        acting_user=clerk,
        to_status=Status.IN_PROGRESS,
        note="Started.",
        progress=25,
    )
    update.refresh_from_db()
    assert update.progress == 25


def test_a_transition_with_progress_out_of_range_changes_nothing(clerk):
    recommendation = recommendation_in(Status.ACCEPTED, progress=0)
    with pytest.raises(ValidationError) as excinfo:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=Status.IN_PROGRESS,
            note="Started.",
            progress=120,
        )
    assert "progress" in excinfo.value.message_dict
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED
    assert recommendation.updates.count() == 1
    assert recommendation.progress == 0


# ------------------------------------------------------- progress kept on the row


def assert_progress_is_the_latest_updates(recommendation, expected):
    stored = Recommendation.objects.get(pk=recommendation.pk).progress
    latest = recommendation.updates.order_by("-created_at", "-pk").first()
    assert (stored, latest.progress, recommendation.progress) == (expected,) * 3


def test_stored_progress_follows_the_latest_update_through_every_transition(
    author, reopener
):
    recommendation = raise_recommendation(author)
    assert_progress_is_the_latest_updates(recommendation, 0)
    steps = [
        (Status.ACCEPTED, 10, 10),
        (Status.IN_PROGRESS, None, 10),  # no progress given: the current one kept
        (Status.DEFERRED, 55, 55),
        (Status.ACCEPTED, None, 55),
        (Status.IN_PROGRESS, 70, 70),
        (Status.IMPLEMENTED, 80, 100),  # implemented is 100 whatever is given
        (Status.IN_PROGRESS, 40, 40),  # reopened
    ]
    for to_status, progress, expected in steps:
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=reopener,
            to_status=to_status,
            note="Moved.",
            progress=progress,
        )
        assert_progress_is_the_latest_updates(recommendation, expected)
    assert recommendation.updates.count() == len(steps) + 1


def test_a_refused_transition_leaves_the_stored_progress(clerk):
    recommendation = recommendation_in(Status.PROPOSED, progress=20)
    with pytest.raises(ValidationError):
        services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=Status.IMPLEMENTED,
            note="Skipping ahead.",
            progress=90,
        )
    recommendation.refresh_from_db()
    assert recommendation.progress == 20


def test_a_transition_reads_the_progress_from_the_locked_row_not_the_timeline(
    clerk, django_assert_num_queries
):
    recommendation = recommendation_in(Status.ACCEPTED, progress=35)
    with django_assert_num_queries(TRANSITION_QUERIES):
        update = services.recommendation_transition(
            recommendation=recommendation,
            acting_user=clerk,
            to_status=Status.IN_PROGRESS,
            note="Started.",
        )
    assert update.progress == 35


# What a transition runs: the savepoints, lock the row, check the update's foreign
# keys and constraint, write it and its history, write the row (status, progress)
# and its history with its releasability, and Django reads back the row's generated
# ``status_rank``. Reading the timeline for the current progress (one more query)
# is gone. The owner is told (``services.notifications``: the recipients, the
# INSERT).
TRANSITION_QUERIES = 14 + 2


def load_migration(name):
    return importlib.import_module(f"cooperation.migrations.{name}")


def test_the_migration_stores_the_progress_of_each_latest_update():
    """Existing rows get what ``with_progress()`` computed: the progress of the
    latest update by time, the later one on a tie, 0 without any update; each
    version in the history the progress as it stood then."""
    migration = load_migration("0008_progress_and_indexes")
    now = timezone.now()
    moved = factories.RecommendationFactory()
    for minutes, progress in [(0, 0), (20, 60), (10, 30)]:
        factories.RecommendationUpdateFactory(
            recommendation=moved,
            created_at=now + datetime.timedelta(minutes=minutes),
            progress=progress,
        )
    tied = factories.RecommendationFactory()
    for progress in (10, 20):
        factories.RecommendationUpdateFactory(
            recommendation=tied, created_at=now, progress=progress
        )
    untouched = factories.RecommendationFactory()
    moved.history.create(  # a version saved between the second and third update
        **{
            field.attname: getattr(moved, field.attname)
            for field in Recommendation._meta.concrete_fields
            if not field.generated
        },
        history_date=now + datetime.timedelta(minutes=15),
        history_type="~",
    )
    assert set(Recommendation.objects.values_list("progress", flat=True)) == {0}

    # The function reads no more of the schema editor than its connection.
    migration.store_progress(django_apps, SimpleNamespace(connection=connection))

    stored = dict(Recommendation.objects.values_list("pk", "progress"))
    assert stored == {moved.pk: 60, tied.pk: 20, untouched.pk: 0}
    version = moved.history.get(history_date=now + datetime.timedelta(minutes=15))
    assert version.progress == 30


# ---------------------------------------------------------------- participations


def roles(initiative):
    return dict(initiative.participations.values_list("nation__iso_alpha2", "role"))


@pytest.fixture
def initiative(colombia, brazil):
    initiative = factories.InitiativeFactory()
    services.initiative_set_participations(
        initiative=initiative,
        acting_user=initiative.owner,
        rows=[
            ParticipationRow(colombia, Participation.Role.LEAD),
            ParticipationRow(brazil, Participation.Role.PARTNER, "Two vessels"),
        ],
    )
    return initiative


def test_setting_participations_creates_them(initiative):
    assert roles(initiative) == {"CO": "lead", "BR": "partner"}
    assert initiative.participations.get(nation__iso_alpha2="BR").contribution == (
        "Two vessels"
    )


@pytest.mark.parametrize(
    ("lead_roles", "count"),
    [
        (("partner", "partner", "observer"), 0),
        (("lead", "lead", "partner"), 2),
    ],
    ids=["no-lead", "two-leads"],
)
def test_anything_but_one_lead_is_refused_and_changes_nothing(
    initiative, colombia, brazil, united_states, lead_roles, count
):
    rows = [
        ParticipationRow(nation, role)
        for nation, role in zip(
            (colombia, brazil, united_states), lead_roles, strict=True
        )
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.initiative_set_participations(
            initiative=initiative, rows=rows, acting_user=initiative.owner
        )
    assert excinfo.value.code == "lead_count"
    assert excinfo.value.params == {"count": count}
    assert roles(initiative) == {"CO": "lead", "BR": "partner"}


def test_a_nation_listed_twice_is_refused(initiative, colombia, brazil):
    with pytest.raises(ValidationError) as excinfo:
        services.initiative_set_participations(
            initiative=initiative,
            acting_user=initiative.owner,
            rows=[
                ParticipationRow(colombia, Participation.Role.LEAD),
                ParticipationRow(brazil, Participation.Role.PARTNER),
                ParticipationRow(brazil, Participation.Role.FUNDER),
            ],
        )
    assert excinfo.value.code == "duplicate_nation"
    assert roles(initiative) == {"CO": "lead", "BR": "partner"}


def test_the_lead_moves_to_a_new_nation_in_one_call(
    initiative, colombia, brazil, united_states
):
    services.initiative_set_participations(
        initiative=initiative,
        acting_user=initiative.owner,
        rows=[
            ParticipationRow(united_states, Participation.Role.LEAD),
            ParticipationRow(colombia, Participation.Role.PARTNER),
            ParticipationRow(brazil, Participation.Role.PARTNER, "Two vessels"),
        ],
    )
    assert roles(initiative) == {"US": "lead", "CO": "partner", "BR": "partner"}


def test_the_lead_moves_to_a_nation_already_taking_part(initiative, colombia, brazil):
    colombian_participation = initiative.participations.get(nation=colombia)
    services.initiative_set_participations(
        initiative=initiative,
        acting_user=initiative.owner,
        rows=[
            ParticipationRow(colombia, Participation.Role.FUNDER, "Funding"),
            ParticipationRow(brazil, Participation.Role.LEAD),
        ],
    )
    assert roles(initiative) == {"CO": "funder", "BR": "lead"}
    # The row is updated in place, so its history stays one story.
    colombian_participation.refresh_from_db()
    assert colombian_participation.contribution == "Funding"


def test_removing_a_nation_removes_its_participation(initiative, colombia, brazil):
    services.initiative_set_participations(
        initiative=initiative,
        acting_user=initiative.owner,
        rows=[ParticipationRow(colombia, Participation.Role.LEAD)],
    )
    assert roles(initiative) == {"CO": "lead"}
    assert not Participation.objects.filter(nation=brazil).exists()
