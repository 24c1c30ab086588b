"""The meeting pages: list, detail, the meeting form with its agenda, and the
situation assessments and initiative evaluations recorded from a meeting's page."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.forms import CheckboxInput
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    InitiativeEvaluation,
    SituationAssessment,
)
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
EDIT_PERMISSIONS = [
    "add_assessmentmeeting",
    "change_assessmentmeeting",
    "add_situationassessment",
    "change_situationassessment",
    "add_initiativeevaluation",
    "change_initiativeevaluation",
    "add_recommendation",
]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def at(year, month, day, hour=0, minute=0, zone="UTC"):
    return datetime.datetime(
        year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone)
    )


def meeting_at(starts, *, hours=2, **kwargs):
    return factories.AssessmentMeetingFactory(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=hours), **kwargs
    )


def held_meeting(**kwargs):
    """A meeting that took place yesterday: its assessments may be final (one of a
    meeting not started yet is a draft)."""
    return meeting_at(
        timezone.now() - datetime.timedelta(days=1),
        status=AssessmentMeeting.Status.HELD,
        **kwargs,
    )


def withheld_meeting(nation, **kwargs):
    """A meeting released to ``nation`` only."""
    return factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[nation], **kwargs
    )


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def titles(response):
    return [meeting.title for meeting in response.context["object_list"]]


def rendered_data(*forms):
    """The POST data a browser sends for ``forms`` as rendered, untouched."""
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, datetime.datetime):
                data[bound.html_name] = value.strftime("%Y-%m-%dT%H:%M")
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def meeting_data(agenda=(), extra_rows=3, **overrides):
    """A new meeting's POST data; ``agenda`` rows are dicts of agenda item fields."""
    data = {
        "title": "Andean situation assessment",
        "status": "scheduled",
        "time_zone": "America/Santiago",
        "starts_at": "2026-07-15T09:00",
        "ends_at": "2026-07-15T11:00",
        "location": "Santiago",
        "online_url": "",
        "chair": "",
        "minutes": "",
        "agenda-INITIAL_FORMS": "0",
        "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "100",
    }
    rows = [*agenda, *({} for _ in range(extra_rows))]
    data["agenda-TOTAL_FORMS"] = str(len(rows))
    for index, row in enumerate(rows):
        # An empty row as the browser sends it: the default duration filled in.
        data[f"agenda-{index}-duration_minutes"] = "15"
        for name, value in row.items():
            data[f"agenda-{index}-{name}"] = value
    data.update(overrides)
    return data


@pytest.fixture
def editor(colombian_user):
    """A Colombian liaison officer who may record meetings and what they conclude."""
    return grant(colombian_user, *EDIT_PERMISSIONS)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, brazilian_user):
    client.force_login(brazilian_user)
    return client


# --------------------------------------------------------------------------- list


def test_list_shows_only_meetings_released_to_the_user(viewer_client, brazil, colombia):
    factories.AssessmentMeetingFactory(title="Open to all")
    withheld_meeting(brazil, title="Brazil only")
    withheld_meeting(colombia, title="Colombia only")

    response = viewer_client.get(reverse("cooperation:meeting-list"))

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Brazil only", "Open to all"]
    assert b"Colombia only" not in response.content


def test_status_filter_narrows_the_list(editor_client):
    factories.AssessmentMeetingFactory(title="Held one", status="held")
    factories.AssessmentMeetingFactory(title="Draft one", status="draft")
    factories.AssessmentMeetingFactory(title="Cancelled one", status="cancelled")

    url = reverse("cooperation:meeting-list")
    assert titles(editor_client.get(url, {"status": "held"})) == ["Held one"]
    both = editor_client.get(url, {"status": ["held", "draft"]})
    assert sorted(titles(both)) == ["Draft one", "Held one"]


def test_nation_filter_keeps_meetings_the_nation_takes_part_in(
    editor_client, colombia, brazil
):
    with_colombia = factories.AssessmentMeetingFactory(title="With Colombia")
    with_colombia.nations.set([colombia, brazil])
    factories.AssessmentMeetingFactory(title="Without Colombia").nations.set([brazil])

    response = editor_client.get(reverse("cooperation:meeting-list"), {"nation": "CO"})

    assert titles(response) == ["With Colombia"]


def test_date_range_filter_keeps_meetings_starting_between_the_dates(editor_client):
    meeting_at(at(2026, 2, 20, 15), title="February")
    meeting_at(at(2026, 3, 10, 15), title="March")
    meeting_at(at(2026, 4, 2, 15), title="April")

    url = reverse("cooperation:meeting-list")
    between = editor_client.get(
        url, {"starts_from": "2026-03-01", "starts_to": "2026-03-31"}
    )
    assert titles(between) == ["March"]
    since = editor_client.get(url, {"starts_from": "2026-03-10"})
    assert sorted(titles(since)) == ["April", "March"]
    until = editor_client.get(url, {"starts_to": "2026-03-10"})
    assert sorted(titles(until)) == ["February", "March"]


def test_upcoming_and_past_filters_split_meetings_by_now(editor_client):
    now = timezone.now()
    meeting_at(now + datetime.timedelta(days=3), title="Next week")
    meeting_at(now + datetime.timedelta(days=4), title="Called off", status="cancelled")
    meeting_at(now - datetime.timedelta(days=3), title="Last week", status="held")

    url = reverse("cooperation:meeting-list")
    assert titles(editor_client.get(url, {"when": "upcoming"})) == ["Next week"]
    assert titles(editor_client.get(url, {"when": "past"})) == ["Last week"]
    assert len(titles(editor_client.get(url))) == 3


def test_mine_filter_keeps_meetings_the_user_chairs_or_attends(editor_client, editor):
    other = factories.UserFactory()
    factories.AssessmentMeetingFactory(title="I chair", chair=editor)
    factories.AssessmentMeetingFactory(title="I attend").attendees.set([editor, other])
    both = factories.AssessmentMeetingFactory(title="I chair and attend", chair=editor)
    both.attendees.set([editor, other])
    factories.AssessmentMeetingFactory(title="Not mine", chair=other).attendees.set(
        [other]
    )

    response = editor_client.get(reverse("cooperation:meeting-list"), {"mine": "on"})

    # Listed once each, even where the user is both chair and attendee.
    assert sorted(titles(response)) == ["I attend", "I chair", "I chair and attend"]


