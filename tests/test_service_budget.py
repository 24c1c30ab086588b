"""Exact query counts of the write services, called as a command or a worker calls
them: outside any request, ``acting_user=`` given, on a few rows.

Each pin names what its queries are. A service whose work grows with the rows it
touches (occurrences of a series, messages of a batch, sessions) is pinned at two
sizes, with the growth its design calls for stated; one whose design says it does
not grow (attendees, recipients, deliveries retried) is pinned at two sizes with the
same count.

What is measured is the service alone. A test runs in a transaction that is rolled
back, so a service's own ``transaction.atomic`` is a savepoint (its ``SAVEPOINT`` and
``RELEASE SAVEPOINT`` are counted, as they are in production when a service runs
inside a caller's transaction), and nothing runs on commit: the delivery task a
service enqueues is captured, not run (``django_capture_on_commit_callbacks``), so
no e-mail is sent and the worker's queries are not counted. ``outbox_deliver`` is
the worker's side, pinned on its own with the locmem mail backend.

Words the comments use, each a fixed number of queries:

* *savepoint pair*: ``SAVEPOINT`` and ``RELEASE SAVEPOINT`` of a nested atomic block;
* *check* (3): a check or conditional unique constraint that ``full_clean`` validates
  with one ``SELECT`` in its own savepoint pair;
* *FK check* (1): ``full_clean`` reading that a foreign key set on the record exists;
* *history row*: django-simple-history's ``INSERT`` (1); for a record whose release
  is tracked (initiative, meeting, recommendation) also its generated columns read
  back, its release read and copied to the history's many-to-many table (4; 3 when
  it is released to no nation yet). Each change of the release set writes one;
* *set adding* (3): a many-to-many ``set()`` that adds rows: the current rows, those
  of the new ones already there, one ``INSERT``; *removing* is the ids and a
  ``DELETE``; a ``set()`` that changes nothing reads the current rows (1);
* *notify* (11): ``meeting_notify`` (pinned in tests/test_outbox.py): savepoint pair,
  the meeting locked, its invitations, agenda and release, the keys already queued
  (read by it and again by ``outbox_record``), the outbox ``INSERT``, the
  invitations' revision sent and their history rows; a cancellation writes no
  revision (9).

The acting user is the superuser (a command run by an administrator): asking them
for a permission costs no query. Where a user without permissions acts, the two
queries that load their permissions are part of the pin. Counts are the same on
SQLite and PostgreSQL (``select_for_update`` is a no-op on SQLite, not a query less).

Already pinned elsewhere: ``meeting_plan`` (tests/test_meeting_doors.py),
``meeting_notify`` (tests/test_outbox.py), ``recommendation_transition``
(tests/test_services.py), ``user_change_email`` with its notice and
``user_end_sessions`` of two sessions (tests/test_account_safety.py).
"""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from cooperation import concurrency
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Invitation,
    OutboundEmail,
    Participation,
    Recommendation,
    SituationAssessment,
    UserSession,
)
from cooperation.services import (
    accounts,
    assessments,
    initiatives,
    invitations,
    outbox,
    recommendations,
    releasability,
)
from cooperation.services import meetings as meeting_services
from tests import factories

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
Lead = Participation.Role.LEAD
Partner = Participation.Role.PARTNER
Row = initiatives.ParticipationRow


@pytest.fixture
def focus(db):
    return factories.FocusAreaFactory(name="Maritime", slug="maritime")


def version(record):
    return concurrency.version_token(record)


# ------------------------------------------------------------------- initiatives


@pytest.fixture
def initiative(colombia, brazil, colombian_user, focus):
    initiative = factories.InitiativeFactory(
        owner=colombian_user, released_to_all=False, released_to=[colombia, brazil]
    )
    initiative.focus_areas.set([focus])
    factories.ParticipationFactory(initiative=initiative, nation=colombia, role=Lead)
    factories.ParticipationFactory(initiative=initiative, nation=brazil, role=Partner)
    return Initiative.objects.get(pk=initiative.pk)


