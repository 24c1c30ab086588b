"""No lost updates: an edit form saves only over the version it was loaded from.

User A opens an edit form, user B saves a change, A submits: nothing is saved, the
page shows what B changed (field, before, after), keeps A's input and carries the
current version, so A's second submission (after reviewing) saves. The race itself
is run with two threads against PostgreSQL, where the row lock decides who wins.
"""

import datetime
import threading
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cooperation import services
from cooperation.concurrency import VERSION_FIELD, parse_version, version_token
from cooperation.models import (
    AssessmentMeeting,
    Initiative,
    Participation,
    Recommendation,
)
from cooperation.services import meetings as meeting_services
from tests import factories

pytestmark = pytest.mark.django_db

CONFLICT_MESSAGE = "Someone else changed this record while you were editing"
PERMISSIONS = [
    "change_initiative",
    "change_assessmentmeeting",
    "change_recommendation",
]


# ---------------------------------------------------------------------- helpers


def editor_named(username, first_name, nation):
    user = factories.UserFactory(
        username=username, first_name=first_name, last_name="Officer", nation=nation
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=PERMISSIONS))
    return user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _forms_on(context):
    """Every form the edit page rendered, management forms included."""
    forms = []
    for name in ("form", "release_form", "scope_form"):
        if context.get(name) is not None:
            forms.append(context[name])
    for name in ("formset", "agenda"):
        formset = context.get(name)
        if formset is not None:
            forms += [formset.management_form, *formset.forms]
    return forms


def _posted(value):
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def page_data(response):
    """What the page's form posts when the user changes nothing."""
    assert response.status_code == 200
    data = {}
    for form in _forms_on(response.context):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [_posted(item) for item in value]
            else:
                data[key] = _posted(value)
    return data


def conflict_on(response):
    assert response.status_code == 200
    return response.context["edit_conflict"]


def shown_changes(response):
    """(label, old, new) of every change the conflict page lists."""
    return [
        (change.label, change.old, change.new)
        for entry in conflict_on(response).changes
        for change in entry.changes
    ]


@pytest.fixture
def editors(colombia):
    return editor_named("ana", "Ana", colombia), editor_named(
        "bruno", "Bruno", colombia
    )


@pytest.fixture
def initiative(colombia, editors):
    record = factories.InitiativeFactory(
        title="Andean task force", objectives="Disrupt shipments.", owner=editors[0]
    )
    factories.ParticipationFactory(
        initiative=record, nation=colombia, role=Participation.Role.LEAD
    )
    return record


@pytest.fixture
def meeting(editors):
    record = factories.AssessmentMeetingFactory(
        title="Quarterly assessment", location="Bogotá"
    )
    factories.AgendaItemFactory(meeting=record, position=1, title="Opening")
    return record


@pytest.fixture
def recommendation(editors):
    return factories.RecommendationFactory(
        title="Share interdiction data", owner=editors[0]
    )


def initiative_url(record):
    return reverse("cooperation:initiative-edit", args=[record.pk])


def meeting_url(record):
    return reverse("cooperation:meeting-edit", args=[record.pk])


def recommendation_url(record):
    return reverse("cooperation:recommendation-edit", args=[record.reference])


# ------------------------------------------------------------- the version token


def test_edit_form_carries_the_version_it_was_loaded_from(initiative, editors):
    response = client_for(editors[0]).get(initiative_url(initiative))

    token = response.context["form"][VERSION_FIELD].value()
    assert token == version_token(initiative)
    assert parse_version(token) == initiative.version
    assert f'type="hidden" name="version" value="{token}"' in response.content.decode()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2026-01-01T10:00:00+00:00",  # a time, as versions were once carried
        "-1",
        "1.5",
        " 2",
        "\uff12",  # a digit, but not an ASCII one
        "9" * 11,
        "x" * 500,
    ],
)
def test_missing_or_malformed_versions_are_not_versions(value):
    assert parse_version(value) is None


