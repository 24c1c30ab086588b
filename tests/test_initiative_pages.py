"""Initiative list (filters, sort, pages, CSV), detail, create and edit."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperation.concurrency import version_token
from cooperation.models import Initiative, InitiativeEvaluation, Participation
from cooperation.services import releasability
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("cooperation:initiative-list")
CREATE_URL = reverse("cooperation:initiative-create")


# ----------------------------------------------------------------------- helpers


def _grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    # Drop the permission caches of this Python object.
    for attribute in (
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
        "_cooperation_permissions",
    ):
        user.__dict__.pop(attribute, None)
    return user


def _titles(response):
    assert response.status_code == 200
    return [initiative.title for initiative in response.context["object_list"]]


def _csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _initiative(title, lead, *others, **kwargs):
    """An initiative led by ``lead``; ``others`` are (nation, role) pairs."""
    initiative = factories.InitiativeFactory(title=title, **kwargs)
    factories.ParticipationFactory(
        initiative=initiative, nation=lead, role=Participation.Role.LEAD
    )
    for nation, role in others:
        factories.ParticipationFactory(initiative=initiative, nation=nation, role=role)
    return initiative


def _participations(initiative):
    return sorted(
        initiative.participations.values_list(
            "nation__iso_alpha2", "role", "contribution"
        )
    )


@pytest.fixture
def editor(colombian_user):
    """A Colombian liaison who may add and change initiatives (not releasability)."""
    return _grant(colombian_user, "add_initiative", "change_initiative")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def withheld(colombia, united_states):
    """An initiative released to Colombia only: Brazil must never learn of it."""
    return _initiative(
        "Withheld interdiction",
        colombia,
        (united_states, Participation.Role.PARTNER),
        released_to_all=False,
        released_to=[colombia],
        summary="Released to Colombia only.",
    )


@pytest.fixture
def catalogue(colombia, brazil, united_states, colombian_user):
    """Three initiatives that differ on every filter of the list."""
    drugs = factories.FocusAreaFactory(name="Drug trafficking", slug="drugs")
    border = factories.FocusAreaFactory(name="Border security", slug="border")
    cyber = factories.FocusAreaFactory(name="Cybersecurity", slug="cyber")
    other_owner = factories.UserFactory(username="other-owner")
    andean = _initiative(
        "Andean task force",
        colombia,
        (brazil, Participation.Role.PARTNER),
        kind=Initiative.Kind.JOINT_TASK_FORCE,
        status=Initiative.Status.IMPLEMENTATION,
        planned_start=datetime.date(2026, 1, 1),
        planned_end=datetime.date(2026, 12, 31),
        owner=colombian_user,
        summary="Joint operations on the rivers.",
        objectives="Disrupt shipments.",
    )
    andean.focus_areas.set([drugs])
    training = _initiative(
        "Border training",
        brazil,
        (colombia, Participation.Role.OBSERVER),
        kind=Initiative.Kind.TRAINING_PROGRAM,
        status=Initiative.Status.PIPELINE,
        planned_start=datetime.date(2027, 3, 1),
        planned_end=datetime.date(2027, 9, 30),
        owner=other_owner,
        summary="Courses for customs officers.",
        objectives="Train 200 officers.",
    )
    training.focus_areas.set([border])
    cyber_framework = _initiative(
        "Cyber framework",
        united_states,
        kind=Initiative.Kind.CYBERSECURITY_FRAMEWORK,
        status=Initiative.Status.SUSPENDED,
        planned_start=datetime.date(2025, 5, 1),
        planned_end=datetime.date(2028, 1, 1),
        owner=other_owner,
        summary="Shared incident response.",
        objectives="Contain ransomware within a day.",
    )
    cyber_framework.focus_areas.set([cyber, border])
    return {"andean": andean, "training": training, "cyber": cyber_framework}


# -------------------------------------------------------------------------- list


ALL_THREE = ["Andean task force", "Border training", "Cyber framework"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL_THREE),
        ({"status": "pipeline"}, ["Border training"]),
        ({"status": ["pipeline", "suspended"]}, ["Border training", "Cyber framework"]),
        ({"kind": "training_program"}, ["Border training"]),
        ({"nation": "CO"}, ["Andean task force", "Border training"]),
        ({"nation": "co"}, ["Andean task force", "Border training"]),
        ({"nation": "CO", "role": "lead"}, ["Andean task force"]),
        ({"nation": "CO", "role": "observer"}, ["Border training"]),
        ({"nation": "US", "role": "partner"}, []),
        ({"role": "partner"}, ["Andean task force"]),
        ({"focus_area": "drugs"}, ["Andean task force"]),
        ({"focus_area": "border"}, ["Border training", "Cyber framework"]),
        ({"planned_start_after": "2026-06-01"}, ["Border training"]),
        ({"planned_start_before": "2025-12-31"}, ["Cyber framework"]),
        ({"planned_end_after": "2027-10-01"}, ["Cyber framework"]),
        (
            {"planned_end_before": "2027-12-31"},
            ["Andean task force", "Border training"],
        ),
        (
            {"planned_start_after": "2026-01-01", "planned_end_before": "2026-12-31"},
            ["Andean task force"],
        ),
        ({"mine": "1"}, ["Andean task force"]),
        ({"q": "ransomware"}, ["Cyber framework"]),  # objectives
        ({"q": "CUSTOMS"}, ["Border training"]),  # summary, any case
        ({"q": "andean"}, ["Andean task force"]),  # title
        ({"q": "no such words"}, []),
    ],
)
def test_each_list_filter_narrows_the_rows(
    client, colombian_user, catalogue, params, expected
):
    client.force_login(colombian_user)
    assert _titles(client.get(LIST_URL, params)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "bogus"},
        {"status": "finished"},
        {"nation": "ZZ"},
        {"role": "boss"},
        {"focus_area": "no-such-area"},
        {"planned_start_after": "not-a-date"},
        {"planned_start_after": "2027-01-01", "planned_start_before": "2026-01-01"},
        {"q": "x" * 101},
    ],
)
def test_invalid_filters_show_an_error_and_no_rows_not_a_500(
    client, colombian_user, catalogue, params
):
    client.force_login(colombian_user)
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    assert _titles(response) == []
    assert b"Some filters are not valid" in response.content


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Andean task force", "Border training", "Cyber framework"]),
        ("kind", ["Cyber framework", "Andean task force", "Border training"]),
        # IATI order: pipeline, implementation, …, suspended
        ("status", ["Border training", "Andean task force", "Cyber framework"]),
        ("lead", ["Border training", "Andean task force", "Cyber framework"]),
        ("planned_start", ["Cyber framework", "Andean task force", "Border training"]),
        ("planned_end", ["Andean task force", "Border training", "Cyber framework"]),
    ],
)
def test_list_sorts_each_column_ascending_and_descending(
    client, colombian_user, catalogue, sort, expected
):
    client.force_login(colombian_user)
    assert _titles(client.get(LIST_URL, {"sort": sort})) == expected
    assert _titles(client.get(LIST_URL, {"sort": f"-{sort}"})) == expected[::-1]


def test_list_puts_rows_without_lead_or_dates_last_on_every_database(
    client, colombian_user, catalogue
):
    factories.InitiativeFactory(
        title="Aaa undated", planned_start=None, planned_end=None
    )
    client.force_login(colombian_user)
    for sort in ("lead", "planned_start", "planned_end"):
        assert _titles(client.get(LIST_URL, {"sort": sort}))[-1] == "Aaa undated"


def test_list_ignores_an_unknown_sort_key(client, colombian_user, catalogue):
    client.force_login(colombian_user)
    assert _titles(client.get(LIST_URL, {"sort": "owner__password"})) == ALL_THREE


def test_list_paginates_with_the_total_count(client, colombian_user):
    for number in range(30):
        factories.InitiativeFactory(title=f"Initiative {number:02d}")
    client.force_login(colombian_user)

    first = client.get(LIST_URL)
    assert len(_titles(first)) == 25
    assert first.context["page_obj"].paginator.count == 30
    assert b"30 results" in first.content
    assert b"page 1 of 2" in first.content

    second = client.get(LIST_URL, {"page": 2})
    assert _titles(second) == [f"Initiative {n:02d}" for n in range(25, 30)]


def test_list_keeps_filters_and_sort_in_the_page_links(client, colombian_user):
    for number in range(30):
        factories.InitiativeFactory(title=f"Initiative {number:02d}")
    client.force_login(colombian_user)
    response = client.get(LIST_URL, {"status": "implementation", "sort": "-title"})
    assert b"?status=implementation&amp;sort=-title&amp;page=2" in response.content


def test_csv_exports_exactly_the_filtered_rows_with_every_column(
    client, colombian_user, catalogue, withheld
):
    client.force_login(colombian_user)
    rows = _csv_rows(client.get(LIST_URL, {"nation": "BR", "format": "csv"}))
    assert rows[0] == [
        "Title",
        "Kind",
        "Status",
        "Lead nation",
        "Participating nations",
        "Focus areas",
        "Planned start",
        "Planned end",
        "Owner",
        "Released to",
    ]
    assert [row[0] for row in rows[1:]] == ["Andean task force", "Border training"]
    andean = rows[1]
    assert andean[1:4] == ["Joint task force", "Implementation", "Colombia"]
    assert andean[4] == "Colombia (Lead); Brazil (Partner)"
    assert andean[5] == "Drug trafficking"
    assert andean[6:8] == ["2026-01-01", "2026-12-31"]
    assert andean[8] == str(colombian_user)
    assert andean[9] == "All partners"


def test_csv_follows_the_sort_and_names_the_nations_of_a_withheld_release(
    client, colombian_user, catalogue, withheld
):
    client.force_login(colombian_user)
    rows = _csv_rows(client.get(LIST_URL, {"format": "csv", "sort": "-title"}))
    assert [row[0] for row in rows[1:]] == [
        "Withheld interdiction",
        *reversed(ALL_THREE),
    ]
    assert rows[1][9] == "Colombia"


def test_initiative_withheld_from_brazil_never_appears_for_a_brazilian_user(
    client, brazilian_user, catalogue, withheld
):
    client.force_login(brazilian_user)
    response = client.get(LIST_URL, {"nation": "CO"})
    assert _titles(response) == ["Andean task force", "Border training"]
    assert response.context["page_obj"].paginator.count == 2
    assert b"Withheld" not in response.content

    assert "Withheld interdiction" not in _titles(client.get(LIST_URL))
    assert "Withheld interdiction" not in _titles(client.get(LIST_URL, {"q": "with"}))
    rows = _csv_rows(client.get(LIST_URL, {"format": "csv"}))
    assert [row[0] for row in rows[1:]] == ALL_THREE
    assert client.get(withheld.get_absolute_url()).status_code == 404


def test_list_offers_new_initiative_only_with_add_permission(
    client, brazilian_user, editor, catalogue
):
    client.force_login(brazilian_user)
    assert CREATE_URL.encode() not in client.get(LIST_URL).content
    client.force_login(editor)
    assert CREATE_URL.encode() in client.get(LIST_URL).content


def test_empty_list_says_what_to_do(client, brazilian_user, editor, catalogue):
    client.force_login(brazilian_user)
    response = client.get(LIST_URL, {"q": "no such words"})
    assert b"No initiative released to you matches these filters" in response.content
    assert b"Clear filters" in response.content
    assert CREATE_URL.encode() not in response.content

    client.force_login(editor)
    response = client.get(LIST_URL, {"q": "no such words"})
    assert b"create a new initiative" in response.content


def test_empty_list_without_filters_invites_to_create_the_first(editor_client):
    response = editor_client.get(LIST_URL)
    assert b"No initiative is released to you yet" in response.content
    assert b"Create the first one" in response.content


# ------------------------------------------------------------------------ detail


def test_detail_shows_participants_roles_dates_owner_and_release(
    client, colombian_user, catalogue, colombia, brazil
):
    initiative = catalogue["andean"]
    Participation.objects.filter(initiative=initiative, nation=brazil).update(
        contribution="Two patrol boats"
    )
    client.force_login(colombian_user)
    response = client.get(initiative.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert [(p.nation.name, p.role) for p in response.context["participations"]] == [
        ("Colombia", "lead"),
        ("Brazil", "partner"),
    ]
    assert f'href="{colombia.get_absolute_url()}"' in content
    assert f'href="{brazil.get_absolute_url()}"' in content
    assert "Two patrol boats" in content
    assert "Drug trafficking" in content
    assert str(colombian_user) in content
    assert "All partners" in content
    assert 'class="breadcrumb"' in content
    assert f'href="{LIST_URL}">Initiatives</a>' in content


def test_detail_names_the_nations_a_withheld_initiative_is_released_to(
    client, colombian_user, withheld
):
    client.force_login(colombian_user)
    response = client.get(withheld.get_absolute_url())
    assert response.context["released_to"] == [withheld.released_to.get()]
    assert "All partners" not in response.content.decode()


def test_detail_shows_evaluation_history_newest_first_with_rating_text_and_colour(
    client, colombian_user, catalogue
):
    initiative = catalogue["andean"]
    now = datetime.datetime(2026, 3, 1, 15, tzinfo=datetime.UTC)
    older = factories.InitiativeEvaluationFactory(
        initiative=initiative,
        meeting=factories.AssessmentMeetingFactory(
            title="January review", starts_at=now - datetime.timedelta(days=60)
        ),
        rating=InitiativeEvaluation.Rating.ON_TRACK,
    )
    newer = factories.InitiativeEvaluationFactory(
        initiative=initiative,
        meeting=factories.AssessmentMeetingFactory(title="March review", starts_at=now),
        rating=InitiativeEvaluation.Rating.OFF_TRACK,
        findings="Boats not delivered.",
    )
    client.force_login(colombian_user)
    response = client.get(initiative.get_absolute_url())
    content = response.content.decode()
    assert response.context["evaluations"] == [newer, older]
    assert content.index("March review") < content.index("January review")
    assert 'text-bg-danger">Off track</span>' in content
    assert 'text-bg-success">On track</span>' in content
    assert "Boats not delivered." in content


def test_detail_hides_evaluations_from_meetings_not_released_to_the_user(
    client, brazilian_user, colombia, catalogue
):
    initiative = catalogue["andean"]
    factories.InitiativeEvaluationFactory(
        initiative=initiative,
        meeting=factories.AssessmentMeetingFactory(title="Open review"),
        rating=InitiativeEvaluation.Rating.AT_RISK,
    )
    factories.InitiativeEvaluationFactory(
        initiative=initiative,
        meeting=factories.AssessmentMeetingFactory(
            title="Colombian closed session",
            released_to_all=False,
            released_to=[colombia],
        ),
        findings="Informant compromised.",
    )
    client.force_login(brazilian_user)
    response = client.get(initiative.get_absolute_url())
    content = response.content.decode()
    assert [e.meeting.title for e in response.context["evaluations"]] == ["Open review"]
    assert "At risk" in content
    assert "Colombian closed session" not in content
    assert "Informant compromised." not in content


def test_detail_lists_only_related_recommendations_released_to_the_user(
    client, brazilian_user, colombia, catalogue
):
    initiative = catalogue["andean"]
    shared = factories.RecommendationFactory(
        title="Share radar tracks", initiative=initiative, status="accepted"
    )
    factories.RecommendationFactory(
        title="Secret recommendation",
        initiative=initiative,
        released_to_all=False,
        released_to=[colombia],
    )
    factories.RecommendationFactory(title="Unrelated recommendation")
    client.force_login(brazilian_user)
    response = client.get(initiative.get_absolute_url())
    content = response.content.decode()
    assert response.context["recommendations"] == [shared]
    assert "Share radar tracks" in content
    assert 'text-bg-primary">Accepted</span>' in content
    assert "Secret recommendation" not in content
    assert "Unrelated recommendation" not in content


def test_detail_offers_edit_only_with_change_permission(
    client, brazilian_user, editor, catalogue
):
    initiative = catalogue["andean"]
    edit_url = reverse("cooperation:initiative-edit", args=[initiative.pk])
    client.force_login(brazilian_user)
    assert edit_url.encode() not in client.get(initiative.get_absolute_url()).content
    client.force_login(editor)
    assert edit_url.encode() in client.get(initiative.get_absolute_url()).content


# -------------------------------------------------------------------------- forms


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _form_data(person, rows, *, initial=0, **overrides):
    """POST data for the initiative form; ``rows`` are dicts of participation fields."""
    data = {
        "title": "Pacific coast patrols",
        "kind": Initiative.Kind.JOINT_TASK_FORCE,
        "summary": "Joint patrols off the Pacific coast.",
        "objectives": "Fewer go-fast boats.",
        "status": Initiative.Status.PIPELINE,
        "planned_start": "2026-04-01",
        "planned_end": "2026-10-31",
        "actual_start": "",
        "actual_end": "",
        "owner": str(person.pk),
        **_management("participations", len(rows), initial),
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"participations-{index}-{key}"] = value
    data.update(overrides)
    return data


def _row(nation, role, contribution="", **extra):
    nation_id = nation if isinstance(nation, int) else nation.pk
    return {
        "nation": str(nation_id),
        "role": role,
        "contribution": contribution,
        **extra,
    }


def test_create_form_defaults_owner_to_the_user_and_offers_three_blank_rows(
    editor_client, editor
):
    response = editor_client.get(CREATE_URL)
    assert response.status_code == 200
    assert response.context["form"]["owner"].value() == editor.pk
    assert len(response.context["formset"].forms) == 3
    assert b'name="participations-TOTAL_FORMS" value="3"' in response.content
    assert b"participations-0-DELETE" not in response.content  # nothing to remove
    assert b"Releasability" not in response.content  # no manage_releasability
    assert f'href="{LIST_URL}"'.encode() in response.content  # Cancel
    assert b"<script>" not in response.content


def test_create_saves_initiative_participations_and_default_release(
    editor_client, editor, colombia, brazil, united_states
):
    area = factories.FocusAreaFactory(name="Maritime", slug="maritime")
    data = _form_data(
        editor,
        [
            _row(colombia, "lead", "Command ship"),
            _row(brazil, "partner"),
            _row(united_states, "funder", "Fuel"),
        ],
        focus_areas=[str(area.pk)],
        # A user without manage_releasability cannot set it, whatever is posted.
        **{"release-released_to_all": "on"},
    )
    response = editor_client.post(CREATE_URL, data)

    initiative = Initiative.objects.get(title="Pacific coast patrols")
    assert response.status_code == 302
    assert response["Location"] == initiative.get_absolute_url()
    assert _participations(initiative) == [
        ("BR", "partner", ""),
        ("CO", "lead", "Command ship"),
        ("US", "funder", "Fuel"),
    ]
    assert list(initiative.focus_areas.all()) == [area]
    assert initiative.owner == editor
    assert initiative.planned_start == datetime.date(2026, 4, 1)
    assert initiative.released_to_all is False
    assert list(initiative.released_to.all()) == [colombia]
    followed = editor_client.get(response["Location"])
    assert "Initiative “Pacific coast patrols” created." in followed.content.decode()


def test_create_by_a_user_without_nation_lands_on_the_list_not_a_404(client, colombia):
    stateless = _grant(factories.UserFactory(username="no-nation"), "add_initiative")
    client.force_login(stateless)
    response = client.post(CREATE_URL, _form_data(stateless, [_row(colombia, "lead")]))
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    initiative = Initiative.objects.get()
    assert list(initiative.released_to.all()) == []
    assert "It is not released to you" in client.get(LIST_URL).content.decode()


def test_create_skips_blank_extra_rows(editor_client, editor, colombia):
    data = _form_data(
        editor,
        [_row(colombia, "lead"), {"nation": "", "role": "", "contribution": ""}],
    )
    response = editor_client.post(CREATE_URL, data)
    assert response.status_code == 302
    initiative = Initiative.objects.get()
    assert _participations(initiative) == [("CO", "lead", "")]


def test_create_by_a_releasability_manager_applies_the_release_fieldset(
    client, editor, colombia, brazil
):
    _grant(editor, "manage_releasability")
    client.force_login(editor)
    assert b"Releasability" in client.get(CREATE_URL).content
    data = _form_data(
        editor,
        [_row(colombia, "lead")],
        **{"release-released_to": [str(colombia.pk), str(brazil.pk)]},
    )
    response = client.post(CREATE_URL, data)
    assert response.status_code == 302
    initiative = Initiative.objects.get()
    assert initiative.released_to_all is False
    assert set(initiative.released_to.all()) == {colombia, brazil}


def test_create_by_a_releasability_manager_requires_a_release(client, editor, colombia):
    _grant(editor, "manage_releasability")
    client.force_login(editor)
    response = client.post(CREATE_URL, _form_data(editor, [_row(colombia, "lead")]))
    assert response.status_code == 200
    assert "Release the record to all partners" in response.content.decode()
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"planned_start": "not-a-date"}, "planned_start", "Enter a valid date."),
        ({"actual_end": "2026-13-45"}, "actual_end", "Enter a valid date."),
        ({"kind": "bogus"}, "kind", "Select a valid choice."),
        ({"status": "finished"}, "status", "Select a valid choice."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"title": ""}, "title", "This field is required."),
        ({"summary": ""}, "summary", "This field is required."),
        (
            {"planned_start": "2026-10-01", "planned_end": "2026-09-30"},
            "planned_end",
            "The planned end cannot be before the planned start.",
        ),
        (
            {"actual_start": "2026-05-02", "actual_end": "2026-05-01"},
            "actual_end",
            "The actual end cannot be before the actual start.",
        ),
        ({"owner": "999999"}, "owner", "Select a valid choice."),
        ({"owner": "me"}, "owner", "Select a valid choice."),
        ({"focus_areas": ["999999"]}, "focus_areas", "Select a valid choice."),
    ],
)
def test_create_rejects_bad_initiative_fields_with_a_field_error(
    editor_client, editor, colombia, overrides, field, message
):
    factories.FocusAreaFactory(name="Maritime", slug="maritime")  # one to offer
    data = _form_data(editor, [_row(colombia, "lead")], **overrides)
    response = editor_client.post(CREATE_URL, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Initiative.objects.exists()
    assert not Participation.objects.exists()


def test_end_before_start_is_reported_once(editor_client, editor, colombia):
    data = _form_data(
        editor,
        [_row(colombia, "lead")],
        planned_start="2026-10-01",
        planned_end="2026-09-30",
    )
    response = editor_client.post(CREATE_URL, data)
    content = response.content.decode()
    assert content.count("The planned end cannot be before the planned start.") == 1
    assert response.context["form"].non_field_errors() == []


def test_create_rejects_a_deactivated_focus_area(editor_client, editor, colombia):
    retired = factories.FocusAreaFactory(slug="retired", is_active=False)
    data = _form_data(editor, [_row(colombia, "lead")], focus_areas=[str(retired.pk)])
    response = editor_client.post(CREATE_URL, data)
    assert "focus_areas" in response.context["form"].errors
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("zero leads", "exactly one lead nation; this one has 0"),
        ("no rows", "exactly one lead nation; this one has 0"),
        ("two leads", "exactly one lead nation; this one has 2"),
        ("duplicate nation", "Each nation takes part in an initiative only once."),
    ],
)
def test_create_rejects_participations_that_break_the_rules(
    editor_client, editor, colombia, brazil, rows, message
):
    table = {
        "zero leads": [_row(colombia, "partner"), _row(brazil, "observer")],
        "no rows": [],
        "two leads": [_row(colombia, "lead"), _row(brazil, "lead")],
        "duplicate nation": [_row(colombia, "lead"), _row(colombia, "partner")],
    }
    response = editor_client.post(CREATE_URL, _form_data(editor, table[rows]))
    assert response.status_code == 200
    assert any(
        message in error for error in response.context["formset"].non_form_errors()
    )
    assert message in response.content.decode()
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"nation": "999999", "role": "lead"}, "nation", "Select a valid choice."),
        ({"nation": "CO", "role": "lead"}, "nation", "Select a valid choice."),
        ({"nation": "colombia", "role": "bogus"}, "role", "Select a valid choice."),
        ({"nation": "colombia", "role": ""}, "role", "This field is required."),
        ({"nation": "", "role": "lead"}, "nation", "This field is required."),
        (
            {"nation": "colombia", "role": "lead", "contribution": "x" * 256},
            "contribution",
            "at most 255 characters",
        ),
    ],
)
def test_create_rejects_bad_participation_rows_with_a_field_error(
    editor_client, editor, colombia, row, field, message
):
    if row["nation"] == "colombia":
        row = {**row, "nation": str(colombia.pk)}
    response = editor_client.post(CREATE_URL, _form_data(editor, [row]))
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors
    assert any(message in error for error in errors[field]), errors
    assert not Initiative.objects.exists()


def test_create_rejects_an_inactive_nation(editor_client, editor, colombia):
    dormant = factories.NationFactory(
        name="Dormant", iso_alpha2="DD", iso_alpha3="DDD", is_active=False
    )
    response = editor_client.post(
        CREATE_URL, _form_data(editor, [_row(dormant, "lead")])
    )
    assert "nation" in response.context["formset"].forms[0].errors
    assert not Initiative.objects.exists()


def test_create_without_management_form_is_an_error_not_a_500(
    editor_client, editor, colombia
):
    data = _form_data(editor, [_row(colombia, "lead")])
    del data["participations-TOTAL_FORMS"]
    response = editor_client.post(CREATE_URL, data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Initiative.objects.exists()


def test_create_without_csrf_token_is_forbidden(editor, colombia):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(CREATE_URL, _form_data(editor, [_row(colombia, "lead")]))
    assert response.status_code == 403
    assert not Initiative.objects.exists()


def test_create_and_edit_are_forbidden_without_permission(
    client, brazilian_user, brazil, catalogue
):
    client.force_login(brazilian_user)
    edit_url = reverse("cooperation:initiative-edit", args=[catalogue["andean"].pk])
    assert client.get(CREATE_URL).status_code == 403
    assert client.get(edit_url).status_code == 403
    response = client.post(
        CREATE_URL, _form_data(brazilian_user, [_row(brazil, "lead")])
    )
    assert response.status_code == 403
    response = client.post(
        edit_url, _form_data(brazilian_user, [_row(brazil, "lead")], title="Hijacked")
    )
    assert response.status_code == 403
    assert not Initiative.objects.filter(
        title__in=["Pacific coast patrols", "Hijacked"]
    ).exists()


def _edit_url(initiative):
    return reverse("cooperation:initiative-edit", args=[initiative.pk])


def _existing_rows(initiative):
    return [
        _row(p.nation, p.role, p.contribution)
        for p in initiative.participations.select_related("nation").order_by("pk")
    ]


def test_edit_form_shows_current_values_remove_boxes_and_blank_rows(
    editor_client, catalogue
):
    initiative = catalogue["andean"]
    response = editor_client.get(_edit_url(initiative))
    formset = response.context["formset"]
    assert response.status_code == 200
    assert [form.initial["role"] for form in formset.initial_forms] == [
        "lead",
        "partner",
    ]
    assert len(formset.extra_forms) == 3
    assert b"participations-1-DELETE" in response.content
    assert b"participations-2-DELETE" not in response.content
    assert f'href="{initiative.get_absolute_url()}"'.encode() in response.content


def test_edit_changes_fields_swaps_lead_removes_and_adds_nations(
    editor_client, editor, catalogue, colombia, brazil, united_states
):
    initiative = catalogue["andean"]
    data = _form_data(
        initiative.owner,
        [
            _row(colombia, "partner", "Staff officers"),  # was lead
            _row(brazil, "partner", DELETE="on"),  # removed
            _row(united_states, "lead"),  # added, now leads
        ],
        initial=2,
        title="Andean task force II",
        status=Initiative.Status.COMPLETION,
        version=version_token(initiative),
    )
    response = editor_client.post(_edit_url(initiative), data)

    assert response.status_code == 302
    assert response["Location"] == initiative.get_absolute_url()
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force II"
    assert initiative.status == Initiative.Status.COMPLETION
    assert _participations(initiative) == [
        ("CO", "partner", "Staff officers"),
        ("US", "lead", ""),
    ]
    # A user without manage_releasability leaves the release as it was.
    assert initiative.released_to_all is True
    followed = editor_client.get(response["Location"])
    assert "Initiative “Andean task force II” saved." in followed.content.decode()


def test_edit_by_a_releasability_manager_changes_the_release(
    client, editor, catalogue, brazil
):
    _grant(editor, "manage_releasability")
    client.force_login(editor)
    initiative = catalogue["andean"]
    data = _form_data(
        initiative.owner,
        _existing_rows(initiative),
        initial=2,
        version=version_token(initiative),
        **{"release-released_to": [str(brazil.pk)]},
    )
    response = client.post(_edit_url(initiative), data)
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.released_to_all is False
    assert list(initiative.released_to.all()) == [brazil]


def test_edit_keeps_an_inactive_nation_that_already_takes_part(
    editor_client, catalogue, brazil
):
    initiative = catalogue["andean"]
    brazil.is_active = False
    brazil.save()
    data = _form_data(
        initiative.owner,
        _existing_rows(initiative),
        initial=2,
        version=version_token(initiative),
    )
    response = editor_client.post(_edit_url(initiative), data)
    assert response.status_code == 302


def test_edit_of_an_initiative_not_released_to_the_user_is_404(
    client, brazilian_user, withheld, brazil
):
    _grant(brazilian_user, "change_initiative")
    client.force_login(brazilian_user)
    assert client.get(_edit_url(withheld)).status_code == 404
    response = client.post(
        _edit_url(withheld),
        _form_data(brazilian_user, [_row(brazil, "lead")], title="Renamed"),
    )
    assert response.status_code == 404
    withheld.refresh_from_db()
    assert withheld.title == "Withheld interdiction"


def test_edit_of_a_missing_initiative_is_404(editor_client):
    assert (
        editor_client.get(
            reverse("cooperation:initiative-edit", args=[999999])
        ).status_code
        == 404
    )


def test_edit_without_csrf_token_is_forbidden(editor, catalogue):
    initiative = catalogue["andean"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    data = _form_data(
        initiative.owner, _existing_rows(initiative), initial=2, title="No token"
    )
    assert client.post(_edit_url(initiative), data).status_code == 403
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force"


@pytest.mark.parametrize(
    "case",
    ["two leads", "zero leads", "duplicate nation", "forged nation", "bad date"],
)
def test_rejected_edit_changes_nothing(
    editor_client, catalogue, colombia, brazil, united_states, case
):
    initiative = catalogue["andean"]
    before = _participations(initiative)
    rows = {
        "two leads": [_row(colombia, "lead"), _row(brazil, "lead")],
        "zero leads": [_row(colombia, "partner"), _row(brazil, "partner")],
        "duplicate nation": [
            _row(colombia, "lead"),
            _row(brazil, "partner"),
            _row(brazil, "observer"),
        ],
        "forged nation": [_row(colombia, "lead"), _row(999999, "partner")],
        "bad date": [_row(colombia, "lead"), _row(united_states, "partner")],
    }[case]
    overrides = {"planned_end": "2020-01-01"} if case == "bad date" else {}
    data = _form_data(
        initiative.owner, rows, initial=2, title="Should not be saved", **overrides
    )
    response = editor_client.post(_edit_url(initiative), data)

    assert response.status_code == 200
    # The page still names the saved record, not the rejected title.
    assert (
        '<h1 class="h3 mb-3">Edit Andean task force</h1>' in response.content.decode()
    )
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force"
    assert _participations(initiative) == before


def test_edit_is_all_or_nothing_when_a_later_step_fails(
    editor_client, catalogue, colombia, brazil, united_states, monkeypatch
):
    """The initiative, its participations and its release are one transaction."""
    initiative = catalogue["andean"]
    before = _participations(initiative)

    def refuse(**kwargs):
        raise ValidationError("Release refused.")

    monkeypatch.setattr(releasability, "record_release", refuse)
    data = _form_data(
        initiative.owner,
        [
            _row(colombia, "partner"),
            _row(brazil, "lead"),
            _row(united_states, "funder"),
        ],
        initial=2,
        title="Half saved?",
        version=version_token(initiative),
    )
    response = editor_client.post(_edit_url(initiative), data)

    assert response.status_code == 200
    assert "Release refused." in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force"
    assert _participations(initiative) == before


@pytest.mark.parametrize("page", ["list", "detail", "create", "edit"])
def test_pages_need_no_inline_script_or_style(editor_client, catalogue, page):
    initiative = catalogue["andean"]
    url = {
        "list": LIST_URL,
        "detail": initiative.get_absolute_url(),
        "create": CREATE_URL,
        "edit": _edit_url(initiative),
    }[page]
    content = editor_client.get(url).content.decode()
    # The page's upload form brings the documents' own script (a file, not inline).
    documents = ['<script src="/static/js/documents.js" defer>'] * (page == "detail")
    assert re.findall(r"<script[^>]*>", content) == [
        *documents,
        '<script src="/static/vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js">',
        '<script src="/static/vendor/tom-select-2.6.2/js/tom-select.complete.min.js"'
        " defer>",
        '<script src="/static/js/autocomplete.js" defer>',
    ]
    assert " style=" not in content
    assert " on" + "click=" not in content
    assert content.count("<h1") == 1


# ------------------------------------------------------------------ query counts


def _nations(count):
    """``count`` nations with distinct codes (AA, AB, …)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [
        factories.NationFactory(
            name=f"Nation {index:03d}",
            iso_alpha2=f"{letters[index // 26]}{letters[index % 26]}",
            iso_alpha3=f"Q{letters[index // 26]}{letters[index % 26]}",
        )
        for index in range(count)
    ]


