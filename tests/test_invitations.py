"""Invitations, RSVP, reminders and calendar feeds (cooperation.services.invitations)."""

import datetime
import io
import zoneinfo

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    OutboundEmail,
    Recommendation,
    User,
)
from cooperation.services import invitations as services
from cooperation.tasks import deliver_emails
from tests import factories, mail_backends

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def portal_url(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    settings.MEETING_REMINDER_LEAD = 60 * 24


@pytest.fixture
def fixed_now(monkeypatch):
    """Freeze "now" at 2026-12-01 12:00 UTC for the service module."""
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(services.timezone, "now", lambda: now)
    return now


@pytest.fixture
def chair(colombia):
    return factories.UserFactory(
        username="chair", nation=colombia, first_name="Ana", last_name="Chair"
    )


@pytest.fixture
def meeting(chair, fixed_now):
    # 9:00–11:00 in New York on 9 December 2026 (EST, UTC-5) = 14:00–16:00 UTC.
    meeting = factories.AssessmentMeetingFactory(
        title="Quarterly assessment & review",
        starts_at=datetime.datetime(2026, 12, 9, 9, 0, tzinfo=NEW_YORK),
        ends_at=datetime.datetime(2026, 12, 9, 11, 0, tzinfo=NEW_YORK),
        time_zone="America/New_York",
        location="Washington",
        chair=chair,
    )
    factories.AgendaItemFactory(meeting=meeting, title="Cocaine routes", position=1)
    return meeting


@pytest.fixture
def portuguese_attendee(brazil):
    return factories.UserFactory(
        username="pt-attendee",
        nation=brazil,
        language="pt-br",
        time_zone="America/Sao_Paulo",
    )


@pytest.fixture
def english_attendee(colombia):
    return factories.UserFactory(
        username="en-attendee", nation=colombia, language="en", time_zone="UTC"
    )


def invite(meeting, *users, **kwargs):
    return [
        factories.InvitationFactory(meeting=meeting, user=user, **kwargs)
        for user in users
    ]


def parse(data):
    calendar = icalendar.Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    return calendar, events


def attachment_of(message):
    (attachment,) = message.attachments
    return attachment


def mail_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def notify(**kwargs):
    """``meeting_notify`` queues the messages; the worker's task then sends them
    (in a test, the transaction never commits, so the task is run here)."""
    queued = services.meeting_notify(**kwargs)
    deliver_emails.call()
    return queued


def remind(**kwargs):
    """``reminders_send``, then the worker's delivery task."""
    counts = services.reminders_send(**kwargs)
    deliver_emails.call()
    return counts


# --------------------------------------------------------------------- iCalendar


def test_meeting_ical_parses_back_with_the_meeting_tzid_and_a_vtimezone(meeting):
    calendar, (event,) = parse(services.meeting_ical(meeting=meeting, language="en"))

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTEND"].params["TZID"] == "America/New_York"
    # Local wall-clock time in the meeting's own zone, the same instant as stored.
    assert event.decoded("DTSTART").replace(tzinfo=None) == datetime.datetime(
        2026, 12, 9, 9, 0
    )
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") == meeting.ends_at
    assert str(event["UID"]) == f"meeting-{meeting.pk}@portal.example.org"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Quarterly assessment & review"
    assert str(event["LOCATION"]) == "Washington"
    assert str(event["URL"]) == f"https://portal.example.org/meetings/{meeting.pk}/"
    assert "Cocaine routes" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:chair@example.org"
    assert event["ORGANIZER"].params["CN"] == "Ana Chair"


def test_meeting_ical_carries_each_attendee_answer_as_partstat(
    meeting, portuguese_attendee, english_attendee
):
    invite(meeting, portuguese_attendee, response=Invitation.Response.ACCEPTED)
    invite(meeting, english_attendee)

    _calendar, (event,) = parse(services.meeting_ical(meeting=meeting, language="en"))

    attendees = event["ATTENDEE"]
    partstat = {str(a): a.params["PARTSTAT"] for a in attendees}
    assert partstat == {
        "mailto:pt-attendee@example.org": "ACCEPTED",
        "mailto:en-attendee@example.org": "NEEDS-ACTION",
    }


def test_meeting_ical_keeps_local_time_across_a_dst_change(chair):
    # New York leaves daylight saving time on 1 November 2026: 9:00 EDT before,
    # 9:00 EST after, one hour apart in UTC.
    before = factories.AssessmentMeetingFactory(
        starts_at=datetime.datetime(2026, 10, 30, 9, tzinfo=NEW_YORK),
        ends_at=datetime.datetime(2026, 10, 30, 10, tzinfo=NEW_YORK),
        time_zone="America/New_York",
    )
    after = factories.AssessmentMeetingFactory(
        starts_at=datetime.datetime(2026, 11, 2, 9, tzinfo=NEW_YORK),
        ends_at=datetime.datetime(2026, 11, 2, 10, tzinfo=NEW_YORK),
        time_zone="America/New_York",
    )
    assert before.starts_at.astimezone(UTC).hour == 13
    assert after.starts_at.astimezone(UTC).hour == 14

    for meeting in (before, after):
        calendar, (event,) = parse(
            services.meeting_ical(meeting=meeting, language="en")
        )
        assert event.decoded("DTSTART").hour == 9
        assert event.decoded("DTSTART") == meeting.starts_at
        (vtimezone,) = calendar.walk("VTIMEZONE")
        # The VTIMEZONE tells the client about both offsets.
        assert vtimezone.walk("DAYLIGHT") and vtimezone.walk("STANDARD")


# ------------------------------------------------------------------ invitations


def test_meeting_notify_mails_each_attendee_an_invite_ics_request(
    meeting, portuguese_attendee, english_attendee
):
    invite(meeting, portuguese_attendee, english_attendee)

    sent = notify(meeting=meeting, kind="request", acting_user=None)

    assert sent == 2
    assert len(mail.outbox) == 2
    message = mail_to(english_attendee)[0]
    assert message.subject == "Invitation: Quarterly assessment & review"
    # Plain-text mail is not HTML-escaped.
    assert "“Quarterly assessment & review”" in message.body
    filename, content, mimetype = attachment_of(message)
    assert filename == "invite.ics"
    assert mimetype == "text/calendar; method=REQUEST"
    calendar, (event,) = parse(content)
    assert calendar["METHOD"] == "REQUEST"
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["SEQUENCE"] == 0
    assert set(OutboundEmail.objects.values_list("key", flat=True)) == {
        f"invitation:{meeting.pk}:{portuguese_attendee.pk}:0",
        f"invitation:{meeting.pk}:{english_attendee.pk}:0",
    }
    assert set(Invitation.objects.values_list("sent_sequence", flat=True)) == {0}
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_meeting_notify_raises_sequence_on_each_change_and_keeps_the_uid(
    meeting, english_attendee
):
    invite(meeting, english_attendee)
    notify(meeting=meeting, kind="request", acting_user=None)
    first_uid = str(parse(attachment_of(mail.outbox[0]).content)[1][0]["UID"])

    for expected_sequence in (1, 2):
        meeting.starts_at += datetime.timedelta(hours=1)
        meeting.ends_at += datetime.timedelta(hours=1)
        meeting.save()
        notify(meeting=meeting, kind="request", acting_user=None)
        meeting.refresh_from_db()
        assert meeting.sequence == expected_sequence
        message = mail.outbox[-1]
        assert message.subject.startswith("Updated invitation:")
        _calendar, (event,) = parse(attachment_of(message).content)
        assert event["SEQUENCE"] == expected_sequence
        assert str(event["UID"]) == first_uid

    assert len(mail.outbox) == 3
    assert Invitation.objects.get().sent_sequence == 2


def test_cancellation_mails_method_cancel_with_status_cancelled_once(
    meeting, portuguese_attendee, english_attendee
):
    invite(meeting, portuguese_attendee, english_attendee)
    notify(meeting=meeting, kind="request", acting_user=None)
    mail.outbox.clear()

    meeting.status = AssessmentMeeting.Status.CANCELLED
    meeting.save()
    sent = notify(meeting=meeting, kind="cancel", acting_user=None)

    assert sent == 2
    message = mail_to(english_attendee)[0]
    assert message.subject == "Cancelled: Quarterly assessment & review"
    filename, content, mimetype = attachment_of(message)
    assert (filename, mimetype) == ("invite.ics", "text/calendar; method=CANCEL")
    calendar, (event,) = parse(content)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert OutboundEmail.objects.filter(
        key=f"cancellation:{meeting.pk}:{english_attendee.pk}:1"
    ).exists()

    # Called again (say the cancel is saved twice): nothing more goes out.
    assert notify(meeting=meeting, kind="cancel", acting_user=None) == 0
    assert len(mail.outbox) == 2


def test_cancellation_goes_only_to_attendees_who_were_invited(
    meeting, english_attendee, portuguese_attendee
):
    invite(meeting, english_attendee)
    notify(meeting=meeting, kind="request", acting_user=None)
    # Added after the invitations went out, and never sent one.
    invite(meeting, portuguese_attendee)
    mail.outbox.clear()

    meeting.status = AssessmentMeeting.Status.CANCELLED
    meeting.save()
    notify(meeting=meeting, kind="cancel", acting_user=None)

    assert [message.to for message in mail.outbox] == [[english_attendee.email]]


def test_invitation_is_rendered_in_the_recipients_language_and_time_zone(
    meeting, portuguese_attendee, english_attendee
):
    invite(meeting, portuguese_attendee, english_attendee)

    notify(meeting=meeting, kind="request", acting_user=None)

    portuguese = mail_to(portuguese_attendee)[0]
    english = mail_to(english_attendee)[0]
    # The translation override is active while the template renders: the header,
    # the language's own name and Django's own month names follow the recipient.
    assert portuguese.extra_headers["Content-Language"] == "pt-br"
    assert english.extra_headers["Content-Language"] == "en"
    assert "Português" in portuguese.body
    assert "English" in english.body
    assert "dezembro" in portuguese.body.lower()
    assert "Dec. 9, 2026" in english.body
    # 9:00 in New York is 11:00 in São Paulo and 14:00 UTC; the meeting's zone beside.
    assert "11:00–13:00" in portuguese.body
    assert "America/Sao_Paulo" in portuguese.body
    assert "14:00–16:00" in english.body
    for message in (portuguese, english):
        assert "09:00–11:00" in message.body
        assert "America/New_York" in message.body


def test_withheld_meeting_is_not_mailed_to_attendees_of_other_nations(
    chair, colombia, fixed_now, english_attendee, portuguese_attendee
):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=fixed_now + datetime.timedelta(days=3),
        ends_at=fixed_now + datetime.timedelta(days=3, hours=1),
        chair=chair,
        released_to_all=False,
        released_to=[colombia],
    )
    invite(meeting, english_attendee, portuguese_attendee)

    notify(meeting=meeting, kind="request", acting_user=None)

    assert [message.to for message in mail.outbox] == [[english_attendee.email]]
    assert not OutboundEmail.objects.filter(recipient=portuguese_attendee).exists()
    assert Invitation.objects.get(user=portuguese_attendee).sent_sequence == -1