def test_search_matches_title_location_and_minutes(editor_client):
    factories.AssessmentMeetingFactory(title="Pacific corridor review", location="Lima")
    factories.AssessmentMeetingFactory(title="Quarterly", location="Quito")
    factories.AssessmentMeetingFactory(
        title="Annual", location="Bogotá", minutes="Agreed on the corridor plan."
    )
    factories.AssessmentMeetingFactory(title="Unrelated", location="Brasília")

    url = reverse("cooperation:meeting-list")
    assert sorted(titles(editor_client.get(url, {"q": "corridor"}))) == [
        "Annual",
        "Pacific corridor review",
    ]
    assert titles(editor_client.get(url, {"q": "quito"})) == ["Quarterly"]
    assert titles(editor_client.get(url, {"q": "nothing like it"})) == []


def test_list_sorts_by_title_start_and_status_both_ways(editor_client):
    meeting_at(at(2026, 5, 1), title="Bravo", status="held")
    meeting_at(at(2026, 6, 1), title="Alpha", status="draft")
    meeting_at(at(2026, 4, 1), title="Charlie", status="scheduled")

    url = reverse("cooperation:meeting-list")
    assert titles(editor_client.get(url, {"sort": "title"})) == [
        "Alpha",
        "Bravo",
        "Charlie",
    ]
    assert titles(editor_client.get(url, {"sort": "-title"})) == [
        "Charlie",
        "Bravo",
        "Alpha",
    ]
    assert titles(editor_client.get(url, {"sort": "starts"})) == [
        "Charlie",
        "Bravo",
        "Alpha",
    ]
    # Status sorts along a meeting's life: draft, scheduled, held, cancelled.
    assert titles(editor_client.get(url, {"sort": "status"})) == [
        "Alpha",
        "Charlie",
        "Bravo",
    ]
    # The default, and what an unknown key falls back to: latest first.
    assert titles(editor_client.get(url)) == ["Alpha", "Bravo", "Charlie"]
    assert titles(editor_client.get(url, {"sort": "password"})) == [
        "Alpha",
        "Bravo",
        "Charlie",
    ]


def test_list_paginates_and_shows_the_total(editor_client):
    for day in range(1, 31):
        meeting_at(at(2026, 3, day, 12))

    url = reverse("cooperation:meeting-list")
    first = editor_client.get(url)
    second = editor_client.get(url, {"page": 2})

    assert first.context["page_obj"].paginator.count == 30
    assert len(first.context["object_list"]) == 25
    assert len(second.context["object_list"]) == 5
    assert "30 results" in first.content.decode()
    assert "page 1 of 2" in first.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"starts_from": "not-a-date"},
        {"nation": "ZZ"},
        {"status": "postponed"},
        {"when": "someday"},
        {"q": "x" * 101},
    ],
)
def test_invalid_filter_shows_the_error_and_no_rows(editor_client, params):
    factories.AssessmentMeetingFactory()

    response = editor_client.get(reverse("cooperation:meeting-list"), params)

    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert titles(response) == []
    assert "Some filters are not valid" in response.content.decode()


def test_list_explains_an_empty_result(editor_client):
    url = reverse("cooperation:meeting-list")
    assert (
        "No meeting has been released to you yet"
        in editor_client.get(url).content.decode()
    )
    factories.AssessmentMeetingFactory(status="held")
    filtered = editor_client.get(url, {"status": "draft"})
    assert "No meeting matches these filters" in filtered.content.decode()


def test_new_meeting_button_only_for_users_who_may_add_meetings(
    client, editor, brazilian_user
):
    url = reverse("cooperation:meeting-list")
    create_url = reverse("cooperation:meeting-create")
    client.force_login(editor)
    assert create_url in client.get(url).content.decode()
    client.force_login(brazilian_user)
    assert create_url not in client.get(url).content.decode()


def test_csv_exports_exactly_the_filtered_rows_in_each_meetings_own_zone(
    editor_client, colombia, brazil, editor
):
    santiago = meeting_at(
        at(2026, 7, 15, 9, zone="America/Santiago"),
        title="Santiago round",
        time_zone="America/Santiago",
        location="Santiago",
        online_url="https://meet.example.org/santiago",
        chair=editor,
        released_to_all=False,
        released_to=[colombia, brazil],
    )
    santiago.nations.set([colombia, brazil])
    factories.SituationAssessmentFactory.create_batch(2, meeting=santiago)
    meeting_at(at(2026, 7, 20, 9), title="Held elsewhere", status="held")

    response = editor_client.get(
        reverse("cooperation:meeting-list"), {"status": "scheduled", "format": "csv"}
    )

    rows = csv_rows(response)
    assert [row["Title"] for row in rows] == ["Santiago round"]
    row = rows[0]
    assert row["Starts"] == "2026-07-15 09:00 America/Santiago"
    assert row["Ends"] == "2026-07-15 11:00 America/Santiago"
    assert row["Time zone"] == "America/Santiago"
    assert row["Status"] == "Scheduled"
    assert row["Location"] == "Santiago"
    assert row["Online link"] == "https://meet.example.org/santiago"
    assert row["Chair"] == str(editor)
    assert row["Nations"] == "Brazil, Colombia"
    assert row["Assessments"] == "2"
    assert row["Released to"] == "Brazil, Colombia"


def test_csv_never_exports_meetings_withheld_from_the_user(
    viewer_client, colombia, brazil
):
    factories.AssessmentMeetingFactory(title="Open to all")
    withheld_meeting(brazil, title="Brazil only")
    withheld_meeting(colombia, title="Colombia only", location="Secret base")

    response = viewer_client.get(reverse("cooperation:meeting-list"), {"format": "csv"})

    rows = csv_rows(response)
    assert sorted(row["Title"] for row in rows) == ["Brazil only", "Open to all"]
    assert "Secret base" not in str(rows)


