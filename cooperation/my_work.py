"""What a user owes: the reads of the My work page and of the dashboard's first
panel.

Four lists, each of records released to the user only (``visible_to``), each
bounded with its total (``models.base.bounded``: one query for the rows, one for
the count, kept per data generation), each linking to the filtered list where one
exists:

- the open recommendations they own, overdue first (the most days late first),
  then by due date, undated last;
- their invitations to upcoming meetings they have not answered;
- the upcoming meetings their nation takes part in where it has recorded no
  assessment yet (for users who may record one);
- the held meetings they chair whose minutes are not published (for users who
  may publish them).
"""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    Recommendation,
    SituationAssessment,
)
from cooperation.models.base import Bounded, bounded

# The rows each list shows on the My work page, and on the dashboard's panel.
PAGE_ROWS = 20
PANEL_ROWS = 5

RECORD_ASSESSMENT = "cooperation.add_situationassessment"
PUBLISH_MINUTES = "cooperation.change_assessmentmeeting"

NOTHING = Bounded(rows=[], total=0)


@dataclass(frozen=True)
class MyWork:
    recommendations: Bounded
    invitations: Bounded
    assessments: Bounded
    minutes: Bounded

    @property
    def total(self):
        return (
            self.recommendations.total
            + self.invitations.total
            + self.assessments.total
            + self.minutes.total
        )


def owned_recommendations(user, *, today=None):
    """The open recommendations ``user`` owns and sees: the earliest due first, so
    the overdue ones lead, the most days late first; undated last."""
    return (
        Recommendation.objects.visible_to(user)
        .open()
        .filter(owner=user)
        .select_related("focus_area")
        .order_by(F("due_date").asc(nulls_last=True), "reference")
    )


def unanswered_invitations(user, *, now=None):
    """``user``'s invitations to upcoming meetings released to them that they have
    not answered, the soonest meeting first; none to a meeting that has started
    (answers close at the start)."""
    now = now or timezone.now()
    meetings = (
        AssessmentMeeting.objects.visible_to(user)
        .upcoming(now=now)
        .filter(starts_at__gt=now)
    )
    return (
        Invitation.objects.filter(
            user=user,
            response=Invitation.Response.NEEDS_ACTION,
            meeting__in=meetings.order_by().values("pk"),
        )
        .select_related("meeting")
        .order_by("meeting__starts_at", "pk")
    )


def assessments_to_record(user, *, now=None):
    """The upcoming meetings released to ``user`` that their nation takes part in
    and where it has recorded no assessment yet (a draft counts as recorded), the
    soonest first; none for a user without a nation or the right to record one."""
    if user.nation_id is None or not user.has_perm(RECORD_ASSESSMENT):
        return AssessmentMeeting.objects.none()
    recorded = SituationAssessment.objects.filter(
        meeting=OuterRef("pk"), nation_id=user.nation_id
    )
    return (
        AssessmentMeeting.objects.visible_to(user)
        .upcoming(now=now)
        .filter(nations=user.nation_id)
        .exclude(Exists(recorded))
        .order_by("starts_at", "pk")
    )


def minutes_to_publish(user):
    """The held meetings ``user`` chairs (released to them) whose minutes are not
    published, the longest waiting first; none for a user who may not publish."""
    if not user.has_perm(PUBLISH_MINUTES):
        return AssessmentMeeting.objects.none()
    return (
        AssessmentMeeting.objects.visible_to(user)
        .filter(
            chair=user,
            status=AssessmentMeeting.Status.HELD,
            minutes_status=AssessmentMeeting.MinutesStatus.DRAFT,
        )
        .order_by("starts_at", "pk")
    )


def _bounded(queryset, limit):
    # An empty queryset (``none()``) runs no query at all.
    if queryset.query.is_empty():
        return NOTHING
    return bounded(queryset, limit)


def my_work(user, *, limit=PAGE_ROWS, now=None):
    """What ``user`` owes, each list at most ``limit`` rows with its total; each
    recommendation carries ``days_late`` (0 when not overdue). Two queries per list
    that applies to the user (rows, count), none for one that does not."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    recommendations = _bounded(owned_recommendations(user), limit)
    for recommendation in recommendations.rows:
        due = recommendation.due_date
        recommendation.days_late = (today - due).days if due and due < today else 0
    return MyWork(
        recommendations=recommendations,
        invitations=_bounded(unanswered_invitations(user, now=now), limit),
        assessments=_bounded(assessments_to_record(user, now=now), limit),
        minutes=_bounded(minutes_to_publish(user), limit),
    )