@pytest.mark.parametrize(
    "status", [AssessmentMeeting.Status.DRAFT, AssessmentMeeting.Status.HELD]
)
def test_no_invitation_for_a_meeting_that_is_not_scheduled(
    meeting, english_attendee, status
):
    meeting.status = status
    meeting.save()
    invite(meeting, english_attendee)

    assert notify(meeting=meeting, kind="request", acting_user=None) == 0
    assert mail.outbox == []


def test_meeting_notify_skips_attendees_without_an_email_address(
    meeting, english_attendee
):
    silent = factories.UserFactory(username="silent", email="")
    invite(meeting, english_attendee, silent)

    assert notify(meeting=meeting, kind="request", acting_user=None) == 1
    assert [message.to for message in mail.outbox] == [[english_attendee.email]]


# -------------------------------------------------------------------------- RSVP


def test_invitation_respond_records_the_answer_and_time(
    meeting, english_attendee, fixed_now
):
    (invitation,) = invite(meeting, english_attendee)
    assert invitation.responded_at is None

    services.invitation_respond(
        invitation=invitation, acting_user=english_attendee, response="tentative"
    )

    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.TENTATIVE
    assert invitation.responded_at == fixed_now


def test_only_the_invitee_may_answer(meeting, english_attendee, portuguese_attendee):
    (invitation,) = invite(meeting, english_attendee)

    with pytest.raises(PermissionDenied):
        services.invitation_respond(
            invitation=invitation, acting_user=portuguese_attendee, response="accepted"
        )

    invitation.refresh_from_db()
    assert invitation.response == Invitation.Response.NEEDS_ACTION


