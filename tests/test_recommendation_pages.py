"""Recommendation pages: list and CSV, detail and timeline, status changes, forms."""

import csv
import datetime
import io
import re

import pycountry
import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cooperation import roles, services
from cooperation.forms.recommendations import RecommendationEditForm
from cooperation.models import Recommendation
from tests import factories

pytestmark = pytest.mark.django_db

Status = Recommendation.Status
LIST_URL = reverse("cooperation:recommendation-list")
CREATE_URL = reverse("cooperation:recommendation-create")
EDITOR_PERMISSIONS = ["add_recommendation", "change_recommendation"]


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def transition_url(recommendation):
    return reverse(
        "cooperation:recommendation-transition", args=[recommendation.reference]
    )


def edit_url(recommendation):
    return reverse("cooperation:recommendation-edit", args=[recommendation.reference])


def meeting_create_url(meeting):
    return reverse("cooperation:meeting-recommendation-create", args=[meeting.pk])


def listed(response):
    return [row.reference for row in response.context["object_list"]]


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def editor(colombian_user):
    return grant(colombian_user, *EDITOR_PERMISSIONS)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def focus_area(db):
    return factories.FocusAreaFactory(name="Drug trafficking", slug="drug-trafficking")


def make(reference, **kwargs):
    return factories.RecommendationFactory(reference=reference, **kwargs)


# ------------------------------------------------------------------------- list


def test_list_shows_only_recommendations_released_to_the_user(
    client, colombian_user, colombia, brazil
):
    make("REC-2026-0001", title="Shared")
    make("REC-2026-0002", released_to_all=False, released_to=[colombia])
    make(
        "REC-2026-0003",
        title="Brazil-only item",
        released_to_all=False,
        released_to=[brazil],
    )
    client.force_login(colombian_user)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert sorted(listed(response)) == ["REC-2026-0001", "REC-2026-0002"]
    assert b"Brazil-only item" not in response.content


def test_status_filter_takes_several_statuses(client, colombian_user):
    make("REC-2026-0001", status=Status.PROPOSED)
    make("REC-2026-0002", status=Status.ACCEPTED)
    make("REC-2026-0003", status=Status.IMPLEMENTED)
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"status": ["proposed", "accepted"]})
    assert sorted(listed(response)) == ["REC-2026-0001", "REC-2026-0002"]
    response = client.get(LIST_URL, {"status": "implemented"})
    assert listed(response) == ["REC-2026-0003"]


def test_priority_filter_narrows_to_one_priority(client, colombian_user):
    make("REC-2026-0001", priority=Recommendation.Priority.CRITICAL)
    make("REC-2026-0002", priority=Recommendation.Priority.LOW)
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"priority": "4"})
    assert listed(response) == ["REC-2026-0001"]


def test_nation_filter_takes_an_iso_alpha2_code_in_either_case(
    client, colombian_user, colombia, brazil
):
    to_colombia = make("REC-2026-0001")
    to_colombia.nations.set([colombia, brazil])
    make("REC-2026-0002").nations.set([brazil])
    make("REC-2026-0003")
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"nation": "CO"})) == ["REC-2026-0001"]
    assert listed(client.get(LIST_URL, {"nation": "co"})) == ["REC-2026-0001"]
    assert sorted(listed(client.get(LIST_URL, {"nation": "BR"}))) == [
        "REC-2026-0001",
        "REC-2026-0002",
    ]


def test_unknown_nation_code_is_a_filter_error_with_no_rows(client, colombian_user):
    make("REC-2026-0001")
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"nation": "ZZ"})
    assert response.status_code == 200
    assert listed(response) == []
    assert "nation" in response.context["filter"].form.errors
    assert b"Some filters are not valid" in response.content


def test_focus_area_filter_takes_the_slug(client, colombian_user, focus_area):
    make("REC-2026-0001", focus_area=focus_area)
    make("REC-2026-0002")
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"focus_area": "drug-trafficking"})
    assert listed(response) == ["REC-2026-0001"]


def test_source_meeting_filter_offers_and_accepts_only_visible_meetings(
    client, colombian_user, brazil
):
    meeting = factories.AssessmentMeetingFactory(title="Visible review")
    secret = factories.AssessmentMeetingFactory(
        title="Brazilian planning", released_to_all=False, released_to=[brazil]
    )
    make("REC-2026-0001", source_meeting=meeting)
    make("REC-2026-0002", source_meeting=secret)
    make("REC-2026-0003")
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"source_meeting": meeting.pk})
    assert listed(response) == ["REC-2026-0001"]
    assert b"Visible review" in response.content
    assert b"Brazilian planning" not in response.content

    response = client.get(LIST_URL, {"source_meeting": secret.pk})
    assert listed(response) == []
    assert "source_meeting" in response.context["filter"].form.errors
    assert b"Brazilian planning" not in response.content


def test_initiative_filter_offers_and_accepts_only_visible_initiatives(
    client, colombian_user, brazil
):
    initiative = factories.InitiativeFactory(title="Radar sharing")
    secret = factories.InitiativeFactory(
        title="Brazil-only programme", released_to_all=False, released_to=[brazil]
    )
    make("REC-2026-0001", initiative=initiative)
    make("REC-2026-0002", initiative=secret)
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"initiative": initiative.pk})) == [
        "REC-2026-0001"
    ]
    response = client.get(LIST_URL, {"initiative": secret.pk})
    assert listed(response) == []
    assert b"Brazil-only programme" not in response.content


def test_due_date_range_filter_includes_both_ends(client, colombian_user):
    make("REC-2026-0001", due_date=datetime.date(2026, 3, 1))
    make("REC-2026-0002", due_date=datetime.date(2026, 3, 31))
    make("REC-2026-0003", due_date=datetime.date(2026, 4, 1))
    make("REC-2026-0004", due_date=None)
    client.force_login(colombian_user)
    response = client.get(
        LIST_URL, {"due_after": "2026-03-01", "due_before": "2026-03-31"}
    )
    assert sorted(listed(response)) == ["REC-2026-0001", "REC-2026-0002"]


