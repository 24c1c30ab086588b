"""The Python-built pieces of the pages (cooperation/templatetags) keep their markup.

The sort headers, status badges, meeting times and filter fields were templates
included per column, per row or per field; these tests pin what they show and what
assistive technology reads from them.
"""

import datetime
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from cooperation.filters.initiatives import InitiativeFilter
from cooperation.filters.meetings import MeetingFilter
from cooperation.filters.nations import NationFilter
from cooperation.filters.recommendations import RecommendationFilter
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    InitiativeEvaluation,
    Nation,
    Recommendation,
    SituationAssessment,
)
from cooperation.templatetags.portal_display import display
from cooperation.views.common import Column
from tests import factories

pytestmark = pytest.mark.django_db


def render(source, request=None, **context):
    template = Template("{% load portal_display portal_forms %}" + source)
    if request is None:
        return template.render(Context(context))
    from django.template import RequestContext

    return template.render(RequestContext(request, context))


# ------------------------------------------------------------------ sort headers


COLUMNS = [
    Column("Title", "title"),
    Column("Kind", "kind"),
    Column("Focus areas & <more>"),
]


def test_sort_headers_say_how_the_list_is_sorted_and_keep_the_filters():
    request = RequestFactory().get("/l/?status=a&status=b&page=3&sort=-title&q=x%26y")
    html = render(
        "{% sort_headers columns %}", request, columns=COLUMNS, current_sort="-title"
    )
    cells = re.findall(r"<th[^>]*>.*?</th>", html)
    assert len(cells) == 3
    title, kind, areas = cells
    assert 'aria-sort="descending"' in title
    assert '<span aria-hidden="true">▼</span>' in title
    # Again on the sorted column: the other way; the filters stay, the page goes.
    assert 'href="?status=a&amp;status=b&amp;sort=title&amp;q=x%26y"' in title
    assert "aria-sort" not in kind and "▲" not in kind and "▼" not in kind
    assert 'href="?status=a&amp;status=b&amp;sort=kind&amp;q=x%26y"' in kind
    assert areas == '<th scope="col">Focus areas &amp; &lt;more&gt;</th>'


def test_sort_header_of_an_ascending_sort():
    request = RequestFactory().get("/l/")
    html = render(
        "{% sort_headers columns %}", request, columns=COLUMNS, current_sort="kind"
    )
    kind = re.findall(r"<th[^>]*>.*?</th>", html)[1]
    assert 'aria-sort="ascending"' in kind
    assert '<span aria-hidden="true">▲</span>' in kind
    assert 'href="?sort=-kind"' in kind


def test_list_pages_render_their_sort_headers(client, colombian_user):
    factories.InitiativeFactory()
    client.force_login(colombian_user)
    response = client.get(reverse("cooperation:initiative-list") + "?sort=-kind")
    assert response.status_code == 200
    assert 'aria-sort="descending"' in response.text
    assert 'href="?sort=kind"' in response.text


# ------------------------------------------------------------------ labels, badges


@pytest.mark.parametrize("language", ["en", "es", "pt-br"])
def test_display_is_the_models_display(language, colombia):
    meeting = factories.AssessmentMeetingFactory()
    assessment = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)
    initiative = factories.InitiativeFactory()
    objects = [
        (initiative, "kind", Initiative.Kind.values),
        (initiative, "status", Initiative.Status.values),
        (meeting, "status", AssessmentMeeting.Status.values),
        (assessment, "threat_level", SituationAssessment.ThreatLevel.values),
        (assessment, "trend", SituationAssessment.Trend.values),
        (colombia, "region", Nation.Region.values),
    ]
    with translation.override(language):
        for obj, field, values in objects:
            for value in [*values, "not-a-choice"]:
                setattr(obj, field, value)
                expected = getattr(obj, f"get_{field}_display")()
                assert display(obj, field) == expected


