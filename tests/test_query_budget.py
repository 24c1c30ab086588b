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
    "my-work": Page("my-work"),
    "profile": Page("profile"),
    "notification-list": Page("notification-list"),
    "search": Page("search", query="q=initiative"),
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
    "meeting-series-ics": Page("meeting-series-ics", ("series_meeting",)),
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
    "meeting-recommendation-create outcome": Page(
        "meeting-recommendation-create", ("meeting",), query="agenda_item={item}"
    ),
    "meeting-minutes": Page("meeting-minutes", ("meeting",)),
    "calendar": Page("calendar", query="month={meeting_month}"),
    "calendar-subscription": Page("calendar-subscription"),
    "calendar-feed": Page("calendar-feed", ("feed_token",)),
    "recommendation-list": Page("recommendation-list"),
    "recommendation-list csv": Page("recommendation-list", query="format=csv"),
    "recommendation-create": Page("recommendation-create"),
    "recommendation-detail": Page("recommendation-detail", ("recommendation",)),
    "recommendation-history": Page("recommendation-history", ("recommendation",)),
    "recommendation-edit": Page("recommendation-edit", ("recommendation",)),
    "meeting-document-add": Page("meeting-document-add", ("meeting",)),
    "recommendation-document-add": Page(
        "recommendation-document-add", ("recommendation",)
    ),
    "initiative-document-add": Page("initiative-document-add", ("initiative",)),
    "document-download": Page("document-download", ("document",)),
    "document-download version": Page(
        "document-download", ("document",), query="version=1"
    ),
    "document-replace": Page("document-replace", ("document",)),
    "document-delete": Page("document-delete", ("document",)),
}

# URL patterns of the portal that are no GET page of their own.
NOT_PAGES = {
    "healthz": "pinned at no query in tests/test_health.py",
    "readyz": "a probe for the load balancer, not a page",
    "language-switch": "POST only",
    "notification-preferences": "POST only (its form is on the profile page)",
    "notification-read": "POST only (its buttons are on the notifications page)",
    "notification-read-all": "POST only (its button is on the notifications page)",
    "recommendation-follow": "POST only (its button is on the detail page)",
    "saved-filter-save": "POST only (its form is on the lists)",
    "saved-filter-delete": "POST only (its button is in the navigation bar's menu)",
    "meeting-rsvp": "POST only",
    "meeting-cancel": "POST only",
    "meeting-minutes-publish": "POST only",
    "recommendation-transition": "POST only (its form is on the detail page)",
    "recommendation-progress": "POST only (its form is on the detail page)",
    "recommendation-comment": "POST only (its form is on the detail page)",
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
    # The minutes are recorded by who may change the meeting.
    "meeting-minutes",
}