def test_initiative_create_queries(
    superuser, colombia, brazil, colombian_user, focus, django_assert_num_queries
):
    initiative = Initiative(
        title="Andean ports",
        kind=Initiative.Kind.JOINT_TASK_FORCE,
        summary="Port controls.",
        planned_start=datetime.date(2026, 1, 1),
        planned_end=datetime.date(2026, 12, 31),
        owner=colombian_user,
        released_to_all=False,
    )

    # Savepoint pair, the owner's FK check, 2 checks (dates, kind), the INSERT and its
    # history row (3: nothing released yet), the focus areas' set adding (3); the
    # participations: savepoint pair, the current ones, and per nation its INSERT,
    # history row and the initiative's stored lead nation (2 × 3); the release:
    # savepoint pair, set adding, history row (4).
    with django_assert_num_queries(
        2 + 1 + 2 * 3 + 1 + 3 + 3 + (3 + 2 * 3) + (2 + 3 + 4)
    ):
        initiatives.initiative_create(
            initiative=initiative,
            acting_user=superuser,
            participations=[Row(colombia, Lead), Row(brazil, Partner)],
            focus_areas=[focus],
            released_to=[colombia, brazil],
        )

    initiative.refresh_from_db()
    assert initiative.lead_nation == colombia
    assert set(initiative.released_to.all()) == {colombia, brazil}
    assert initiative.history.latest().history_user == superuser


def test_initiative_create_by_a_user_who_may_not_release_queries(
    colombia, brazil, colombian_user, focus, django_assert_num_queries
):
    initiative = Initiative(
        title="Andean ports",
        kind=Initiative.Kind.JOINT_TASK_FORCE,
        summary="Port controls.",
        planned_start=datetime.date(2026, 1, 1),
        planned_end=datetime.date(2026, 12, 31),
        owner=colombian_user,
    )

    # As by the superuser (34), and the user's permissions (2: their own, their
    # groups') to learn they may not release: released to their nation only.
    with django_assert_num_queries(34 + 2):
        initiatives.initiative_create(
            initiative=initiative,
            acting_user=colombian_user,
            participations=[Row(colombia, Lead), Row(brazil, Partner)],
            focus_areas=[focus],
            released_to_all=True,
        )

    assert initiative.released_to_all is False
    assert list(initiative.released_to.all()) == [colombia]


def test_initiative_update_with_participations_and_release_queries(
    superuser, initiative, colombia, brazil, united_states, django_assert_num_queries
):
    initiative.title = "Andean and Caribbean ports"

    # Savepoint pair, the version check (row locked), FK checks (owner, lead
    # nation), 2 checks, the UPDATE and its history row (4); participations:
    # savepoint pair, the current ones, Brazil's DELETE and the United States'
    # INSERT, each with its history row and the stored lead nation (2 × 3); the
    # release: savepoint pair, the current set, Brazil removed (ids, DELETE, history
    # row: 6), the United States added (present?, INSERT, history row: 6).
    with django_assert_num_queries(2 + 1 + 2 + 2 * 3 + 1 + 4 + (3 + 2 * 3) + 15):
        initiatives.initiative_update(
            initiative=initiative,
            version=version(initiative),
            acting_user=superuser,
            participations=[Row(colombia, Lead), Row(united_states, Partner)],
            released_to=[colombia, united_states],
        )

    assert set(initiative.participations.values_list("nation", flat=True)) == {
        colombia.pk,
        united_states.pk,
    }
    assert set(initiative.released_to.all()) == {colombia, united_states}


def test_initiative_set_participations_moving_the_lead_queries(
    superuser, initiative, colombia, brazil, django_assert_num_queries
):
    # Savepoint pair, the current participations; Colombia demoted first, then
    # Brazil made lead: each an UPDATE, its history row, the stored lead nation.
    with django_assert_num_queries(2 + 1 + 2 * 3):
        initiatives.initiative_set_participations(
            initiative=initiative,
            rows=[Row(colombia, Partner), Row(brazil, Lead)],
            acting_user=superuser,
        )

    initiative.refresh_from_db()
    assert initiative.lead_nation == brazil


def test_record_release_queries(
    superuser, initiative, colombia, united_states, django_assert_num_queries
):
    # Savepoint pair; released_to_all: the UPDATE (version read back) and its history
    # row (4); the set: the current nations, Brazil removed (ids, DELETE, history
    # row) and the United States added (present?, INSERT, history row).
    with django_assert_num_queries(2 + 1 + 4 + 1 + (2 + 4) + (2 + 4)):
        releasability.record_release(
            record=initiative,
            acting_user=superuser,
            released_to_all=True,
            released_to=[colombia, united_states],
        )

    initiative.refresh_from_db()
    assert initiative.released_to_all is True
    assert set(initiative.released_to.all()) == {colombia, united_states}


