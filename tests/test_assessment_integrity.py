"""A nation's situation assessments belong to that nation, lock with the published
minutes of their meeting, and count only once final.

Users get their permissions from the portal's roles (``cooperation.roles``), as in
production: a Colombian and a Brazilian Editor, and a Coordinator of a third nation
who may act for any nation and correct what publishing locked.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cooperation import roles
from cooperation.forms.meetings import SituationAssessmentForm
from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    InitiativeEvaluation,
    SituationAssessment,
)
from cooperation.services import assessments as assessment_services
from cooperation.services import meetings as meeting_services
from tests import factories

pytestmark = pytest.mark.django_db

FINAL_BEFORE_MEETING = "This meeting has not started yet"
REASON_REQUIRED = "say why you correct this record"


def with_roles(user, *names):
    user.groups.add(*Group.objects.filter(name__in=names))
    return user


def meeting_at(starts, **kwargs):
    return factories.AssessmentMeetingFactory(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), **kwargs
    )


def held_meeting(**kwargs):
    """A meeting that took place yesterday: its assessments may be final."""
    return meeting_at(
        timezone.now() - datetime.timedelta(days=1),
        status=AssessmentMeeting.Status.HELD,
        **kwargs,
    )


def assessment_data(nation, focus_area, **overrides):
    return {
        "nation": str(nation.pk),
        "focus_area": str(focus_area.pk),
        "primary_concern": "Cocaine",
        "trend": "increasing",
        "threat_level": "3",
        "summary": "Production rising, higher export levels.",
        **overrides,
    }


def form_data(assessment, **overrides):
    """The POST data of ``assessment`` as its edit form shows it."""
    data = assessment_data(
        assessment.nation,
        assessment.focus_area,
        primary_concern=assessment.primary_concern,
        trend=assessment.trend,
        threat_level=str(assessment.threat_level),
        summary=assessment.summary,
    )
    if assessment.is_draft:
        data["is_draft"] = "on"
    data.update(overrides)
    return data


def evaluation_data(evaluation, **overrides):
    return {
        "initiative": str(evaluation.initiative_id),
        "rating": evaluation.rating,
        "findings": evaluation.findings,
        **overrides,
    }


def create_url(meeting):
    return reverse("cooperation:assessment-create", args=[meeting.pk])


def edit_url(assessment):
    return reverse(
        "cooperation:assessment-edit", args=[assessment.meeting_id, assessment.pk]
    )


def evaluation_urls(meeting, evaluation):
    return (
        reverse("cooperation:evaluation-create", args=[meeting.pk]),
        reverse("cooperation:evaluation-edit", args=[meeting.pk, evaluation.pk]),
    )


def snapshot(assessment):
    """What a refused write must leave untouched: the row and its history."""
    row = SituationAssessment.objects.get(pk=assessment.pk)
    return (
        row.nation_id,
        row.threat_level,
        row.trend,
        row.is_draft,
        row.history.count(),
    )


@pytest.fixture
def colombian_editor(colombian_user):
    return with_roles(colombian_user, roles.EDITOR)


@pytest.fixture
def brazilian_editor(brazilian_user):
    return with_roles(brazilian_user, roles.EDITOR)


@pytest.fixture
def coordinator(united_states):
    user = factories.UserFactory(username="us-coordinator", nation=united_states)
    return with_roles(user, roles.COORDINATOR)


@pytest.fixture
def focus():
    return factories.FocusAreaFactory(name="Cocaine", slug="cocaine")


@pytest.fixture
def meeting(colombia, brazil):
    meeting = held_meeting(title="Andean review", minutes="Agreed on radar data.")
    meeting.nations.set([colombia, brazil])
    return meeting


@pytest.fixture
def colombian_assessment(meeting, colombia, focus):
    return factories.SituationAssessmentFactory(
        meeting=meeting, nation=colombia, focus_area=focus, threat_level=2
    )


@pytest.fixture
def brazilian_assessment(meeting, brazil, focus):
    return factories.SituationAssessmentFactory(
        meeting=meeting, nation=brazil, focus_area=focus, threat_level=2
    )


# -------------------------------------------------------- a nation's own assessment


def test_editor_may_neither_open_nor_change_another_nations_assessment(
    client, colombian_editor, brazilian_editor, brazilian_assessment
):
    url = edit_url(brazilian_assessment)
    before = snapshot(brazilian_assessment)
    client.force_login(colombian_editor)

    assert client.get(url).status_code == 403
    forged = form_data(brazilian_assessment, threat_level="4", trend="stable")
    assert client.post(url, forged).status_code == 403
    # Nor by moving it to their own nation.
    moved = form_data(brazilian_assessment, nation=str(colombian_editor.nation_id))
    assert client.post(url, moved).status_code == 403
    assert snapshot(brazilian_assessment) == before

    # Brazil's own editor may.
    client.force_login(brazilian_editor)
    assert client.get(url).status_code == 200
    assert client.post(url, forged).status_code == 302
    brazilian_assessment.refresh_from_db()
    assert (brazilian_assessment.threat_level, brazilian_assessment.trend) == (
        4,
        "stable",
    )


def test_editor_changes_their_own_nations_assessment_and_history_names_them(
    client, colombian_editor, colombian_assessment
):
    url = edit_url(colombian_assessment)
    client.force_login(colombian_editor)

    assert client.get(url).status_code == 200
    response = client.post(url, form_data(colombian_assessment, threat_level="3"))

    assert response.status_code == 302
    assert response["Location"].endswith(f"#assessment-{colombian_assessment.pk}")
    colombian_assessment.refresh_from_db()
    assert colombian_assessment.threat_level == 3
    latest = colombian_assessment.history.first()
    assert (latest.history_type, latest.history_user) == ("~", colombian_editor)


def test_coordinator_changes_any_nations_assessment(
    client, coordinator, colombian_assessment, brazilian_assessment
):
    client.force_login(coordinator)

    for assessment in (colombian_assessment, brazilian_assessment):
        assert client.get(edit_url(assessment)).status_code == 200
        response = client.post(
            edit_url(assessment), form_data(assessment, threat_level="4")
        )
        assert response.status_code == 302
        assessment.refresh_from_db()
        assert assessment.threat_level == 4
        assert assessment.history.first().history_user == coordinator


def test_editor_recording_another_nations_assessment_gets_an_error_on_nation(
    client, colombian_editor, meeting, colombia, brazil, focus
):
    client.force_login(colombian_editor)

    refused = client.post(create_url(meeting), assessment_data(brazil, focus))

    assert refused.status_code == 400
    assert "nation" in refused.context["form"].errors
    assert not SituationAssessment.objects.exists()

    accepted = client.post(create_url(meeting), assessment_data(colombia, focus))

    assert accepted.status_code == 302
    assessment = SituationAssessment.objects.get()
    assert (assessment.meeting, assessment.nation) == (meeting, colombia)
    (row,) = assessment.history.all()
    assert (row.history_type, row.history_user) == ("+", colombian_editor)
    assert row.history_change_reason is None


def test_create_form_offers_an_editor_their_own_nation_and_a_coordinator_all(
    client, colombian_editor, coordinator, meeting, colombia, brazil, united_states
):
    client.force_login(colombian_editor)
    form = client.get(create_url(meeting)).context["form"]
    assert list(form.fields["nation"].queryset) == [colombia]
    assert form["nation"].value() == colombia.pk
    assert "reason" not in form.fields

    client.force_login(coordinator)
    form = client.get(create_url(meeting)).context["form"]
    assert list(form.fields["nation"].queryset) == [brazil, colombia, united_states]
    assert form["nation"].value() is None


def test_meeting_page_offers_an_editor_only_their_own_nations_rows(
    client, colombian_editor, coordinator, meeting, colombia, brazil, focus
):
    brazilian = factories.SituationAssessmentFactory(
        meeting=meeting, nation=brazil, focus_area=focus
    )
    record = create_url(meeting)

    client.force_login(colombian_editor)
    response = client.get(meeting.get_absolute_url())
    page = response.content.decode()
    assert response.context["unassessed_nations"] == [colombia]
    assert f"{record}?nation=CO" in page
    assert f"{record}?nation=BR" not in page
    assert edit_url(brazilian) not in page
    assert [a.can_edit for a in response.context["assessments"]] == [False]

    client.force_login(coordinator)
    response = client.get(meeting.get_absolute_url())
    assert response.context["unassessed_nations"] == [colombia]
    assert edit_url(brazilian) in response.content.decode()


# --------------------------------------------------- locked by published minutes


def publish(meeting, user):
    meeting_services.meeting_publish_minutes(meeting=meeting, acting_user=user)
    meeting.refresh_from_db()


def test_published_minutes_lock_assessments_and_evaluations_for_an_editor(
    client, colombian_editor, coordinator, meeting, colombia, colombian_assessment
):
    evaluation = factories.InitiativeEvaluationFactory(meeting=meeting)
    new_evaluation = factories.InitiativeFactory()
    evaluation_create, evaluation_edit = evaluation_urls(meeting, evaluation)
    links = [
        create_url(meeting),
        edit_url(colombian_assessment),
        evaluation_create,
        evaluation_edit,
    ]
    client.force_login(colombian_editor)
    # Before: the editor may record and change both.
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert all(link in page for link in links)
    assert all(client.get(link).status_code == 200 for link in links)

    publish(meeting, coordinator)
    before = (snapshot(colombian_assessment), evaluation.history.count())

    for link in links:
        assert client.get(link).status_code == 403
    posts = {
        create_url(meeting): assessment_data(
            colombia, factories.FocusAreaFactory(), reason="Forgot it."
        ),
        edit_url(colombian_assessment): form_data(
            colombian_assessment, threat_level="4", reason="Worse."
        ),
        evaluation_create: evaluation_data(
            evaluation, initiative=str(new_evaluation.pk), reason="Late."
        ),
        evaluation_edit: evaluation_data(evaluation, rating="off_track", reason="x"),
    }
    for link, data in posts.items():
        assert client.post(link, data).status_code == 403
    assert SituationAssessment.objects.count() == 1
    assert InitiativeEvaluation.objects.count() == 1
    evaluation.refresh_from_db()
    assert evaluation.rating == "on_track"
    assert (snapshot(colombian_assessment), evaluation.history.count()) == before

    response = client.get(meeting.get_absolute_url())
    page = response.content.decode()
    assert not any(link in page for link in links)
    assert "Record a situation assessment" not in page
    assert "Evaluate an initiative" not in page
    assert not response.context["can_record_assessment"]
    assert not response.context["any_assessment_editable"]


def test_coordinator_corrects_a_locked_assessment_only_with_a_reason(
    client, coordinator, meeting, colombian_assessment
):
    publish(meeting, coordinator)
    url = edit_url(colombian_assessment)
    client.force_login(coordinator)

    page = client.get(meeting.get_absolute_url()).content.decode()
    assert f'<a href="{url}">Correct<' in page
    assert "Record a situation assessment" in page
    form = client.get(url).context["form"]
    assert form.fields["reason"].required
    before = snapshot(colombian_assessment)

    refused = client.post(url, form_data(colombian_assessment, threat_level="4"))

    assert refused.status_code == 400
    assert refused.context["form"].errors["reason"] == [
        str(assessment_services.REASON_REQUIRED)
    ]
    assert snapshot(colombian_assessment) == before

    reason = "The Colombian delegation sent the corrected figures."
    response = client.post(
        url, form_data(colombian_assessment, threat_level="4", reason=reason)
    )

    assert response.status_code == 302
    colombian_assessment.refresh_from_db()
    assert colombian_assessment.threat_level == 4
    latest, previous = colombian_assessment.history.all()[:2]
    assert (latest.threat_level, latest.history_change_reason) == (4, reason)
    assert latest.history_user == coordinator
    assert previous.threat_level == 2
    page = client.get(response["Location"]).content.decode()
    assert "Situation assessment of Colombia corrected." in page


def test_coordinator_corrects_a_locked_evaluation_only_with_a_reason(
    client, coordinator, meeting
):
    evaluation = factories.InitiativeEvaluationFactory(meeting=meeting)
    publish(meeting, coordinator)
    _create, url = evaluation_urls(meeting, evaluation)
    client.force_login(coordinator)
    assert f'<a href="{url}">Correct<' in (
        client.get(meeting.get_absolute_url()).content.decode()
    )

    refused = client.post(url, evaluation_data(evaluation, rating="off_track"))

    assert refused.status_code == 400
    assert "reason" in refused.context["form"].errors
    evaluation.refresh_from_db()
    assert evaluation.rating == "on_track"

    response = client.post(
        url, evaluation_data(evaluation, rating="off_track", reason="Funding stopped.")
    )

    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.rating == "off_track"
    latest, previous = evaluation.history.all()[:2]
    assert latest.history_change_reason == "Funding stopped."
    assert previous.rating == "on_track"


def test_minutes_published_while_a_form_is_being_saved_is_a_form_error(
    client, coordinator, meeting, colombian_assessment, monkeypatch
):
    """Publishing between the form's validation and the service's lock: the
    service asks for a reason the form did not have, and the page says so."""
    original = SituationAssessmentForm.is_valid

    def published_meanwhile(form):
        valid = original(form)
        publish(meeting, coordinator)
        return valid

    monkeypatch.setattr(SituationAssessmentForm, "is_valid", published_meanwhile)
    client.force_login(coordinator)
    before = snapshot(colombian_assessment)

    response = client.post(
        edit_url(colombian_assessment),
        form_data(colombian_assessment, threat_level="4"),
    )

    assert response.status_code == 400
    assert response.context["form"].errors
    assert snapshot(colombian_assessment) == before


# ---------------------------------------------------------------------- drafts


def test_final_assessment_before_the_meeting_starts_is_refused_a_draft_accepted(
    client, colombian_editor, colombia, focus
):
    tomorrow = meeting_at(timezone.now() + datetime.timedelta(days=1))
    url = create_url(tomorrow)
    client.force_login(colombian_editor)
    assert client.get(url).context["form"]["is_draft"].value() is True

    refused = client.post(url, assessment_data(colombia, focus))

    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert set(errors) == {"is_draft"}
    assert FINAL_BEFORE_MEETING in errors["is_draft"][0]
    assert not SituationAssessment.objects.exists()

    accepted = client.post(url, assessment_data(colombia, focus, is_draft="on"))

    assert accepted.status_code == 302
    assert SituationAssessment.objects.get().is_draft
    # A meeting already held takes a final one, and its form does not suggest a draft.
    held = held_meeting()
    assert client.get(create_url(held)).context["form"]["is_draft"].value() is False
    response = client.post(create_url(held), assessment_data(colombia, focus))
    assert response.status_code == 302
    assert SituationAssessment.objects.filter(meeting=held, is_draft=False).exists()


def test_a_draft_is_on_its_meeting_page_but_not_on_the_nation_page_or_chart(
    client, colombian_editor, brazilian_editor, colombia, focus
):
    final = factories.SituationAssessmentFactory(
        meeting=held_meeting(title="Held review"),
        nation=colombia,
        focus_area=focus,
        primary_concern="Final concern",
    )
    upcoming = meeting_at(
        timezone.now() + datetime.timedelta(days=1), title="Upcoming review"
    )
    draft = factories.SituationAssessmentFactory(
        meeting=upcoming,
        nation=colombia,
        focus_area=focus,
        primary_concern="Draft concern",
        is_draft=True,
    )
    nation_url = reverse("cooperation:nation-detail", args=["CO"])

    # Not even its author sees a draft as the nation's assessment.
    for user in (colombian_editor, brazilian_editor):
        client.force_login(user)
        response = client.get(nation_url)
        assert response.context["assessments"] == [final]
        points = [p for chart in response.context["charts"] for p in chart.points]
        assert len(points) == 1
        assert "Held review" in str(points[0].label)
        page = response.content.decode()
        assert "Final concern" in page
        assert "Draft concern" not in page

        response = client.get(upcoming.get_absolute_url())
        assert response.context["assessments"] == [draft]
        page = response.content.decode()
        assert "Draft concern" in page
        assert '<span class="badge text-bg-secondary">Draft</span>' in page

    # Marked final once the meeting has been held, it counts.
    AssessmentMeeting.objects.filter(pk=upcoming.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    draft.refresh_from_db()
    client.force_login(colombian_editor)
    response = client.post(edit_url(draft), form_data(draft, is_draft=""))
    assert response.status_code == 302
    assert client.get(nation_url).context["assessments"] == [draft, final]


# ---------------------------------------------------------------- the service


def test_service_refuses_a_foreign_nation(colombian_editor, meeting, brazil, focus):
    new = SituationAssessment(
        meeting=meeting,
        nation=brazil,
        focus_area=focus,
        primary_concern="Cocaine",
        trend="stable",
        threat_level=3,
        summary="Steady.",
    )
    with pytest.raises(PermissionDenied):
        assessment_services.assessment_save(
            assessment=new, acting_user=colombian_editor
        )
    assert not SituationAssessment.objects.exists()


def test_service_refuses_changing_or_taking_over_a_foreign_assessment(
    colombian_editor, brazilian_editor, brazilian_assessment, colombia
):
    before = snapshot(brazilian_assessment)
    changed = SituationAssessment.objects.get(pk=brazilian_assessment.pk)
    changed.threat_level = 4
    with pytest.raises(PermissionDenied):
        assessment_services.assessment_save(
            assessment=changed, acting_user=colombian_editor
        )
    taken = SituationAssessment.objects.get(pk=brazilian_assessment.pk)
    taken.nation = colombia
    with pytest.raises(PermissionDenied):
        assessment_services.assessment_save(
            assessment=taken, acting_user=colombian_editor
        )
    assert snapshot(brazilian_assessment) == before

    changed = SituationAssessment.objects.get(pk=brazilian_assessment.pk)
    changed.threat_level = 4
    assessment_services.assessment_save(
        assessment=changed, acting_user=brazilian_editor
    )
    brazilian_assessment.refresh_from_db()
    assert brazilian_assessment.threat_level == 4
    assert brazilian_assessment.history.first().history_user == brazilian_editor


def test_service_refuses_a_locked_meeting_without_permission_or_reason(
    colombian_editor, coordinator, meeting, colombian_assessment
):
    publish(meeting, coordinator)
    before = snapshot(colombian_assessment)

    def changed():
        assessment = SituationAssessment.objects.get(pk=colombian_assessment.pk)
        assessment.threat_level = 4
        return assessment

    with pytest.raises(PermissionDenied):
        assessment_services.assessment_save(
            assessment=changed(), acting_user=colombian_editor, reason="Worse."
        )
    with pytest.raises(ValidationError) as excinfo:
        assessment_services.assessment_save(
            assessment=changed(), acting_user=coordinator, reason="   "
        )
    assert set(excinfo.value.message_dict) == {"reason"}
    assert snapshot(colombian_assessment) == before

    assessment_services.assessment_save(
        assessment=changed(), acting_user=coordinator, reason="New figures."
    )
    latest = colombian_assessment.history.first()
    assert (latest.threat_level, latest.history_change_reason) == (4, "New figures.")


def test_service_refuses_moving_an_assessment_out_of_a_locked_meeting(
    colombian_editor, coordinator, meeting, colombian_assessment
):
    # The lock is the meeting the record was recorded at, not the one it is moved
    # to: an assessment stays at its meeting, for everyone.
    publish(meeting, coordinator)
    before = snapshot(colombian_assessment)
    moved = SituationAssessment.objects.get(pk=colombian_assessment.pk)
    moved.meeting = held_meeting()
    moved.threat_level = 4

    for user in (colombian_editor, coordinator):
        with pytest.raises(ValidationError) as refused:
            assessment_services.assessment_save(
                assessment=moved, acting_user=user, reason="Moved."
            )
        assert refused.value.error_dict["meeting"][0].code == "moved"

    assert snapshot(colombian_assessment) == before
    assert SituationAssessment.objects.get(pk=colombian_assessment.pk).meeting == (
        meeting
    )


def test_service_records_a_new_assessment_in_a_fixed_number_of_queries(
    django_assert_num_queries, colombian_editor, meeting, colombia, focus
):
    new = SituationAssessment(
        meeting=meeting,
        nation=colombia,
        focus_area=focus,
        primary_concern="Cocaine",
        trend="stable",
        threat_level=3,
        summary="Steady.",
    )
    colombian_editor.get_all_permissions()  # the request has them loaded already
    # 12 before secondary concerns; now also the primary concern it would make
    # secondary, the one-primary check (in a savepoint pair) and the concern's
    # uniqueness: see tests/test_service_budget.py.
    with django_assert_num_queries(16):
        assessment_services.assessment_save(
            assessment=new, acting_user=colombian_editor
        )
    assert new.history.get().history_user == colombian_editor


# ---------------------------------------------------------------------- the admin


def admin_change_url(assessment):
    return reverse("admin:cooperation_situationassessment_change", args=[assessment.pk])


def admin_data(assessment, **overrides):
    data = {
        "meeting": str(assessment.meeting_id),
        "nation": str(assessment.nation_id),
        "focus_area": str(assessment.focus_area_id),
        "primary_concern": assessment.primary_concern,
        "trend": assessment.trend,
        "threat_level": str(assessment.threat_level),
        "summary": assessment.summary,
        "reason": "",
        "_save": "Save",
    }
    for flag in ("is_primary", "is_draft"):
        if getattr(assessment, flag):
            data[flag] = "on"
    data.update(overrides)
    return data


def test_admin_shows_another_nations_assessment_read_only_to_a_staff_editor(
    client, colombian_editor, colombian_assessment, brazilian_assessment
):
    colombian_editor.is_staff = True
    colombian_editor.save()
    client.force_login(colombian_editor)
    foreign = admin_change_url(brazilian_assessment)
    before = snapshot(brazilian_assessment)

    response = client.get(foreign)

    # A user who may view but not change gets Django's read-only change page.
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert "adminform" in response.context
    assert 'name="_save"' not in response.content.decode()
    response = client.post(foreign, admin_data(brazilian_assessment, threat_level="4"))
    assert response.status_code == 403
    assert snapshot(brazilian_assessment) == before

    # Their own nation's assessment they change, in their own name.
    own = admin_change_url(colombian_assessment)
    assert client.get(own).context["has_change_permission"]
    response = client.post(own, admin_data(colombian_assessment, threat_level="3"))
    assert response.status_code == 302
    colombian_assessment.refresh_from_db()
    assert colombian_assessment.threat_level == 3
    assert colombian_assessment.history.first().history_user == colombian_editor


def test_admin_correction_of_a_locked_assessment_needs_a_reason(
    admin_client, superuser, coordinator, meeting, colombian_assessment
):
    publish(meeting, coordinator)
    url = admin_change_url(colombian_assessment)
    before = snapshot(colombian_assessment)

    response = admin_client.post(
        url, admin_data(colombian_assessment, threat_level="4")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"reason"}
    assert REASON_REQUIRED in errors["reason"][0]
    assert snapshot(colombian_assessment) == before

    response = admin_client.post(
        url,
        admin_data(colombian_assessment, threat_level="4", reason="Typo in minutes."),
    )

    assert response.status_code == 302
    latest, previous = colombian_assessment.history.all()[:2]
    assert (latest.threat_level, latest.history_change_reason) == (
        4,
        "Typo in minutes.",
    )
    assert latest.history_user == superuser
    assert previous.threat_level == 2


# --------------------------------------------------------------------- the series


def test_series_counts_and_links_only_occurrences_released_to_the_reader(
    client, brazilian_user, colombian_user, colombia
):
    series = factories.MeetingSeriesFactory(count=3)
    start = timezone.now() + datetime.timedelta(days=7)
    first, second, third = (
        meeting_at(
            start + datetime.timedelta(days=7 * index),
            title=f"Occurrence {index + 1}",
            series=series,
            occurrence_number=index + 1,
        )
        for index in range(3)
    )
    second.released_to_all = False
    second.save()
    second.released_to.set([colombia])

    client.force_login(brazilian_user)
    response = client.get(third.get_absolute_url())
    page = response.content.decode()
    assert "Occurrence 2 of 2 in this series." in page
    assert response.context["previous_occurrence"]["pk"] == first.pk
    assert response.context["next_occurrence"] is None
    assert first.get_absolute_url() in page
    assert second.get_absolute_url() not in page
    assert client.get(second.get_absolute_url()).status_code == 404

    client.force_login(colombian_user)
    response = client.get(third.get_absolute_url())
    assert "Occurrence 3 of 3 in this series." in response.content.decode()
    assert response.context["previous_occurrence"]["pk"] == second.pk


# ----------------------------------------------------------------- carry-over


def unfolded(ics):
    """The iCalendar text with its folded lines joined again (RFC 5545 3.1)."""
    return ics.decode().replace("\r\n ", "")


def test_carried_over_review_of_a_withheld_recommendation_names_no_reference(
    client, brazilian_user, colombian_user, colombia
):
    series = factories.MeetingSeriesFactory(count=2)
    held = held_meeting(series=series, occurrence_number=1)
    following = meeting_at(
        timezone.now() + datetime.timedelta(days=6),
        series=series,
        occurrence_number=2,
        title="Following review",
    )
    secret = factories.RecommendationFactory(
        reference="REC-2026-0042",
        title="Move the informant",
        status="accepted",
        source_meeting=held,
        released_to_all=False,
        released_to=[colombia],
    )

    (item,) = meeting_services.meeting_carry_over(meeting=held, acting_user=None)

    assert (item.meeting, item.kind, item.recommendation) == (
        following,
        AgendaItem.Kind.REVIEW,
        secret,
    )
    assert item.title == "Review of a recommendation"

    client.force_login(brazilian_user)
    page = client.get(following.get_absolute_url()).content.decode()
    assert "Review of a recommendation" in page
    assert "REC-2026-0042" not in page
    assert "Move the informant" not in page
    ics = unfolded(
        client.get(reverse("cooperation:meeting-ics", args=[following.pk])).content
    )
    assert "Review of a recommendation" in ics
    assert "REC-2026-0042" not in ics
    assert "Move the informant" not in ics

    client.force_login(colombian_user)
    page = client.get(following.get_absolute_url()).content.decode()
    assert (
        f'<a href="{secret.get_absolute_url()}">REC-2026-0042: '
        '<span lang="en">Move the informant</span></a>' in page
    )
