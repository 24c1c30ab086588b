"""What a briefing holds, read for one reader: the same content for the print page
and the PDF (``templates/includes/_briefing.html``).

A briefing is made of records released to its reader only, like every page, and
carries the releasability marking of what it holds: the nations every included
record is released to (``release_marking``), so the paper can go to no one who may
not read all of it.

Two briefings: one meeting's (``meeting_briefing``) and the regional picture's as of
a day (``regional_briefing``). Each reads a fixed number of queries, whatever the
number of records (the lists are bounded; counts are grouped).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperation.counts import cached_count, cached_rows
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Recommendation,
    SituationAssessment,
)
from cooperation.picture import Cell, regional_picture, start_of_next_day
from cooperation.templatetags.portal_display import long_date

# The overdue recommendations and the evaluations a briefing lists; the rest are
# counted ("and 12 more"), with a link to the filtered list on the print page.
OVERDUE_ROWS = 25
EVALUATION_ROWS = 30
# Worst first: what a commander must hear about.
RATING_ORDER = [
    InitiativeEvaluation.Rating.OFF_TRACK,
    InitiativeEvaluation.Rating.AT_RISK,
    InitiativeEvaluation.Rating.ON_TRACK,
]


@dataclass(frozen=True)
class Marking:
    """Releasable to: ``nations`` (every included record is released to each of
    them), or to all partners when ``nations`` is None."""

    nations: tuple | None

    @property
    def all_partners(self):
        return self.nations is None

    @property
    def text(self):
        if self.nations is None:
            return _("Releasable to: all partner nations")
        if not self.nations:
            return _(
                "Not releasable to any partner nation: it combines records released "
                "to different nations"
            )
        names = ", ".join(nation.display_name for nation in self.nations)
        return _("Releasable to: %(nations)s") % {"nations": names}


@dataclass
class OverdueRow:
    recommendation: Recommendation
    days_late: int


@dataclass
class BriefingContent:
    kind: str  # Briefing.Kind
    title: str
    scope: str  # one line under the title: the day, region and focus area
    as_of: datetime.date
    generated_at: datetime.datetime
    marking: Marking
    meeting: AssessmentMeeting | None = None
    summary: str = ""
    # The meeting the summary was written for, when not the briefing's own.
    summary_meeting: AssessmentMeeting | None = None
    trend_rows: list = field(default_factory=list)  # Cell per assessment
    drafts_left_out: int = 0
    evaluations: list = field(default_factory=list)
    evaluation_total: int = 0
    status_counts: list = field(default_factory=list)  # (value, label, count)
    recommendation_total: int = 0
    open_total: int = 0
    overdue: list = field(default_factory=list)  # OverdueRow
    overdue_total: int = 0
    recommendation_query: str = ""  # the recommendation list's filter for the rest

    @property
    def evaluations_left_out(self):
        return self.evaluation_total - len(self.evaluations)

    @property
    def overdue_left_out(self):
        return self.overdue_total - len(self.overdue)


# ------------------------------------------------------------------- marking


def _released_nations(model, records):
    """The nations every one of ``records`` (a queryset of ``model``) is released
    to: None when all are released to all partners. Two queries over every record
    included (the counted ones too), each computed once per data generation and
    query (``cooperation.counts``), like the counts they cover."""
    restricted = records.filter(released_to_all=False).order_by()
    total = cached_count(restricted)
    if not total:
        return None
    through = model.released_to.through
    source = f"{model._meta.model_name}_id"
    return {
        nation
        for (nation,) in cached_rows(
            through.objects.filter(**{f"{source}__in": restricted.values("pk")})
            .values("nation_id")
            .annotate(records=Count("pk"))
            .filter(records=total)
            .values_list("nation_id")
        )
    }


def release_marking(parts):
    """The marking of a document made of ``parts``: ``(model, queryset)`` pairs of
    the releasable records it includes. The nations are in the reader's order of
    names, the office's own nation (``PORTAL_HOST_NATION``) first."""
    common = None
    for model, records in parts:
        nations = _released_nations(model, records)
        if nations is None:
            continue
        common = nations if common is None else common & nations
    if common is None:
        return Marking(None)
    nations = sorted(
        Nation.objects.filter(pk__in=common).in_display_order(),
        key=lambda nation: nation.iso_alpha2 != settings.PORTAL_HOST_NATION,
    )
    return Marking(tuple(nations))