# -------------------------------------------------------------- recommendations


@pytest.fixture
def recommendation(superuser, colombian_user, colombia, focus):
    return recommendations.recommendation_create(
        acting_user=superuser,
        title="Share interdiction data",
        description="Within 24 hours.",
        focus_area=focus,
        owner=colombian_user,
        nations=[colombia],
        released_to=[colombia],
    )


def test_recommendation_create_queries(
    superuser, colombian_user, colombia, brazil, focus, django_assert_num_queries
):
    # recommendation_raise (33) in recommendation_create's own savepoint pair.
    with django_assert_num_queries(2 + 33):
        raised = recommendations.recommendation_create(
            acting_user=superuser,
            title="Share interdiction data",
            description="Within 24 hours.",
            focus_area=focus,
            owner=colombian_user,
            nations=[colombia, brazil],
            released_to_all=False,
            released_to=[colombia, brazil],
        )

    assert raised.reference.startswith("REC-")
    assert raised.updates.get().to_status == Recommendation.Status.PROPOSED


def test_recommendation_raise_queries(
    superuser,
    recommendation,
    colombian_user,
    colombia,
    focus,
    django_assert_num_queries,
):
    # The year's counter exists now: its INSERT is skipped by the database, not by a
    # query less.
    new = Recommendation(
        title="Joint patrols",
        description="Monthly.",
        focus_area=focus,
        owner=colombian_user,
    )

    # Savepoint pair, FK checks (focus area, owner), 2 checks (priority, progress),
    # the reference (counter INSERT-or-ignore, locked, UPDATE), the INSERT and its
    # history row (3), the nations' set adding (3); the release: savepoint pair,
    # set adding, history row (4); the timeline's first update and its history row;
    # the owner told (services.notifications: the recipients, the INSERT).
    with django_assert_num_queries(2 + 2 + 2 * 3 + 3 + 1 + 3 + 3 + (2 + 3 + 4) + 2 + 2):
        recommendations.recommendation_raise(
            recommendation=new,
            acting_user=superuser,
            nations=[colombia],
            released_to=[colombia],
        )

    number = int(recommendation.reference.rsplit("-", 1)[1])
    assert new.reference.endswith(f"-{number + 1:04d}")


def test_recommendation_update_queries(
    superuser, recommendation, colombia, brazil, django_assert_num_queries
):
    recommendation.title = "Share interdiction data within 12 hours"

    # Savepoint pair, the version check (row locked), the stored owner (a new one
    # is notified), FK checks (focus area, owner), the reference's uniqueness, 2
    # checks, the UPDATE and its history row (4), the nations' set adding Brazil
    # (3); the release: savepoint pair, set adding Brazil, history row (4).
    with django_assert_num_queries(2 + 1 + 1 + 2 + 1 + 2 * 3 + 1 + 4 + 3 + (2 + 3 + 4)):
        recommendations.recommendation_update(
            recommendation=recommendation,
            version=version(recommendation),
            acting_user=superuser,
            nations=[colombia, brazil],
            released_to=[colombia, brazil],
        )

    recommendation.refresh_from_db()
    assert recommendation.version == 2
    assert set(recommendation.nations.all()) == {colombia, brazil}


# ---------------------------------------------------------------------- meetings


# One meeting's invitation queued for its attendees (meeting_notify), however
# many: 11.
NOTIFY = 11
# What meeting_create writes for one meeting: the end-after-start check, the INSERT
# and its history row (3: nothing released yet), the nations' and the attendees'
# (invitations) set adding (3 each); the release: savepoint pair, set adding, history
# row (4); notify.
MEETING = 3 + 1 + 3 + 3 + 3 + (2 + 3 + 4) + NOTIFY
# An occurrence of a series: MEETING without its own invitation, and the FK check
# of its series and the check of its number's uniqueness in the series.
OCCURRENCE = 1 + 3 + MEETING - NOTIFY
# A part of a series sent whole as one recurring invitation (series_notify), however
# many occurrences and attendees: savepoint pair, the series locked, its
# occurrences, their invitations, their releases, the keys already sent, the
# outbox's check and INSERT, the invitations marked sent and their history rows.
PART = 2 + 1 + 1 + 1 + 1 + 1 + 2 + 2
# Sent again to attendees who hold it: the series' calendar revision raised first
# (UPDATE and history row).
PART_AGAIN = PART + 2
# The series itself: 4 checks (savepoint, SELECT, release each; the fourth, the
# week of the month with the weekday, added with "first Tuesday of the quarter"
# repetitions), its INSERT and history row.
SERIES = 4 * 3 + 2