@pytest.mark.parametrize("response", ["needs_action", "maybe", ""])
def test_invitation_respond_rejects_other_answers(meeting, english_attendee, response):
    (invitation,) = invite(meeting, english_attendee)

    with pytest.raises(ValidationError):
        services.invitation_respond(
            invitation=invitation, acting_user=english_attendee, response=response
        )


def test_a_cancelled_meeting_cannot_be_answered(meeting, english_attendee):
    meeting.status = AssessmentMeeting.Status.CANCELLED
    meeting.save()
    (invitation,) = invite(meeting, english_attendee)

    with pytest.raises(ValidationError):
        services.invitation_respond(
            invitation=invitation, acting_user=english_attendee, response="accepted"
        )


# --------------------------------------------------------------------- reminders


def run_send_reminders():
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    deliver_emails.call()
    return out.getvalue()


def test_send_reminders_twice_sends_nothing_the_second_time(
    fixed_now, chair, english_attendee, portuguese_attendee
):
    soon = factories.AssessmentMeetingFactory(
        starts_at=fixed_now + datetime.timedelta(hours=3),
        ends_at=fixed_now + datetime.timedelta(hours=5),
        chair=chair,
    )
    invite(soon, english_attendee, portuguese_attendee)
    factories.RecommendationFactory(
        owner=english_attendee, due_date=fixed_now.date() + datetime.timedelta(days=3)
    )
    factories.RecommendationFactory(
        owner=portuguese_attendee,
        due_date=fixed_now.date() - datetime.timedelta(days=10),
    )

    first = run_send_reminders()
    assert len(mail.outbox) == 4
    assert "Queued 2 meeting reminder(s) and 2 recommendation reminder(s)." in first

    second = run_send_reminders()
    assert len(mail.outbox) == 4
    assert "Queued 0 meeting reminder(s) and 0 recommendation reminder(s)." in second
    assert OutboundEmail.objects.count() == 4


