"""Briefings (issue 14, item 3): a meeting's and the regional picture's, as a print
page and as a PDF made by the task worker.

What a briefing holds (bottom line up front, the trend table, the evaluations worst
first, the recommendations' roll-up), the releasability marking of what it holds,
that a reader's briefing never holds a record withheld from them (the HTML page and
the PDF's text, read back with pypdf), the PDF's way from the button to the download
(retried when it fails, answered to its owner only), the reader's language, the
summary's edit, the CSS strings of the page marks and the pages' query counts.
"""

import datetime
import io
import re
import zoneinfo
from html.parser import HTMLParser
from types import SimpleNamespace

import pypdf
import pytest
import tinycss2
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from cooperation import briefings, roles
from cooperation.briefings import Marking, release_marking
from cooperation.concurrency import version_token
from cooperation.models import (
    AssessmentMeeting,
    Briefing,
    Initiative,
    InitiativeEvaluation,
    Recommendation,
    SituationAssessment,
)
from cooperation.pdf import briefing_pdf
from cooperation.picture import active_focus_areas
from cooperation.services import briefings as briefing_services
from cooperation.services import meetings as meeting_services
from cooperation.templatetags.portal_display import css_string
from tests import factories

pytestmark = pytest.mark.django_db

Level = SituationAssessment.ThreatLevel
Trend = SituationAssessment.Trend
Rating = InitiativeEvaluation.Rating
Status = Recommendation.Status
# Every text of a record withheld from Brazil starts with this; the references of
# the withheld recommendations are below.
WITHHELD = "WITHHELD"
WITHHELD_REFERENCES = ("REC-2026-0666", "REC-2026-0667")
REGIONAL = reverse("cooperation:regional-briefing")
REGIONAL_PDF = reverse("cooperation:regional-briefing-pdf")


# ---------------------------------------------------------------------- helpers


def _days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def _meeting(days_ago, **kwargs):
    starts_at = _days_ago(days_ago)
    kwargs.setdefault("title", f"Meeting {days_ago} days ago")
    return factories.AssessmentMeetingFactory(
        starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=2), **kwargs
    )


def _assess(meeting, nation, focus, **kwargs):
    return factories.SituationAssessmentFactory(
        meeting=meeting, nation=nation, focus_area=focus, **kwargs
    )


def _due(days):
    """A due date ``days`` from today (negative: in the past)."""
    return timezone.localdate() + datetime.timedelta(days=days)


def _short(day):
    return date_format(day, "SHORT_DATE_FORMAT")


def _member(user, role):
    user.groups.add(Group.objects.get(name=role))
    return user


def _briefing_row(user, meeting, **kwargs):
    """A PDF briefing of ``meeting`` that ``user`` asked for, not made yet."""
    return factories.BriefingFactory(
        kind=Briefing.Kind.MEETING,
        requested_by=user,
        meeting=meeting,
        as_of=None,
        **kwargs,
    )


def _page_url(meeting):
    return _page_url_pk(meeting.pk)


def _page_url_pk(pk):
    return reverse("cooperation:meeting-briefing", args=[pk])


def _pdf_url(meeting):
    return reverse("cooperation:meeting-briefing-pdf", args=[meeting.pk])


# A word broken at the end of a line by hyphenation (U+2010, or a soft hyphen).
HYPHENATED = re.compile(r"[\u2010\u00ad]\n")
SPACES = re.compile(r"\s+")


class PdfText(str):
    """The text of a PDF, which holds a phrase when it holds its characters in
    order, whatever the spaces between them: a narrow table cell breaks a line
    anywhere, even inside a reference ("REC-2026-02 29"), so a search that minded
    the spaces would miss a row, or a leak."""

    def __new__(cls, text):
        text = super().__new__(cls, text)
        text.squashed = SPACES.sub("", text)
        return text

    def __contains__(self, phrase):
        return SPACES.sub("", phrase) in self.squashed

    def index(self, phrase):
        return self.squashed.index(SPACES.sub("", phrase))

    def casefold(self):
        return PdfText(str(self).casefold())


def pdf_pages(data):
    """The text of each page of the PDF ``data`` (``PdfText``)."""
    reader = pypdf.PdfReader(io.BytesIO(bytes(data)))
    return [
        PdfText(" ".join(HYPHENATED.sub("", page.extract_text()).split()))
        for page in reader.pages
    ]


def pdf_text(data):
    return PdfText(" ".join(pdf_pages(data)))


def make_pdf(content):
    """The PDF of ``content`` as the worker makes it."""
    data, pages = briefing_pdf(content)
    assert pages == len(pypdf.PdfReader(io.BytesIO(data)).pages)
    return data


def _streamed(response):
    return b"".join(response.streaming_content)