def in_a_month():
    """A time a month ahead (15:00 UTC, 10:00 in Bogotá), so invitations go out."""
    day = timezone.localdate() + datetime.timedelta(days=30)
    return datetime.datetime.combine(day, datetime.time(15), tzinfo=datetime.UTC)


def attendees_of(colombia, count):
    return tuple(factories.UserFactory(nation=colombia) for _ in range(count))


def meeting_details(colombia, attendees):
    starts_at = in_a_month()
    return meeting_services.MeetingDetails(
        title="Andean review",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        time_zone="America/Bogota",
        status=AssessmentMeeting.Status.SCHEDULED,
        location="Bogotá",
        nations=(colombia,),
        attendees=attendees,
    )


def create(superuser, details, repeat=None):
    plan = meeting_services.meeting_plan(
        details=details, acting_user=superuser, repeat=repeat
    )
    return meeting_services.meeting_create(
        plan=plan, acting_user=superuser, released_to=[details.nations[0]]
    )


def queued(meetings):
    return OutboundEmail.objects.filter(
        key__in=[
            f"{OutboundEmail.Kind.INVITATION}:{m.pk}:{u}:{m.sequence}"
            for m in meetings
            for u in m.attendees.values_list("pk", flat=True)
        ]
    ).count()


@pytest.mark.parametrize("attendees", [1, 4])
def test_meeting_create_queries_do_not_grow_with_the_attendees(
    attendees,
    superuser,
    colombia,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    details = meeting_details(colombia, attendees_of(colombia, attendees))
    plan = meeting_services.meeting_plan(details=details, acting_user=superuser)

    # Savepoint pair, MEETING (33): what a meeting costs, however many attend.
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(2 + MEETING),
    ):
        (meeting,) = meeting_services.meeting_create(
            plan=plan, acting_user=superuser, released_to=[colombia]
        )

    assert queued([meeting]) == attendees
    assert outbox._enqueue_delivery in callbacks  # the delivery task, not run


@pytest.mark.parametrize("occurrences", [2, 4])
def test_meeting_create_of_a_series_queries_grow_per_occurrence(
    occurrences,
    superuser,
    colombia,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    details = meeting_details(colombia, attendees_of(colombia, 2))
    repeat = meeting_services.Repeat(frequency="weekly", count=occurrences)
    plan = meeting_services.meeting_plan(
        details=details, acting_user=superuser, repeat=repeat
    )

    # By design each occurrence is a meeting of its own, saved and released as one
    # (one INSERT… per meeting); the attendees get one invitation for them all:
    # savepoint pair, SERIES (14), OCCURRENCE (26) per occurrence, PART (11).
    # 2: 79, 4: 131.
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_num_queries(2 + SERIES + occurrences * OCCURRENCE + PART),
    ):
        meetings = meeting_services.meeting_create(
            plan=plan, acting_user=superuser, released_to=[colombia]
        )

    assert len(meetings) == occurrences
    assert (
        OutboundEmail.objects.filter(
            key__startswith=f"{OutboundEmail.Kind.INVITATION}:series-"
        ).count()
        == 2
    )  # one per attendee


# What meeting_update writes for each meeting it changes: its attendees before,
# the end-after-start check, the UPDATE and its history row (4), the nations' and
# attendees' sets unchanged (1 each), record_release with no release asked (savepoint
# pair), notify.
UPDATED = 1 + 3 + 1 + 4 + 1 + 1 + 2 + NOTIFY


def test_meeting_update_this_queries(
    superuser, colombia, django_assert_num_queries, django_capture_on_commit_callbacks
):
    (meeting,) = create(superuser, meeting_details(colombia, attendees_of(colombia, 2)))
    meeting = AssessmentMeeting.objects.get(pk=meeting.pk)
    details = meeting_services.MeetingDetails.of(meeting, location="Lima")
    plan = meeting_services.meeting_plan(
        details=details, acting_user=superuser, meeting=meeting
    )

    # Savepoint pair, the version check (row locked), the row locked again as
    # stored, then UPDATED (28 − 4 = 24).
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_num_queries(2 + 1 + 1 + UPDATED),
    ):
        meeting_services.meeting_update(
            meeting=meeting, version=version(meeting), plan=plan, acting_user=superuser
        )

    meeting.refresh_from_db()
    assert (meeting.location, meeting.sequence) == ("Lima", 1)
    assert queued([meeting]) == 2