@pytest.mark.parametrize(
    ("tag", "factory", "field", "colours"),
    [
        (
            "initiative_status",
            factories.InitiativeFactory.build,
            "status",
            {
                "pipeline": "text-bg-light border",
                "implementation": "text-bg-primary",
                "completion": "text-bg-info",
                "post_completion": "text-bg-success",
                "cancelled": "text-bg-secondary",
                "suspended": "text-bg-warning",
            },
        ),
        (
            "recommendation_status",
            factories.RecommendationFactory.build,
            "status",
            {
                "proposed": "text-bg-warning",
                "accepted": "text-bg-primary",
                "in_progress": "text-bg-info",
                "implemented": "text-bg-success",
                "rejected": "text-bg-secondary",
                "deferred": "text-bg-light border",
            },
        ),
        (
            "meeting_status",
            factories.AssessmentMeetingFactory.build,
            "status",
            {
                "draft": "text-bg-secondary",
                "scheduled": "text-bg-primary",
                "held": "text-bg-success",
                "cancelled": "text-bg-dark",
            },
        ),
    ],
)
def test_status_badges_give_the_colour_with_the_text(tag, factory, field, colours):
    obj = factory()
    with translation.override("es"):
        for value, colour in colours.items():
            setattr(obj, field, value)
            html = render(f"{{% {tag} obj %}}", obj=obj)
            label = getattr(obj, f"get_{field}_display")()
            assert html == f'<span class="badge status-badge {colour}">{label}</span>'


def test_threat_level_and_rating_badges():
    assessment = SituationAssessment(threat_level=4)
    evaluation = InitiativeEvaluation(rating="at_risk")
    assert render("{% threat_level a %}", a=assessment) == (
        '<span class="badge text-bg-danger">Critical</span>'
    )
    assessment.threat_level = 1
    assert render("{% threat_level a %}", a=assessment) == (
        '<span class="badge text-bg-success">Low</span>'
    )
    assert render("{% evaluation_rating e %}", e=evaluation) == (
        '<span class="badge status-badge text-bg-warning">At risk</span>'
    )


def test_recommendation_progress_shows_the_figure_as_text():
    recommendation = Recommendation(progress=40)
    assert render("{% recommendation_progress r %}", r=recommendation) == (
        '<span class="recommendation-progress text-nowrap"><progress class="align-middle"'
        ' max="100" value="40" aria-hidden="true">40%</progress> <span>40%</span></span>'
    )


def test_nation_links(colombia, brazil):
    html = render("{% nation_links nations %}", nations=[brazil, colombia])
    assert html == (
        f'<a href="{brazil.get_absolute_url()}" title="{brazil.display_name}">BR</a>, '
        f'<a href="{colombia.get_absolute_url()}" title="{colombia.display_name}">CO</a>'
    )
    assert render("{% nation_links nations %}", nations=[]) == "—"


def test_matrix_cells_label_each_count(colombia):
    with translation.override("en"):
        html = render(
            "{% matrix_cells nation cells url %}",
            nation=colombia,
            cells=[("proposed", "Proposed", 3), ("accepted", "Accepted", 0)],
            url="/recommendations/",
        )
    assert html == (
        '<td class="text-end"><a href="/recommendations/?nation=CO&amp;status=proposed"'
        ' aria-label="3 Proposed recommendations for Colombia">3</a></td>\n'
        '<td class="text-end"><span class="text-body-secondary">0</span></td>'
    )


# ------------------------------------------------------------------ meeting times


def _meeting(**kwargs):
    start = datetime.datetime(2026, 3, 4, 14, 0, tzinfo=datetime.UTC)
    return AssessmentMeeting(
        title="M",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        time_zone="America/Bogota",
        **kwargs,
    )


def test_meeting_span_gives_the_end_date_only_when_it_differs():
    meeting = _meeting()
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        same_day = render("{% meeting_span m %}", m=meeting)
        meeting.ends_at = meeting.starts_at + datetime.timedelta(days=1)
        next_day = render("{% meeting_span m %}", m=meeting)
    assert same_day == (
        '<time datetime="2026-03-04T14:00:00+00:00">March 4, 2026, 2 p.m.</time> – '
        '<time datetime="2026-03-04T16:00:00+00:00">4 p.m.</time>'
    )
    assert next_day.endswith(
        '<time datetime="2026-03-05T14:00:00+00:00">March 5, 2026, 2 p.m.</time>'
    )


def test_meeting_when_adds_the_local_time_when_the_zone_differs():
    meeting = _meeting()
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        compact = render("{% meeting_when m compact=True %}", m=meeting)
        full = render("{% meeting_when m %}", m=meeting)
    assert compact == (
        '<time datetime="2026-03-04T14:00:00+00:00">March 4, 2026, 2 p.m.</time>\n'
        '  <span class="d-block small text-body-secondary meeting-local-time">'
        "March 4, 2026, 9 a.m. local time (America/Bogota)</span>"
    )
    assert '<time datetime="2026-03-04T09:00:00-05:00">' in full
    with translation.override("es"), timezone.override(meeting.time_zone):
        same_zone = render("{% meeting_when m compact=True %}", m=meeting)
    assert "meeting-local-time" not in same_zone
    assert same_zone.startswith('<time datetime="2026-03-04T09:00:00-05:00">')