# Exact queries of one request, cold. Every signed-in page starts with the session,
# the user (with their nation) and the user's permissions (two queries); every HTML
# page adds the navigation bar's saved filters (one query, bounded).
# The pages of a meeting, recommendation and initiative list their documents: one
# query, and one more for their latest versions when there are documents (the
# recommendation has one); their history pages add the documents' history and
# versions (two). A document's pages read it with its parent (one query) and the
# download its version (one more).
# A meeting's, recommendation's and initiative's page and the meeting's briefing
# read their record twice: its heading, the access check of every request, whether
# the content is kept or not (views.access.heading_of), and the whole record when
# the content is drawn.
QUERIES = {
    # page                             coordinator, liaison
    # The dashboard's first panel and the My work page (``cooperation.my_work``):
    # rows + COUNT of each list that applies, four for the coordinator, three for
    # the liaison (an Editor publishes no minutes).
    "dashboard":                       {COORDINATOR: 22, LIAISON: 20},
    "my-work":                         {COORDINATOR: 14, LIAISON: 12},
    # The profile names the user's roles (their groups: one query).
    "profile":                         {COORDINATOR:  6, LIAISON:  6},
    "notification-list":               {COORDINATOR:  5, LIAISON:  5},
    "search":                          {COORDINATOR: 11, LIAISON: 11},
    "lookup-users":                    {COORDINATOR:  3, LIAISON:  3},
    "lookup-initiatives":              {COORDINATOR:  5, LIAISON:  5},
    "lookup-meetings":                 {COORDINATOR:  5, LIAISON:  5},
    "lookup-recommendations":          {COORDINATOR:  5, LIAISON:  5},
    "nation-list":                     {COORDINATOR: 10, LIAISON: 10},
    "nation-detail":                   {COORDINATOR: 14, LIAISON: 14},
    "regional-picture":                {COORDINATOR: 10, LIAISON: 10},
    "regional-briefing":               {COORDINATOR: 16, LIAISON: 14},
    "briefing-list":                   {COORDINATOR:  5, LIAISON:  5},
    "briefing":                        {COORDINATOR:  5, LIAISON:  5},
    "briefing-pdf":                    {COORDINATOR:  3, LIAISON:  3},
    "initiative-list":                 {COORDINATOR: 11, LIAISON: 11},
    "initiative-list csv":             {COORDINATOR: 11, LIAISON: 11},
    "initiative-create":               {COORDINATOR: 10, LIAISON:  9},
    "initiative-detail":               {COORDINATOR: 13, LIAISON: 13},
    "initiative-history":              {COORDINATOR: 12, LIAISON: 12},
    "initiative-edit":                 {COORDINATOR: 14, LIAISON: 12},
    "meeting-list":                    {COORDINATOR: 10, LIAISON: 10},
    "meeting-list csv":                {COORDINATOR:  7, LIAISON:  7},
    # The meeting form's time-zone picker lists the partner nations' zones first:
    # one query for the active nations' zones (create and edit).
    "meeting-create":                  {COORDINATOR:  9, LIAISON:  6},
    "meeting-find-time":               {COORDINATOR:  7, LIAISON:  6},
    "meeting-find-time search":        {COORDINATOR:  8, LIAISON:  6},
    "meeting-detail":                  {COORDINATOR: 15, LIAISON: 15},
    "meeting-ics":                     {COORDINATOR:  6, LIAISON:  6},
    "meeting-series-ics":              {COORDINATOR:  6, LIAISON:  6},
    "meeting-edit":                    {COORDINATOR: 18, LIAISON:  6},
    "meeting-history":                 {COORDINATOR: 12, LIAISON: 12},
    "meeting-briefing":                {COORDINATOR: 16, LIAISON: 16},
    "assessment-create":               {COORDINATOR:  9, LIAISON:  9},
    "assessment-edit":                 {COORDINATOR: 10, LIAISON: 10},
    "evaluation-create":               {COORDINATOR:  7, LIAISON:  7},
    "evaluation-edit":                 {COORDINATOR:  9, LIAISON:  9},
    "meeting-recommendation-create":   {COORDINATOR: 11, LIAISON: 10},
    # From an outcome: the agenda item read (one query) to fill in the form.
    "meeting-recommendation-create outcome": {COORDINATOR: 12, LIAISON: 11},
    # The meeting, its invitations and agenda items (one query each).
    "meeting-minutes":                 {COORDINATOR:  9, LIAISON:  7},
    "calendar":                        {COORDINATOR:  7, LIAISON:  7},
    "calendar-subscription":           {COORDINATOR:  4, LIAISON:  4},
    "calendar-feed":                   {COORDINATOR:  7, LIAISON:  7},
    "recommendation-list":             {COORDINATOR: 10, LIAISON: 10},
    "recommendation-list csv":         {COORDINATOR:  9, LIAISON:  9},
    "recommendation-create":           {COORDINATOR: 10, LIAISON:  9},
    "recommendation-detail":           {COORDINATOR: 14, LIAISON: 14},
    "recommendation-history":          {COORDINATOR: 15, LIAISON: 15},
    "recommendation-edit":             {COORDINATOR: 16, LIAISON: 14},
    "meeting-document-add":            {COORDINATOR:  7, LIAISON:  7},
    "recommendation-document-add":     {COORDINATOR:  7, LIAISON:  7},
    "initiative-document-add":         {COORDINATOR:  7, LIAISON:  7},
    "document-download":               {COORDINATOR:  6, LIAISON:  6},
    "document-download version":       {COORDINATOR:  6, LIAISON:  6},
    "document-replace":                {COORDINATOR:  7, LIAISON:  7},
    "document-delete":                 {COORDINATOR:  7, LIAISON:  7},
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
    item = factories.AgendaItemFactory(
        meeting=meeting, position=1, decision="Share data.", follow_up="Draft a MoU."
    )
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
    # A series of three, the second withheld from the liaison.
    series = factories.MeetingSeriesFactory(created_by=coordinator)
    occurrences = [
        factories.AssessmentMeetingFactory(
            series=series,
            occurrence_number=number,
            starts_at=now + datetime.timedelta(days=7 * number),
            ends_at=now + datetime.timedelta(days=7 * number, hours=1),
            recurrence_id=now + datetime.timedelta(days=7 * number),
            **(withheld if number == 2 else {}),
        )
        for number in (1, 2, 3)
    ]
    meeting_day = timezone.localtime(meeting.starts_at).date()
    return {
        "series_meeting": occurrences[0].pk,
        COORDINATOR: coordinator,
        LIAISON: liaison,
        "nation": colombia.iso_alpha2,
        "initiative": initiative.pk,
        "meeting": meeting.pk,
        "item": item.pk,
        "meeting_month": f"{meeting_day:%Y-%m}",
        "assessment": assessment.pk,
        "evaluation": evaluation.pk,
        "recommendation": recommendation.reference,
        # Evidence on the recommendation, in its second version.
        "document": factories.DocumentFactory(
            recommendation=recommendation,
            uploaded_by=liaison,
            versions=[factories.MINIMAL_PDF, factories.MINIMAL_PDF + b"%v2"],
        ).pk,
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