def _list_queries(client, count, nations):
    for _ in range(count):
        meeting = factories.AssessmentMeetingFactory(chair=factories.UserFactory())
        meeting.nations.set(nations)
        factories.SituationAssessmentFactory(meeting=meeting, nation=nations[0])
    url = reverse("cooperation:meeting-list")
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as page:
        assert client.get(url, {"sort": "status"}).status_code == 200
    cache.clear()
    with CaptureQueriesContext(connection) as export:
        csv_rows(client.get(url, {"format": "csv"}))
    return len(page), len(export)


def test_list_and_csv_run_the_same_few_queries_for_5_and_50_meetings(
    editor_client, colombia, brazil
):
    few = _list_queries(editor_client, 5, [colombia, brazil])
    many = _list_queries(editor_client, 45, [colombia, brazil])  # 50 in all

    assert few == many
    assert few[0] <= 12
    assert few[1] <= 12


# ------------------------------------------------------------------------- detail


def test_detail_shows_times_in_the_users_zone_and_the_meetings_zone_beside(
    client, colombian_user
):
    colombian_user.time_zone = "America/New_York"
    colombian_user.save()
    client.force_login(colombian_user)
    # 14:00 UTC in July: 10 a.m. in New York (EDT), 9 a.m. in Bogotá.
    meeting = meeting_at(at(2026, 7, 15, 14), time_zone="America/Bogota")

    page = client.get(meeting.get_absolute_url()).content.decode()

    assert "July 15, 2026, 10 a.m." in page
    assert "July 15, 2026, 9 a.m." in page
    assert "This meeting is held in America/Bogota" in page
    assert "(America/New_York)" in page


def test_detail_shows_no_zone_notice_when_user_and_meeting_share_the_zone(
    client, colombian_user
):
    colombian_user.time_zone = "America/Bogota"
    colombian_user.save()
    client.force_login(colombian_user)
    meeting = meeting_at(at(2026, 7, 15, 14), time_zone="America/Bogota")

    page = client.get(meeting.get_absolute_url()).content.decode()

    assert "July 15, 2026, 9 a.m." in page
    assert "This meeting is held in" not in page


def test_detail_hides_evaluations_and_recommendations_withheld_from_the_user(
    viewer_client, colombia, brazil
):
    meeting = factories.AssessmentMeetingFactory()
    shared = factories.InitiativeFactory(title="Shared corridor watch")
    secret = factories.InitiativeFactory(
        title="Colombian source network", released_to_all=False, released_to=[colombia]
    )
    factories.InitiativeEvaluationFactory(meeting=meeting, initiative=shared)
    factories.InitiativeEvaluationFactory(
        meeting=meeting, initiative=secret, findings="Informant at risk."
    )
    factories.RecommendationFactory(source_meeting=meeting, title="Share radar data")
    factories.RecommendationFactory(
        source_meeting=meeting,
        title="Move the informant",
        released_to_all=False,
        released_to=[colombia],
    )

    response = viewer_client.get(meeting.get_absolute_url())

    page = response.content.decode()
    assert "Shared corridor watch" in page
    assert "Share radar data" in page
    assert "Colombian source network" not in page
    assert "Informant at risk." not in page
    assert "Move the informant" not in page


def test_detail_of_a_withheld_meeting_is_404(viewer_client, colombia):
    meeting = withheld_meeting(colombia)
    assert viewer_client.get(meeting.get_absolute_url()).status_code == 404
    assert viewer_client.get("/meetings/999999/").status_code == 404


def test_detail_lists_the_agenda_in_order_with_presenters_and_total(editor_client):
    meeting = meeting_at(at(2026, 7, 15, 14), time_zone="America/Bogota")
    presenter = factories.UserFactory(first_name="Ana", last_name="Restrepo")
    factories.AgendaItemFactory(meeting=meeting, position=2, title="Second item")
    factories.AgendaItemFactory(
        meeting=meeting,
        position=1,
        title="Opening",
        presenter=presenter,
        duration_minutes=25,
    )

    response = editor_client.get(meeting.get_absolute_url())

    page = response.content.decode()
    assert [item.title for item in response.context["agenda_items"]] == [
        "Opening",
        "Second item",
    ]
    assert page.index("Opening") < page.index("Second item")
    assert "Ana Restrepo" in page
    assert "45 minutes" in page


def test_detail_shows_assessments_with_threat_level_as_text_and_colour(
    editor_client, colombia
):
    meeting = factories.AssessmentMeetingFactory()
    assessment = factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, primary_concern="Cocaine", threat_level=4
    )

    page = editor_client.get(meeting.get_absolute_url()).content.decode()

    assert f'id="assessment-{assessment.pk}"' in page
    assert '<span class="badge text-bg-danger">Critical</span>' in page
    assert (
        reverse("cooperation:assessment-edit", args=[meeting.pk, assessment.pk]) in page
    )


def test_detail_links_participating_nations_still_to_be_assessed(
    editor_client, editor, colombia, brazil
):
    # One who may assess every nation; an editor is offered only their own
    # (tests/test_assessment_integrity.py).
    grant(editor, "assess_any_nation")
    meeting = factories.AssessmentMeetingFactory()
    meeting.nations.set([colombia, brazil])
    factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)
    create_url = reverse("cooperation:assessment-create", args=[meeting.pk])

    response = editor_client.get(meeting.get_absolute_url())

    assert response.context["unassessed_nations"] == [brazil]
    assert f"{create_url}?nation=BR" in response.content.decode()
    assert f"{create_url}?nation=CO" not in response.content.decode()