@pytest.mark.parametrize("first", [3, 1])
def test_meeting_update_this_and_following_queries_grow_per_occurrence(
    first,
    superuser,
    colombia,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    series = create(
        superuser,
        meeting_details(colombia, attendees_of(colombia, 2)),
        repeat=meeting_services.Repeat(frequency="weekly", count=4),
    )
    meeting = AssessmentMeeting.objects.get(pk=series[first - 1].pk)
    details = meeting_services.MeetingDetails.of(
        meeting,
        starts_at=meeting.starts_at + datetime.timedelta(hours=1),
        ends_at=meeting.ends_at + datetime.timedelta(hours=1),
    )
    plan = meeting_services.meeting_plan(
        details=details,
        acting_user=superuser,
        meeting=meeting,
        scope=meeting_services.Scope.FOLLOWING,
    )

    # By design each occurrence moved is saved as one meeting: savepoint pair, the
    # version check, the row locked as stored, the following occurrences; per
    # occurrence UPDATED without its own invitation and its series' FK check and
    # number's uniqueness check (17); the series' occurrences (where the
    # recurring invitation splits) and their new instances (one UPDATE). From #1
    # the part is sent again (PART_AGAIN): 88. From #3 it is split (the last part
    # number) and both parts are sent again: the first one's invitations already
    # hold their revision (PART_AGAIN − 2, nothing to mark), the new one's are
    # marked (PART_AGAIN): 66.
    moved = (5 - first) * (1 + 3 + UPDATED - NOTIFY)
    parts = PART_AGAIN if first == 1 else 1 + (PART_AGAIN - 2) + PART_AGAIN
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_num_queries(2 + 1 + 1 + 1 + moved + 1 + 1 + parts),
    ):
        changed = meeting_services.meeting_update(
            meeting=meeting, version=version(meeting), plan=plan, acting_user=superuser
        )

    assert len(changed) == 5 - first
    keys = set(OutboundEmail.objects.values_list("key", flat=True))
    series_id = changed[0].series_id
    # Each attendee is sent the part that moved (and, after a split, the other).
    assert {key.split(":")[1] for key in keys if ":series-" in key} == (
        {f"series-{series_id}-0"}
        if first == 1
        else {f"series-{series_id}-0", f"series-{series_id}-1"}
    )


# One meeting's cancellation queued for its attendees: 9.
CANCEL = 9
# What meeting_cancel writes for each meeting it cancels: the end-after-start check,
# the UPDATE and its history row (4), notify of a cancellation.
CANCELLED = 3 + 1 + 4 + CANCEL
# The cancellation of occurrences of a series, one message per attendee for them
# all (occurrences_cancel): savepoint pair, the series locked, its occurrences,
# their invitations, their releases, the keys already sent, the outbox's check and
# INSERT.
PART_CANCEL = 2 + 1 + 1 + 1 + 1 + 1 + 2


def test_meeting_cancel_queries(
    superuser, colombia, django_assert_num_queries, django_capture_on_commit_callbacks
):
    (meeting,) = create(superuser, meeting_details(colombia, attendees_of(colombia, 2)))
    meeting = AssessmentMeeting.objects.get(pk=meeting.pk)
    # The invitations went out: the cancellation goes to both attendees.
    assert meeting.invitations.filter(sent_sequence=0).count() == 2

    # Savepoint pair, the row locked, then CANCELLED (17).
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_num_queries(2 + 1 + CANCELLED),
    ):
        meeting_services.meeting_cancel(meeting=meeting, acting_user=superuser)

    assert (
        OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CANCELLATION).count() == 2
    )