def test_every_save_raises_the_version_and_its_history_row_carries_it(initiative):
    assert initiative.version == 1
    initiative.title = "Andean task force II"
    initiative.save()
    assert initiative.version == 2
    initiative.summary = "Only the summary."
    initiative.save(update_fields=["summary"])

    assert initiative.version == 3
    initiative.refresh_from_db()
    assert initiative.version == 3
    assert initiative.history.latest("history_date").version == 3


def test_two_copies_saved_from_one_version_never_share_a_number(initiative):
    """The database adds one to what it holds, not to what a copy read earlier, so a
    form loaded after the first save cannot pass for one loaded after the second."""
    first = Initiative.objects.get(pk=initiative.pk)
    second = Initiative.objects.get(pk=initiative.pk)
    first.save()
    second.save()

    assert (first.version, second.version) == (2, 3)
    initiative.refresh_from_db()
    assert initiative.version == 3


def test_meeting_and_recommendation_forms_render_the_version(
    meeting, recommendation, editors
):
    client = client_for(editors[0])
    for url, record in [
        (meeting_url(meeting), meeting),
        (recommendation_url(recommendation), recommendation),
    ]:
        content = client.get(url).content.decode()
        assert f'name="version" value="{version_token(record)}"' in content


# ------------------------------------------------------------------- initiatives


def test_initiative_edit_over_a_newer_version_shows_their_change_and_asks_again(
    initiative, editors
):
    ana, bruno = map(client_for, editors)
    loaded = page_data(ana.get(initiative_url(initiative)))

    theirs = page_data(bruno.get(initiative_url(initiative)))
    theirs["title"] = "Andean task force (renamed by Bruno)"
    assert bruno.post(initiative_url(initiative), theirs).status_code == 302

    mine = {**loaded, "objectives": "Disrupt shipments and seize assets."}
    response = ana.post(initiative_url(initiative), mine)

    initiative.refresh_from_db()
    assert initiative.title == "Andean task force (renamed by Bruno)"
    assert initiative.objectives == "Disrupt shipments."
    content = response.content.decode()
    assert CONFLICT_MESSAGE in content
    assert "Bruno Officer" in content
    assert (
        "title",
        "Andean task force",
        "Andean task force (renamed by Bruno)",
    ) in shown_changes(response)
    # Ana's input is kept, and the form now carries the current version.
    form = response.context["form"]
    assert form["objectives"].value() == "Disrupt shipments and seize assets."
    assert form["title"].value() == "Andean task force"
    assert form[VERSION_FIELD].value() == version_token(initiative)

    again = ana.post(initiative_url(initiative), page_data(response))

    assert again.status_code == 302
    initiative.refresh_from_db()
    assert initiative.objectives == "Disrupt shipments and seize assets."
    assert initiative.title == "Andean task force"


def test_conflict_lists_only_changes_newer_than_the_users_version(initiative, editors):
    ana, bruno = map(client_for, editors)
    first = page_data(bruno.get(initiative_url(initiative)))
    first["summary"] = "An older change, before Ana opened the form."
    assert bruno.post(initiative_url(initiative), first).status_code == 302
    loaded = page_data(ana.get(initiative_url(initiative)))
    second = page_data(bruno.get(initiative_url(initiative)))
    second["status"] = Initiative.Status.COMPLETION
    assert bruno.post(initiative_url(initiative), second).status_code == 302

    response = ana.post(initiative_url(initiative), loaded)

    labels = [label for label, _old, _new in shown_changes(response)]
    assert labels == ["status"]
    assert len(conflict_on(response).changes) == 1


@pytest.mark.parametrize(
    "token", [None, "", "garbled", "2001-01-01T00:00:00+00:00", "0", "99"]
)
def test_initiative_edit_without_a_valid_current_version_asks_again(
    initiative, editors, token
):
    ana = client_for(editors[0])
    data = page_data(ana.get(initiative_url(initiative)))
    data["title"] = "Renamed without a version"
    if token is None:
        del data[VERSION_FIELD]
    else:
        data[VERSION_FIELD] = token

    response = ana.post(initiative_url(initiative), data)

    assert CONFLICT_MESSAGE in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force"
    assert response.context["form"]["title"].value() == "Renamed without a version"
    again = ana.post(initiative_url(initiative), page_data(response))
    assert again.status_code == 302
    initiative.refresh_from_db()
    assert initiative.title == "Renamed without a version"