def test_due_date_range_ending_before_it_starts_is_a_filter_error(
    client, colombian_user
):
    make("REC-2026-0001", due_date=datetime.date(2026, 3, 15))
    client.force_login(colombian_user)
    response = client.get(
        LIST_URL, {"due_after": "2026-04-01", "due_before": "2026-03-01"}
    )
    assert response.status_code == 200
    assert listed(response) == []
    assert "due_before" in response.context["filter"].form.errors


def test_overdue_filter_keeps_open_recommendations_due_before_today(
    client, colombian_user
):
    today = timezone.localdate()
    make("REC-2026-0001", due_date=today - datetime.timedelta(days=3))
    make(
        "REC-2026-0002",
        due_date=today - datetime.timedelta(days=3),
        status=Status.IN_PROGRESS,
    )
    make(
        "REC-2026-0003",
        due_date=today - datetime.timedelta(days=3),
        status=Status.IMPLEMENTED,
    )
    make("REC-2026-0004", due_date=today)
    make("REC-2026-0005", due_date=None)
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"overdue": "1"})
    assert sorted(listed(response)) == ["REC-2026-0001", "REC-2026-0002"]
    # Each row listed carries the badge (the filter's own label says "Overdue only").
    assert response.content.count(b">Overdue</span>") == 2
    assert len(listed(client.get(LIST_URL))) == 5


def test_mine_filter_keeps_recommendations_the_user_owns(
    client, colombian_user, brazilian_user
):
    make("REC-2026-0001", owner=colombian_user)
    make("REC-2026-0002", owner=brazilian_user)
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"mine": "1"})) == ["REC-2026-0001"]
    client.force_login(brazilian_user)
    assert listed(client.get(LIST_URL, {"mine": "on"})) == ["REC-2026-0002"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("REC-2026-0002", ["REC-2026-0002"]),
        ("rec-2026-0002", ["REC-2026-0002"]),
        ("radar", ["REC-2026-0001"]),
        ("interdiction", ["REC-2026-0002"]),
        ("nothing like this", []),
    ],
)
def test_search_matches_reference_title_and_description(
    client, colombian_user, query, expected
):
    make("REC-2026-0001", title="Share radar tracks", description="Daily.")
    make("REC-2026-0002", title="Train crews", description="Interdiction drills.")
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"q": query})) == expected


def test_list_sorts_by_the_chosen_column_both_ways(client, colombian_user):
    make("REC-2026-0001", title="Bravo", due_date=datetime.date(2026, 5, 1))
    make("REC-2026-0002", title="Alpha", due_date=None)
    make("REC-2026-0003", title="Charlie", due_date=datetime.date(2026, 4, 1))
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"sort": "title"})) == [
        "REC-2026-0002",
        "REC-2026-0001",
        "REC-2026-0003",
    ]
    assert listed(client.get(LIST_URL, {"sort": "-title"})) == [
        "REC-2026-0003",
        "REC-2026-0001",
        "REC-2026-0002",
    ]
    # Undated recommendations come after dated ones, on every database.
    assert listed(client.get(LIST_URL, {"sort": "due"})) == [
        "REC-2026-0003",
        "REC-2026-0001",
        "REC-2026-0002",
    ]
    # The default is the newest reference first; an unknown key falls back to it.
    expected_default = ["REC-2026-0003", "REC-2026-0002", "REC-2026-0001"]
    assert listed(client.get(LIST_URL)) == expected_default
    assert listed(client.get(LIST_URL, {"sort": "description"})) == expected_default


def test_status_sort_follows_the_workflow_not_the_alphabet(client, colombian_user):
    make("REC-2026-0001", status=Status.IMPLEMENTED)
    make("REC-2026-0002", status=Status.PROPOSED)
    make("REC-2026-0003", status=Status.ACCEPTED)
    client.force_login(colombian_user)
    assert listed(client.get(LIST_URL, {"sort": "status"})) == [
        "REC-2026-0002",
        "REC-2026-0003",
        "REC-2026-0001",
    ]


def test_list_paginates_and_shows_the_total(client, colombian_user):
    for number in range(1, 31):
        make(f"REC-2026-{number:04d}")
    client.force_login(colombian_user)
    first = client.get(LIST_URL, {"sort": "reference"})
    assert first.context["page_obj"].paginator.count == 30
    assert len(listed(first)) == 25
    assert b"30 results" in first.content
    second = client.get(LIST_URL, {"sort": "reference", "page": "2"})
    assert listed(second) == [f"REC-2026-{n:04d}" for n in range(26, 31)]


def test_list_explains_an_empty_result(client, colombian_user):
    client.force_login(colombian_user)
    response = client.get(LIST_URL)
    assert b"No recommendation is released to you yet." in response.content
    make("REC-2026-0001")
    response = client.get(LIST_URL, {"q": "nothing matches"})
    assert b"No recommendation matches these filters." in response.content


def test_filter_form_submitted_untouched_filters_nothing(client, colombian_user):
    make("REC-2026-0001", priority=Recommendation.Priority.LOW)
    make("REC-2026-0002", priority=Recommendation.Priority.HIGH)
    client.force_login(colombian_user)
    page = client.get(LIST_URL)
    form = page.context["filter"].form
    # Every select starts on an empty "Any" choice, so a browser posts "".
    for name in ("priority", "nation", "focus_area", "source_meeting", "initiative"):
        assert list(form.fields[name].choices)[0] == ("", "Any"), name
    untouched = dict.fromkeys(
        (
            "q",
            "priority",
            "nation",
            "focus_area",
            "source_meeting",
            "initiative",
            "due_after",
            "due_before",
        ),
        "",
    )
    response = client.get(LIST_URL, {**untouched, "sort": "-reference"})
    assert listed(response) == ["REC-2026-0002", "REC-2026-0001"]