@pytest.mark.parametrize("first", [3, 1])
def test_meeting_cancel_this_and_following_queries_grow_per_occurrence(
    first,
    superuser,
    colombia,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    series = create(
        superuser,
        meeting_details(colombia, attendees_of(colombia, 2)),
        repeat=meeting_services.Repeat(frequency="weekly", count=4),
    )
    meeting = AssessmentMeeting.objects.get(pk=series[first - 1].pk)

    # By design each occurrence is cancelled as one meeting: savepoint pair, the
    # row locked, the following occurrences; per occurrence CANCELLED without its
    # own message and its series' FK check and number's uniqueness check (12); the
    # attendees are told of them all in one message (PART_CANCEL). From #3: 37,
    # from #1: 61.
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_num_queries(
            2 + 1 + 1 + (5 - first) * (1 + 3 + CANCELLED - CANCEL) + PART_CANCEL
        ),
    ):
        cancelled = meeting_services.meeting_cancel(
            meeting=meeting,
            acting_user=superuser,
            scope=meeting_services.Scope.FOLLOWING,
        )

    assert len(cancelled) == 5 - first
    # One message to each of the two attendees, however many were cancelled.
    assert (
        OutboundEmail.objects.filter(kind=OutboundEmail.Kind.CANCELLATION).count() == 2
    )


@pytest.mark.parametrize("left_open", [1, 3])
def test_meeting_carry_over_queries_grow_per_item_carried(
    left_open,
    superuser,
    colombia,
    colombian_user,
    focus,
    django_assert_num_queries,
):
    held, following = create(
        superuser,
        meeting_details(colombia, ()),
        repeat=meeting_services.Repeat(frequency="weekly", count=2),
    )
    AssessmentMeeting.objects.filter(pk=held.pk).update(
        status=AssessmentMeeting.Status.HELD
    )
    held = AssessmentMeeting.objects.get(pk=held.pk)
    factories.AgendaItemFactory(meeting=held, position=0, covered=True)
    for position in range(1, left_open + 1):
        factories.AgendaItemFactory(meeting=held, position=position)
    factories.RecommendationFactory(
        source_meeting=held, owner=colombian_user, focus_area=focus
    )

    # Savepoint pair, the next occurrence, it locked, its agenda, the held
    # meeting's agenda with recommendations, the open recommendations raised or
    # reviewed there, the last position. By design one review item per item left
    # open: FK checks (meeting, item carried), the duration check, the INSERT and
    # its history row (7 each); the recommendation's review item also reads its
    # owner (the presenter, not loaded with the recommendation) and checks three
    # FKs (meeting, presenter, recommendation) (9). 1 item: 24, 3 items: 38.
    with django_assert_num_queries(2 + 6 + left_open * (2 + 3 + 2) + (1 + 3 + 3 + 2)):
        added = meeting_services.meeting_carry_over(meeting=held, acting_user=superuser)

    assert len(added) == left_open + 1
    assert following.agenda_items.count() == left_open + 1


@pytest.fixture
def held_meeting(colombia):
    return factories.AssessmentMeetingFactory(
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2, hours=-2),
        status=AssessmentMeeting.Status.HELD,
        released_to_all=False,
        released_to=[colombia],
    )


def test_meeting_save_minutes_queries(
    superuser, held_meeting, django_assert_num_queries
):
    meeting = AssessmentMeeting.objects.get(pk=held_meeting.pk)

    # Savepoint pair, the end-after-start check, the UPDATE and its history row.
    with django_assert_num_queries(2 + 3 + 1 + 4):
        meeting_services.meeting_save_minutes(
            meeting=meeting, acting_user=superuser, minutes="Agreed on patrols."
        )

    assert meeting.history.latest().history_change_reason == "Minutes drafted"


def test_meeting_publish_minutes_queries(
    superuser, held_meeting, django_assert_num_queries
):
    AssessmentMeeting.objects.filter(pk=held_meeting.pk).update(minutes="Agreed.")
    meeting = AssessmentMeeting.objects.get(pk=held_meeting.pk)

    # Savepoint pair, the publisher's FK check, the end-after-start check, the
    # UPDATE and its history row; the attendees to tell (none here).
    with django_assert_num_queries(2 + 1 + 3 + 1 + 4 + 1):
        meeting_services.meeting_publish_minutes(meeting=meeting, acting_user=superuser)

    meeting.refresh_from_db()
    assert meeting.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED


def test_meeting_correct_minutes_queries(
    superuser, held_meeting, django_assert_num_queries
):
    AssessmentMeeting.objects.filter(pk=held_meeting.pk).update(
        minutes="Agreed.",
        minutes_status=AssessmentMeeting.MinutesStatus.PUBLISHED,
        minutes_published_at=timezone.now(),
        minutes_published_by=superuser,
    )
    meeting = AssessmentMeeting.objects.get(pk=held_meeting.pk)

    # Savepoint pair, the publisher's FK check, the end-after-start check, the
    # UPDATE and its history row; the permission to correct costs nothing for the
    # superuser.
    with django_assert_num_queries(2 + 1 + 3 + 1 + 4):
        meeting_services.meeting_correct_minutes(
            meeting=meeting, acting_user=superuser, minutes="Agreed on patrols."
        )

    assert meeting.history.latest().history_change_reason == "Minutes corrected"