def test_detail_offers_actions_only_to_users_with_the_permissions(
    client, editor, brazilian_user
):
    meeting = factories.AssessmentMeetingFactory()
    # The editor's own nation: another nation's row offers them no edit link.
    assessment = factories.SituationAssessmentFactory(
        meeting=meeting, nation=editor.nation
    )
    evaluation = factories.InitiativeEvaluationFactory(meeting=meeting)
    links = [
        reverse("cooperation:meeting-edit", args=[meeting.pk]),
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        reverse("cooperation:assessment-edit", args=[meeting.pk, assessment.pk]),
        reverse("cooperation:evaluation-create", args=[meeting.pk]),
        reverse("cooperation:evaluation-edit", args=[meeting.pk, evaluation.pk]),
        reverse("cooperation:meeting-recommendation-create", args=[meeting.pk]),
    ]

    client.force_login(editor)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert all(link in page for link in links)

    client.force_login(brazilian_user)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert not any(link in page for link in links)


def _fill_meeting(meeting, count, nation):
    people = factories.UserFactory.create_batch(count)
    meeting.attendees.set(people)
    meeting.nations.set([nation])
    for index, person in enumerate(people):
        factories.AgendaItemFactory(meeting=meeting, presenter=person)
        factories.SituationAssessmentFactory(
            meeting=meeting,
            nation=nation,
            focus_area=factories.FocusAreaFactory(),
            threat_level=index % 4 + 1,
        )
        factories.InitiativeEvaluationFactory(meeting=meeting)
        factories.RecommendationFactory(source_meeting=meeting, owner=person)


def test_detail_runs_the_same_few_queries_for_5_and_50_rows(editor_client, colombia):
    small = factories.AssessmentMeetingFactory(released_to_all=False)
    small.released_to.set([colombia])
    _fill_meeting(small, 5, colombia)
    large = factories.AssessmentMeetingFactory(released_to_all=False)
    large.released_to.set([colombia])
    _fill_meeting(large, 50, colombia)

    cache.clear()  # each as cold as the first request: permissions read
    with CaptureQueriesContext(connection) as few:
        response = editor_client.get(small.get_absolute_url())
    assert len(response.context["evaluations"]) == 5
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = editor_client.get(large.get_absolute_url())
    assert len(response.context["assessments"]) == 50

    assert len(few) == len(many)
    # 13, and the documents section (one query; tests/test_documents.py bounds it),
    # and the navigation bar's unread notifications. Of the 13, the meeting is read
    # twice: its heading, the access check of every request, kept content or not
    # (views.access.heading_of), and the whole record when the content is drawn.
    assert len(few) <= 15


# ------------------------------------------------------------ create/edit meeting


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        # January: Chilean summer time, UTC-3.
        ("2026-01-15T09:00", at(2026, 1, 15, 12)),
        # July: Chilean standard time, UTC-4.
        ("2026-07-15T09:00", at(2026, 7, 15, 13)),
    ],
)
def test_create_meeting_reads_the_times_in_the_meetings_own_zone(
    editor_client, local, utc
):
    ends = local.replace("09:00", "11:30")
    response = editor_client.post(
        reverse("cooperation:meeting-create"),
        meeting_data(starts_at=local, ends_at=ends),
    )

    meeting = AssessmentMeeting.objects.get()
    assert response.status_code == 302
    assert meeting.starts_at == utc
    assert meeting.ends_at == utc + datetime.timedelta(hours=2, minutes=30)
    assert meeting.time_zone == "America/Santiago"


def test_create_meeting_saves_agenda_in_the_given_order_and_skips_empty_rows(
    editor_client, editor, colombia, brazil
):
    presenter = factories.UserFactory()
    response = editor_client.post(
        reverse("cooperation:meeting-create"),
        meeting_data(
            agenda=[
                {"title": "Threat picture", "ORDER": "2", "duration_minutes": "40"},
                {
                    "title": "Welcome",
                    "ORDER": "1",
                    "duration_minutes": "10",
                    "presenter": str(presenter.pk),
                },
                {"title": "Any other business", "ORDER": "3", "notes": "If time."},
            ],
            chair=str(editor.pk),
            nations=[str(colombia.pk), str(brazil.pk)],
            attendees=[str(editor.pk), str(presenter.pk)],
        ),
        follow=True,
    )

    meeting = AssessmentMeeting.objects.get()
    assert response.redirect_chain == [(meeting.get_absolute_url(), 302)]
    items = list(meeting.agenda_items.order_by("position"))
    assert [(i.position, i.title, i.duration_minutes) for i in items] == [
        (1, "Welcome", 10),
        (2, "Threat picture", 40),
        (3, "Any other business", 15),
    ]
    assert items[0].presenter == presenter
    assert meeting.chair == editor
    assert set(meeting.nations.all()) == {colombia, brazil}
    assert set(meeting.attendees.all()) == {editor, presenter}
    # Created by someone who may not manage releasability: their nation only.
    assert not meeting.released_to_all
    assert list(meeting.released_to.all()) == [colombia]
    assert "Meeting “Andean situation assessment” created." in (
        response.content.decode()
    )


def test_create_meeting_form_offers_the_users_nation_zone(editor_client):
    response = editor_client.get(reverse("cooperation:meeting-create"))
    form = response.context["form"]
    assert form["time_zone"].value() == "America/Bogota"
    assert len(response.context["agenda"].forms) == 3


def test_edit_meeting_shows_times_in_its_zone_and_reorders_and_removes_agenda(
    editor_client, colombia
):
    meeting = meeting_at(
        at(2026, 7, 15, 13), time_zone="America/Santiago", title="Old title"
    )
    first = factories.AgendaItemFactory(meeting=meeting, position=1, title="First")
    second = factories.AgendaItemFactory(meeting=meeting, position=2, title="Second")
    third = factories.AgendaItemFactory(meeting=meeting, position=3, title="Third")
    url = reverse("cooperation:meeting-edit", args=[meeting.pk])

    page = editor_client.get(url)
    data = rendered_data(
        page.context["form"],
        page.context["agenda"].management_form,
        *page.context["agenda"].forms,
    )
    assert data["starts_at"] == "2026-07-15T09:00"
    assert data["ends_at"] == "2026-07-15T11:00"
    data.update(
        {
            "title": "New title",
            "ends_at": "2026-07-15T12:00",
            "agenda-0-ORDER": "3",  # First moves to the end
            "agenda-1-DELETE": "on",  # Second goes
            "agenda-2-ORDER": "1",
            "agenda-3-title": "Added",
            "agenda-3-ORDER": "2",
        }
    )
    response = editor_client.post(url, data)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "New title"
    assert meeting.starts_at == at(2026, 7, 15, 13)
    assert meeting.ends_at == at(2026, 7, 15, 16)
    assert [(i.title, i.position) for i in meeting.agenda_items.all()] == [
        ("Third", 1),
        ("Added", 2),
        ("First", 3),
    ]
    assert not AgendaItem.objects.filter(pk=second.pk).exists()
    assert {first.pk, third.pk} <= set(
        meeting.agenda_items.values_list("pk", flat=True)
    )
    # Releasability is not changed by an edit from someone who may not manage it.
    assert meeting.released_to_all