def test_invalid_filter_values_answer_200_with_no_rows(client, colombian_user):
    make("REC-2026-0001")
    client.force_login(colombian_user)
    for params in (
        {"priority": "9"},
        {"status": "done"},
        {"due_after": "tomorrow"},
        {"focus_area": "no-such-area"},
        {"initiative": "abc"},
        {"q": "x" * 101},
    ):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200, params
        assert listed(response) == [], params


def test_new_recommendation_button_only_for_users_who_may_add(client, colombian_user):
    client.force_login(colombian_user)
    assert CREATE_URL.encode() not in client.get(LIST_URL).content
    grant(colombian_user, "add_recommendation")
    assert CREATE_URL.encode() in client.get(LIST_URL).content


# -------------------------------------------------------------------------- CSV


def test_csv_exports_exactly_the_filtered_rows(client, colombian_user, brazil):
    make("REC-2026-0001", status=Status.PROPOSED)
    make("REC-2026-0002", status=Status.ACCEPTED)
    make("REC-2026-0003", status=Status.IMPLEMENTED)
    make(
        "REC-2026-0004",
        status=Status.PROPOSED,
        released_to_all=False,
        released_to=[brazil],
    )
    for number in range(5, 35):  # more than one page: the export is not paginated
        make(f"REC-2026-{number:04d}", status=Status.DEFERRED)
    client.force_login(colombian_user)

    response = client.get(
        LIST_URL, {"status": ["proposed", "accepted"], "format": "csv", "page": "2"}
    )
    rows = read_csv(response)
    assert sorted(row["Reference"] for row in rows) == [
        "REC-2026-0001",
        "REC-2026-0002",
    ]
    assert len(read_csv(client.get(LIST_URL, {"format": "csv"}))) == 33


def test_csv_has_every_column_with_its_values(client, colombian_user, colombia, brazil):
    initiative = factories.InitiativeFactory(title="Radar sharing")
    meeting = factories.AssessmentMeetingFactory(title="Quarterly review")
    owner = factories.UserFactory(first_name="Ana", last_name="Ruiz")
    recommendation = make(
        "REC-2026-0001",
        title="Share radar tracks",
        status=Status.IN_PROGRESS,
        priority=Recommendation.Priority.HIGH,
        due_date=timezone.localdate() - datetime.timedelta(days=1),
        owner=owner,
        source_meeting=meeting,
        initiative=initiative,
        released_to_all=False,
        released_to=[colombia, brazil],
        progress=40,  # as the services keep it: the latest update's
    )
    recommendation.nations.set([colombia, brazil])
    factories.RecommendationUpdateFactory(recommendation=recommendation, progress=40)
    client.force_login(colombian_user)
    [row] = read_csv(client.get(LIST_URL, {"format": "csv"}))
    assert row == {
        "Reference": "REC-2026-0001",
        "Title": "Share radar tracks",
        "Status": "In progress",
        "Priority": "High",
        "Due date": recommendation.due_date.isoformat(),
        "Overdue": "yes",
        "Progress (%)": "40",
        "Owner": "Ana Ruiz",
        "Focus area": recommendation.focus_area.name,
        "Source meeting": "Quarterly review",
        "Initiative": "Radar sharing",
        "Addressed nations": "Brazil; Colombia",
        "Released to": "Brazil; Colombia",
    }


def test_csv_never_names_a_withheld_source_meeting_or_initiative(
    client, colombian_user, brazil
):
    meeting = factories.AssessmentMeetingFactory(
        title="Brazilian planning", released_to_all=False, released_to=[brazil]
    )
    initiative = factories.InitiativeFactory(
        title="Brazil-only programme", released_to_all=False, released_to=[brazil]
    )
    make("REC-2026-0001", source_meeting=meeting, initiative=initiative)
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "REC-2026-0001" in text
    assert "Brazilian planning" not in text
    assert "Brazil-only programme" not in text
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["Source meeting"] == ""
    assert row["Initiative"] == ""


def test_csv_neutralises_spreadsheet_formulas(client, colombian_user):
    make("REC-2026-0001", title='=HYPERLINK("http://evil")')
    client.force_login(colombian_user)
    [row] = read_csv(client.get(LIST_URL, {"format": "csv"}))
    assert row["Title"].startswith("'=")


# ----------------------------------------------------------------------- detail


def test_detail_shows_every_field_and_the_overdue_badge(
    client, colombian_user, colombia, focus_area
):
    initiative = factories.InitiativeFactory(title="Radar sharing")
    meeting = factories.AssessmentMeetingFactory(title="Quarterly review")
    recommendation = make(
        "REC-2026-0007",
        title="Share radar tracks",
        description="Within 24 hours.",
        focus_area=focus_area,
        source_meeting=meeting,
        initiative=initiative,
        priority=Recommendation.Priority.CRITICAL,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
        released_to_all=False,
        released_to=[colombia],
    )
    recommendation.nations.set([colombia])
    client.force_login(colombian_user)
    response = client.get(recommendation.get_absolute_url())
    content = response.content.decode()
    for text in (
        "REC-2026-0007",
        "Share radar tracks",
        "Within 24 hours.",
        "Drug trafficking",
        "Quarterly review",
        "Radar sharing",
        "Critical",
        "Proposed",
        "Overdue",
        "Colombia",
        str(recommendation.owner),
    ):
        assert text in content, text