# ----------------------------------------------------------- recommendations


def _recommendation_rollup(content, recommendations, *, today):
    """Status counts, the open total and the overdue ones (latest due first is the
    least late: the longest overdue first) of ``recommendations``."""
    counts = recommendations.status_counts()
    content.status_counts = [
        (value, label, counts.get(value, 0))
        for value, label in Recommendation.Status.choices
    ]
    content.recommendation_total = sum(counts.values())
    content.open_total = sum(
        counts.get(value, 0) for value in Recommendation.OPEN_STATUSES
    )
    overdue = recommendations.overdue(today=today)
    rows = list(
        overdue.select_related("owner").order_by("due_date", "reference")[:OVERDUE_ROWS]
    )
    content.overdue = [
        OverdueRow(recommendation, (today - recommendation.due_date).days)
        for recommendation in rows
    ]
    content.overdue_total = (
        len(rows) if len(rows) < OVERDUE_ROWS else cached_count(overdue.order_by())
    )


def _rank_by_rating(evaluations):
    return sorted(
        evaluations,
        key=lambda e: (RATING_ORDER.index(e.rating), e.initiative.title.casefold()),
    )


# ------------------------------------------------------------------- meeting


def meeting_briefing(user, meeting, *, today=None):
    """The briefing of ``meeting`` (already released to ``user``): its summary,
    its final assessments with the change since each nation's previous one, its
    evaluations and the recommendations it raised or reviewed."""
    today = today or timezone.localdate()
    content = BriefingContent(
        kind="meeting",
        title=meeting.title,
        scope=_("Meeting of %(day)s") % {"day": _date(meeting.starts_at)},
        as_of=timezone.localdate(meeting.starts_at),
        generated_at=timezone.now(),
        marking=Marking(None),
        meeting=meeting,
        summary=meeting.briefing_summary,
    )
    assessments = list(
        meeting.assessments.select_related("nation", "focus_area").by_nation_name()
    )
    final = [a for a in assessments if not a.is_draft]
    content.drafts_left_out = len(assessments) - len(final)
    for assessment in final:
        assessment.meeting = meeting
    primary = [a for a in final if a.is_primary]
    previous = {}
    if primary:
        earlier = (
            SituationAssessment.objects.visible_to(user)
            .final()
            .primary()
            .filter(
                meeting__starts_at__lt=meeting.starts_at,
                nation__in={a.nation_id for a in primary},
                focus_area__in={a.focus_area_id for a in primary},
            )
            .latest_per_nation_and_focus_area(depth=1)
        )
        previous = {(a.nation_id, a.focus_area_id): a for a in earlier}
    content.trend_rows = [
        Cell(
            latest=assessment,
            previous=previous.get((assessment.nation_id, assessment.focus_area_id))
            if assessment.is_primary
            else None,
        )
        for assessment in final
    ]
    evaluations = InitiativeEvaluation.objects.visible_to(user).at_meeting(meeting)
    content.evaluations = _rank_by_rating(evaluations)
    content.evaluation_total = len(content.evaluations)

    reviewed = meeting.agenda_items.exclude(recommendation=None).values(
        "recommendation"
    )
    recommendations = Recommendation.objects.visible_to(user).filter(
        Q(source_meeting=meeting) | Q(pk__in=reviewed)
    )
    _recommendation_rollup(content, recommendations, today=today)

    previous_meetings = {a.meeting_id for a in previous.values()}
    content.marking = release_marking(
        [
            (
                AssessmentMeeting,
                AssessmentMeeting.objects.filter(
                    pk__in={meeting.pk, *previous_meetings}
                ),
            ),
            (
                Initiative,
                Initiative.objects.filter(
                    pk__in=[e.initiative_id for e in content.evaluations]
                ),
            ),
            (Recommendation, recommendations),
        ]
    )
    return content