def test_edit_meeting_with_end_before_start_reports_it_once_and_keeps_times(
    editor_client,
):
    meeting = meeting_at(at(2026, 7, 15, 13), time_zone="America/Santiago")
    url = reverse("cooperation:meeting-edit", args=[meeting.pk])
    page = editor_client.get(url)
    data = rendered_data(
        page.context["form"],
        page.context["agenda"].management_form,
        *page.context["agenda"].forms,
    )

    response = editor_client.post(url, {**data, "ends_at": "2026-07-15T08:00"})

    assert response.context["form"].errors["ends_at"] == [
        "A meeting must end after it starts."
    ]
    meeting.refresh_from_db()
    assert meeting.ends_at == at(2026, 7, 15, 15)


def test_edit_meeting_keeps_a_valid_zone_the_list_does_not_offer(editor_client):
    meeting = meeting_at(at(2026, 7, 15, 13), time_zone="Etc/GMT+5")
    url = reverse("cooperation:meeting-edit", args=[meeting.pk])
    page = editor_client.get(url)
    data = rendered_data(
        page.context["form"],
        page.context["agenda"].management_form,
        *page.context["agenda"].forms,
    )
    assert data["time_zone"] == "Etc/GMT+5"
    assert data["starts_at"] == "2026-07-15T08:00"

    response = editor_client.post(url, {**data, "title": "Renamed"})

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.starts_at) == ("Renamed", at(2026, 7, 15, 13))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": "2026-07-15T08:00"}, "ends_at"),
        ({"ends_at": "2026-07-15T09:00"}, "ends_at"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"starts_at": "2026-02-30T09:00"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"status": "postponed"}, "status"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"chair": "999999"}, "chair"),
        ({"chair": "abc"}, "chair"),
        ({"nations": ["999999"]}, "nations"),
        ({"attendees": ["abc"]}, "attendees"),
        # 00:30 on 6 September 2026 never happens in Santiago: clocks jump to 01:00.
        (
            {"starts_at": "2026-09-06T00:30", "ends_at": "2026-09-06T03:00"},
            "starts_at",
        ),
    ],
)
def test_meeting_form_rejects_bad_input_with_a_field_error(
    editor_client, overrides, field
):
    response = editor_client.post(
        reverse("cooperation:meeting-create"), meeting_data(**overrides)
    )

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not AssessmentMeeting.objects.exists()


def test_meeting_form_rejects_inactive_nation_and_user(editor_client):
    gone = factories.NationFactory(
        name="Peru", iso_alpha2="PE", iso_alpha3="PER", is_active=False
    )
    retired = factories.UserFactory(is_active=False)
    response = editor_client.post(
        reverse("cooperation:meeting-create"),
        meeting_data(nations=[str(gone.pk)], chair=str(retired.pk)),
    )

    errors = response.context["form"].errors
    assert "nations" in errors
    assert "chair" in errors
    assert not AssessmentMeeting.objects.exists()


@pytest.mark.parametrize(
    "row",
    [
        {"title": "Too long", "duration_minutes": "0"},
        {"title": "Too long", "duration_minutes": "481"},
        {"title": "Wrong type", "duration_minutes": "abc"},
        {"title": "x" * 201},
        {"title": "Forged", "presenter": "999999"},
        {"title": "Long notes", "notes": "x" * 2_001},
        {"duration_minutes": "30"},  # a row with no title
    ],
)
def test_a_bad_agenda_row_saves_nothing_at_all(editor_client, row):
    response = editor_client.post(
        reverse("cooperation:meeting-create"),
        meeting_data(agenda=[{"title": "Fine", "ORDER": "1"}, row]),
    )

    assert response.status_code == 200
    assert response.context["agenda"].total_error_count() >= 1
    assert "The meeting was not saved" in response.content.decode()
    assert not AssessmentMeeting.objects.exists()
    assert not AgendaItem.objects.exists()


def test_tampered_agenda_management_form_is_an_error_not_a_crash(editor_client):
    data = meeting_data()
    data["agenda-TOTAL_FORMS"] = "5000"
    response = editor_client.post(reverse("cooperation:meeting-create"), data)
    assert response.status_code == 200
    assert response.context["agenda"].non_form_errors()
    del data["agenda-TOTAL_FORMS"]
    response = editor_client.post(reverse("cooperation:meeting-create"), data)
    assert response.status_code == 200
    assert response.context["agenda"].non_form_errors()
    assert not AssessmentMeeting.objects.exists()


def test_meeting_is_not_half_saved_when_a_later_step_fails(editor_client, monkeypatch):
    def broken_release(**kwargs):
        raise RuntimeError("release service down")

    monkeypatch.setattr(services, "record_release", broken_release)

    with pytest.raises(RuntimeError):
        editor_client.post(
            reverse("cooperation:meeting-create"),
            meeting_data(agenda=[{"title": "Welcome", "ORDER": "1"}]),
        )

    assert not AssessmentMeeting.objects.exists()
    assert not AgendaItem.objects.exists()