def _html(response):
    """The page without its CSRF tokens and nonces (they change per request)."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def _leaks(text):
    return [needle for needle in (WITHHELD, *WITHHELD_REFERENCES) if needle in text]


def _ask_for_pdf(client, url, capture, data=None):
    """POST the PDF button (the worker runs once the request commits); return
    the response and the briefing asked for."""
    with capture(execute=True):
        response = client.post(url, data or {})
    assert response.status_code == 302, response
    briefing = Briefing.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    assert response["Location"] == reverse("cooperation:briefing", args=[briefing.pk])
    return response, briefing


def _row(content, code, concern=None):
    """The trend row of nation ``code`` (and ``concern``) in ``content``."""
    return next(
        cell
        for cell in content.trend_rows
        if cell.latest.nation.iso_alpha2 == code
        and (concern is None or cell.latest.primary_concern == concern)
    )


# ------------------------------------------------------------------- the world


@pytest.fixture
def focus(db):
    return factories.FocusAreaFactory(name="Counter-narcotics", slug="narcotics")


@pytest.fixture
def peru(db):
    return factories.NationFactory(
        name="Peru", iso_alpha2="PE", iso_alpha3="PER", time_zone="America/Lima"
    )


@pytest.fixture
def coordinator(united_states):
    return _member(
        factories.UserFactory(
            username="coordinator",
            first_name="Claire",
            last_name="Coordinator",
            nation=united_states,
        ),
        roles.COORDINATOR,
    )


@pytest.fixture
def world(colombia, brazil, united_states, peru, focus):
    """An earlier meeting and the meeting briefed (both released to all): each
    nation's assessments, three evaluations and recommendations raised at the
    meeting or reviewed there."""
    earlier = _meeting(90, title="Earlier review", briefing_summary="Earlier BLUF.")
    meeting = _meeting(
        5,
        title="Andean review",
        location="Bogotá",
        briefing_summary="Cocaine production rose; act on the overdue ones.",
    )
    meeting.nations.set([colombia, brazil, united_states])
    _assess(
        earlier,
        colombia,
        focus,
        primary_concern="Coca leaf",
        threat_level=Level.MODERATE,
        trend=Trend.STABLE,
    )
    _assess(
        earlier,
        brazil,
        focus,
        primary_concern="Cannabis",
        threat_level=Level.HIGH,
        trend=Trend.INCREASING,
    )
    _assess(
        meeting,
        colombia,
        focus,
        primary_concern="Cocaine",
        threat_level=Level.CRITICAL,
        trend=Trend.INCREASING,
        production_trend=Trend.INCREASING,
        consumption_trend=Trend.STABLE,
        emerging_shift="Towards synthetic opioids",
        confidence=SituationAssessment.Confidence.HIGH,
    )
    _assess(
        meeting,
        colombia,
        focus,
        primary_concern="Fentanyl precursors",
        is_primary=False,
        threat_level=Level.LOW,
    )
    _assess(
        meeting,
        brazil,
        focus,
        primary_concern="Marijuana",
        threat_level=Level.LOW,
        trend=Trend.INCREASING,
    )
    _assess(
        meeting,
        united_states,
        focus,
        primary_concern="Methamphetamine",
        threat_level=Level.MODERATE,
        trend=Trend.STABLE,
    )
    _assess(meeting, peru, focus, primary_concern="Draft concern", is_draft=True)

    for title, rating in (
        ("Alpha maritime patrols", Rating.ON_TRACK),
        ("Bravo border posts", Rating.OFF_TRACK),
        ("Charlie customs training", Rating.AT_RISK),
    ):
        factories.InitiativeEvaluationFactory(
            meeting=meeting,
            initiative=factories.InitiativeFactory(title=title),
            rating=rating,
            findings=f"Findings of {title}.",
        )
    factories.InitiativeEvaluationFactory(
        meeting=earlier,
        initiative=Initiative.objects.get(title="Alpha maritime patrols"),
        rating=Rating.OFF_TRACK,
        findings="Earlier findings.",
    )

    ana = factories.UserFactory(username="ana", first_name="Ana", last_name="Torres")
    bruno = factories.UserFactory(
        username="bruno", first_name="Bruno", last_name="Silva"
    )
    raised = {
        "proposed": factories.RecommendationFactory(
            reference="REC-2026-0001",
            title="Share radar tracks",
            source_meeting=meeting,
            due_date=_due(10),
        ),
        "late": factories.RecommendationFactory(
            reference="REC-2026-0002",
            title="Fund port scanners",
            source_meeting=meeting,
            status=Status.IN_PROGRESS,
            owner=ana,
            due_date=_due(-3),
        ),
        "done": factories.RecommendationFactory(
            reference="REC-2026-0003",
            title="Train dog handlers",
            source_meeting=meeting,
            status=Status.IMPLEMENTED,
            due_date=_due(-20),
        ),
    }
    # Raised earlier, reviewed at the meeting: part of its roll-up.
    reviewed = factories.RecommendationFactory(
        reference="REC-2026-0004",
        title="Open a liaison desk",
        source_meeting=earlier,
        status=Status.ACCEPTED,
        owner=bruno,
        due_date=_due(-10),
    )
    factories.AgendaItemFactory(meeting=meeting, recommendation=reviewed, position=3)
    # Neither raised nor reviewed at the meeting: not in its briefing.
    factories.RecommendationFactory(
        reference="REC-2026-0005",
        title="Unrelated recommendation",
        source_meeting=earlier,
        due_date=_due(-30),
    )
    return SimpleNamespace(
        earlier=earlier,
        meeting=meeting,
        raised=raised,
        reviewed=reviewed,
        owners=(ana, bruno),
    )


@pytest.fixture
def withheld(world, colombia, brazil, united_states, focus):
    """Records released to the United States and Colombia only, each of which a
    Brazilian briefing would show if it forgot ``visible_to``: a later meeting
    (its summary and assessments), an earlier one (a nation's previous
    assessment), an initiative evaluated at the briefed meeting and two
    recommendations raised or reviewed there, one addressed to Brazil."""
    released = {"released_to_all": False, "released_to": [united_states, colombia]}
    later = _meeting(
        1,
        title=f"{WITHHELD} later meeting",
        briefing_summary=f"{WITHHELD} summary.",
        **released,
    )
    later.nations.set([colombia, brazil])
    _assess(
        later,
        colombia,
        focus,
        primary_concern=f"{WITHHELD} concern of Colombia",
        threat_level=Level.LOW,
        emerging_shift=f"{WITHHELD} shift",
    )
    _assess(later, brazil, focus, primary_concern=f"{WITHHELD} concern of Brazil")
    factories.InitiativeEvaluationFactory(
        meeting=later,
        initiative=Initiative.objects.get(title="Alpha maritime patrols"),
        rating=Rating.OFF_TRACK,
        findings=f"{WITHHELD} findings at the later meeting.",
    )
    between = _meeting(30, title=f"{WITHHELD} meeting between", **released)
    _assess(
        between,
        colombia,
        focus,
        primary_concern=f"{WITHHELD} earlier concern",
        threat_level=Level.LOW,
    )
    initiative = factories.InitiativeFactory(title=f"{WITHHELD} initiative", **released)
    factories.InitiativeEvaluationFactory(
        meeting=world.meeting,
        initiative=initiative,
        rating=Rating.OFF_TRACK,
        findings=f"{WITHHELD} crossed findings.",
    )
    raised = factories.RecommendationFactory(
        reference=WITHHELD_REFERENCES[0],
        title=f"{WITHHELD} recommendation",
        source_meeting=world.meeting,
        status=Status.IN_PROGRESS,
        due_date=_due(-40),
        **released,
    )
    raised.nations.set([brazil, colombia])
    reviewed = factories.RecommendationFactory(
        reference=WITHHELD_REFERENCES[1],
        title=f"{WITHHELD} reviewed recommendation",
        source_meeting=world.earlier,
        status=Status.PROPOSED,
        due_date=_due(-50),
        **released,
    )
    factories.AgendaItemFactory(
        meeting=world.meeting, recommendation=reviewed, position=4
    )
    cache.clear()
    return SimpleNamespace(later=later, between=between, initiative=initiative)


# ------------------------------------------------------------ 1. the content


def test_meeting_briefing_holds_the_trend_table_in_the_reports_form(
    world, colombian_user
):
    content = briefings.meeting_briefing(colombian_user, world.meeting)

    assert content.kind == "meeting"
    assert content.title == "Andean review"
    assert content.summary == "Cocaine production rose; act on the overdue ones."
    rows = [
        (cell.latest.nation.iso_alpha2, cell.latest.primary_concern)
        for cell in content.trend_rows
    ]
    # By nation name, the primary concern before the secondary; no draft.
    assert rows == [
        ("BR", "Marijuana"),
        ("CO", "Cocaine"),
        ("CO", "Fentanyl precursors"),
        ("US", "Methamphetamine"),
    ]
    assert content.drafts_left_out == 1
    rose, fell = _row(content, "CO", "Cocaine"), _row(content, "BR")
    first, secondary = _row(content, "US"), _row(content, "CO", "Fentanyl precursors")
    assert (rose.previous.primary_concern, rose.level_change) == ("Coca leaf", 1)
    assert rose.trend_changed
    assert (fell.previous.primary_concern, fell.level_change) == ("Cannabis", -1)
    assert not fell.trend_changed
    assert first.previous is None
    assert secondary.previous is None  # a secondary concern has no "since last"

    page = pdf_text(make_pdf(content))
    # The report's row: nation, focus area, concern, trend and the dimensions,
    # emerging shift, level (and confidence), change since last.
    for text in (
        "Colombia",
        "Cocaine",
        "Increasing",
        "Production: ↑ Increasing",
        "Domestic consumption: → Stable",
        "Towards synthetic opioids",
        "Critical",
        "Confidence: High",
        "Up from Moderate",
        "Trend was → Stable",
        "Down from High",
        "First assessment",
        "Secondary concern",
        "1 draft assessment is not included",
    ):
        assert text in page, text
    # In the report's order: nation and focus area, concern, trend and the
    # dimensions, emerging shift, level and confidence, change since last.
    assert (
        "Colombia Counter-narcotics Cocaine ↑ Increasing Production: ↑ Increasing ·"
        " Domestic consumption: → Stable Towards synthetic opioids Critical"
        " Confidence: High ▲ Up from Moderate Trend was → Stable"
    ) in page
    assert "Draft concern" not in page


def test_meeting_briefing_lists_evaluations_worst_first_and_rolls_up_recommendations(
    world, colombian_user
):
    content = briefings.meeting_briefing(colombian_user, world.meeting)

    assert [(e.initiative.title, e.rating) for e in content.evaluations] == [
        ("Bravo border posts", Rating.OFF_TRACK),
        ("Charlie customs training", Rating.AT_RISK),
        ("Alpha maritime patrols", Rating.ON_TRACK),
    ]
    assert content.evaluation_total == 3
    counts = {value: count for value, _label, count in content.status_counts}
    assert counts == {
        Status.PROPOSED: 1,
        Status.ACCEPTED: 1,
        Status.IN_PROGRESS: 1,
        Status.IMPLEMENTED: 1,
        Status.REJECTED: 0,
        Status.DEFERRED: 0,
    }
    assert (content.recommendation_total, content.open_total) == (4, 3)
    # The longest overdue first, with its days late and owner.
    assert [
        (row.recommendation.reference, row.days_late, row.recommendation.owner)
        for row in content.overdue
    ] == [
        ("REC-2026-0004", 10, world.owners[1]),
        ("REC-2026-0002", 3, world.owners[0]),
    ]
    assert content.overdue_total == 2

    page = pdf_text(make_pdf(content))
    assert page.index("Bravo border posts") < page.index("Charlie customs training")
    assert page.index("Charlie customs training") < page.index("Alpha maritime")
    assert "4 recommendations: 3 open, 2 overdue." in page
    assert (
        "1 proposed 1 accepted 1 in progress 1 implemented 0 rejected 0 deferred"
        in page.casefold()
    )
    # Reference, title, owner, due date, days late.
    for row in (
        f"REC-2026-0004 Open a liaison desk Bruno Silva {_short(_due(-10))} 10",
        f"REC-2026-0002 Fund port scanners Ana Torres {_short(_due(-3))} 3",
    ):
        assert row in page, row
    assert "Unrelated recommendation" not in page
    assert "Earlier findings" not in page


def test_meeting_briefing_html_page_shows_the_same_rows_with_links(
    client, world, colombian_user
):
    client.force_login(colombian_user)

    response = client.get(_page_url(world.meeting))

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Cocaine production rose; act on the overdue ones.",
        "Up from Moderate",
        "Towards synthetic opioids",
        "Bravo border posts",
        "Bruno Silva",
        "Releasable to: all partner nations",
    ):
        assert text in page, text
    assessment = SituationAssessment.objects.get(primary_concern="Cocaine")
    assert f'href="{assessment.get_absolute_url()}"' in page
    assert f'href="{world.reviewed.get_absolute_url()}"' in page
    assert f'action="{_pdf_url(world.meeting)}"' in page
    # The marks of every printed page: a style element with this response's nonce,
    # which the page's CSP allows.
    nonce = re.search(r'<style nonce="([^"]+)">@page', page)[1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    # The meeting page links to its briefing.
    meeting_page = client.get(world.meeting.get_absolute_url()).content.decode()
    assert f'href="{_page_url(world.meeting)}"' in meeting_page


def test_regional_briefing_as_of_a_past_day_uses_only_meetings_started_by_then(
    client, world, colombian_user, focus
):
    # A meeting yet to come has a summary already: no briefing as of today uses it.
    _meeting(-3, title="Next review", briefing_summary="Not yet held.")
    day = timezone.localdate(_days_ago(50))

    past = briefings.regional_briefing(
        colombian_user, as_of=day, focus_areas=active_focus_areas()
    )

    assert past.kind == "regional"
    assert past.as_of == day
    assert {c.latest.meeting for c in past.trend_rows} == {world.earlier}
    assert {
        (c.latest.nation.iso_alpha2, c.latest.primary_concern, c.previous)
        for c in past.trend_rows
    } == {("CO", "Coca leaf", None), ("BR", "Cannabis", None)}
    assert past.summary == "Earlier BLUF."
    assert past.summary_meeting == world.earlier
    assert [(e.initiative.title, e.meeting) for e in past.evaluations] == [
        ("Alpha maritime patrols", world.earlier)
    ]

    today = briefings.regional_briefing(
        colombian_user, as_of=timezone.localdate(), focus_areas=active_focus_areas()
    )
    assert {c.latest.meeting for c in today.trend_rows} == {world.meeting}
    assert _row(today, "CO").previous.primary_concern == "Coca leaf"
    assert today.summary_meeting == world.meeting
    # Each initiative's latest evaluation, worst first.
    assert [(e.initiative.title, e.meeting) for e in today.evaluations] == [
        ("Bravo border posts", world.meeting),
        ("Charlie customs training", world.meeting),
        ("Alpha maritime patrols", world.meeting),
    ]

    client.force_login(colombian_user)
    response = client.get(REGIONAL, {"as_of": day.isoformat()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Coca leaf" in page
    assert "Earlier BLUF." in page
    assert "Cocaine production rose" not in page
    assert "Marijuana" not in page


# -------------------------------------------------------------- 2. the marking


def _released(factory, *nations, **kwargs):
    return factory(released_to_all=False, released_to=list(nations), **kwargs)


def test_marking_is_all_partners_when_every_record_is_released_to_all(
    world, colombian_user
):
    content = briefings.meeting_briefing(colombian_user, world.meeting)

    assert content.marking == Marking(None)
    assert content.marking.all_partners
    assert content.marking.text == "Releasable to: all partner nations"


def test_marking_names_the_nations_of_the_most_restricted_record_host_first(
    client, world, colombian_user, colombia, brazil, united_states, capture_pdf
):
    # The meeting is released to three nations, one recommendation to two.
    world.meeting.released_to_all = False
    world.meeting.save()
    world.meeting.released_to.set([brazil, colombia, united_states])
    _released(
        factories.RecommendationFactory,
        united_states,
        colombia,
        reference="REC-2026-0100",
        source_meeting=world.meeting,
    )

    content = briefings.meeting_briefing(colombian_user, world.meeting)

    assert content.marking.nations == (united_states, colombia)
    assert content.marking.text == "Releasable to: United States, Colombia"
    # On the print page (banner and page marks) and on every page of the PDF.
    client.force_login(colombian_user)
    page = client.get(_page_url(world.meeting)).content.decode()
    assert "<strong>Releasable to: United States, Colombia</strong>" in page
    assert 'content: "Releasable to: United States, Colombia"' in page
    _response, briefing = capture_pdf(client, _pdf_url(world.meeting))
    for text in pdf_pages(briefing.pdf):
        assert "Releasable to: United States, Colombia" in text


def test_marking_is_the_intersection_across_every_kind_of_record(
    world, coordinator, colombia, brazil, united_states, peru
):
    world.meeting.released_to_all = False
    world.meeting.save()
    world.meeting.released_to.set([united_states, brazil, colombia, peru])
    initiative = _released(
        factories.InitiativeFactory, united_states, brazil, colombia, title="Delta"
    )
    factories.InitiativeEvaluationFactory(meeting=world.meeting, initiative=initiative)
    for reference, nations in (
        ("REC-2026-0101", (united_states, colombia, peru, brazil)),
        ("REC-2026-0102", (united_states, colombia, peru)),
    ):
        _released(
            factories.RecommendationFactory,
            *nations,
            reference=reference,
            source_meeting=world.meeting,
        )

    content = briefings.meeting_briefing(coordinator, world.meeting)

    # Meeting: US BR CO PE; initiative: US BR CO; recommendations: US CO PE (BR).
    assert content.marking.nations == (united_states, colombia)
    # Directly: one model's records intersect, and so do the parts.
    marking = release_marking(
        [
            (
                Recommendation,
                Recommendation.objects.filter(reference__gte="REC-2026-01"),
            ),
            (Initiative, Initiative.objects.filter(pk=initiative.pk)),
        ]
    )
    assert marking.nations == (united_states, colombia)
    marking = release_marking(
        [(Initiative, Initiative.objects.filter(pk=initiative.pk))]
    )
    assert marking.nations == (united_states, brazil, colombia)
    assert marking.text == "Releasable to: United States, Brazil, Colombia"


def test_marking_says_so_when_no_nation_may_read_every_record(
    client, world, coordinator, colombia, brazil
):
    world.meeting.released_to_all = False
    world.meeting.save()
    world.meeting.released_to.set([colombia])
    _released(
        factories.RecommendationFactory,
        brazil,
        reference="REC-2026-0103",
        source_meeting=world.meeting,
    )

    content = briefings.meeting_briefing(coordinator, world.meeting)

    assert content.marking.nations == ()
    assert not content.marking.all_partners
    assert content.marking.text == (
        "Not releasable to any partner nation: it combines records released to "
        "different nations"
    )
    client.force_login(coordinator)
    assert content.marking.text in client.get(_page_url(world.meeting)).content.decode()


def test_regional_marking_covers_the_previous_assessments_meeting_too(
    world, coordinator, colombia, united_states
):
    world.earlier.released_to_all = False
    world.earlier.save()
    world.earlier.released_to.set([united_states, colombia])

    content = briefings.regional_briefing(
        coordinator, as_of=timezone.localdate(), focus_areas=active_focus_areas()
    )

    # The earlier meeting gives the change since last (and an evaluation).
    assert _row(content, "CO").previous.meeting == world.earlier
    assert content.marking.text == "Releasable to: United States, Colombia"


# ---------------------------------------------------------- 3. releasability


@pytest.fixture
def capture_pdf(django_capture_on_commit_callbacks):
    def ask(client, url, data=None):
        return _ask_for_pdf(client, url, django_capture_on_commit_callbacks, data)

    return ask


def _briefings_of(client, user, meeting, capture_pdf):
    """``user``'s meeting and regional briefings: their content, their print
    pages and their PDFs' text."""
    client.force_login(user)
    today = timezone.localdate()
    meeting_content = briefings.meeting_briefing(user, meeting)
    regional_content = briefings.regional_briefing(
        user, as_of=today, focus_areas=active_focus_areas()
    )
    pages = {
        "meeting page": _html(client.get(_page_url(meeting))),
        "regional page": _html(client.get(REGIONAL)),
    }
    _r, meeting_pdf = capture_pdf(client, _pdf_url(meeting))
    _r, regional_pdf = capture_pdf(client, REGIONAL_PDF, {"as_of": today.isoformat()})
    pdfs = {
        "meeting PDF": pdf_text(meeting_pdf.pdf),
        "regional PDF": pdf_text(regional_pdf.pdf),
    }
    return meeting_content, regional_content, pages, pdfs