# ------------------------------------------------------------------ filter fields


def _filter_form(filterset_class, query, user):
    request = RequestFactory().get("/l/" + query)
    request.user = user
    filterset = filterset_class(request.GET or None, request=request)
    filterset.is_valid()
    return filterset.form


def test_filter_fields_are_styled_and_report_their_errors(colombian_user):
    form = _filter_form(
        InitiativeFilter,
        "?kind=bogus&planned_start_after=2026-01-01&planned_start_before=2025-01-01"
        "&status=nope",
        colombian_user,
    )
    q = render("{% filter_field f %}", f=form["q"])
    assert '<label for="id_q" class="form-label">Search</label>' in q
    assert 'class="textinput form-control"' in q
    assert 'aria-describedby="id_q_helptext"' in q
    assert '<div id="id_q_helptext" class="form-text">' in q

    kind = render("{% filter_field f %}", f=form["kind"])
    assert 'class="select form-select is-invalid"' in kind
    assert 'aria-invalid="true"' in kind
    assert 'aria-describedby="id_kind_error"' in kind
    assert re.search(
        r'<div id="id_kind_error" class="invalid-feedback"><p id="error_1_id_kind">'
        r"<strong>Select a valid choice\.",
        kind,
    )
    before = render("{% filter_field f %}", f=form["planned_start_before"])
    assert 'class="dateinput form-control is-invalid"' in before
    after = render("{% filter_field f %}", f=form["planned_start_after"])
    assert "is-invalid" not in after and 'value="2026-01-01"' in after

    status = render("{% filter_field f %}", f=form["status"])
    assert '<fieldset aria-describedby="id_status_error">' in status
    assert '<legend class="form-label fs-6">Status</legend>' in status
    assert status.count('class="form-check-input is-invalid"') == len(
        Initiative.Status.choices
    )
    assert status.count("invalid-feedback") == 1

    mine = render("{% filter_field f %}", f=form["mine"])
    assert '<div id="div_id_mine" class="form-check">' in mine
    assert 'class="checkboxinput form-check-input"' in mine
    assert '<label for="id_mine" class="form-check-label">Mine only</label>' in mine


def test_filter_fields_without_errors_are_not_marked_invalid(colombian_user):
    for filterset_class in (
        InitiativeFilter,
        RecommendationFilter,
        MeetingFilter,
        NationFilter,
    ):
        form = _filter_form(filterset_class, "", colombian_user)
        html = "".join(render("{% filter_field f %}", f=field) for field in form)
        assert "is-invalid" not in html and "aria-invalid" not in html
        assert html.count("<label") + html.count("<legend") >= len(form.fields)


def test_autocomplete_filters_keep_their_data_attributes(colombian_user):
    form = _filter_form(RecommendationFilter, "", colombian_user)
    html = render("{% filter_field f %}", f=form["source_meeting"])
    assert 'class="autocompleteselect form-select"' in html
    assert 'data-autocomplete-url="/lookups/meetings/"' in html
    assert "data-placeholder=" in html and "data-no-results=" in html


def test_autocomplete_filter_checks_and_labels_the_chosen_record(colombian_user):
    meeting = factories.AssessmentMeetingFactory(
        title="Visible <meeting>", released_to_all=True
    )
    withheld = factories.AssessmentMeetingFactory(
        title="Withheld", released_to_all=False
    )
    form = _filter_form(
        RecommendationFilter, f"?source_meeting={meeting.pk}", colombian_user
    )
    assert form.is_valid()
    html = render("{% filter_field f %}", f=form["source_meeting"])
    assert (
        f'<option value="{meeting.pk}" selected>Visible &lt;meeting&gt;</option>'
        in html
    )

    form = _filter_form(
        RecommendationFilter, f"?source_meeting={withheld.pk}", colombian_user
    )
    assert not form.is_valid()
    html = render("{% filter_field f %}", f=form["source_meeting"])
    assert "Withheld" not in html and "is-invalid" in html