def test_releasability_manager_sets_what_a_new_meeting_is_released_to(
    editor_client, editor, united_states, brazil
):
    grant(editor, "manage_releasability")
    url = reverse("cooperation:meeting-create")
    assert "Releasability" in editor_client.get(url).content.decode()

    nobody = editor_client.post(url, meeting_data())
    assert nobody.context["release_form"].non_field_errors().data[0].code == (
        "released_to_nobody"
    )
    assert not AssessmentMeeting.objects.exists()

    editor_client.post(
        url,
        meeting_data(
            **{"release-released_to": [str(united_states.pk), str(brazil.pk)]}
        ),
    )
    meeting = AssessmentMeeting.objects.get()
    assert set(meeting.released_to.all()) == {united_states, brazil}
    assert not meeting.released_to_all


# ------------------------------------------------------------ situation assessments


def assessment_data(nation_, focus_area_, **overrides):
    data = {
        "nation": str(nation_.pk),
        "focus_area": str(focus_area_.pk),
        "primary_concern": "Cocaine",
        "trend": "increasing",
        "threat_level": "3",
        "summary": "Production rising, higher export levels.",
    }
    data.update(overrides)
    return data


def test_assessment_is_recorded_for_the_meeting_in_the_url(editor_client, colombia):
    meeting = held_meeting()
    other = factories.AssessmentMeetingFactory()
    focus = factories.FocusAreaFactory()

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        # A meeting posted in the form is ignored: the URL says which meeting.
        assessment_data(colombia, focus, meeting=str(other.pk)),
    )

    assessment = SituationAssessment.objects.get()
    assert assessment.meeting == meeting
    assert assessment.threat_level == 3
    assert response["Location"] == (
        f"{meeting.get_absolute_url()}#assessment-{assessment.pk}"
    )
    page = editor_client.get(response["Location"]).content.decode()
    assert "Situation assessment of Colombia recorded." in page


def test_assessment_form_preselects_the_nation_from_the_query(
    client, editor, colombia, brazil
):
    meeting = factories.AssessmentMeetingFactory()
    url = reverse("cooperation:assessment-create", args=[meeting.pk])
    coordinator = grant(factories.UserFactory(), *EDIT_PERMISSIONS, "assess_any_nation")

    def preselected(code):
        return client.get(url, {"nation": code}).context["form"]["nation"].value()

    client.force_login(coordinator)
    assert preselected("br") == brazil.pk
    assert preselected("ZZ") is None
    # One who may assess only their own nation finds it chosen.
    client.force_login(editor)
    assert preselected("co") == colombia.pk
    assert preselected("ZZ") == colombia.pk


def test_duplicate_assessment_is_a_friendly_form_error(editor_client, colombia):
    meeting = held_meeting()
    existing = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        assessment_data(colombia, existing.focus_area, is_primary="False"),
    )

    assert response.status_code == 400
    assert "already has an assessment of this concern" in str(
        response.context["form"].errors["primary_concern"]
    )
    assert SituationAssessment.objects.get() == existing


def test_secondary_concern_is_recorded_beside_the_primary_one(editor_client, colombia):
    meeting = held_meeting()
    primary = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        assessment_data(
            colombia,
            primary.focus_area,
            primary_concern="Synthetic opioids",
            is_primary="False",
        ),
    )

    assert response.status_code == 302
    concerns = SituationAssessment.objects.filter(meeting=meeting).by_nation_name()
    assert [(a.primary_concern, a.is_primary) for a in concerns] == [
        ("Cocaine", True),
        ("Synthetic opioids", False),
    ]


def test_new_primary_concern_makes_the_former_one_secondary_in_history(
    editor_client, editor, colombia
):
    meeting = held_meeting()
    former = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        assessment_data(colombia, former.focus_area, primary_concern="Heroin"),
    )

    assert response.status_code == 302
    former.refresh_from_db()
    assert not former.is_primary
    assert former.history.first().history_user == editor
    new = SituationAssessment.objects.get(primary_concern="Heroin")
    assert new.is_primary


def test_secondary_concern_without_a_primary_one_is_a_form_error(
    editor_client, colombia
):
    meeting = held_meeting()
    focus_area = factories.FocusAreaFactory()
    url = reverse("cooperation:assessment-create", args=[meeting.pk])

    response = editor_client.post(
        url, assessment_data(colombia, focus_area, is_primary="False")
    )

    assert response.status_code == 400
    assert "would leave none" in str(response.context["form"].errors["is_primary"])
    assert not SituationAssessment.objects.exists()
    # Unmarking the only primary concern is refused the same way.
    only = factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, focus_area=focus_area
    )
    response = editor_client.post(
        reverse("cooperation:assessment-edit", args=[meeting.pk, only.pk]),
        assessment_data(colombia, focus_area, is_primary="False"),
    )
    assert response.status_code == 400
    only.refresh_from_db()
    assert only.is_primary


def test_assessment_records_the_analysis_and_the_meeting_page_shows_it(
    editor_client, colombia
):
    meeting = held_meeting()
    focus_area = factories.FocusAreaFactory()
    url = reverse("cooperation:assessment-create", args=[meeting.pk])
    form_page = editor_client.get(url).content.decode()
    assert "Analysis" in form_page
    assert 'name="production_trend"' in form_page

    response = editor_client.post(
        url,
        assessment_data(
            colombia,
            focus_area,
            production_trend="increasing",
            trafficking_trend="increasing",
            consumption_trend="",
            emerging_shift="Towards Pacific routes",
            key_drivers="New coca plots.",
            sources="Eradication reports.",
            confidence="high",
        ),
    )

    assert response.status_code == 302
    assessment = SituationAssessment.objects.get()
    assert (
        assessment.production_trend,
        assessment.trafficking_trend,
        assessment.consumption_trend,
        assessment.emerging_shift,
        assessment.key_drivers,
        assessment.sources,
        assessment.confidence,
    ) == (
        "increasing",
        "increasing",
        "",
        "Towards Pacific routes",
        "New coca plots.",
        "Eradication reports.",
        "high",
    )
    page = editor_client.get(meeting.get_absolute_url()).content.decode()
    assert "Production: <span" in page
    assert "Trafficking / export: <span" in page
    assert "Domestic consumption:" not in page
    assert "Towards Pacific routes" in page
    assert "Confidence:" in page
    assert "Eradication reports." in page