def _build_list_rows(count, owner):
    nations = _nations(2)
    areas = [
        factories.FocusAreaFactory(name=f"Area {slug}", slug=slug)
        for slug in ("area-one", "area-two")
    ]
    for number in range(count):
        initiative = _initiative(
            f"Row {number:03d}",
            nations[0],
            (nations[1], Participation.Role.PARTNER),
            owner=owner,
            released_to_all=number % 2 == 0,
            released_to=nations,
        )
        initiative.focus_areas.set(areas)


def _count_queries(client, url, params=None):
    cache.clear()  # as cold as the first request: permissions and counts read
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"nation": "AA", "role": "lead", "focus_area": "area-two", "sort": "-lead"}],
)
def test_list_runs_the_same_few_queries_with_5_and_50_rows(
    editor_client, editor, params
):
    _build_list_rows(5, editor)
    small = _count_queries(editor_client, LIST_URL, params)
    Initiative.objects.all().delete()
    _build_list_rows(50, editor)
    large = _count_queries(editor_client, LIST_URL, params)
    assert small == large
    assert large <= 12 + 1  # and the navigation bar's unread notifications


def test_csv_export_runs_the_same_queries_with_5_and_50_rows(editor_client, editor):
    _build_list_rows(5, editor)
    small = _count_queries(editor_client, LIST_URL, {"format": "csv"})
    _build_list_rows(45, editor)
    large = _count_queries(editor_client, LIST_URL, {"format": "csv"})
    assert small == large
    assert large <= 12