# ------------------------------------------------------------------ regional


def regional_briefing(
    user, *, as_of, focus_areas, region=None, focus_slug=None, today=None
):
    """The regional picture released to ``user`` as of ``as_of`` as a briefing: the
    summary of the latest meeting that has one, each nation's latest assessment per
    focus area with the change since the one before, each initiative's latest
    evaluation (worst first) and the recommendations addressed to the nations."""
    today = today or timezone.localdate()
    picture = regional_picture(
        user,
        as_of=as_of,
        today=today,
        focus_areas=focus_areas,
        region=region,
        focus_slug=focus_slug,
        with_recommendations=False,  # the briefing counts them its own way
    )
    scope = [_("As of %(day)s") % {"day": _date(as_of)}]
    if region:
        scope.append(str(Nation.Region(region).label))
    area = next((a for a in focus_areas if a.slug == focus_slug), None)
    if area:
        scope.append(area.display_name)
    content = BriefingContent(
        kind="regional",
        title=_("Regional picture"),
        scope=" · ".join(scope),
        as_of=as_of,
        generated_at=timezone.now(),
        marking=Marking(None),
    )
    content.trend_rows = [cell for row in picture.rows for cell in row.assessed]
    before = start_of_next_day(as_of)
    visible_meetings = AssessmentMeeting.objects.visible_to(user)
    content.summary_meeting = (
        visible_meetings.filter(starts_at__lt=before)
        .exclude(briefing_summary="")
        .order_by("-starts_at", "-pk")
        .first()
    )
    if content.summary_meeting:
        content.summary = content.summary_meeting.briefing_summary

    evaluations = (
        InitiativeEvaluation.objects.visible_to(user)
        .filter(meeting__starts_at__lt=before)
        .latest_per_initiative()
    )
    initiatives = Initiative.objects.all()
    if region:
        initiatives = initiatives.filter(lead_nation__region=region)
    if area:
        initiatives = initiatives.filter(focus_areas=area)
    if region or area:
        evaluations = evaluations.filter(initiative__in=initiatives.values("pk"))
    rows = list(evaluations.order_by_rating()[:EVALUATION_ROWS])
    content.evaluations = rows
    content.evaluation_total = (
        len(rows) if len(rows) < EVALUATION_ROWS else cached_count(evaluations)
    )

    recommendations = Recommendation.objects.visible_to(user)
    query = []
    if region:
        recommendations = recommendations.filter(
            Exists(
                Recommendation.nations.through.objects.filter(
                    recommendation_id=OuterRef("pk"), nation__region=region
                )
            )
        )
    if area:
        recommendations = recommendations.filter(focus_area=area)
        query.append(f"focus_area={area.slug}")
    content.recommendation_query = "&".join(query)
    _recommendation_rollup(content, recommendations, today=today)

    meetings = {cell.latest.meeting_id for cell in content.trend_rows}
    meetings |= {
        cell.previous.meeting_id for cell in content.trend_rows if cell.previous
    }
    meetings |= {e.meeting_id for e in content.evaluations}
    if content.summary_meeting:
        meetings.add(content.summary_meeting.pk)
    content.marking = release_marking(
        [
            (AssessmentMeeting, AssessmentMeeting.objects.filter(pk__in=meetings)),
            (
                Initiative,
                Initiative.objects.filter(
                    pk__in=[e.initiative_id for e in content.evaluations]
                ),
            ),
            (Recommendation, recommendations),
        ]
    )
    return content


def _date(value):
    """``value`` (a date, or a time on the reader's calendar) written out in the
    reader's language."""
    return long_date(value)