def test_meeting_page_lists_secondary_concerns_under_the_primary_one(
    editor_client, colombia
):
    meeting = held_meeting()
    primary = factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, primary_concern="Cocaine"
    )
    factories.SituationAssessmentFactory(
        meeting=meeting,
        nation=colombia,
        focus_area=primary.focus_area,
        primary_concern="Aardvark smuggling",
        is_primary=False,
    )

    page = editor_client.get(meeting.get_absolute_url()).content.decode()

    # Secondary after primary, though its name sorts first.
    assert page.index("Cocaine") < page.index("Aardvark smuggling")
    assert "Secondary concern" in page


def test_same_nation_and_focus_area_may_be_assessed_at_another_meeting(
    editor_client, colombia
):
    existing = factories.SituationAssessmentFactory(nation=colombia)
    meeting = held_meeting()

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        assessment_data(colombia, existing.focus_area),
    )

    assert response.status_code == 302
    assert SituationAssessment.objects.count() == 2


def test_assessment_edit_saves_changes_and_returns_to_the_row(editor_client, colombia):
    meeting = held_meeting()
    assessment = factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, threat_level=2
    )
    url = reverse("cooperation:assessment-edit", args=[meeting.pk, assessment.pk])
    assert editor_client.get(url).status_code == 200

    response = editor_client.post(
        url,
        assessment_data(
            colombia, assessment.focus_area, threat_level="4", trend="stable"
        ),
    )

    assert response["Location"].endswith(f"#assessment-{assessment.pk}")
    assessment.refresh_from_db()
    assert (assessment.threat_level, assessment.trend) == (4, "stable")


def test_assessment_edit_into_a_duplicate_is_a_form_error(editor_client, colombia):
    meeting = held_meeting()
    taken = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)
    moving = factories.SituationAssessmentFactory(meeting=meeting, nation=colombia)

    response = editor_client.post(
        reverse("cooperation:assessment-edit", args=[meeting.pk, moving.pk]),
        assessment_data(colombia, taken.focus_area),
    )

    assert response.status_code == 400
    assert response.context["form"].errors["primary_concern"]
    moving.refresh_from_db()
    assert moving.focus_area != taken.focus_area


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"threat_level": "9"}, "threat_level"),
        ({"threat_level": "high"}, "threat_level"),
        ({"trend": "sideways"}, "trend"),
        ({"primary_concern": "x" * 121}, "primary_concern"),
        ({"primary_concern": ""}, "primary_concern"),
        ({"summary": "x" * 5_001}, "summary"),
        ({"production_trend": "sideways"}, "production_trend"),
        ({"confidence": "certain"}, "confidence"),
        ({"emerging_shift": "x" * 201}, "emerging_shift"),
        ({"key_drivers": "x" * 2_001}, "key_drivers"),
        ({"sources": "x" * 2_001}, "sources"),
        ({"nation": "999999"}, "nation"),
        ({"nation": "CO"}, "nation"),
        ({"focus_area": "999999"}, "focus_area"),
    ],
)
def test_assessment_form_rejects_bad_input(editor_client, colombia, overrides, field):
    meeting = held_meeting()

    response = editor_client.post(
        reverse("cooperation:assessment-create", args=[meeting.pk]),
        assessment_data(colombia, factories.FocusAreaFactory(), **overrides),
    )

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not SituationAssessment.objects.exists()


def test_assessment_form_does_not_offer_inactive_nations_or_focus_areas(
    editor_client, editor
):
    # One who may assess any nation: the inactive one is refused as inactive.
    grant(editor, "assess_any_nation")
    meeting = held_meeting()
    gone = factories.NationFactory(
        name="Peru", iso_alpha2="PE", iso_alpha3="PER", is_active=False
    )
    retired = factories.FocusAreaFactory(is_active=False)
    url = reverse("cooperation:assessment-create", args=[meeting.pk])

    offered = editor_client.get(url).context["form"].fields
    assert editor.nation in offered["nation"].queryset
    assert gone not in offered["nation"].queryset
    assert retired not in offered["focus_area"].queryset
    response = editor_client.post(url, assessment_data(gone, retired))

    assert response.status_code == 400
    assert {"nation", "focus_area"} <= set(response.context["form"].errors)
    assert not SituationAssessment.objects.exists()


def test_assessment_of_another_meeting_cannot_be_edited_through_this_one(
    editor_client,
):
    meeting = factories.AssessmentMeetingFactory()
    elsewhere = factories.SituationAssessmentFactory()

    response = editor_client.get(
        reverse("cooperation:assessment-edit", args=[meeting.pk, elsewhere.pk])
    )

    assert response.status_code == 404


# ----------------------------------------------------------- initiative evaluations


def test_evaluation_is_recorded_for_the_meeting_and_returns_to_its_row(editor_client):
    meeting = factories.AssessmentMeetingFactory()
    initiative = factories.InitiativeFactory(title="Riverine patrols")

    response = editor_client.post(
        reverse("cooperation:evaluation-create", args=[meeting.pk]),
        {"initiative": str(initiative.pk), "rating": "at_risk", "findings": "Late."},
    )

    evaluation = InitiativeEvaluation.objects.get()
    assert (evaluation.meeting, evaluation.initiative) == (meeting, initiative)
    assert evaluation.rating == "at_risk"
    assert response["Location"].endswith(f"#evaluation-{evaluation.pk}")


def test_evaluation_form_offers_only_initiatives_released_to_the_user(
    editor_client, brazil
):
    meeting = factories.AssessmentMeetingFactory()
    shared = factories.InitiativeFactory(title="Shared")
    factories.InitiativeFactory(
        title="Brazilian eyes only", released_to_all=False, released_to=[brazil]
    )

    response = editor_client.get(
        reverse("cooperation:evaluation-create", args=[meeting.pk])
    )

    assert list(response.context["form"].fields["initiative"].queryset) == [shared]
    assert "Brazilian eyes only" not in response.content.decode()