def test_meeting_reminder_goes_to_attendees_who_did_not_decline_within_the_lead(
    fixed_now, settings, chair, english_attendee, portuguese_attendee
):
    settings.MEETING_REMINDER_LEAD = 120
    soon = factories.AssessmentMeetingFactory(
        title="Soon",
        starts_at=fixed_now + datetime.timedelta(minutes=90),
        ends_at=fixed_now + datetime.timedelta(minutes=150),
        chair=chair,
    )
    later = factories.AssessmentMeetingFactory(
        title="Later",
        starts_at=fixed_now + datetime.timedelta(minutes=150),
        ends_at=fixed_now + datetime.timedelta(minutes=200),
    )
    started = factories.AssessmentMeetingFactory(
        title="Started",
        starts_at=fixed_now - datetime.timedelta(minutes=10),
        ends_at=fixed_now + datetime.timedelta(minutes=50),
    )
    cancelled = factories.AssessmentMeetingFactory(
        title="Cancelled",
        starts_at=fixed_now + datetime.timedelta(minutes=30),
        ends_at=fixed_now + datetime.timedelta(minutes=60),
        status=AssessmentMeeting.Status.CANCELLED,
    )
    invite(soon, english_attendee)
    invite(soon, portuguese_attendee, response=Invitation.Response.DECLINED)
    for other in (later, started, cancelled):
        invite(other, english_attendee)

    counts = remind()

    assert counts["meeting_reminders"] == 1
    (message,) = mail.outbox
    assert message.to == [english_attendee.email]
    assert message.subject == "Reminder: Soon"
    assert OutboundEmail.objects.get().key == (
        f"meeting_reminder:{soon.pk}:{english_attendee.pk}:{soon.starts_at.isoformat()}"
    )


def test_meeting_reminder_is_in_the_recipients_language(
    fixed_now, chair, portuguese_attendee
):
    soon = factories.AssessmentMeetingFactory(
        starts_at=fixed_now + datetime.timedelta(hours=2),
        ends_at=fixed_now + datetime.timedelta(hours=3),
        time_zone="America/Bogota",
        chair=chair,
    )
    invite(soon, portuguese_attendee)

    remind()

    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "pt-br"
    assert "Português" in message.body
    # 14:00 UTC = 11:00 in São Paulo = 09:00 in Bogotá.
    assert "11:00" in message.body
    assert "09:00" in message.body