def _figures(content):
    return {
        "rows": [
            (c.latest.pk, c.previous.pk if c.previous else None)
            for c in content.trend_rows
        ],
        "summary": content.summary,
        "evaluations": [e.pk for e in content.evaluations],
        "evaluation_total": content.evaluation_total,
        "status_counts": content.status_counts,
        "totals": (
            content.recommendation_total,
            content.open_total,
            content.overdue_total,
        ),
        "overdue": [row.recommendation.pk for row in content.overdue],
        "marking": content.marking,
    }


def test_brazilian_briefings_never_hold_a_record_withheld_from_brazil(
    client, world, brazilian_user, colombian_user, capture_pdf, request
):
    meeting_before, regional_before, pages_before, _pdfs = _briefings_of(
        client, brazilian_user, world.meeting, capture_pdf
    )
    request.getfixturevalue("withheld")

    meeting_after, regional_after, pages_after, pdfs = _briefings_of(
        client, brazilian_user, world.meeting, capture_pdf
    )

    for name, text in {**pages_after, **pdfs}.items():
        assert _leaks(text) == [], name
    # Nothing withheld is counted either: the same rows, counts and marking.
    assert _figures(meeting_after) == _figures(meeting_before)
    assert _figures(regional_after) == _figures(regional_before)
    assert regional_after.summary_meeting == world.meeting
    assert meeting_after.recommendation_total == 4
    assert "4 recommendations: 3 open, 2 overdue." in pdfs["meeting PDF"]
    # The printed pages are the same but for the time they were prepared.
    for name, page in pages_after.items():
        assert _unstamped(page) == _unstamped(pages_before[name]), name

    # The comparison can fail: a Colombian reader's briefings hold them all.
    meeting_content, regional_content, pages, pdfs = _briefings_of(
        client, colombian_user, world.meeting, capture_pdf
    )
    assert meeting_content.recommendation_total == 6
    assert meeting_content.evaluation_total == 4
    assert _row(meeting_content, "CO", "Cocaine").previous.meeting.title == (
        f"{WITHHELD} meeting between"
    )
    assert regional_content.summary == f"{WITHHELD} summary."
    for name in ("meeting page", "meeting PDF"):
        text = {**pages, **pdfs}[name]
        assert f"{WITHHELD} crossed findings" in text, name
        assert WITHHELD_REFERENCES[0] in text, name
        assert WITHHELD_REFERENCES[1] in text, name
    for name in ("regional page", "regional PDF"):
        text = {**pages, **pdfs}[name]
        assert f"{WITHHELD} concern of Colombia" in text, name
        assert f"{WITHHELD} summary" in text, name
        assert f"{WITHHELD} findings at the later meeting" in text, name