def test_initiative_edit_over_the_current_version_saves_at_once(initiative, editors):
    ana = client_for(editors[0])
    data = page_data(ana.get(initiative_url(initiative)))
    data["title"] = "Andean task force II"

    response = ana.post(initiative_url(initiative), data)

    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.title == "Andean task force II"


# ---------------------------------------------------------------------- meetings


def test_meeting_edit_over_a_newer_version_shows_their_change_and_asks_again(
    meeting, editors
):
    ana, bruno = map(client_for, editors)
    loaded = page_data(ana.get(meeting_url(meeting)))

    theirs = page_data(bruno.get(meeting_url(meeting)))
    theirs["location"] = "Brasília"
    assert bruno.post(meeting_url(meeting), theirs).status_code == 302

    mine = {**loaded, "title": "Quarterly assessment (Q3)", "agenda-0-title": "Welcome"}
    response = ana.post(meeting_url(meeting), mine)

    meeting.refresh_from_db()
    assert meeting.location == "Brasília"
    assert meeting.title == "Quarterly assessment"
    assert list(meeting.agenda_items.values_list("title", flat=True)) == ["Opening"]
    assert CONFLICT_MESSAGE in response.content.decode()
    assert ("location", "Bogotá", "Brasília") in shown_changes(response)
    assert response.context["form"]["title"].value() == "Quarterly assessment (Q3)"
    assert response.context["agenda"].forms[0]["title"].value() == "Welcome"

    again = ana.post(meeting_url(meeting), page_data(response))

    assert again.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Quarterly assessment (Q3)"
    assert list(meeting.agenda_items.values_list("title", flat=True)) == ["Welcome"]


def test_meeting_edit_with_a_garbled_version_asks_again_and_saves_nothing(
    meeting, editors
):
    ana = client_for(editors[0])
    data = page_data(ana.get(meeting_url(meeting)))
    data.update({"title": "Renamed", VERSION_FIELD: "not-a-version"})

    response = ana.post(meeting_url(meeting), data)

    assert CONFLICT_MESSAGE in response.content.decode()
    assert response.context["edit_conflict"].version_known is False
    meeting.refresh_from_db()
    assert meeting.title == "Quarterly assessment"


def test_stale_edit_of_following_occurrences_changes_none_of_them(editors, colombia):
    ana, bruno = editors
    ana.user_permissions.add(Permission.objects.get(codename="add_assessmentmeeting"))
    starts_at = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=7),
        datetime.time(10, 0),
        zoneinfo.ZoneInfo("America/Bogota"),
    )
    plan = meeting_services.meeting_plan(
        details=meeting_services.MeetingDetails(
            title="Border review",
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=1),
            time_zone="America/Bogota",
            location="Bogotá",
        ),
        acting_user=ana,
        repeat=meeting_services.Repeat(frequency="weekly", count=3),
    )
    series = meeting_services.meeting_create(plan=plan, acting_user=ana)[0].series
    first, second, third = series.occurrences.order_by("occurrence_number")
    ana_client, bruno_client = client_for(ana), client_for(bruno)
    loaded = page_data(ana_client.get(meeting_url(second)))
    theirs = page_data(bruno_client.get(meeting_url(second)))
    theirs["online_url"] = "https://meet.example.org/border"
    assert bruno_client.post(meeting_url(second), theirs).status_code == 302

    mine = {**loaded, "location": "Quito", "scope-scope": "following"}
    response = ana_client.post(meeting_url(second), mine)

    assert CONFLICT_MESSAGE in response.content.decode()
    locations = list(
        AssessmentMeeting.objects.filter(series=series)
        .order_by("occurrence_number")
        .values_list("location", flat=True)
    )
    assert locations == ["Bogotá", "Bogotá", "Bogotá"]
    assert response.context["scope_form"]["scope"].value() == "following"