def test_rescheduled_meeting_reminds_again(fixed_now, chair, english_attendee):
    soon = factories.AssessmentMeetingFactory(
        starts_at=fixed_now + datetime.timedelta(hours=3),
        ends_at=fixed_now + datetime.timedelta(hours=4),
        chair=chair,
    )
    invite(soon, english_attendee)
    remind()
    assert len(mail.outbox) == 1

    soon.starts_at += datetime.timedelta(hours=2)
    soon.ends_at += datetime.timedelta(hours=2)
    soon.save()
    remind()
    remind()

    assert len(mail.outbox) == 2


def test_withheld_meeting_gets_no_reminder(
    fixed_now, colombia, english_attendee, portuguese_attendee
):
    withheld = factories.AssessmentMeetingFactory(
        starts_at=fixed_now + datetime.timedelta(hours=3),
        ends_at=fixed_now + datetime.timedelta(hours=4),
        released_to_all=False,
        released_to=[colombia],
    )
    invite(withheld, english_attendee, portuguese_attendee)

    remind()

    assert [message.to for message in mail.outbox] == [[english_attendee.email]]


def test_overdue_recommendation_is_reminded_once_a_week(
    fixed_now, monkeypatch, english_attendee
):
    rec = factories.RecommendationFactory(
        owner=english_attendee,
        due_date=fixed_now.date() - datetime.timedelta(days=2),
    )
    remind(now=fixed_now)
    (message,) = mail.outbox
    assert message.subject == f"Overdue: recommendation {rec.reference}"

    for days in range(1, 6):  # Tuesday 1 December to Sunday 6 December 2026
        remind(now=fixed_now + datetime.timedelta(days=days))
    assert len(mail.outbox) == 1

    remind(now=fixed_now + datetime.timedelta(days=7))
    assert len(mail.outbox) == 2


def test_due_soon_recommendation_is_reminded_once_per_due_date(
    fixed_now, english_attendee
):
    rec = factories.RecommendationFactory(
        owner=english_attendee,
        due_date=fixed_now.date() + datetime.timedelta(days=7),
    )
    far = factories.RecommendationFactory(
        owner=english_attendee,
        due_date=fixed_now.date() + datetime.timedelta(days=8),
    )
    factories.RecommendationFactory(
        owner=english_attendee,
        due_date=fixed_now.date() + datetime.timedelta(days=1),
        status=Recommendation.Status.IMPLEMENTED,
    )

    for days in range(3):
        remind(now=fixed_now + datetime.timedelta(days=days))
    subjects = [message.subject for message in mail.outbox]
    # ``far`` comes within seven days on the second run.
    assert subjects == [
        f"Due soon: recommendation {rec.reference}",
        f"Due soon: recommendation {far.reference}",
    ]

    rec.due_date += datetime.timedelta(days=1)
    rec.save()
    remind(now=fixed_now + datetime.timedelta(days=3))
    assert len(mail.outbox) == 3


def test_no_reminder_about_a_recommendation_withheld_from_its_owner(
    fixed_now, colombia, portuguese_attendee
):
    factories.RecommendationFactory(
        owner=portuguese_attendee,
        due_date=fixed_now.date(),
        released_to_all=False,
        released_to=[colombia],
    )

    assert remind()["recommendation_reminders"] == 0
    assert mail.outbox == []


def test_a_failed_send_is_retried_on_a_later_run(
    fixed_now, monkeypatch, settings, english_attendee
):
    factories.RecommendationFactory(
        owner=english_attendee, due_date=fixed_now.date() + datetime.timedelta(days=1)
    )
    mail_backends.reset()
    settings.MAILERS = {"default": {"BACKEND": "tests.mail_backends.DownBackend"}}

    assert remind()["recommendation_reminders"] == 1
    reminder = OutboundEmail.objects.get()
    assert reminder.status == OutboundEmail.Status.PENDING
    assert reminder.attempts == 1
    assert reminder.next_attempt_at == fixed_now + datetime.timedelta(minutes=1)
    assert "Connection refused" in reminder.last_error

    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    later = fixed_now + datetime.timedelta(minutes=1)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    remind(now=later)  # queues nothing new; the retry is due
    assert len(mail.outbox) == 1
    reminder.refresh_from_db()
    assert reminder.status == OutboundEmail.Status.SENT
    assert reminder.attempts == 2
    assert reminder.last_error == ""