def test_detail_does_not_name_a_withheld_initiative(client, colombian_user, brazil):
    initiative = factories.InitiativeFactory(
        title="Brazil-only programme", released_to_all=False, released_to=[brazil]
    )
    recommendation = make("REC-2026-0001", initiative=initiative)
    client.force_login(colombian_user)
    response = client.get(recommendation.get_absolute_url())
    assert response.status_code == 200
    assert b"Brazil-only programme" not in response.content
    assert b"An initiative not released to you" in response.content


def test_detail_timeline_is_in_chronological_order_in_the_users_zone(client, colombia):
    user = factories.UserFactory(nation=colombia, time_zone="America/Bogota")
    recommendation = make("REC-2026-0001")
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    later = factories.RecommendationUpdateFactory(
        recommendation=recommendation,
        created_at=start + datetime.timedelta(days=2),
        from_status=Status.PROPOSED,
        to_status=Status.ACCEPTED,
        note="Second step",
    )
    earlier = factories.RecommendationUpdateFactory(
        recommendation=recommendation, created_at=start, note="First step"
    )
    client.force_login(user)
    response = client.get(recommendation.get_absolute_url())
    assert response.context["updates"] == [earlier, later]
    content = response.content.decode()
    assert content.index("First step") < content.index("Second step")
    assert "America/Bogota" in content
    bogota = timezone.localtime(later.created_at, timezone.get_fixed_timezone(-300))
    assert bogota.isoformat() in content


def test_reader_without_change_permission_sees_no_status_form(client, colombian_user):
    recommendation = make("REC-2026-0001")
    client.force_login(colombian_user)
    response = client.get(recommendation.get_absolute_url())
    assert response.context["transition_form"] is None
    assert transition_url(recommendation).encode() not in response.content
    assert edit_url(recommendation).encode() not in response.content


def test_status_form_offers_only_the_allowed_transitions(editor_client):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.get(recommendation.get_absolute_url())
    form = response.context["transition_form"]
    offered = [value for value, label in form.fields["to_status"].widget.choices]
    assert offered == ["accepted", "rejected", "deferred"]
    assert form["expected_status"].value() == "proposed"
    assert transition_url(recommendation).encode() in response.content


@pytest.mark.parametrize("final", [Status.IMPLEMENTED, Status.REJECTED])
def test_final_states_offer_transitions_only_to_users_who_may_reopen(
    client, editor, final
):
    recommendation = make("REC-2026-0001", status=final)
    client.force_login(editor)
    response = client.get(recommendation.get_absolute_url())
    assert response.context["transition_form"] is None
    assert b"is a final status" in response.content

    grant(editor, "reopen_recommendation")
    response = client.get(recommendation.get_absolute_url())
    form = response.context["transition_form"]
    offered = [value for value, label in form.fields["to_status"].widget.choices]
    assert offered == ["accepted", "in_progress"]


# ------------------------------------------------------------------- transitions


def test_transition_moves_status_and_records_the_update(editor_client, editor):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.post(
        transition_url(recommendation),
        {
            "to_status": "accepted",
            "note": "Agreed at the plenary.",
            "progress": "10",
            "expected_status": "proposed",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == recommendation.get_absolute_url()
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED
    update = recommendation.updates.get()
    assert (update.from_status, update.to_status) == ("proposed", "accepted")
    assert update.note == "Agreed at the plenary."
    assert update.progress == 10
    assert update.author == editor
    assert message_texts(response) == ["REC-2026-0001 is now “Accepted”."]


def test_transition_without_progress_keeps_the_latest_progress(editor_client):
    recommendation = make("REC-2026-0001", status=Status.ACCEPTED, progress=35)
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, to_status=Status.ACCEPTED, progress=35
    )
    editor_client.post(
        transition_url(recommendation),
        {"to_status": "in_progress", "note": "Started.", "expected_status": "accepted"},
    )
    latest = recommendation.updates.latest()
    assert (latest.to_status, latest.progress) == ("in_progress", 35)


def test_forged_illegal_transition_is_refused_with_a_message(editor_client):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.post(
        transition_url(recommendation),
        {"to_status": "implemented", "note": "Done!", "expected_status": "proposed"},
    )
    assert response.status_code == 200
    assert any(
        "cannot move from “Proposed” to “Implemented”" in text
        for text in message_texts(response)
    )
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED
    assert not recommendation.updates.exists()
    # The note is kept for a second try, against the current status.
    form = response.context["transition_form"]
    assert form["note"].value() == "Done!"
    assert form["expected_status"].value() == "proposed"


def test_stale_transition_is_refused_and_names_the_new_status(editor_client, editor):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    # Someone else accepts it after our user loaded the page.
    services.recommendation_transition(
        recommendation=Recommendation.objects.get(pk=recommendation.pk),
        acting_user=editor,
        to_status=Status.ACCEPTED,
        note="Accepted by a colleague.",
    )
    response = editor_client.post(
        transition_url(recommendation),
        {
            "to_status": "rejected",
            "note": "Out of scope.",
            "expected_status": "proposed",
        },
    )
    assert response.status_code == 200
    assert any("someone else" in text for text in message_texts(response))
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED
    assert recommendation.updates.count() == 1
    # The fresh form is based on what the recommendation is now.
    form = response.context["transition_form"]
    assert form["expected_status"].value() == "accepted"
    offered = [value for value, label in form.fields["to_status"].widget.choices]
    assert offered == ["in_progress", "deferred"]


def test_stale_transition_to_a_target_now_legal_is_still_refused(editor_client, editor):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    services.recommendation_transition(
        recommendation=Recommendation.objects.get(pk=recommendation.pk),
        acting_user=editor,
        to_status=Status.DEFERRED,
        note="Deferred.",
    )
    # From deferred, accepted is legal; but the user saw "proposed".
    response = editor_client.post(
        transition_url(recommendation),
        {"to_status": "accepted", "note": "Yes.", "expected_status": "proposed"},
    )
    assert response.status_code == 200
    recommendation.refresh_from_db()
    assert recommendation.status == Status.DEFERRED
    assert recommendation.updates.count() == 1


def test_transition_without_a_note_is_refused(editor_client):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.post(
        transition_url(recommendation),
        {"to_status": "accepted", "note": "   ", "expected_status": "proposed"},
    )
    assert response.status_code == 200
    assert response.context["transition_form"].errors["note"] == [
        "Say why the status changes."
    ]
    assert any("not changed" in text for text in message_texts(response))
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED
    assert not recommendation.updates.exists()


@pytest.mark.parametrize("progress", ["abc", "150", "-1", "12.5"])
def test_transition_with_progress_out_of_range_or_not_a_number_is_refused(
    editor_client, progress
):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.post(
        transition_url(recommendation),
        {
            "to_status": "accepted",
            "note": "Agreed.",
            "progress": progress,
            "expected_status": "proposed",
        },
    )
    assert response.status_code == 200
    assert "progress" in response.context["transition_form"].errors
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED
    assert not recommendation.updates.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"to_status": "done", "note": "x", "expected_status": "proposed"},
        {"to_status": "accepted", "note": "x", "expected_status": "nonsense"},
        {"to_status": "accepted", "note": "x"},
        {},
    ],
)
def test_transition_with_malformed_fields_is_refused_without_error(editor_client, data):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    response = editor_client.post(transition_url(recommendation), data)
    assert response.status_code == 200
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED


def test_reopening_a_final_recommendation_needs_the_reopen_permission(client, editor):
    recommendation = make("REC-2026-0001", status=Status.IMPLEMENTED)
    client.force_login(editor)
    data = {
        "to_status": "accepted",
        "note": "Relapse.",
        "expected_status": "implemented",
    }
    response = client.post(transition_url(recommendation), data)
    assert response.status_code == 200
    recommendation.refresh_from_db()
    assert recommendation.status == Status.IMPLEMENTED

    grant(editor, "reopen_recommendation")
    response = client.post(transition_url(recommendation), data)
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACCEPTED


def test_transition_answers_405_to_get(editor_client):
    recommendation = make("REC-2026-0001")
    assert editor_client.get(transition_url(recommendation)).status_code == 405


def test_transition_without_change_permission_is_forbidden(client, colombian_user):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    client.force_login(colombian_user)
    response = client.post(
        transition_url(recommendation),
        {"to_status": "accepted", "note": "x", "expected_status": "proposed"},
    )
    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED


def test_transition_without_csrf_token_is_forbidden(editor):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(
        transition_url(recommendation),
        {"to_status": "accepted", "note": "x", "expected_status": "proposed"},
    )
    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED


def test_withheld_recommendation_answers_404_on_every_page(editor_client, brazil):
    recommendation = make("REC-2026-0001", released_to_all=False, released_to=[brazil])
    assert editor_client.get(recommendation.get_absolute_url()).status_code == 404
    assert editor_client.get(edit_url(recommendation)).status_code == 404
    assert editor_client.post(edit_url(recommendation), {}).status_code == 404
    response = editor_client.post(
        transition_url(recommendation),
        {"to_status": "accepted", "note": "x", "expected_status": "proposed"},
    )
    assert response.status_code == 404
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PROPOSED


# ----------------------------------------------------------------------- create


def valid_data(focus_area, **overrides):
    data = {
        "title": "Share radar tracks",
        "description": "Within 24 hours of detection.",
        "focus_area": focus_area.pk,
        "priority": "3",
        "due_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
        "source_note": "Regional summit",
    }
    data.update(overrides)
    return data


def test_create_form_defaults_the_owner_to_the_current_user(editor_client, editor):
    response = editor_client.get(CREATE_URL)
    assert response.status_code == 200
    assert response.context["form"]["owner"].value() == editor.pk
    assert response.context["release_form"] is None


def test_create_from_a_meeting_fixes_the_meeting_even_when_another_is_posted(
    editor_client, editor, colombia, focus_area
):
    meeting = factories.AssessmentMeetingFactory(
        title="Quarterly review", starts_at=timezone.now() - datetime.timedelta(days=1)
    )
    other = factories.AssessmentMeetingFactory(title="Another meeting")
    page = editor_client.get(meeting_create_url(meeting))
    assert page.status_code == 200
    assert "source_meeting" not in page.context["form"].fields
    assert "source_note" not in page.context["form"].fields
    assert b"Quarterly review" in page.content
    assert meeting.get_absolute_url().encode() in page.content  # cancel path

    response = editor_client.post(
        meeting_create_url(meeting),
        valid_data(
            focus_area,
            owner=editor.pk,
            source_meeting=other.pk,
            source_note="",
            nations=[colombia.pk],
        ),
    )
    assert response.status_code == 302
    recommendation = Recommendation.objects.get()
    assert response["Location"] == recommendation.get_absolute_url()
    assert recommendation.source_meeting == meeting
    assert list(recommendation.nations.all()) == [colombia]
    assert re.fullmatch(r"REC-\d{4}-0001", recommendation.reference)
    assert message_texts(response) == [
        f"Recommendation {recommendation.reference} was raised."
    ]


def test_create_standalone_assigns_a_reference_and_starts_the_timeline(
    editor_client, editor, colombia, focus_area
):
    owner = factories.UserFactory(nation=colombia)
    response = editor_client.post(CREATE_URL, valid_data(focus_area, owner=owner.pk))
    assert response.status_code == 302
    recommendation = Recommendation.objects.get()
    year = timezone.localdate().year
    assert recommendation.reference == f"REC-{year}-0001"
    assert recommendation.status == Status.PROPOSED
    assert recommendation.owner == owner
    assert recommendation.source_meeting is None
    assert recommendation.source_note == "Regional summit"
    update = recommendation.updates.get()
    assert (update.from_status, update.to_status, update.progress) == (
        "",
        "proposed",
        0,
    )
    assert update.author == editor
    # Default releasability: the creator's nation only.
    assert recommendation.released_to_all is False
    assert list(recommendation.released_to.all()) == [colombia]

    editor_client.post(CREATE_URL, valid_data(focus_area, owner=owner.pk))
    assert Recommendation.objects.filter(reference=f"REC-{year}-0002").exists()


