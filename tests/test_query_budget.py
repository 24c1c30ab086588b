"""The exact number of queries of every page of the portal, for each of two readers.

Every GET page (and CSV export, lookup and feed) is requested by a coordinator, who
sees every record, and by a Colombian liaison (an Editor), who sees only what is
released to Colombia and is refused the scheduling pages. The world holds a few
rows of each kind (so every prefetch has rows to run on) and a record of each kind
withheld from Colombia.

Counts are measured cold, as the first request after a change of data: the cache
(counts per data generation, ``cooperation.counts``; each user's permissions,
``cooperation.backends``) is emptied just before the request. The same page rendered
with many more rows is guarded elsewhere (tests/test_list_performance.py,
tests/test_bounded_pages.py, tests/test_lookups.py); this table pins what one
request of each page costs today, so a change in any count is seen and explained.

When a count changes on purpose, update ``QUERIES`` (the failure names the page,
the reader, the pinned count and the new one).
"""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cooperation import roles, urls
from cooperation.models import Briefing, Initiative, Participation, Recommendation
from cooperation.services import invitations as invitation_services
from tests import factories

pytestmark = pytest.mark.django_db

COORDINATOR = "coordinator"
LIAISON = "liaison"  # of Colombia, with the Editor role
READERS = (COORDINATOR, LIAISON)

SEARCH = (
    "nations=CO&nations=BR&duration=60&time_zone=America/Bogota"
    "&first_day={search_from}&last_day={search_to}"
)


@dataclass(frozen=True)
class Page:
    """A URL pattern of the portal, the world's values that fill its arguments and
    the query string (formatted with the world) it is requested with."""

    url_name: str
    args: tuple = ()
    query: str = ""

    def url(self, world):
        path = reverse(
            f"cooperation:{self.url_name}", args=[world[arg] for arg in self.args]
        )
        return f"{path}?{self.query.format(**world)}" if self.query else path


PAGES = {
    "dashboard": Page("dashboard"),
    "profile": Page("profile"),
    "lookup-users": Page("lookup-users", query="q=o"),
    "lookup-initiatives": Page("lookup-initiatives", query="q=i"),
    "lookup-meetings": Page("lookup-meetings", query="q=a"),
    "lookup-recommendations": Page("lookup-recommendations", query="q=r"),
    "nation-list": Page("nation-list"),
    "nation-detail": Page("nation-detail", ("nation",)),
    "regional-picture": Page("regional-picture"),
    "regional-briefing": Page("regional-briefing"),
    "briefing-list": Page("briefing-list"),
    "briefing": Page("briefing", ("briefing",)),
    "briefing-pdf": Page("briefing-pdf", ("briefing",)),
    "initiative-list": Page("initiative-list"),
    "initiative-list csv": Page("initiative-list", query="format=csv"),
    "initiative-create": Page("initiative-create"),
    "initiative-detail": Page("initiative-detail", ("initiative",)),
    "initiative-history": Page("initiative-history", ("initiative",)),
    "initiative-edit": Page("initiative-edit", ("initiative",)),
    "meeting-list": Page("meeting-list"),
    "meeting-list csv": Page("meeting-list", query="format=csv"),
    "meeting-create": Page("meeting-create"),
    "meeting-find-time": Page("meeting-find-time"),
    "meeting-find-time search": Page("meeting-find-time", query=SEARCH),
    "meeting-detail": Page("meeting-detail", ("meeting",)),
    "meeting-ics": Page("meeting-ics", ("meeting",)),
    "meeting-edit": Page("meeting-edit", ("meeting",)),
    "meeting-history": Page("meeting-history", ("meeting",)),
    "meeting-briefing": Page("meeting-briefing", ("meeting",)),
    "assessment-create": Page("assessment-create", ("meeting",)),
    "assessment-edit": Page("assessment-edit", ("meeting", "assessment")),
    "evaluation-create": Page("evaluation-create", ("meeting",)),
    "evaluation-edit": Page("evaluation-edit", ("meeting", "evaluation")),
    "meeting-recommendation-create": Page(
        "meeting-recommendation-create", ("meeting",)
    ),
    "calendar": Page("calendar", query="month={meeting_month}"),
    "calendar-subscription": Page("calendar-subscription"),
    "calendar-feed": Page("calendar-feed", ("feed_token",)),
    "recommendation-list": Page("recommendation-list"),
    "recommendation-list csv": Page("recommendation-list", query="format=csv"),
    "recommendation-create": Page("recommendation-create"),
    "recommendation-detail": Page("recommendation-detail", ("recommendation",)),
    "recommendation-history": Page("recommendation-history", ("recommendation",)),
    "recommendation-edit": Page("recommendation-edit", ("recommendation",)),
}