# ----------------------------------------------------------------- feed tokens


def test_calendar_token_is_stored_only_as_its_sha256(english_attendee):
    token = services.calendar_token_create(
        user=english_attendee, acting_user=english_attendee
    )

    stored = User.objects.get(pk=english_attendee.pk).calendar_token_hash
    assert len(token) >= 40
    assert token not in stored
    assert len(stored) == 64
    assert services.calendar_feed_user(token) == english_attendee
    assert services.calendar_feed_user(stored) is None


def test_revoked_and_replaced_tokens_find_nobody(english_attendee):
    old = services.calendar_token_create(
        user=english_attendee, acting_user=english_attendee
    )
    new = services.calendar_token_create(
        user=english_attendee, acting_user=english_attendee
    )

    assert services.calendar_feed_user(old) is None
    assert services.calendar_feed_user(new) == english_attendee

    services.calendar_token_revoke(user=english_attendee, acting_user=english_attendee)
    assert services.calendar_feed_user(new) is None
    assert services.calendar_feed_user("") is None


def test_inactive_user_token_finds_nobody(english_attendee):
    token = services.calendar_token_create(
        user=english_attendee, acting_user=english_attendee
    )
    english_attendee.is_active = False
    english_attendee.save()

    assert services.calendar_feed_user(token) is None


def test_calendar_feed_publishes_visible_meetings_from_90_days_ago(
    fixed_now, colombia, brazil, portuguese_attendee
):
    recent = factories.AssessmentMeetingFactory(
        title="Recent",
        starts_at=fixed_now - datetime.timedelta(days=89),
        ends_at=fixed_now - datetime.timedelta(days=89) + datetime.timedelta(hours=1),
        time_zone="America/Sao_Paulo",
    )
    upcoming = factories.AssessmentMeetingFactory(
        title="Upcoming",
        starts_at=fixed_now + datetime.timedelta(days=20),
        ends_at=fixed_now + datetime.timedelta(days=20, hours=1),
        time_zone="America/New_York",
        released_to_all=False,
        released_to=[brazil],
    )
    cancelled = factories.AssessmentMeetingFactory(
        title="Called off",
        starts_at=fixed_now + datetime.timedelta(days=5),
        ends_at=fixed_now + datetime.timedelta(days=5, hours=1),
        status=AssessmentMeeting.Status.CANCELLED,
    )
    factories.AssessmentMeetingFactory(
        title="Too old",
        starts_at=fixed_now - datetime.timedelta(days=91),
        ends_at=fixed_now - datetime.timedelta(days=91) + datetime.timedelta(hours=1),
    )
    factories.AssessmentMeetingFactory(
        title="Withheld",
        starts_at=fixed_now + datetime.timedelta(days=3),
        ends_at=fixed_now + datetime.timedelta(days=3, hours=1),
        released_to_all=False,
        released_to=[colombia],
    )

    calendar, events = parse(services.calendar_feed(user=portuguese_attendee))

    assert calendar["METHOD"] == "PUBLISH"
    titles = {str(event["SUMMARY"]) for event in events}
    assert titles == {"Recent", "Upcoming", "Called off"}
    assert {tz["TZID"] for tz in calendar.walk("VTIMEZONE")} == {
        "America/Bogota",
        "America/New_York",
        "America/Sao_Paulo",
    }
    by_title = {str(event["SUMMARY"]): event for event in events}
    assert by_title["Upcoming"]["DTSTART"].params["TZID"] == "America/New_York"
    assert str(by_title["Upcoming"]["UID"]) == (
        f"meeting-{upcoming.pk}@portal.example.org"
    )
    assert by_title["Called off"]["STATUS"] == "CANCELLED"
    assert by_title["Recent"]["STATUS"] == "CONFIRMED"
    assert recent.pk != cancelled.pk
    # RFC 5546: a published event lists no attendees.
    assert "ATTENDEE" not in by_title["Upcoming"]