def _unstamped(page):
    """The page without the moment it was prepared (the header and page marks)."""
    return re.sub(r"Prepared [^(<\"]*", "", page)


def test_a_withheld_meetings_briefing_page_and_pdf_answer_404(
    client, world, withheld, brazilian_user, capture_pdf
):
    client.force_login(brazilian_user)
    missing = AssessmentMeeting.objects.order_by("-pk").first().pk + 100

    for meeting_pk in (withheld.later.pk, missing):
        with_summary = {"briefing_summary": "x", "version": "1"}
        assert client.get(_page_url_pk(meeting_pk)).status_code == 404
        assert client.post(_page_url_pk(meeting_pk), with_summary).status_code == 404
        response = client.post(
            reverse("cooperation:meeting-briefing-pdf", args=[meeting_pk])
        )
        assert response.status_code == 404
        assert _leaks(response.content.decode()) == []
    assert not Briefing.objects.exists()


def test_a_briefing_whose_meeting_is_withheld_before_it_is_made_fails_empty(
    client, world, brazilian_user, colombia, django_capture_on_commit_callbacks
):
    client.force_login(brazilian_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(_pdf_url(world.meeting))
    briefing = Briefing.objects.get()
    world.meeting.released_to_all = False
    world.meeting.save()
    world.meeting.released_to.set([colombia])

    assert briefing_services.briefing_make(briefing.pk) == Briefing.Status.FAILED

    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.FAILED
    assert briefing.last_error == briefing_services.NOT_RELEASED
    assert briefing.pdf is None
    page = client.get(response["Location"])
    assert "What it is about is no longer released to you." in page.content.decode()
    assert "Andean review" not in page.content.decode()
    download = reverse("cooperation:briefing-pdf", args=[briefing.pk])
    assert client.get(download).status_code == 404


def test_a_briefing_request_for_a_meeting_not_released_is_refused(
    world, withheld, brazilian_user
):
    with pytest.raises(PermissionDenied):
        briefing_services.briefing_request(
            acting_user=brazilian_user, meeting=withheld.later
        )
    assert not Briefing.objects.exists()


# ------------------------------------------------------------------ 4. PDF flow


def test_pdf_is_made_by_the_worker_and_downloaded_with_the_marking_on_every_page(
    client, world, coordinator, capture_pdf, colombia, united_states
):
    # Enough rows for several pages, and a marking that names nations.
    world.meeting.briefing_summary = "Bottom line. " * 150
    world.meeting.save()
    for number in range(30):
        _released(
            factories.RecommendationFactory,
            united_states,
            colombia,
            reference=f"REC-2026-{200 + number:04d}",
            title=f"Overdue action number {number} for the partner staffs",
            source_meeting=world.meeting,
            due_date=_due(-5 - number),
        )
    client.force_login(coordinator)

    response, briefing = capture_pdf(client, _pdf_url(world.meeting))

    assert briefing.status == Briefing.Status.READY
    assert (briefing.kind, briefing.meeting, briefing.requested_by) == (
        Briefing.Kind.MEETING,
        world.meeting,
        coordinator,
    )
    assert (briefing.language, briefing.time_zone) == ("en", "UTC")
    assert briefing.attempts == 1
    assert briefing.title == "Andean review"
    assert briefing.finished_at is not None
    # How long it took is recorded (the benchmark measures it; no test times it).
    assert briefing.render_seconds is not None and briefing.render_seconds > 0

    status = client.get(response["Location"])
    assert status.status_code == 200
    download_url = reverse("cooperation:briefing-pdf", args=[briefing.pk])
    page = status.content.decode()
    assert "Your PDF is ready." in page
    assert f'<meta http-equiv="refresh" content="0;url={download_url}">' in page

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith(
        'attachment; filename="andean-review-'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    data = _streamed(download)
    assert data == bytes(briefing.pdf)
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert len(pages) == briefing.pages >= 2
    for number, text in enumerate(pages, start=1):
        assert "Releasable to: United States, Colombia" in text, number
        assert f"{number} / {len(pages)}" in text, number
        assert "Prepared" in text, number
    whole = pdf_text(data)
    assert "Andean review" in whole
    assert "REC-2026-0229" in whole  # the longest overdue one
    assert "And 7 more overdue recommendations, not listed." in whole  # 32 - 25
    # The list of one's briefings shows it.
    listing = client.get(reverse("cooperation:briefing-list")).content.decode()
    assert download_url in listing


def test_a_regional_pdf_keeps_the_pictures_choices(
    client, world, colombian_user, capture_pdf, focus
):
    day = timezone.localdate(_days_ago(50))
    client.force_login(colombian_user)

    _r, briefing = capture_pdf(
        client,
        REGIONAL_PDF,
        {
            "as_of": day.isoformat(),
            "region": "south_america",
            "focus_area": "narcotics",
        },
    )

    assert (briefing.kind, briefing.as_of, briefing.region, briefing.focus_area) == (
        Briefing.Kind.REGIONAL,
        day,
        "south_america",
        focus,
    )
    assert briefing.status == Briefing.Status.READY
    text = pdf_text(briefing.pdf)
    assert "Coca leaf" in text
    assert "Cocaine production rose" not in text
    assert "Counter-narcotics" in text
    # The picture's page offers the PDF with its choices, and the print page.
    query = {"as_of": day.isoformat(), "focus_area": "narcotics"}
    picture = client.get(reverse("cooperation:regional-picture"), query)
    page = picture.content.decode()
    assert f'action="{REGIONAL_PDF}"' in page
    assert f'<input type="hidden" name="as_of" value="{day.isoformat()}">' in page
    assert f'href="{REGIONAL}?as_of={day.isoformat()}&amp;focus_area=narcotics"' in (
        page
    )


def test_a_briefing_answers_its_owner_only(
    client, world, coordinator, colombian_user, capture_pdf
):
    client.force_login(coordinator)
    _r, ready = capture_pdf(client, _pdf_url(world.meeting))
    failed = _briefing_row(
        coordinator, world.meeting, status=Briefing.Status.FAILED, attempts=3
    )
    client.force_login(colombian_user)

    for briefing in (ready, failed):
        for name in ("briefing", "briefing-pdf"):
            url = reverse(f"cooperation:{name}", args=[briefing.pk])
            response = client.get(url)
            assert response.status_code == 404, url
            assert "Andean review" not in response.content.decode()
        retry = reverse("cooperation:briefing-retry", args=[briefing.pk])
        assert client.post(retry).status_code == 404
    failed.refresh_from_db()
    assert failed.status == Briefing.Status.FAILED
    listing = client.get(reverse("cooperation:briefing-list"))
    assert list(listing.context["briefings"]) == []
    # The owner does reach them.
    client.force_login(coordinator)
    for briefing in (ready, failed):
        url = reverse("cooperation:briefing", args=[briefing.pk])
        assert client.get(url).status_code == 200
    listing = client.get(reverse("cooperation:briefing-list"))
    assert set(listing.context["briefings"]) == {ready, failed}


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves forward: ``clock.now``, ``clock.advance(delta)``."""

    class Clock:
        now = timezone.now()

        def advance(self, delta):
            self.now += delta

    current = Clock()
    monkeypatch.setattr(timezone, "now", lambda: current.now)
    return current


def test_a_failed_pdf_is_retried_then_failed_and_can_be_tried_again(
    client,
    world,
    coordinator,
    capture_pdf,
    settings,
    monkeypatch,
    clock,
    django_capture_on_commit_callbacks,
):
    import cooperation.pdf

    settings.PORTAL_BRIEFING_MAX_ATTEMPTS = 3
    settings.PORTAL_BRIEFING_RETRY = datetime.timedelta(seconds=30)
    real_pdf = cooperation.pdf.briefing_pdf
    broken = {"on": True}

    def briefing_pdf(content):
        if broken["on"]:
            raise RuntimeError("Pango is missing")
        return real_pdf(content)

    monkeypatch.setattr(cooperation.pdf, "briefing_pdf", briefing_pdf)
    client.force_login(coordinator)

    response, briefing = capture_pdf(client, _pdf_url(world.meeting))

    assert (briefing.status, briefing.attempts) == (Briefing.Status.PENDING, 1)
    assert briefing.last_error == "RuntimeError: Pango is missing"
    assert briefing.next_attempt_at == clock.now + datetime.timedelta(seconds=30)
    assert briefing.pdf is None
    page = client.get(response["Location"]).content.decode()
    assert "Your PDF is being prepared." in page
    assert "Attempt 1 did not succeed" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    download = reverse("cooperation:briefing-pdf", args=[briefing.pk])
    assert client.get(download).status_code == 404

    # Not due yet: the scheduler's run enqueues nothing.
    assert briefing_services.briefing_enqueue_due() == 0
    briefing.refresh_from_db()
    assert briefing.attempts == 1

    clock.advance(datetime.timedelta(seconds=30))
    assert briefing_services.briefing_enqueue_due() == 1
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (Briefing.Status.PENDING, 2)

    clock.advance(datetime.timedelta(seconds=30))
    assert briefing_services.briefing_enqueue_due() == 1
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (Briefing.Status.FAILED, 3)
    assert briefing.next_attempt_at is None
    assert briefing.last_error == "RuntimeError: Pango is missing"
    clock.advance(datetime.timedelta(hours=1))
    assert briefing_services.briefing_enqueue_due() == 0
    page = client.get(response["Location"]).content.decode()
    assert "The PDF could not be made." in page
    assert "It was tried 3 times." in page
    assert "Pango" not in page  # the error is for the log, not the reader

    broken["on"] = False
    retry = reverse("cooperation:briefing-retry", args=[briefing.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response["Location"] == reverse("cooperation:briefing", args=[briefing.pk])
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (Briefing.Status.READY, 1)
    assert briefing.last_error == ""
    assert "Andean review" in pdf_text(briefing.pdf)

    # A briefing that did not fail is not tried again.
    response = client.post(retry, follow=True)
    assert "Only a briefing that failed can be tried again." in (
        response.content.decode()
    )
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (Briefing.Status.READY, 1)


def test_a_pdf_being_made_by_another_worker_is_left_alone(world, coordinator):
    briefing = _briefing_row(
        coordinator,
        world.meeting,
        attempts=1,
        next_attempt_at=timezone.now() + datetime.timedelta(minutes=5),
    )

    assert briefing_services.briefing_make(briefing.pk) == "skipped"

    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (Briefing.Status.PENDING, 1)


def test_briefings_past_their_retention_are_pruned(world, coordinator, settings):
    settings.PORTAL_BRIEFING_RETENTION_DAYS = 7
    old = _briefing_row(coordinator, world.meeting)
    Briefing.objects.filter(pk=old.pk).update(created_at=_days_ago(8))
    recent = _briefing_row(coordinator, world.meeting)

    assert briefing_services.briefing_prune() == 1

    assert list(Briefing.objects.all()) == [recent]


# ------------------------------------------------------- 5. reader's language


def _t(lang, message):
    with translation.override(lang):
        return translation.gettext(message)


# The briefing's headings, compared with the catalogue's translation (gettext), not
# with a Spanish or Portuguese text written here.
HEADINGS = (
    "Bottom line up front",
    "Threat picture",
    "Initiative evaluations",
    "Recommendations",
    "Meeting briefing",
    "Nation",
    "Primary concern",
    "Trend",
    "Emerging shift",
    "Threat level",
    "Change since last",
    "Overdue",
    "Days late",
)


@pytest.mark.parametrize("lang", ["es", "pt-br"])
def test_pdf_is_in_the_readers_language_and_zone_whatever_the_workers(
    client, world, coordinator, lang, django_capture_on_commit_callbacks
):
    coordinator.language = lang
    coordinator.time_zone = "America/Sao_Paulo"
    coordinator.save()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(_pdf_url(world.meeting))
    briefing = Briefing.objects.get()
    assert (briefing.language, briefing.time_zone) == (lang, "America/Sao_Paulo")

    # The worker runs in English and UTC.
    with translation.override("en"), timezone.override("UTC"):
        for callback in callbacks:
            callback()

    briefing.refresh_from_db()
    assert briefing.status == Briefing.Status.READY
    text = pdf_text(briefing.pdf).casefold()  # table headings are in capitals
    for heading in HEADINGS:
        # Translated: the comparison below could not pass on the English text.
        assert _t(lang, heading) != heading, heading
        assert _t(lang, heading).casefold() in text, heading
    with translation.override(lang):
        expected = {
            str(Recommendation.Status.IN_PROGRESS.label),
            str(SituationAssessment.ThreatLevel.CRITICAL.label),
            translation.gettext("Up from %(level)s")
            % {"level": SituationAssessment.ThreatLevel.MODERATE.label},
            briefings.meeting_briefing(coordinator, world.meeting).marking.text,
        }
    for phrase in expected:
        assert phrase.casefold() in text, phrase
    # In the reader's zone: the meeting's day, and "Prepared … (America/Sao_Paulo)".
    sao_paulo = zoneinfo.ZoneInfo("America/Sao_Paulo")
    with translation.override(lang):
        day = date_format(
            timezone.localdate(world.meeting.starts_at, sao_paulo), "DATE_FORMAT"
        )
    assert day.casefold() in text
    assert "(america/sao_paulo)" in text
    assert "(utc)" not in text


@pytest.mark.parametrize("lang", ["es", "pt-br"])
def test_print_page_is_in_the_readers_language(client, world, coordinator, lang):
    coordinator.language = lang
    coordinator.save()
    client.force_login(coordinator)

    page = client.get(_page_url(world.meeting)).content.decode()

    assert f'<html lang="{lang}"' in page
    for heading in ("Bottom line up front", "Threat picture", "Recommendations"):
        assert f">{_t(lang, heading)}</h2>" in page, heading


# --------------------------------------------------------------- 6. the summary


def _summary_post(meeting, summary, version=None):
    return {
        "briefing_summary": summary,
        "version": version_token(meeting) if version is None else version,
    }


def test_coordinator_saves_the_summary_and_history_records_it(
    client, world, coordinator
):
    client.force_login(coordinator)
    page = client.get(_page_url(world.meeting))
    assert page.context["summary_form"] is not None

    response = client.post(
        _page_url(world.meeting), _summary_post(world.meeting, "  New bottom line.  ")
    )

    assert response.status_code == 302
    assert response["Location"] == _page_url(world.meeting)
    world.meeting.refresh_from_db()
    assert world.meeting.briefing_summary == "New bottom line."
    latest = world.meeting.history.order_by("-history_id").first()
    assert latest.briefing_summary == "New bottom line."
    assert latest.history_user == coordinator
    assert latest.history_change_reason == "Briefing summary"
    page = client.get(_page_url(world.meeting)).content.decode()
    assert "Briefing summary saved." in page
    assert "<p>New bottom line.</p>" in page


def test_a_summary_saved_over_a_stale_version_is_a_conflict_and_nothing_is_saved(
    client, world, coordinator
):
    stale = version_token(world.meeting)
    other = _member(factories.UserFactory(username="other"), roles.COORDINATOR)
    meeting_services.meeting_set_briefing_summary(
        meeting=world.meeting,
        version=stale,
        summary="Their bottom line.",
        acting_user=other,
    )
    client.force_login(coordinator)

    response = client.post(
        _page_url(world.meeting),
        _summary_post(world.meeting, "My bottom line.", version=stale),
    )

    assert response.status_code == 409
    assert response.context["edit_conflict"] is not None
    page = response.content.decode()
    assert "Someone else changed this record while you were editing it." in page
    assert "Their bottom line." in page  # what the other person wrote
    assert "My bottom line." in page  # the user's input, kept in the form
    world.meeting.refresh_from_db()
    assert world.meeting.briefing_summary == "Their bottom line."
    # Sent again over the version the conflict page carries, it saves.
    again = client.post(
        _page_url(world.meeting), _summary_post(world.meeting, "My bottom line.")
    )
    assert again.status_code == 302
    world.meeting.refresh_from_db()
    assert world.meeting.briefing_summary == "My bottom line."


def test_a_liaison_without_the_change_permission_may_read_but_not_write_it(
    client, world, brazilian_user
):
    _member(brazilian_user, roles.VIEWER)
    client.force_login(brazilian_user)
    page = client.get(_page_url(world.meeting))
    assert page.status_code == 200
    assert page.context["summary_form"] is None
    assert 'name="briefing_summary"' not in page.content.decode()

    response = client.post(
        _page_url(world.meeting), _summary_post(world.meeting, "Brazil's line.")
    )

    assert response.status_code == 403
    world.meeting.refresh_from_db()
    assert world.meeting.briefing_summary.startswith("Cocaine production rose")
    with pytest.raises(PermissionDenied):
        meeting_services.meeting_set_briefing_summary(
            meeting=world.meeting,
            version=version_token(world.meeting),
            summary="Brazil's line.",
            acting_user=brazilian_user,
        )


def test_a_summary_over_2000_characters_is_refused_with_the_error(
    client, world, coordinator
):
    client.force_login(coordinator)
    before = world.meeting.history.count()

    response = client.post(
        _page_url(world.meeting), _summary_post(world.meeting, "x" * 2001)
    )

    assert response.status_code == 400
    assert response.context["summary_form"].errors["briefing_summary"]
    assert (
        "Ensure this value has at most 2000 characters (it has 2001)."
        in response.content.decode()
    )
    world.meeting.refresh_from_db()
    assert world.meeting.briefing_summary.startswith("Cocaine production rose")
    assert world.meeting.history.count() == before
    # 2,000 is allowed.
    response = client.post(
        _page_url(world.meeting), _summary_post(world.meeting, "y" * 2000)
    )
    assert response.status_code == 302


# ------------------------------------------------------------ 7. CSS strings

HOSTILE = 'Evil"; } body { display: none } \\"</style><script>alert(1)</script>\nx'


def _css_string_value(css):
    """The value of the one CSS string token ``css`` (with its quotes) holds."""
    tokens = [
        token
        for token in tinycss2.parse_component_value_list(css)
        if token.type != "whitespace"
    ]
    assert [token.type for token in tokens] == ["string"], tokens
    return tokens[0].value


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        'a "quoted" nation',
        "back\\slash",
        "</style>",
        "line\nbreak\rand\ttab",
        "Releasable to: Estados Unidos, Colômbia · Preparado 1 de dez.",
        "\\22 already escaped",
    ],
)
def test_css_string_cannot_break_out_and_reads_back_as_the_text(text):
    escaped = str(css_string(text))

    for dangerous in ('"', "<", ">", "\n", "\r", "{", "}"):
        assert dangerous not in escaped, dangerous
    # A backslash only ever starts an escape of a hexadecimal code and a space.
    assert re.fullmatch(r"(?:[^\\]|\\[0-9a-f]+ )*", escaped), escaped
    assert _css_string_value(f'"{escaped}"') == text


class _StyleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.styles, self.scripts, self._in = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self._in = ""
        self.scripts += tag == "script"

    def handle_data(self, data):
        if self._in is not None:
            self._in += data

    def handle_endtag(self, tag):
        if tag == "style":
            self.styles.append(self._in)
            self._in = None


def test_page_marks_hold_a_hostile_marking_inside_their_css_strings():
    briefing = SimpleNamespace(
        marking=SimpleNamespace(text=HOSTILE), generated_at=timezone.now()
    )

    html = render_to_string(
        "includes/_briefing_page_marks.html",
        {"briefing": briefing, "csp_nonce": "n"},
    )

    parser = _StyleText()
    parser.feed(html)
    assert parser.scripts == 0
    assert len(parser.styles) == 1
    rules = tinycss2.parse_stylesheet(parser.styles[0], skip_whitespace=True)
    assert [rule.at_keyword for rule in rules] == ["page"]
    strings = [
        token.value for token in _walk(rules[0].content) if token.type == "string"
    ]
    assert strings[0] == HOSTILE
    assert strings[1].startswith(f"{HOSTILE} · Prepared ")


def _walk(tokens):
    for token in tokens:
        yield token
        yield from _walk(getattr(token, "content", None) or [])


# --------------------------------------------------------------- 8. queries


def _more_rows(world, focus, count):
    """``count`` more nations assessed at the briefed meeting (and the one
    before), initiatives evaluated there and overdue recommendations raised."""
    for index in range(count):
        code = f"{'WXYZ'[index // 26]}{chr(65 + index % 26)}"
        nation = factories.NationFactory(
            name=f"Nation {code}", iso_alpha2=code, iso_alpha3=f"Q{code}"
        )
        _assess(world.earlier, nation, focus, threat_level=Level.LOW)
        _assess(world.meeting, nation, focus, threat_level=Level.HIGH)
        factories.InitiativeEvaluationFactory(
            meeting=world.meeting,
            initiative=factories.InitiativeFactory(title=f"Initiative {index}"),
        )
        factories.RecommendationFactory(
            reference=f"REC-2026-{500 + index:04d}",
            source_meeting=world.meeting,
            due_date=_due(-1 - index),
        )


# Exact queries of the print pages, cold, with a few rows and with more rows than the
# page lists (the rest are counted: one more query per list cut short), however
# many more. Every page: session, user, two for permissions. The meeting's: the
# meeting's heading (the access check of every request, views.access.heading_of), the
# meeting, its assessments, the previous ones, its evaluations, the status counts,
# the overdue rows (and their count), one per part of the marking (meetings,
# initiatives, recommendations: a second one, of the nations, only when restricted).
# The regional one: the focus areas, the nations, the latest assessments, each
# nation's recommendation counts (the picture's, unused by the briefing), the latest
# summary, the evaluations (and their count), the status counts, the overdue rows
# (and their count), the marking's three. And the navigation bar's unread
# notifications.
MEETING_PAGE_QUERIES = {0: 14 + 2, 40: 15 + 2, 80: 15 + 2}
REGIONAL_PAGE_QUERIES = {0: 14 + 2, 40: 16 + 2, 80: 16 + 2}


@pytest.mark.parametrize("more", [0, 40, 80])
def test_meeting_briefing_page_queries_do_not_grow_with_its_rows(
    client, world, focus, colombian_user, more, django_assert_num_queries
):
    _more_rows(world, focus, more)
    client.force_login(colombian_user)
    cache.clear()

    with django_assert_num_queries(MEETING_PAGE_QUERIES[more]):
        response = client.get(_page_url(world.meeting))

    content = response.context["briefing"]
    assert len(content.trend_rows) == 4 + more
    assert content.overdue_total == 2 + more
    assert len(content.overdue) == min(2 + more, briefings.OVERDUE_ROWS)


@pytest.mark.parametrize("more", [0, 40, 80])
def test_regional_briefing_page_queries_do_not_grow_with_its_rows(
    client, world, focus, colombian_user, more, django_assert_num_queries
):
    _more_rows(world, focus, more)
    client.force_login(colombian_user)
    cache.clear()

    with django_assert_num_queries(REGIONAL_PAGE_QUERIES[more]):
        response = client.get(REGIONAL)

    content = response.context["briefing"]
    assert len(content.trend_rows) == 3 + more
    assert content.evaluation_total == 3 + more
    assert len(content.evaluations) == min(3 + more, briefings.EVALUATION_ROWS)
    assert content.overdue_total == 3 + more  # REC-2026-0005 is overdue too
    assert len(content.overdue) == min(3 + more, briefings.OVERDUE_ROWS)