def test_create_standalone_with_a_visible_source_meeting(
    editor_client, editor, focus_area
):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=timezone.now() - datetime.timedelta(days=2)
    )
    response = editor_client.post(
        CREATE_URL,
        valid_data(focus_area, owner=editor.pk, source_meeting=meeting.pk),
    )
    assert response.status_code == 302
    assert Recommendation.objects.get().source_meeting == meeting


def test_create_standalone_needs_a_meeting_or_another_source(
    editor_client, editor, focus_area
):
    response = editor_client.post(
        CREATE_URL, valid_data(focus_area, owner=editor.pk, source_note="")
    )
    assert response.status_code == 200
    assert "source_note" in response.context["form"].errors
    assert not Recommendation.objects.exists()


def test_user_who_manages_releasability_sets_it_when_creating(
    client, colombian_user, colombia, brazil, focus_area
):
    grant(colombian_user, *EDITOR_PERMISSIONS, "manage_releasability")
    client.force_login(colombian_user)
    page = client.get(CREATE_URL)
    assert page.context["release_form"] is not None
    assert b"Releasability" in page.content
    data = valid_data(focus_area, owner=colombian_user.pk)
    data["release-released_to"] = [colombia.pk, brazil.pk]
    response = client.post(CREATE_URL, data)
    assert response.status_code == 302
    recommendation = Recommendation.objects.get()
    assert set(recommendation.released_to.all()) == {colombia, brazil}