# --------------------------------------------------------------- recommendations


def test_recommendation_edit_over_a_newer_version_shows_their_change_and_asks_again(
    recommendation, editors
):
    ana, bruno = map(client_for, editors)
    url = recommendation_url(recommendation)
    loaded = page_data(ana.get(url))

    theirs = page_data(bruno.get(url))
    theirs["priority"] = str(Recommendation.Priority.HIGH)
    assert bruno.post(url, theirs).status_code == 302

    mine = {**loaded, "title": "Share interdiction data within 24 hours"}
    response = ana.post(url, mine)

    recommendation.refresh_from_db()
    assert recommendation.priority == Recommendation.Priority.HIGH
    assert recommendation.title == "Share interdiction data"
    assert CONFLICT_MESSAGE in response.content.decode()
    assert ("priority", "Medium", "High") in shown_changes(response)
    form = response.context["form"]
    assert form["title"].value() == "Share interdiction data within 24 hours"

    again = ana.post(url, page_data(response))

    assert again.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.title == "Share interdiction data within 24 hours"


def test_recommendation_edit_without_a_version_asks_again(recommendation, editors):
    ana = client_for(editors[0])
    url = recommendation_url(recommendation)
    data = page_data(ana.get(url))
    del data[VERSION_FIELD]
    data["title"] = "Renamed"

    response = ana.post(url, data)

    assert CONFLICT_MESSAGE in response.content.decode()
    recommendation.refresh_from_db()
    assert recommendation.title == "Share interdiction data"


def test_recommendation_edit_after_a_status_change_asks_again(recommendation, editors):
    ana = client_for(editors[0])
    url = recommendation_url(recommendation)
    loaded = page_data(ana.get(url))
    services.recommendation_transition(
        recommendation=recommendation,
        acting_user=editors[1],
        to_status="accepted",
        note="Agreed at the plenary.",
        progress=None,
        expected_status="proposed",
    )

    response = ana.post(url, {**loaded, "title": "Renamed"})

    assert ("status", "Proposed", "Accepted") in shown_changes(response)
    recommendation.refresh_from_db()
    assert recommendation.title == "Share interdiction data"
    assert recommendation.status == "accepted"


# ----------------------------------------------------- concurrent saves (PostgreSQL)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL=postgres://…): SQLite has no "
    "SELECT … FOR UPDATE row locks and serialises whole-database writes",
)
def test_two_simultaneous_saves_of_one_version_let_exactly_one_win(colombia):
    ana = editor_named("ana", "Ana", colombia)
    bruno = editor_named("bruno", "Bruno", colombia)
    record = factories.InitiativeFactory(title="Race", owner=ana)
    factories.ParticipationFactory(
        initiative=record, nation=colombia, role=Participation.Role.LEAD
    )
    url = initiative_url(record)

    for attempt in range(5):
        record.refresh_from_db()
        loaded = page_data(client_for(ana).get(url))
        barrier = threading.Barrier(2)
        results = {}

        def post(user, title, loaded=loaded, barrier=barrier, results=results):
            try:
                client = Client()
                client.force_login(user)
                barrier.wait(timeout=10)
                response = client.post(url, {**loaded, "title": title})
                results[title] = (
                    response.status_code,
                    CONFLICT_MESSAGE in response.content.decode(),
                )
            finally:
                connection.close()

        titles = [f"Ana's title {attempt}", f"Bruno's title {attempt}"]
        threads = [
            threading.Thread(target=post, args=(user, title))
            for user, title in zip([ana, bruno], titles, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(results.values()) == [(200, True), (302, False)], attempt
        winner = next(title for title, (status, _) in results.items() if status == 302)
        record.refresh_from_db()
        assert record.title == winner