# URL patterns of the portal that are no GET page of their own.
NOT_PAGES = {
    "healthz": "pinned at no query in tests/test_health.py",
    "readyz": "a probe for the load balancer, not a page",
    "language-switch": "POST only",
    "meeting-rsvp": "POST only",
    "meeting-cancel": "POST only",
    "meeting-minutes": "POST only",
    "meeting-minutes-publish": "POST only",
    "recommendation-transition": "POST only (its form is on the detail page)",
    "meeting-briefing-pdf": "POST only (its button is on the briefing page)",
    "regional-briefing-pdf": "POST only (its button is on the picture and briefing)",
    "briefing-retry": "POST only (its button is on the briefing's page)",
}

# The pages the liaison's role does not open: answered 403 after the permission
# check, which the count covers as well.
REFUSED_TO_LIAISON = {
    "meeting-create",
    "meeting-edit",
    "meeting-find-time",
    "meeting-find-time search",
}

# Exact queries of one request, cold. Every signed-in page starts with the session,
# the user (with their nation) and the user's permissions (two queries).
QUERIES = {
    # page                             coordinator, liaison
    "dashboard":                       {COORDINATOR: 12, LIAISON: 12},
    "profile":                         {COORDINATOR:  2, LIAISON:  2},
    "lookup-users":                    {COORDINATOR:  3, LIAISON:  3},
    "lookup-initiatives":              {COORDINATOR:  5, LIAISON:  5},
    "lookup-meetings":                 {COORDINATOR:  5, LIAISON:  5},
    "lookup-recommendations":          {COORDINATOR:  5, LIAISON:  5},
    "nation-list":                     {COORDINATOR:  8, LIAISON:  8},
    "nation-detail":                   {COORDINATOR: 12, LIAISON: 12},
    "regional-picture":                {COORDINATOR:  8, LIAISON:  8},
    "regional-briefing":               {COORDINATOR: 14, LIAISON: 12},
    "briefing-list":                   {COORDINATOR:  3, LIAISON:  3},
    "briefing":                        {COORDINATOR:  3, LIAISON:  3},
    "briefing-pdf":                    {COORDINATOR:  3, LIAISON:  3},
    "initiative-list":                 {COORDINATOR:  9, LIAISON:  9},
    "initiative-list csv":             {COORDINATOR: 11, LIAISON: 11},
    "initiative-create":               {COORDINATOR:  8, LIAISON:  7},
    "initiative-detail":               {COORDINATOR:  9, LIAISON:  9},
    "initiative-history":              {COORDINATOR:  8, LIAISON:  8},
    "initiative-edit":                 {COORDINATOR: 12, LIAISON: 10},
    "meeting-list":                    {COORDINATOR:  8, LIAISON:  8},
    "meeting-list csv":                {COORDINATOR:  7, LIAISON:  7},
    "meeting-create":                  {COORDINATOR:  6, LIAISON:  4},
    "meeting-find-time":               {COORDINATOR:  5, LIAISON:  4},
    "meeting-find-time search":        {COORDINATOR:  6, LIAISON:  4},
    "meeting-detail":                  {COORDINATOR: 11, LIAISON: 11},
    "meeting-ics":                     {COORDINATOR:  6, LIAISON:  6},
    "meeting-edit":                    {COORDINATOR: 15, LIAISON:  4},
    "meeting-history":                 {COORDINATOR:  8, LIAISON:  8},
    "meeting-briefing":                {COORDINATOR: 13, LIAISON: 13},
    "assessment-create":               {COORDINATOR:  7, LIAISON:  7},
    "assessment-edit":                 {COORDINATOR:  8, LIAISON:  8},
    "evaluation-create":               {COORDINATOR:  5, LIAISON:  5},
    "evaluation-edit":                 {COORDINATOR:  7, LIAISON:  7},
    "meeting-recommendation-create":   {COORDINATOR:  9, LIAISON:  8},
    "calendar":                        {COORDINATOR:  5, LIAISON:  5},
    "calendar-subscription":           {COORDINATOR:  2, LIAISON:  2},
    "calendar-feed":                   {COORDINATOR:  7, LIAISON:  7},
    "recommendation-list":             {COORDINATOR:  8, LIAISON:  8},
    "recommendation-list csv":         {COORDINATOR:  9, LIAISON:  9},
    "recommendation-create":           {COORDINATOR:  8, LIAISON:  7},
    "recommendation-detail":           {COORDINATOR:  8, LIAISON:  8},
    "recommendation-history":          {COORDINATOR: 11, LIAISON: 11},
    "recommendation-edit":             {COORDINATOR: 14, LIAISON: 12},
}  # fmt: skip