# --------------------------------------------------- assessments and evaluations


def test_assessment_save_new_queries(
    superuser, held_meeting, colombia, focus, django_assert_num_queries
):
    assessment = SituationAssessment(
        meeting=held_meeting,
        nation=colombia,
        focus_area=focus,
        primary_concern="Cocaine",
        trend=SituationAssessment.Trend.INCREASING,
        threat_level=SituationAssessment.ThreatLevel.HIGH,
        summary="Production rising.",
    )

    # Savepoint pair, the meeting locked, the primary concern it makes secondary
    # (none here), FK checks (meeting, nation, focus area), one primary concern per
    # nation and focus area at a meeting (a conditional check in its savepoint
    # pair), one assessment per concern, the threat level check, the INSERT and
    # its history row.
    with django_assert_num_queries(2 + 1 + 1 + 3 + 3 + 1 + 3 + 2):
        assessments.assessment_save(assessment=assessment, acting_user=superuser)

    assert assessment.history.get().history_user == superuser


def test_assessment_save_change_queries(
    superuser, held_meeting, colombia, focus, django_assert_num_queries
):
    stored = factories.SituationAssessmentFactory(
        meeting=held_meeting, nation=colombia, focus_area=focus
    )
    # As the assessment page loads it: with its meeting.
    assessment = SituationAssessment.objects.select_related("meeting").get(pk=stored.pk)
    assessment.summary = "Production steady."

    # As a new one (16), and the assessment as stored (its nation and meeting may
    # not be moved).
    with django_assert_num_queries(16 + 1):
        assessments.assessment_save(assessment=assessment, acting_user=superuser)

    stored.refresh_from_db()
    assert stored.summary == "Production steady."


def test_evaluation_save_new_queries(
    superuser, held_meeting, initiative, django_assert_num_queries
):
    evaluation = InitiativeEvaluation(
        meeting=held_meeting,
        initiative=initiative,
        rating=InitiativeEvaluation.Rating.ON_TRACK,
        findings="Milestones met.",
    )

    # Savepoint pair, the meeting locked, FK checks (meeting, initiative), one
    # evaluation per initiative at a meeting, the INSERT and its history row.
    with django_assert_num_queries(2 + 1 + 2 + 1 + 2):
        assessments.evaluation_save(evaluation=evaluation, acting_user=superuser)

    assert evaluation.history.get().history_user == superuser


# ------------------------------------------------------------------- invitations


def test_invitation_respond_queries(colombian_user, django_assert_num_queries):
    meeting = factories.AssessmentMeetingFactory(
        status=AssessmentMeeting.Status.SCHEDULED
    )
    factories.InvitationFactory(meeting=meeting, user=colombian_user)
    # As the RSVP page loads it: with its meeting.
    invitation = Invitation.objects.select_related("meeting").get(user=colombian_user)

    # Savepoint pair, FK checks (meeting, user), one invitation per attendee, the
    # UPDATE and its history row.
    with django_assert_num_queries(2 + 2 + 1 + 2):
        invitations.invitation_respond(
            invitation=invitation,
            acting_user=colombian_user,
            response=Invitation.Response.ACCEPTED,
        )

    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.ACCEPTED


# ------------------------------------------------------------------------ outbox


def unsaved_emails(user, count):
    return [
        OutboundEmail(
            key=f"test:{user.pk}:{number}",
            kind=OutboundEmail.Kind.MEETING_REMINDER,
            recipient=user,
            to_email=user.email,
            subject="Reminder",
            body="Reminder",
        )
        for number in range(count)
    ]


@pytest.mark.parametrize("count", [1, 5])
def test_outbox_record_queries_do_not_grow_with_the_messages(
    count,
    colombian_user,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    # The keys already recorded, one INSERT of the new rows; no savepoint: it runs
    # in its caller's transaction. The delivery task is enqueued on commit, once.
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(2),
    ):
        recorded = outbox.outbox_record(emails=unsaved_emails(colombian_user, count))

    assert len(recorded) == OutboundEmail.objects.count() == count
    assert len(callbacks) == 1