def _build_detail(count, colombia):
    nations = _nations(count)
    initiative = _initiative(
        f"Detail {count}",
        nations[0],
        *[(nation, Participation.Role.PARTNER) for nation in nations[1:]],
        released_to_all=False,
        released_to=[colombia, *nations],
    )
    initiative.focus_areas.set([factories.FocusAreaFactory() for _ in range(count)])
    for number in range(count):
        factories.InitiativeEvaluationFactory(
            initiative=initiative,
            meeting=factories.AssessmentMeetingFactory(time_zone="Asia/Tokyo"),
        )
        factories.RecommendationFactory(initiative=initiative, title=f"Rec {number}")
    return initiative


def test_detail_runs_the_same_few_queries_with_5_and_50_rows(editor_client, colombia):
    small = _count_queries(editor_client, _build_detail(5, colombia).get_absolute_url())
    large_initiative = _build_detail(50, colombia)
    large = _count_queries(editor_client, large_initiative.get_absolute_url())
    assert small == large
    # 12, and the documents section (one query; tests/test_documents.py bounds it),
    # and the navigation bar's unread notifications. Of the 12, the initiative is
    # read twice: its heading, the access check of every request, kept content or
    # not (views.access.heading_of), and the whole record when the content is drawn.
    assert large <= 14