def _member(user, role):
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(colombia, brazil, united_states, colombian_user):
    coordinator = _member(
        factories.UserFactory(username="coordinator", nation=united_states),
        roles.COORDINATOR,
    )
    liaison = _member(colombian_user, roles.EDITOR)
    focus = factories.FocusAreaFactory(name="Cocaine", slug="cocaine")
    now = timezone.now()
    today = timezone.localdate()
    withheld = {"released_to_all": False, "released_to": [brazil]}

    initiative = factories.InitiativeFactory(owner=coordinator)
    initiative.focus_areas.add(focus)
    factories.ParticipationFactory(
        initiative=initiative, nation=colombia, role=Participation.Role.LEAD
    )
    factories.ParticipationFactory(initiative=initiative, nation=brazil)
    factories.InitiativeFactory(
        title="Withheld initiative", owner=coordinator, **withheld
    )

    meeting = factories.AssessmentMeetingFactory(
        starts_at=now + datetime.timedelta(days=2),
        ends_at=now + datetime.timedelta(days=2, hours=2),
        chair=coordinator,
    )
    meeting.nations.set([colombia, brazil])
    factories.AgendaItemFactory(meeting=meeting, position=1)
    factories.AgendaItemFactory(meeting=meeting, position=2)
    factories.InvitationFactory(meeting=meeting, user=liaison)
    factories.InvitationFactory(meeting=meeting, user=coordinator)
    assessment = factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, focus_area=focus
    )
    evaluation = factories.InitiativeEvaluationFactory(
        meeting=meeting, initiative=initiative
    )
    factories.AssessmentMeetingFactory(
        title="Withheld meeting",
        starts_at=now + datetime.timedelta(days=3),
        ends_at=now + datetime.timedelta(days=3, hours=2),
        **withheld,
    )

    recommendation = factories.RecommendationFactory(
        reference="REC-2026-0001",
        focus_area=focus,
        owner=liaison,
        status=Recommendation.Status.IN_PROGRESS,
        progress=40,
        due_date=today - datetime.timedelta(days=3),
        source_meeting=meeting,
        initiative=initiative,
    )
    recommendation.nations.set([colombia])
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, author=coordinator
    )
    factories.RecommendationFactory(
        reference="REC-2026-0002",
        title="Withheld recommendation",
        focus_area=focus,
        owner=coordinator,
        **withheld,
    )
    assert Initiative.objects.visible_to(liaison).count() == 1

    feed_tokens = {
        reader: invitation_services.calendar_token_create(user=user, acting_user=user)
        for reader, user in ((COORDINATOR, coordinator), (LIAISON, liaison))
    }
    # A PDF briefing of each reader's own (its page and file answer no one else).
    briefings = {
        reader: factories.BriefingFactory(
            kind=Briefing.Kind.MEETING,
            requested_by=user,
            meeting=meeting,
            as_of=None,
            status=Briefing.Status.READY,
            title=meeting.title,
            pdf=b"%PDF-1.7 briefing",
            pages=1,
            finished_at=now,
        )
        for reader, user in ((COORDINATOR, coordinator), (LIAISON, liaison))
    }
    meeting_day = timezone.localtime(meeting.starts_at).date()
    return {
        COORDINATOR: coordinator,
        LIAISON: liaison,
        "nation": colombia.iso_alpha2,
        "initiative": initiative.pk,
        "meeting": meeting.pk,
        "meeting_month": f"{meeting_day:%Y-%m}",
        "assessment": assessment.pk,
        "evaluation": evaluation.pk,
        "recommendation": recommendation.reference,
        "search_from": (today + datetime.timedelta(days=7)).isoformat(),
        "search_to": (today + datetime.timedelta(days=13)).isoformat(),
        "feed_tokens": feed_tokens,
        "briefings": briefings,
    }


def test_every_page_of_the_portal_has_its_pinned_queries():
    patterns = {pattern.name for pattern in urls.urlpatterns}
    pages = {page.url_name for page in PAGES.values()}
    assert patterns - set(NOT_PAGES) == pages
    assert set(QUERIES) == set(PAGES)
    assert set(PAGES) >= REFUSED_TO_LIAISON


def _read(response):
    """The whole body: a streamed CSV runs its queries while it is read."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_its_pinned_queries(
    client, world, page, reader, django_assert_num_queries
):
    url = PAGES[page].url(
        {
            **world,
            "feed_token": world["feed_tokens"][reader],
            "briefing": world["briefings"][reader].pk,
        }
    )
    client.force_login(world[reader])
    expected = QUERIES[page][reader]
    refused = reader == LIAISON and page in REFUSED_TO_LIAISON
    cache.clear()  # cold: counts and permissions are read again

    with django_assert_num_queries(
        expected,
        info=f"{page} as the {reader} ({url}) was pinned at {expected} queries",
    ):
        response = client.get(url)
        _read(response)
        assert response.status_code == (403 if refused else 200), url