def test_create_release_form_errors_block_the_creation(
    client, colombian_user, focus_area
):
    grant(colombian_user, *EDITOR_PERMISSIONS, "manage_releasability")
    client.force_login(colombian_user)
    response = client.post(CREATE_URL, valid_data(focus_area, owner=colombian_user.pk))
    assert response.status_code == 200
    assert response.context["release_form"].errors
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("due_date", "tomorrow"),
        ("priority", "9"),
        ("priority", "high"),
        ("title", "x" * 201),
        ("title", ""),
        ("description", ""),
        ("focus_area", "999999"),
        ("focus_area", "abc"),
        ("initiative", "999999"),
        ("nations", ["999999"]),
        ("owner", "999999"),
        ("source_meeting", "999999"),
        ("source_note", "x" * 201),
    ],
)
def test_create_rejects_bad_input_with_a_field_error(
    editor_client, editor, focus_area, field, value
):
    data = valid_data(focus_area, owner=editor.pk)
    data[field] = value
    response = editor_client.post(CREATE_URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Recommendation.objects.exists()


def test_create_rejects_an_inactive_owner_or_focus_area(
    editor_client, editor, focus_area
):
    gone = factories.UserFactory(is_active=False)
    retired = factories.FocusAreaFactory(is_active=False)
    response = editor_client.post(CREATE_URL, valid_data(retired, owner=gone.pk))
    assert set(response.context["form"].errors) >= {"owner", "focus_area"}
    assert not Recommendation.objects.exists()


def test_create_rejects_an_initiative_or_meeting_withheld_from_the_user(
    editor_client, editor, brazil, focus_area
):
    initiative = factories.InitiativeFactory(
        title="Brazil-only programme", released_to_all=False, released_to=[brazil]
    )
    meeting = factories.AssessmentMeetingFactory(
        title="Brazilian planning", released_to_all=False, released_to=[brazil]
    )
    page = editor_client.get(CREATE_URL)
    assert b"Brazil-only programme" not in page.content
    assert b"Brazilian planning" not in page.content
    response = editor_client.post(
        CREATE_URL,
        valid_data(
            focus_area,
            owner=editor.pk,
            initiative=initiative.pk,
            source_meeting=meeting.pk,
        ),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"initiative", "source_meeting"}
    assert not Recommendation.objects.exists()


def test_create_rejects_a_due_date_before_the_source_meeting(
    editor_client, editor, focus_area
):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=timezone.now() + datetime.timedelta(days=10)
    )
    response = editor_client.post(
        meeting_create_url(meeting),
        valid_data(
            focus_area,
            owner=editor.pk,
            due_date=(timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert "due_date" in response.context["form"].errors
    assert not Recommendation.objects.exists()


def test_create_from_a_withheld_meeting_answers_404(editor_client, brazil):
    meeting = factories.AssessmentMeetingFactory(
        released_to_all=False, released_to=[brazil]
    )
    assert editor_client.get(meeting_create_url(meeting)).status_code == 404
    assert editor_client.post(meeting_create_url(meeting), {}).status_code == 404


def test_create_without_permission_is_forbidden(client, colombian_user, focus_area):
    meeting = factories.AssessmentMeetingFactory()
    client.force_login(colombian_user)
    assert client.get(CREATE_URL).status_code == 403
    assert client.get(meeting_create_url(meeting)).status_code == 403
    response = client.post(CREATE_URL, valid_data(focus_area, owner=colombian_user.pk))
    assert response.status_code == 403
    assert not Recommendation.objects.exists()


def test_create_without_csrf_token_is_forbidden(editor, focus_area):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(CREATE_URL, valid_data(focus_area, owner=editor.pk))
    assert response.status_code == 403
    assert not Recommendation.objects.exists()


def test_create_cancel_returns_to_the_list_when_not_from_a_meeting(editor_client):
    response = editor_client.get(CREATE_URL)
    assert response.context["cancel_url"] == LIST_URL


# ------------------------------------------------------------------------- edit


def test_edit_saves_the_fields_but_never_the_status(
    editor_client, editor, colombia, brazil, focus_area
):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    page = editor_client.get(edit_url(recommendation))
    assert page.status_code == 200
    assert "status" not in page.context["form"].fields
    due = timezone.localdate() + datetime.timedelta(days=90)
    response = editor_client.post(
        edit_url(recommendation),
        {
            "title": "Share radar tracks daily",
            "description": "Updated.",
            "focus_area": focus_area.pk,
            "nations": [colombia.pk, brazil.pk],
            "owner": editor.pk,
            "priority": "4",
            "due_date": due.isoformat(),
            "status": "implemented",
            "reference": "REC-1900-0001",
            "version": page.context["form"]["version"].value(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == recommendation.get_absolute_url()
    recommendation.refresh_from_db()
    assert recommendation.title == "Share radar tracks daily"
    assert recommendation.focus_area == focus_area
    assert set(recommendation.nations.all()) == {colombia, brazil}
    assert recommendation.priority == 4
    assert recommendation.due_date == due
    assert recommendation.status == Status.PROPOSED
    assert recommendation.reference == "REC-2026-0001"
    assert message_texts(response) == ["Recommendation REC-2026-0001 was saved."]


def test_edit_never_writes_back_a_status_changed_meanwhile(editor, focus_area):
    recommendation = make("REC-2026-0001", status=Status.PROPOSED)
    stale = Recommendation.objects.get(pk=recommendation.pk)
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=editor,
        to_status=Status.ACCEPTED,
        note="Accepted meanwhile.",
    )
    form = RecommendationEditForm(
        {
            "title": "Edited title",
            "description": "Edited.",
            "focus_area": focus_area.pk,
            "owner": editor.pk,
            "priority": "2",
        },
        instance=stale,
        user=editor,
    )
    assert form.is_valid(), form.errors
    services.recommendation_update(
        recommendation=form.instance,
        version=None,
        acting_user=editor,
        nations=form.cleaned_data["nations"],
    )
    recommendation.refresh_from_db()
    assert recommendation.title == "Edited title"
    assert recommendation.status == Status.ACCEPTED


def test_edit_keeps_a_link_to_an_initiative_withheld_from_the_editor(
    editor_client, editor, brazil
):
    initiative = factories.InitiativeFactory(
        title="Brazil-only programme", released_to_all=False, released_to=[brazil]
    )
    recommendation = make("REC-2026-0001", initiative=initiative)
    page = editor_client.get(edit_url(recommendation))
    assert "initiative" not in page.context["form"].fields
    assert b"Brazil-only programme" not in page.content
    visible = factories.InitiativeFactory(title="Visible one")
    response = editor_client.post(
        edit_url(recommendation),
        {
            "title": "Renamed",
            "description": "Same.",
            "focus_area": recommendation.focus_area_id,
            "owner": editor.pk,
            "priority": "2",
            "initiative": visible.pk,  # ignored: the field is not offered
            "version": page.context["form"]["version"].value(),
        },
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.title == "Renamed"
    assert recommendation.initiative == initiative


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nations", ["999999"]),
        ("due_date", "next week"),
        ("title", "x" * 201),
        ("priority", "0"),
        ("initiative", "999999"),
    ],
)
def test_edit_rejects_bad_input_with_a_field_error(editor_client, editor, field, value):
    recommendation = make("REC-2026-0001", title="Original")
    data = {
        "title": "Changed",
        "description": "Same.",
        "focus_area": recommendation.focus_area_id,
        "owner": editor.pk,
        "priority": "2",
        field: value,
    }
    response = editor_client.post(edit_url(recommendation), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    recommendation.refresh_from_db()
    assert recommendation.title == "Original"


def test_edit_without_permission_is_forbidden(client, colombian_user):
    recommendation = make("REC-2026-0001", title="Original")
    grant(colombian_user, "add_recommendation")
    client.force_login(colombian_user)
    assert client.get(edit_url(recommendation)).status_code == 403
    response = client.post(edit_url(recommendation), {"title": "Changed"})
    assert response.status_code == 403
    recommendation.refresh_from_db()
    assert recommendation.title == "Original"


def test_edit_without_csrf_token_is_forbidden(editor):
    recommendation = make("REC-2026-0001", title="Original")
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(edit_url(recommendation), {"title": "Changed"})
    assert response.status_code == 403


# ----------------------------------------------------------------- query counts


def _extra_nations(count):
    taken = {"CO", "BR", "US", "PE", "CL", "AR"}
    countries = [c for c in pycountry.countries if c.alpha_2 not in taken][:count]
    return [
        factories.NationFactory(
            name=country.name,
            iso_alpha2=country.alpha_2,
            iso_alpha3=country.alpha_3,
        )
        for country in countries
    ]


def _build_list(count, shared, prefix):
    """``count`` visible recommendations, each addressed to ``count`` nations."""
    nations = [shared["colombia"], *_extra_nations(count)]
    for index in range(count):
        recommendation = make(
            f"REC-{prefix}-{index + 1:04d}",
            source_meeting=shared["meeting"],
            initiative=shared["initiative"],
            owner=shared["owner"] if index % 2 else factories.UserFactory(),
            focus_area=shared["focus_area"],
            status=[Status.PROPOSED, Status.ACCEPTED][index % 2],
            due_date=timezone.localdate() - datetime.timedelta(days=index + 1),
            released_to_all=False,
            released_to=[shared["colombia"], shared["brazil"]],
        )
        recommendation.nations.set(nations)
        factories.RecommendationUpdateFactory(recommendation=recommendation)


def _count_queries(client, url, params=None):
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        if response.streaming:
            rows = b"".join(response.streaming_content).count(b"REC-")
        else:
            rows = len(response.context.get("object_list") or [1])
    assert response.status_code == 200, url
    assert rows > 0, "the page must show rows for the count to mean anything"
    return len(queries)


@pytest.fixture
def shared(editor, colombia, brazil, focus_area):
    return {
        "owner": editor,
        "colombia": colombia,
        "brazil": brazil,
        "focus_area": focus_area,
        "meeting": factories.AssessmentMeetingFactory(
            released_to_all=False, released_to=[brazil, colombia]
        ),
        "initiative": factories.InitiativeFactory(),
    }


LIST_PARAMS = {
    "unfiltered": lambda shared: {},
    "status-nation-sorted": lambda shared: {
        "status": ["proposed", "accepted"],
        "nation": "CO",
        "sort": "owner",
    },
    "overdue-mine-search": lambda shared: {
        "overdue": "1",
        "mine": "1",
        "q": "REC",
        "sort": "-due",
    },
    "every-choice-filter": lambda shared: {
        "nation": "co",
        "focus_area": shared["focus_area"].slug,
        "source_meeting": shared["meeting"].pk,
        "initiative": shared["initiative"].pk,
        "priority": "2",
        "due_before": timezone.localdate().isoformat(),
        "sort": "status",
    },
}


@pytest.mark.parametrize("case", LIST_PARAMS)
def test_list_runs_the_same_few_queries_with_5_and_50_rows(client, shared, case):
    client.force_login(shared["owner"])
    params = LIST_PARAMS[case](shared)
    _build_list(5, shared, "2024")
    small = _count_queries(client, LIST_URL, params)
    _build_list(50, shared, "2025")
    large = _count_queries(client, LIST_URL, params)
    assert small == large
    assert large <= 12


@pytest.mark.parametrize("case", ["unfiltered", "every-choice-filter"])
def test_csv_runs_the_same_queries_with_5_and_50_rows(client, shared, case):
    client.force_login(shared["owner"])
    params = {**LIST_PARAMS[case](shared), "format": "csv"}
    _build_list(5, shared, "2024")
    small = _count_queries(client, LIST_URL, params)
    _build_list(50, shared, "2025")
    large = _count_queries(client, LIST_URL, params)
    assert small == large
    assert large <= 12


def _build_detail(count, colombia, brazil, reference):
    recommendation = make(
        reference,
        source_meeting=factories.AssessmentMeetingFactory(),
        initiative=factories.InitiativeFactory(),
        released_to_all=False,
    )
    nations = _extra_nations(count)
    recommendation.nations.set(nations)
    recommendation.released_to.set([colombia, brazil, *nations])
    for index in range(count):
        factories.RecommendationUpdateFactory(
            recommendation=recommendation,
            author=factories.UserFactory(),
            note=f"Step {index}",
        )
    return recommendation.get_absolute_url()


def test_detail_runs_the_same_few_queries_with_5_and_50_rows(
    client, editor, colombia, brazil
):
    client.force_login(editor)
    small = _count_queries(client, _build_detail(5, colombia, brazil, "REC-2024-0001"))
    large = _count_queries(client, _build_detail(50, colombia, brazil, "REC-2025-0001"))
    assert small == large
    # 14: the documents section added one (tests/test_documents.py bounds it), and
    # the recommendation is read twice: its heading, the access check of every
    # request, kept content or not (views.access.heading_of), and the whole record
    # when the content is drawn.
    assert large <= 14


def test_due_date_error_quotes_the_source_meeting_date_only_to_who_may_see_it(
    client, colombia, colombian_user, brazilian_user
):
    held_on = datetime.date(2025, 6, 18)  # D, far from today's dates on the page
    meeting = factories.AssessmentMeetingFactory(
        starts_at=datetime.datetime(2025, 6, 18, 15, 0, tzinfo=datetime.UTC),
        time_zone="America/Bogota",  # 10:00 there: still June 18
        released_to_all=False,
        released_to=[colombia],
    )
    recommendation = make(
        "REC-2026-0001", title="Original", source_meeting=meeting, released_to_all=True
    )
    due_before = recommendation.due_date
    editor_group = Group.objects.get(name=roles.EDITOR)
    message = "The due date cannot be before the meeting that raised it."
    shown_dates = [
        held_on.isoformat(),
        date_format(held_on, "DATE_FORMAT"),
        date_format(held_on, "SHORT_DATE_FORMAT"),
    ]

    def post_early_due_date(user):
        user.groups.add(editor_group)
        client.force_login(user)
        page = client.get(edit_url(recommendation))
        assert page.status_code == 200
        return client.post(
            edit_url(recommendation),
            {
                "title": "Changed",
                "description": recommendation.description,
                "focus_area": recommendation.focus_area_id,
                "owner": recommendation.owner_id,
                "priority": recommendation.priority,
                "due_date": "2025-06-01",
                "version": page.context["form"]["version"].value(),
            },
        )

    # Brazil may see the recommendation but not the meeting: no date in the page.
    response = post_early_due_date(brazilian_user)
    assert response.status_code == 200
    assert response.context["form"].errors == {"due_date": [message]}
    assert message in response.text
    for shown in shown_dates:
        assert shown not in response.text
    recommendation.refresh_from_db()
    assert (recommendation.title, recommendation.due_date) == ("Original", due_before)

    # Colombia sees the meeting: the same post quotes its date.
    response = post_early_due_date(colombian_user)
    assert response.status_code == 200
    quoted = (
        "The due date cannot be before the meeting that raised it "
        f"({date_format(held_on, 'DATE_FORMAT')})."
    )
    assert response.context["form"].errors == {"due_date": [quoted]}
    assert quoted in response.text
    recommendation.refresh_from_db()
    assert (recommendation.title, recommendation.due_date) == ("Original", due_before)