@pytest.mark.parametrize("count", [1, 5])
def test_delivery_retry_queries_do_not_grow_with_the_deliveries(
    count,
    superuser,
    colombian_user,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    failed = [
        factories.OutboundEmailFactory(
            recipient=colombian_user,
            status=OutboundEmail.Status.FAILED,
            attempts=5,
            next_attempt_at=None,
        )
        for _ in range(count)
    ]

    # Savepoint pair and one UPDATE of the failed rows among those named.
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        django_assert_num_queries(2 + 1),
    ):
        retried = outbox.delivery_retry(deliveries=failed, acting_user=superuser)

    assert retried == count
    assert len(callbacks) == 1


@pytest.mark.parametrize("count", [1, 3])
def test_outbox_deliver_one_batch_queries_grow_per_message(
    count, colombian_user, settings, django_assert_num_queries
):
    settings.MAILERS = LOCMEM
    for _ in range(count):
        factories.OutboundEmailFactory(recipient=colombian_user)

    # The claim in its own short transaction (savepoint pair here): the due rows
    # locked, one UPDATE of their attempts and lease. By design each message is
    # then marked sent by its own UPDATE as soon as the server took it (at most
    # one duplicate after a crash). 1 message: 5, 3 messages: 7.
    with django_assert_num_queries(2 + 1 + 1 + count):
        counts = outbox.outbox_deliver(max_batches=1)

    assert counts[OutboundEmail.Status.SENT] == len(mail.outbox) == count


# ---------------------------------------------------------------------- accounts


def test_user_change_email_in_case_only_queries(
    superuser, colombian_user, django_assert_num_queries
):
    # Savepoint pair, the address's uniqueness in any case (a check), the UPDATE
    # and its history row; the same address in other case: no notice (the
    # notice's 2 more are pinned in tests/test_account_safety.py).
    with django_assert_num_queries(2 + 3 + 2):
        changed = accounts.user_change_email(
            user=colombian_user,
            new_email="Col-Liaison@example.org",
            acting_user=superuser,
        )

    assert changed is True
    assert not OutboundEmail.objects.exists()  # the same address: nobody is told


@pytest.mark.parametrize("sessions", [1, 3])
def test_user_end_sessions_queries_grow_per_session(
    sessions, superuser, colombian_user, django_assert_num_queries
):
    for _ in range(sessions):
        Client().force_login(colombian_user)
    assert UserSession.objects.filter(user=colombian_user).count() == sessions

    # Savepoint pair, the session keys, one DELETE of the records; by design each
    # session is ended through the session engine (so a cache in front of the
    # database is emptied too): a read and a DELETE per session. 1: 6, 3: 10.
    with django_assert_num_queries(2 + 1 + 1 + 2 * sessions):
        ended = accounts.user_end_sessions(user=colombian_user, acting_user=superuser)

    assert ended == sessions
    assert not Session.objects.exists()


@pytest.mark.parametrize("rows", [1, 3])
def test_meeting_record_minutes_queries(
    superuser, held_meeting, django_assert_num_queries, rows
):
    invitations = [
        factories.InvitationFactory(meeting=held_meeting) for _ in range(rows)
    ]
    items = [
        factories.AgendaItemFactory(meeting=held_meeting, position=position)
        for position in range(rows)
    ]
    factories.InvitationFactory(meeting=held_meeting)  # left as it is
    meeting = AssessmentMeeting.objects.get(pk=held_meeting.pk)

    # Savepoint pair, the version locked, the meeting read again, its invitations,
    # its agenda; the meeting's end-after-start check, UPDATE and history row (as
    # meeting_save_minutes). Per attendance changed: its two checks (three each,
    # with their savepoint), the UPDATE and its history row (8); per outcome: the
    # duration check, the UPDATE and its history row (5). Unchanged rows: none.
    with django_assert_num_queries(2 + 1 + 1 + 1 + 1 + 8 + rows * (8 + 5)):
        meeting_services.meeting_record_minutes(
            meeting=meeting,
            version=str(meeting.version),
            acting_user=superuser,
            minutes="Agreed on patrols.",
            attendance=[
                meeting_services.AttendanceEntry(invitation.pk, "present")
                for invitation in invitations
            ],
            outcomes=[
                meeting_services.OutcomeEntry(item.pk, decision="Agreed.")
                for item in items
            ],
        )

    assert meeting.history.latest().history_change_reason == "Minutes recorded"
