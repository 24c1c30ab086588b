"""Structured minutes: who attended, an outcome per agenda item, the free text,
saved together over the version the page was loaded from; an outcome turned into
a recommendation linked back to its agenda item; answers closed at the start."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cooperation import counts, my_work, roles
from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Recommendation,
)
from cooperation.services import invitations as invitation_services
from cooperation.services import meetings as meeting_services
from cooperation.services import recommendations as recommendation_services
from tests import factories

pytestmark = pytest.mark.django_db

MinutesStatus = AssessmentMeeting.MinutesStatus


def member(user, *names):
    user.groups.add(*Group.objects.filter(name__in=names))
    return type(user).objects.get(pk=user.pk)  # no cached permissions


@pytest.fixture
def secretary(colombia):
    user = factories.UserFactory(
        username="secretary", first_name="Sara", last_name="Secretary", nation=colombia
    )
    return member(user, roles.SCHEDULER, roles.EDITOR)


@pytest.fixture
def viewer(colombia):
    return member(factories.UserFactory(nation=colombia), roles.VIEWER)


@pytest.fixture
def brazilian_editor(brazil):
    return member(factories.UserFactory(nation=brazil), roles.SCHEDULER, roles.EDITOR)


@pytest.fixture
def meeting(colombia, secretary):
    """A meeting held yesterday, released to Colombia only, with three invitees
    and three agenda items."""
    now = timezone.now()
    meeting = factories.AssessmentMeetingFactory(
        title="Andean review",
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now - datetime.timedelta(days=1) + datetime.timedelta(hours=2),
        status=AssessmentMeeting.Status.HELD,
        released_to_all=False,
        released_to=[colombia],
    )
    for last_name in ("Alves", "Bravo", "Castro"):
        factories.InvitationFactory(
            meeting=meeting,
            user=factories.UserFactory(
                first_name="Ana", last_name=last_name, nation=colombia
            ),
        )
    for position, title in enumerate(("Radar data", "Port controls", "AOB"), 1):
        factories.AgendaItemFactory(meeting=meeting, position=position, title=title)
    return meeting


def invitations(meeting):
    return list(Invitation.objects.filter(meeting=meeting).by_attendee_name())


def items(meeting):
    return list(meeting.agenda_items.order_by("position"))


def minutes_url(meeting):
    return reverse("cooperation:meeting-minutes", args=[meeting.pk])


def record(client, meeting, **kwargs):
    data = factories.minutes_form_data(meeting, **kwargs)
    return client.post(minutes_url(meeting), data)


def publish(meeting, user):
    meeting_services.meeting_publish_minutes(
        meeting=AssessmentMeeting.objects.get(pk=meeting.pk), acting_user=user
    )


# --------------------------------------------------------------- record and show


def test_attendance_and_outcomes_are_saved_and_shown_in_agenda_order_once_published(
    client, meeting, secretary, viewer
):
    alves, bravo, castro = invitations(meeting)
    radar, ports, aob = items(meeting)
    client.force_login(secretary)
    assert client.get(minutes_url(meeting)).status_code == 200

    response = record(
        client,
        meeting,
        minutes="Free text after the outcomes.",
        attendance={
            alves: ("present", ""),
            bravo: ("absent", ""),
            castro: ("represented", "María López"),
        },
        outcomes={
            ports: ("Tighten port controls.", "Long debate.", ""),
            radar: ("Share radar data weekly.", "", "Draft the data-sharing MoU"),
        },
    )

    assert response.status_code == 302
    assert [(i.attendance, i.represented_by) for i in invitations(meeting)] == [
        ("present", ""),
        ("absent", ""),
        ("represented", "María López"),
    ]
    radar.refresh_from_db()
    assert radar.decision == "Share radar data weekly."
    assert radar.follow_up == "Draft the data-sharing MoU"
    assert radar.history.latest().history_user == secretary
    assert alves.history.latest().history_user == secretary
    # Draft: the reader sees nothing of it yet.
    client.force_login(viewer)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Share radar data weekly." not in page
    assert "María López" not in page

    publish(meeting, secretary)
    page = client.get(meeting.get_absolute_url()).content.decode()
    minutes = page[page.index('id="minutes"') :]
    assert "Ana Alves: Present" in minutes
    assert "Ana Bravo: Absent" in minutes
    assert "Ana Castro: represented by María López" in minutes
    # The outcomes in agenda order (the radar item first), then the free text.
    assert (
        minutes.index("Share radar data weekly.")
        < minutes.index("Tighten port controls.")
        < minutes.index("Free text after the outcomes.")
    )
    assert "AOB" not in minutes  # an item without an outcome is not listed


def test_minutes_with_outcomes_but_no_free_text_can_be_published(meeting, secretary):
    radar = items(meeting)[0]
    with pytest.raises(ValidationError):
        publish(meeting, secretary)
    meeting_services.meeting_record_minutes(
        meeting=meeting,
        version=str(AssessmentMeeting.objects.get(pk=meeting.pk).version),
        acting_user=secretary,
        minutes="",
        outcomes=[meeting_services.OutcomeEntry(radar.pk, decision="Agreed.")],
    )
    publish(meeting, secretary)
    meeting.refresh_from_db()
    assert meeting.minutes_status == MinutesStatus.PUBLISHED


def test_publishing_tells_the_attendees_in_the_portal_and_queues_their_email(
    meeting, secretary
):
    alves, bravo, castro = invitations(meeting)
    NotificationPreference.objects.create(
        user=alves.user,
        kind=Notification.Kind.MINUTES_PUBLISHED,
        delivery=NotificationPreference.Delivery.IMMEDIATE,
    )
    meeting.minutes = "Agreed."
    meeting.save()
    assert not Notification.objects.exists()

    publish(meeting, secretary)

    told = Notification.objects.filter(kind=Notification.Kind.MINUTES_PUBLISHED)
    assert set(told.values_list("recipient", flat=True)) == {
        alves.user_id,
        bravo.user_id,
        castro.user_id,
    }
    # The e-mail waits in the outbox for the delivery task, never sent here.
    assert OutboundEmail.objects.filter(to_email=alves.user.email).exists()
    assert mail.outbox == []


# -------------------------------------------------------------- represented by


@pytest.mark.parametrize(
    ("attendance", "name"), [("represented", ""), ("present", "María López")]
)
def test_a_representative_is_named_exactly_when_represented(
    client, meeting, secretary, attendance, name
):
    alves = invitations(meeting)[0]
    client.force_login(secretary)

    response = record(client, meeting, attendance={alves: (attendance, name)})

    assert response.status_code == 400
    assert response.context["attendance"].forms[0].errors["represented_by"]
    alves.refresh_from_db()
    assert (alves.attendance, alves.represented_by) == ("", "")


@pytest.mark.parametrize(
    ("attendance", "name"), [("represented", ""), ("absent", "María López")]
)
def test_the_database_refuses_a_representative_out_of_place(meeting, attendance, name):
    alves = invitations(meeting)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=alves.pk).update(
            attendance=attendance, represented_by=name
        )
    Invitation.objects.filter(pk=alves.pk).update(
        attendance="represented", represented_by="María López"
    )


def test_a_forged_row_of_another_meeting_is_refused(client, meeting, secretary):
    other = factories.InvitationFactory()
    data = factories.minutes_form_data(meeting)
    data["attendance-0-id"] = str(other.pk)
    data["attendance-0-attendance"] = "present"
    client.force_login(secretary)

    response = client.post(minutes_url(meeting), data)

    assert response.status_code == 400
    other.refresh_from_db()
    assert other.attendance == ""


# ----------------------------------------------------------------- stale saves


def test_a_stale_save_is_a_conflict_and_changes_nothing(client, meeting, secretary):
    alves = invitations(meeting)[0]
    radar = items(meeting)[0]
    loaded = str(AssessmentMeeting.objects.get(pk=meeting.pk).version)
    # Another secretary saves first.
    meeting_services.meeting_record_minutes(
        meeting=meeting,
        version=loaded,
        acting_user=secretary,
        minutes="Their text.",
        attendance=[meeting_services.AttendanceEntry(alves.pk, "absent")],
    )
    client.force_login(secretary)

    response = record(
        client,
        meeting,
        version=loaded,
        minutes="My text.",
        attendance={alves: ("present", "")},
        outcomes={radar: ("Mine.", "", "")},
    )

    assert response.status_code == 409
    assert "Someone else changed this record" in response.content.decode()
    meeting.refresh_from_db()
    alves.refresh_from_db()
    radar.refresh_from_db()
    assert meeting.minutes == "Their text."
    assert alves.attendance == "absent"
    assert radar.decision == ""
    # The page now carries the current version: saving again, after review, saves.
    assert response.context["minutes_form"].data["version"] == str(meeting.version)


# ---------------------------------------------------------------------- access


def test_a_viewer_and_another_nation_cannot_record_the_minutes(
    client, meeting, viewer, brazilian_editor
):
    alves = invitations(meeting)[0]
    client.force_login(viewer)
    assert client.get(minutes_url(meeting)).status_code == 403
    assert record(client, meeting, minutes="Forged.").status_code == 403
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert minutes_url(meeting) not in page

    client.force_login(brazilian_editor)  # not released to Brazil
    assert client.get(minutes_url(meeting)).status_code == 404
    response = record(client, meeting, attendance={alves: ("present", "")})
    assert response.status_code == 404

    meeting.refresh_from_db()
    alves.refresh_from_db()
    assert meeting.minutes == ""
    assert alves.attendance == ""


def test_published_minutes_are_corrected_only_with_the_permission(
    client, meeting, secretary, coordinator_of
):
    meeting.minutes = "Agreed."
    meeting.save()
    publish(meeting, secretary)
    client.force_login(secretary)
    assert client.get(minutes_url(meeting)).status_code == 403
    assert record(client, meeting, minutes="Rewritten.").status_code == 403

    coordinator = coordinator_of(meeting)
    client.force_login(coordinator)
    assert record(client, meeting, minutes="").status_code == 400  # not emptied
    assert record(client, meeting, minutes="Agreed, corrected.").status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "Agreed, corrected."
    assert meeting.history.latest().history_change_reason == "Minutes corrected"


@pytest.fixture
def coordinator_of(colombia):
    def make(meeting):
        return member(factories.UserFactory(nation=colombia), roles.COORDINATOR)

    return make


# ------------------------------------------------- outcome → recommendation


def outcome_meeting(meeting, secretary):
    radar = items(meeting)[0]
    meeting_services.meeting_record_minutes(
        meeting=meeting,
        version=str(AssessmentMeeting.objects.get(pk=meeting.pk).version),
        acting_user=secretary,
        minutes="Agreed.",
        outcomes=[
            meeting_services.OutcomeEntry(
                radar.pk,
                decision="Share radar data weekly.",
                discussion="Brazil asked for a pilot.",
                follow_up="Draft the data-sharing MoU\nby the next meeting",
            )
        ],
    )
    radar.refresh_from_db()
    return radar


def test_an_outcome_becomes_a_recommendation_linked_back_to_its_item(
    client, meeting, secretary, colombia
):
    radar = outcome_meeting(meeting, secretary)
    focus = factories.FocusAreaFactory()
    create_url = (
        reverse("cooperation:meeting-recommendation-create", args=[meeting.pk])
        + f"?agenda_item={radar.pk}"
    )
    client.force_login(secretary)
    minutes_page = client.get(minutes_url(meeting)).content.decode()
    assert f"?agenda_item={radar.pk}" in minutes_page

    form = client.get(create_url).context["form"]
    assert form.initial["title"] == "Draft the data-sharing MoU"
    assert "Decision: Share radar data weekly." in form.initial["description"]
    assert "Discussion: Brazil asked for a pilot." in form.initial["description"]
    assert not Recommendation.objects.exists()

    response = client.post(
        create_url,
        {
            "title": "Draft the data-sharing MoU",
            "language": "en",
            "description": form.initial["description"],
            "focus_area": focus.pk,
            "owner": secretary.pk,
            "priority": Recommendation.Priority.HIGH,
            "nations": [colombia.pk],
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    recommendation = Recommendation.objects.get()
    assert recommendation.source_agenda_item == radar
    assert recommendation.source_meeting_id == meeting.pk
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert "Raised from the outcome of the agenda item" in page
    assert f"#outcome-{radar.pk}" in page
    publish(meeting, secretary)
    page = client.get(meeting.get_absolute_url()).content.decode()
    outcome = page[page.index(f'id="outcome-{radar.pk}"') :]
    assert recommendation.reference in outcome[: outcome.index("</li>")]


def test_an_agenda_item_of_another_meeting_is_not_found(client, meeting, secretary):
    elsewhere = factories.AgendaItemFactory(decision="Elsewhere.")
    client.force_login(secretary)
    for value in (str(elsewhere.pk), "abc", "9" * 30):
        url = reverse("cooperation:meeting-recommendation-create", args=[meeting.pk])
        assert client.get(f"{url}?agenda_item={value}").status_code == 404


def test_the_raise_service_refuses_an_item_of_another_meeting(meeting, secretary):
    elsewhere = factories.AgendaItemFactory()
    recommendation = Recommendation(
        title="Mismatch",
        description="-",
        focus_area=factories.FocusAreaFactory(),
        owner=secretary,
        source_meeting=meeting,
    )
    with pytest.raises(ValidationError):
        recommendation_services.recommendation_raise(
            recommendation=recommendation,
            acting_user=secretary,
            source_agenda_item=elsewhere,
        )
    assert not Recommendation.objects.exists()


def test_the_link_is_shown_only_to_who_may_see_both_records(
    client, meeting, secretary, brazil, colombia, brazilian_editor
):
    radar = outcome_meeting(meeting, secretary)
    publish(meeting, secretary)
    recommendation = factories.RecommendationFactory(
        title="Colombian follow-up",
        source_meeting=meeting,
        source_agenda_item=radar,
        released_to_all=False,
        released_to=[colombia],
    )
    client.force_login(brazilian_editor)
    # The meeting released to all, the recommendation to Colombia only.
    meeting.released_to_all = True
    meeting.save()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Share radar data weekly." in page
    assert recommendation.reference not in page
    assert "Colombian follow-up" not in page

    # The recommendation released to all, the meeting to Colombia only.
    meeting.released_to_all = False
    meeting.save()
    Recommendation.objects.filter(pk=recommendation.pk).update(released_to_all=True)
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert "Colombian follow-up" in page
    assert "Raised from the outcome of the agenda item" not in page
    assert "Radar data" not in page


# ------------------------------------------------------------------------ RSVP


@pytest.fixture
def started(colombia, viewer):
    now = timezone.now()
    meeting = factories.AssessmentMeetingFactory(
        starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=1),
    )
    return factories.InvitationFactory(meeting=meeting, user=viewer)


def test_an_answer_after_the_start_is_refused_with_a_message(client, started, viewer):
    with pytest.raises(ValidationError) as error:
        invitation_services.invitation_respond(
            invitation=started, acting_user=viewer, response="accepted"
        )
    assert error.value.code == "started"

    client.force_login(viewer)
    meeting = started.meeting
    response = client.post(
        reverse("cooperation:meeting-rsvp", args=[meeting.pk]), {"response": "declined"}
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This meeting has started; answers can no longer be given or changed."
    ]
    started.refresh_from_db()
    assert started.response == Invitation.Response.NEEDS_ACTION


def test_answer_buttons_are_gone_once_the_meeting_has_started(client, started, viewer):
    meeting = started.meeting
    rsvp = reverse("cooperation:meeting-rsvp", args=[meeting.pk])
    client.force_login(viewer)
    assert rsvp not in client.get(meeting.get_absolute_url()).content.decode()
    assert not my_work.unanswered_invitations(viewer).exists()

    AssessmentMeeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() + datetime.timedelta(minutes=10)
    )
    counts.records_changed()  # as every write without signals does
    assert rsvp in client.get(meeting.get_absolute_url()).content.decode()
    assert list(my_work.unanswered_invitations(viewer)) == [started]


# ----------------------------------------------------------------------- admin


def test_the_meeting_admin_shows_attendance_and_outcomes(
    admin_client, meeting, secretary
):
    outcome_meeting(meeting, secretary)
    alves = invitations(meeting)[0]
    Invitation.objects.filter(pk=alves.pk).update(
        attendance="represented", represented_by="María López"
    )
    page = admin_client.get(
        reverse("admin:cooperation_assessmentmeeting_change", args=[meeting.pk])
    ).content.decode()
    assert "María López" in page
    assert "Share radar data weekly." in page


def test_an_item_a_recommendation_was_raised_from_stays_on_the_agenda(
    meeting, secretary
):
    radar, ports, aob = items(meeting)
    factories.RecommendationFactory(source_meeting=meeting, source_agenda_item=radar)

    with pytest.raises(ValidationError) as error:
        meeting_services.meeting_set_agenda(
            meeting=meeting, items=[ports, aob], removed=[radar], acting_user=secretary
        )

    assert error.value.code == "item_raised_recommendation"
    assert meeting.agenda_items.filter(pk=radar.pk).exists()
    meeting_services.meeting_set_agenda(
        meeting=meeting, items=[radar, ports], removed=[aob], acting_user=secretary
    )
    assert not meeting.agenda_items.filter(pk=aob.pk).exists()
