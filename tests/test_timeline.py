"""A recommendation's one timeline: status changes, progress updates and comments,
the system entries stored as codes and shown in the reader's language."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cooperation import roles, services, timeline
from cooperation.models import Recommendation, RecommendationUpdate
from cooperation.services import notifications
from cooperation.services import recommendations as recommendation_services
from tests import factories

pytestmark = pytest.mark.django_db

Kind = RecommendationUpdate.Kind
Status = Recommendation.Status


def member(user, role):
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def owner(colombian_user):
    return member(colombian_user, roles.VIEWER)


@pytest.fixture
def editor(colombia):
    return member(
        factories.UserFactory(username="col-editor", nation=colombia), roles.EDITOR
    )


@pytest.fixture
def viewer(colombia):
    return member(
        factories.UserFactory(username="col-viewer", nation=colombia), roles.VIEWER
    )


@pytest.fixture
def brazilian_viewer(brazilian_user):
    return member(brazilian_user, roles.VIEWER)


@pytest.fixture
def recommendation(owner, colombia):
    return factories.RecommendationFactory(
        owner=owner,
        status=Status.IN_PROGRESS,
        progress=20,
        released_to_all=False,
        released_to=[colombia],
    )


def detail_url(recommendation):
    return reverse("cooperation:recommendation-detail", args=[recommendation.reference])


def progress_url(recommendation):
    return reverse(
        "cooperation:recommendation-progress", args=[recommendation.reference]
    )


def comment_url(recommendation):
    return reverse(
        "cooperation:recommendation-comment", args=[recommendation.reference]
    )


@pytest.fixture
def hooks(monkeypatch):
    """What the notification hooks were called with, in order."""
    calls = []
    for name in ("notify_assigned", "notify_status_changed", "notify_comment"):
        monkeypatch.setattr(
            notifications,
            name,
            lambda _name=name, **kwargs: calls.append((_name, kwargs)),
        )
    return calls


# ---------------------------------------------------------------------- services


def test_raising_stores_the_raised_code_and_only_what_the_person_wrote(
    superuser, colombia, hooks
):
    focus = factories.FocusAreaFactory()
    silent = services.recommendation_create(
        acting_user=superuser,
        title="Silent",
        description="d",
        focus_area=focus,
        owner=superuser,
        released_to_all=True,
    )
    noted = services.recommendation_create(
        acting_user=superuser,
        title="Noted",
        description="d",
        focus_area=focus,
        owner=superuser,
        released_to_all=True,
        note="  From the closing session.  ",
    )

    entry = silent.updates.get()
    assert (entry.kind, entry.code, entry.note) == (Kind.STATUS, "raised", "")
    entry = noted.updates.get()
    assert (entry.code, entry.note) == ("raised", "From the closing session.")
    assert [name for name, _ in hooks] == ["notify_assigned", "notify_assigned"]
    assert hooks[0][1]["recommendation"] == silent


def test_owner_posts_progress_without_changing_the_status(owner, recommendation, hooks):
    before = recommendation.updates.count()

    update = recommendation_services.recommendation_post_progress(
        recommendation=recommendation,
        progress=60,
        note="Two of three ports connected.",
        acting_user=owner,
    )

    recommendation.refresh_from_db()
    assert recommendation.status == Status.IN_PROGRESS
    assert recommendation.progress == 60
    assert recommendation.updates.count() == before + 1
    assert (update.kind, update.from_status, update.to_status, update.progress) == (
        Kind.PROGRESS,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        60,
    )
    assert update.author == owner
    assert update.history.get().history_user == owner
    assert hooks == [("notify_comment", {"update": update, "actor": owner})]


def test_an_editor_may_post_progress_but_another_viewer_may_not(
    editor, viewer, recommendation
):
    recommendation_services.recommendation_post_progress(
        recommendation=recommendation, progress=30, note="Done.", acting_user=editor
    )

    with pytest.raises(PermissionDenied):
        recommendation_services.recommendation_post_progress(
            recommendation=recommendation, progress=90, note="No.", acting_user=viewer
        )
    recommendation.refresh_from_db()
    assert recommendation.progress == 30


def test_progress_is_refused_on_a_closed_recommendation(owner, recommendation):
    recommendation.status = Status.IMPLEMENTED
    recommendation.save()

    with pytest.raises(ValidationError) as refused:
        recommendation_services.recommendation_post_progress(
            recommendation=recommendation, progress=50, note="x", acting_user=owner
        )

    assert refused.value.code == "not_open"
    assert not recommendation.updates.filter(kind=Kind.PROGRESS).exists()


@pytest.mark.parametrize(
    ("progress", "note", "field"),
    [(101, "ok", "progress"), (50, "   ", "note"), (50, "x" * 5001, "note")],
)
def test_progress_needs_a_percentage_and_a_note(
    owner, recommendation, progress, note, field
):
    with pytest.raises(ValidationError) as refused:
        recommendation_services.recommendation_post_progress(
            recommendation=recommendation,
            progress=progress,
            note=note,
            acting_user=owner,
        )

    assert field in refused.value.error_dict
    recommendation.refresh_from_db()
    assert recommendation.progress == 20


def test_a_viewer_comments_and_nothing_else_changes(viewer, recommendation, hooks):
    update = recommendation_services.recommendation_comment(
        recommendation=recommendation, note="Which ports?", acting_user=viewer
    )

    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.progress) == (Status.IN_PROGRESS, 20)
    assert (update.kind, update.note, update.author) == (
        Kind.COMMENT,
        "Which ports?",
        viewer,
    )
    assert hooks == [("notify_comment", {"update": update, "actor": viewer})]


def test_a_comment_on_a_withheld_recommendation_is_refused(
    brazilian_viewer, recommendation
):
    with pytest.raises(PermissionDenied):
        recommendation_services.recommendation_comment(
            recommendation=recommendation, note="Hello", acting_user=brazilian_viewer
        )
    assert not recommendation.updates.filter(kind=Kind.COMMENT).exists()


@pytest.mark.parametrize("note", ["", "  \n ", "x" * 5001])
def test_a_comment_needs_a_note_of_at_most_5000_characters(
    viewer, recommendation, note
):
    with pytest.raises(ValidationError) as refused:
        recommendation_services.recommendation_comment(
            recommendation=recommendation, note=note, acting_user=viewer
        )
    assert "note" in refused.value.error_dict


def test_a_status_change_calls_the_status_hook(editor, recommendation, hooks):
    update = services.recommendation_transition(
        recommendation=recommendation,
        acting_user=editor,
        to_status=Status.IMPLEMENTED,
        note="All ports connected.",
    )

    assert [name for name, _ in hooks] == ["notify_status_changed"]
    assert hooks[0][1]["update"] == update
    assert hooks[0][1]["actor"] == editor


def test_a_new_owner_calls_the_assigned_hook_and_an_unchanged_one_does_not(
    superuser, editor, recommendation, hooks
):
    recommendation.title = "Retitled"
    services.recommendation_update(
        recommendation=recommendation, version=None, acting_user=superuser
    )
    assert hooks == []

    recommendation.owner = editor
    services.recommendation_update(
        recommendation=recommendation, version=None, acting_user=superuser
    )
    assert [name for name, _ in hooks] == ["notify_assigned"]


# ------------------------------------------------------------------- migration


def test_the_migration_turns_the_old_system_sentences_into_codes(recommendation):
    author = recommendation.owner
    english, spanish, person = (
        factories.RecommendationUpdateFactory(
            recommendation=recommendation, author=author, note=note
        )
        for note in (
            "Recommendation raised.",
            "Recomendación formulada.",
            "Recommendation raised. Then more.",
        )
    )
    migration = importlib.import_module("cooperation.migrations.0020_timeline_codes")

    migration.notes_to_codes(django_apps, None)

    for entry in (english, spanish, person):
        entry.refresh_from_db()
    assert (english.code, english.note) == ("raised", "")
    assert (spanish.code, spanish.note) == ("raised", "")
    assert (person.code, person.note) == ("", "Recommendation raised. Then more.")

    migration.codes_to_notes(django_apps, None)
    english.refresh_from_db()
    assert english.note == "Recommendation raised."


def test_the_migration_knows_every_code_the_portal_writes():
    migration = importlib.import_module("cooperation.migrations.0020_timeline_codes")
    assert migration.LEGACY_NOTES == timeline.LEGACY_NOTES
    assert set(timeline.SYSTEM_TEXT) == set(timeline.LEGACY_NOTES)


# ------------------------------------------------------------------------ pages


def test_the_page_shows_one_timeline_of_every_kind_in_order(
    client, owner, viewer, recommendation
):
    start = timezone.now() - datetime.timedelta(days=3)
    for days, kind, note, code in [
        (0, Kind.STATUS, "", "raised"),
        (1, Kind.PROGRESS, "Half way there.", ""),
        (2, Kind.COMMENT, "Which ports?", ""),
    ]:
        factories.RecommendationUpdateFactory(
            recommendation=recommendation,
            author=owner,
            kind=kind,
            note=note,
            code=code,
            created_at=start + datetime.timedelta(days=days),
        )
    client.force_login(viewer)

    response = client.get(detail_url(recommendation))

    body = response.content.decode()
    assert response.status_code == 200
    assert [u.kind for u in response.context["updates"]] == [
        "status",
        "progress",
        "comment",
    ]
    assert (
        body.index("Recommendation raised.")
        < body.index("Half way there.")
        < body.index("Which ports?")
    )
    assert "timeline-progress" in body and "timeline-comment" in body
    # A Viewer who does not own it may comment but not post progress.
    assert 'id="comment-heading"' in body
    assert 'id="progress-heading"' not in body


def test_the_owner_sees_the_progress_form(client, owner, recommendation):
    client.force_login(owner)
    body = client.get(detail_url(recommendation)).content.decode()
    assert 'id="progress-heading"' in body


@pytest.mark.parametrize(
    ("language", "text"),
    [("es", "Recomendación formulada."), ("pt-br", "Recomendação emitida.")],
)
def test_a_system_entry_is_shown_in_the_readers_language(
    client, owner, viewer, recommendation, language, text
):
    factories.RecommendationUpdateFactory(
        recommendation=recommendation, author=owner, note="", code="raised"
    )
    viewer.language = language
    viewer.save()
    client.force_login(viewer)

    body = client.get(detail_url(recommendation)).content.decode()

    assert text in body
    assert "Recommendation raised." not in body


def test_the_timeline_shows_the_latest_entries_and_counts_the_others(
    client, owner, recommendation, monkeypatch
):
    monkeypatch.setattr(timeline, "TIMELINE_ROWS", 3)
    monkeypatch.setattr(timeline.timeline, "__kwdefaults__", {"limit": 3})
    start = timezone.now() - datetime.timedelta(days=10)
    for day in range(5):
        factories.RecommendationUpdateFactory(
            recommendation=recommendation,
            author=owner,
            kind=Kind.COMMENT,
            note=f"Comment number {day}",
            created_at=start + datetime.timedelta(days=day),
        )
    client.force_login(owner)

    response = client.get(detail_url(recommendation))

    notes = [u.note for u in response.context["updates"]]
    assert notes == ["Comment number 2", "Comment number 3", "Comment number 4"]
    assert response.context["hidden_updates"] == 2
    assert "2 earlier entries are not shown" in response.content.decode()


def test_posting_progress_redirects_to_the_page(client, owner, recommendation):
    client.force_login(owner)

    response = client.post(
        progress_url(recommendation), {"progress": "70", "note": "Most ports."}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(recommendation)
    recommendation.refresh_from_db()
    assert recommendation.progress == 70
    page = client.get(response["Location"]).content.decode()
    assert "Most ports." in page


def test_invalid_progress_answers_400_with_the_form(client, owner, recommendation):
    client.force_login(owner)

    response = client.post(
        progress_url(recommendation), {"progress": "140", "note": ""}
    )

    assert response.status_code == 400
    form = response.context["progress_form"]
    assert set(form.errors) == {"progress", "note"}
    assert "The progress update was not posted" in response.content.decode()
    recommendation.refresh_from_db()
    assert recommendation.progress == 20


def test_progress_on_a_closed_recommendation_answers_400_with_the_reason(
    client, owner, recommendation
):
    recommendation.status = Status.REJECTED
    recommendation.save()
    client.force_login(owner)

    response = client.post(
        progress_url(recommendation), {"progress": "50", "note": "x"}
    )

    assert response.status_code == 400
    assert "only while a recommendation is open" in response.content.decode()


def test_a_viewer_who_does_not_own_it_may_not_post_progress(
    client, viewer, recommendation
):
    client.force_login(viewer)

    response = client.post(
        progress_url(recommendation), {"progress": "50", "note": "x"}
    )

    assert response.status_code == 403
    assert not recommendation.updates.filter(kind=Kind.PROGRESS).exists()


def test_a_viewer_comments_through_the_page(client, viewer, recommendation):
    client.force_login(viewer)

    response = client.post(comment_url(recommendation), {"note": "Which ports?"})

    assert response.status_code == 302
    assert response["Location"].startswith(detail_url(recommendation))
    assert recommendation.updates.get(kind=Kind.COMMENT).author == viewer


def test_an_empty_comment_answers_400(client, viewer, recommendation):
    client.force_login(viewer)

    response = client.post(comment_url(recommendation), {"note": "  "})

    assert response.status_code == 400
    assert "note" in response.context["comment_form"].errors
    assert not recommendation.updates.filter(kind=Kind.COMMENT).exists()


@pytest.mark.parametrize("url", [comment_url, progress_url])
def test_writing_on_a_withheld_recommendation_answers_404(
    client, brazilian_viewer, recommendation, url
):
    client.force_login(brazilian_viewer)

    response = client.post(url(recommendation), {"note": "Hello", "progress": "50"})

    assert response.status_code == 404
    assert recommendation.updates.count() == 0


def test_the_timeline_writes_answer_post_only(client, viewer, recommendation):
    client.force_login(viewer)
    assert client.get(comment_url(recommendation)).status_code == 405
    assert client.get(progress_url(recommendation)).status_code == 405


# ------------------------------------------------------------------- query pins


def test_posting_progress_runs_its_pinned_queries(
    owner, recommendation, hooks, django_assert_num_queries
):
    # Savepoint pair, lock the row, the update's foreign keys (2) and its check
    # (in a savepoint pair: 3), its INSERT and history row, the row's UPDATE and its
    # history, the read back of its generated column, its releasability copied to
    # the history (2).
    with django_assert_num_queries(PROGRESS_QUERIES):
        recommendation_services.recommendation_post_progress(
            recommendation=recommendation,
            progress=50,
            note="Half way.",
            acting_user=owner,
        )


def test_commenting_runs_its_pinned_queries(
    viewer, recommendation, hooks, django_assert_num_queries
):
    viewer.has_perm("cooperation.view_recommendation")  # permissions read once
    # Savepoint pair, the releasability check, the update's foreign keys (2) and
    # its check (in a savepoint pair: 3), its INSERT and its history row.
    with django_assert_num_queries(COMMENT_QUERIES):
        recommendation_services.recommendation_comment(
            recommendation=recommendation, note="Which ports?", acting_user=viewer
        )


PROGRESS_QUERIES = 2 + 1 + 2 + 3 + 2 + 2 + 1 + 2
COMMENT_QUERIES = 2 + 1 + 2 + 3 + 2