def test_evaluating_a_withheld_initiative_by_a_forged_id_is_a_form_error(
    editor_client, brazil
):
    meeting = factories.AssessmentMeetingFactory()
    secret = factories.InitiativeFactory(released_to_all=False, released_to=[brazil])

    response = editor_client.post(
        reverse("cooperation:evaluation-create", args=[meeting.pk]),
        {"initiative": str(secret.pk), "rating": "on_track", "findings": "Fine."},
    )

    assert response.status_code == 400
    assert "initiative" in response.context["form"].errors
    assert not InitiativeEvaluation.objects.exists()


def test_duplicate_evaluation_is_a_friendly_form_error(editor_client):
    existing = factories.InitiativeEvaluationFactory()

    response = editor_client.post(
        reverse("cooperation:evaluation-create", args=[existing.meeting.pk]),
        {
            "initiative": str(existing.initiative.pk),
            "rating": "off_track",
            "findings": "Again.",
        },
    )

    assert response.status_code == 400
    assert "already evaluated" in str(response.context["form"].non_field_errors())
    assert InitiativeEvaluation.objects.get().rating == existing.rating


def test_evaluation_edit_saves_changes(editor_client):
    evaluation = factories.InitiativeEvaluationFactory(rating="on_track")
    url = reverse(
        "cooperation:evaluation-edit", args=[evaluation.meeting.pk, evaluation.pk]
    )
    assert editor_client.get(url).status_code == 200

    response = editor_client.post(
        url,
        {
            "initiative": str(evaluation.initiative.pk),
            "rating": "off_track",
            "findings": "Funding stopped.",
        },
    )

    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.rating, evaluation.findings) == ("off_track", "Funding stopped.")


def test_evaluation_of_a_withheld_initiative_cannot_be_opened_for_edit(
    editor_client, brazil
):
    secret = factories.InitiativeFactory(released_to_all=False, released_to=[brazil])
    evaluation = factories.InitiativeEvaluationFactory(initiative=secret)

    response = editor_client.get(
        reverse(
            "cooperation:evaluation-edit", args=[evaluation.meeting.pk, evaluation.pk]
        )
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rating": "great"}, "rating"),
        ({"initiative": "abc"}, "initiative"),
        ({"initiative": "999999"}, "initiative"),
        ({"findings": ""}, "findings"),
        ({"findings": "x" * 5_001}, "findings"),
    ],
)
def test_evaluation_form_rejects_bad_input(editor_client, overrides, field):
    meeting = factories.AssessmentMeetingFactory()
    data = {
        "initiative": str(factories.InitiativeFactory().pk),
        "rating": "on_track",
        "findings": "Milestones met.",
        **overrides,
    }

    response = editor_client.post(
        reverse("cooperation:evaluation-create", args=[meeting.pk]), data
    )

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not InitiativeEvaluation.objects.exists()


# ----------------------------------------------------- access, permissions, CSRF


def child_urls(meeting):
    """Every page under a meeting, with the children that belong to it."""
    assessment = factories.SituationAssessmentFactory(meeting=meeting)
    evaluation = factories.InitiativeEvaluationFactory(meeting=meeting)
    return {
        "edit": reverse("cooperation:meeting-edit", args=[meeting.pk]),
        "assessment-create": reverse(
            "cooperation:assessment-create", args=[meeting.pk]
        ),
        "assessment-edit": reverse(
            "cooperation:assessment-edit", args=[meeting.pk, assessment.pk]
        ),
        "evaluation-create": reverse(
            "cooperation:evaluation-create", args=[meeting.pk]
        ),
        "evaluation-edit": reverse(
            "cooperation:evaluation-edit", args=[meeting.pk, evaluation.pk]
        ),
    }


CHILD_ROUTES = [
    "edit",
    "assessment-create",
    "assessment-edit",
    "evaluation-create",
    "evaluation-edit",
]


@pytest.mark.parametrize("route", CHILD_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_meeting_child_route_is_404_when_the_meeting_is_withheld(
    editor_client, united_states, route, method
):
    meeting = withheld_meeting(united_states, title="US only")
    url = child_urls(meeting)[route]
    before = (SituationAssessment.objects.count(), InitiativeEvaluation.objects.count())

    response = getattr(editor_client, method)(url, {"title": "Forged"})

    assert response.status_code == 404
    assert b"US only" not in response.content
    meeting.refresh_from_db()
    assert meeting.title == "US only"
    after = (SituationAssessment.objects.count(), InitiativeEvaluation.objects.count())
    assert before == after


@pytest.mark.parametrize("route", CHILD_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_form_route_is_403_without_the_permission(viewer_client, route, method):
    meeting = factories.AssessmentMeetingFactory(title="Unchanged")
    url = child_urls(meeting)[route]

    response = getattr(viewer_client, method)(url, {"title": "Forged"})

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Unchanged"


def test_meeting_create_is_403_without_the_permission(viewer_client):
    url = reverse("cooperation:meeting-create")
    assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(url, meeting_data()).status_code == 403
    assert not AssessmentMeeting.objects.exists()


@pytest.mark.parametrize("route", ["create", *CHILD_ROUTES])
def test_every_form_route_refuses_a_post_without_csrf_token(editor, route, colombia):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    meeting = factories.AssessmentMeetingFactory(title="Unchanged")
    urls = {"create": reverse("cooperation:meeting-create"), **child_urls(meeting)}
    counts = (
        AssessmentMeeting.objects.count(),
        SituationAssessment.objects.count(),
        InitiativeEvaluation.objects.count(),
    )

    response = client.post(urls[route], meeting_data(title="Forged"))

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Unchanged"
    assert counts == (
        AssessmentMeeting.objects.count(),
        SituationAssessment.objects.count(),
        InitiativeEvaluation.objects.count(),
    )


@pytest.mark.parametrize("route", ["list", "create", *CHILD_ROUTES])
def test_meeting_pages_send_anonymous_visitors_to_login(client, route):
    meeting = factories.AssessmentMeetingFactory()
    urls = {
        "list": reverse("cooperation:meeting-list"),
        "create": reverse("cooperation:meeting-create"),
        **child_urls(meeting),
    }

    response = client.get(urls[route])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
