"""The outbox (cooperation.services.outbox) and its delivery task: no e-mail is sent
inside a request, a mail server that is down never turns a save into an error, and
every message is sent once, retried with backoff, or shown as failed."""

import datetime
import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cooperation.models import AssessmentMeeting, OutboundEmail
from cooperation.services import invitations, outbox
from cooperation.tasks import deliver_emails
from tests import factories, mail_backends
from tests.test_meeting_doors import create_through

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status
DOWN = {"default": {"BACKEND": "tests.mail_backends.DownBackend"}}
REFUSING = {"default": {"BACKEND": "tests.mail_backends.RefusingBackend"}}
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def clean_backends():
    mail_backends.reset()


@pytest.fixture
def attendee(colombia):
    return factories.UserFactory(nation=colombia, email="attendee@example.org")


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


def schedule_on_the_page(superuser, attendee, colombia):
    return create_through(
        "page",
        actor=superuser,
        attendee=attendee,
        colombia=colombia,
        starts_at=timezone.now() + datetime.timedelta(days=30),
    )


def queued(*addresses, kind=OutboundEmail.Kind.MEETING_REMINDER):
    user = factories.UserFactory()
    return [
        OutboundEmail(
            key=f"test:{address}",
            kind=kind,
            recipient=user,
            to_email=address,
            subject="Hello",
            body="Hello",
        )
        for address in addresses
    ]


# ------------------------------------------------------------ mail server down


def test_a_mail_server_that_is_down_never_fails_a_save_and_the_delivery_is_retried(
    superuser,
    attendee,
    colombia,
    clock,
    admin_client,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.MAILERS = DOWN
    settings.PORTAL_EMAIL_MAX_ATTEMPTS = 3

    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule_on_the_page(superuser, attendee, colombia)

    assert AssessmentMeeting.objects.filter(pk=meeting.pk).exists()
    delivery = OutboundEmail.objects.get(to_email=attendee.email)
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at == clock.now + datetime.timedelta(minutes=1)

    # Not due yet: a run sends nothing and counts no attempt.
    deliver_emails.call()
    delivery.refresh_from_db()
    assert delivery.attempts == 1

    clock.advance(datetime.timedelta(minutes=1))
    deliver_emails.call()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 2)
    assert delivery.next_attempt_at == clock.now + datetime.timedelta(minutes=2)

    clock.advance(datetime.timedelta(minutes=2))
    deliver_emails.call()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 3)
    assert delivery.next_attempt_at is None
    assert "Connection refused" in delivery.last_error
    assert mail.outbox == []

    changelist = reverse("admin:cooperation_outboundemail_changelist")
    page = admin_client.get(changelist, {"status": "failed"})
    assert list(page.context["cl"].result_list) == [delivery]

    settings.MAILERS = LOCMEM
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist,
            {"action": "retry", "_selected_action": [str(delivery.pk)]},
        )
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Status.PENDING, 0)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT
    assert [message.to for message in mail.outbox] == [[attendee.email]]


def test_only_who_may_change_the_outbox_sees_the_retry_action(admin_client):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboundemail"))
    client = Client()
    client.force_login(viewer)
    changelist = reverse("admin:cooperation_outboundemail_changelist")

    assert 'value="retry"' in admin_client.get(changelist).text
    page = client.get(changelist)
    assert page.status_code == 200
    assert 'value="retry"' not in page.text


# ---------------------------------------------------------------------- batches


def test_one_refused_address_fails_alone_and_the_batch_uses_one_connection(settings):
    settings.MAILERS = REFUSING
    outbox.outbox_record(
        emails=queued("a@example.org", "bounce@example.org", "c@example.org")
    )

    counts = deliver_emails.call()

    assert counts == {"sent": 2, "pending": 1, "failed": 0}
    assert mail_backends.CountingBackend.connections_opened == 1
    assert sorted(message.to[0] for message in mail.outbox) == [
        "a@example.org",
        "c@example.org",
    ]
    refused = OutboundEmail.objects.get(to_email="bounce@example.org")
    assert refused.status == Status.PENDING
    assert "SMTPRecipientsRefused" in refused.last_error
    assert set(
        OutboundEmail.objects.filter(status=Status.SENT).values_list(
            "to_email", flat=True
        )
    ) == {"a@example.org", "c@example.org"}


def test_a_worker_killed_after_its_claim_leaves_the_rows_due_after_the_lease(clock):
    outbox.outbox_record(emails=queued("a@example.org", "b@example.org"))
    claimed = outbox._claim(limit=10, now=clock.now)  # then the worker dies
    assert len(claimed) == 2

    assert deliver_emails.call()["sent"] == 0  # another worker: leased, not due
    clock.advance(settings.PORTAL_EMAIL_CLAIM_LEASE)
    assert deliver_emails.call()["sent"] == 2
    assert len(mail.outbox) == 2
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {2}


def test_the_same_key_is_queued_once():
    first = outbox.outbox_record(emails=queued("a@example.org", "a@example.org"))
    again = outbox.outbox_record(emails=queued("a@example.org"))

    assert len(first) == 1
    assert again == []
    assert OutboundEmail.objects.count() == 1


def test_a_password_reset_link_is_forgotten_once_sent(
    client, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="officer@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "officer@example.org"})

    assert "/accounts/reset/" in mail.outbox[0].body
    reset = OutboundEmail.objects.get(kind=OutboundEmail.Kind.PASSWORD_RESET)
    assert reset.status == Status.SENT
    assert reset.body == ""
    assert "/accounts/reset/" not in reset.key


# ------------------------------------------------------- nothing in the request


@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_a_request_only_queues(
    superuser, attendee, colombia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        schedule_on_the_page(superuser, attendee, colombia)

    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == Status.PENDING
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "cooperation.tasks.deliver_emails"

    assert deliver_emails.call()["sent"] == 1  # what the worker runs
    assert [message.to for message in mail.outbox] == [[attendee.email]]
    assert OutboundEmail.objects.get().status == Status.SENT


# --------------------------------------------------------------------- queries


def notify_queries(colombia, attendees):
    meeting = factories.AssessmentMeetingFactory(
        starts_at=timezone.now() + datetime.timedelta(days=3),
        ends_at=timezone.now() + datetime.timedelta(days=3, hours=1),
        released_to_all=False,
    )
    meeting.released_to.add(colombia)
    factories.AgendaItemFactory(meeting=meeting, position=1)
    for _ in range(attendees):
        factories.InvitationFactory(
            meeting=meeting, user=factories.UserFactory(nation=colombia)
        )
    factories.InvitationFactory(meeting=meeting, user=factories.UserFactory())
    with CaptureQueriesContext(connection) as queries:
        queued = invitations.meeting_notify(
            meeting=meeting, kind="request", acting_user=None
        )
    assert queued == attendees  # not the attendee of a nation it is withheld from
    return len(queries)


def test_meeting_notify_queries_do_not_grow_with_the_attendees(colombia):
    # The savepoint and its release, the meeting locked, its invitations, agenda,
    # nations released to, who may see everything, the keys already queued (before
    # rendering, and again by the outbox), the rows inserted, the invitations'
    # revision and their history rows.
    assert notify_queries(colombia, 10) == notify_queries(colombia, 30) == 12


# ---------------------------------------------------------------- scheduling


def test_send_reminders_started_twice_queues_each_reminder_once(
    colombia, django_capture_on_commit_callbacks
):
    owner = factories.UserFactory(nation=colombia)
    factories.RecommendationFactory(
        owner=owner, due_date=timezone.now().date() + datetime.timedelta(days=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
        call_command("send_reminders", stdout=io.StringIO())

    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_send_reminders_enqueues_a_retry_that_is_due(
    clock, django_capture_on_commit_callbacks
):
    (row,) = outbox.outbox_record(emails=queued("a@example.org"))
    OutboundEmail.objects.update(attempts=1, next_attempt_at=clock.now)

    with override_settings(TASKS=DATABASE_TASKS):
        call_command("send_reminders", stdout=io.StringIO())
        assert DBTaskResult.objects.count() == 1


def test_housekeeping_prunes_delivered_rows_past_retention_only(clock, settings):
    settings.PORTAL_OUTBOX_RETENTION_DAYS = 30
    outbox.outbox_record(emails=queued("old@example.org", "new@example.org"))
    failed = outbox.outbox_record(emails=queued("failed@example.org"))[0]
    deliver_emails.call()
    OutboundEmail.objects.filter(key=failed.key).update(
        status=Status.FAILED, sent_at=None, next_attempt_at=None
    )
    OutboundEmail.objects.filter(to_email="old@example.org").update(
        sent_at=clock.now - datetime.timedelta(days=31)
    )

    out = io.StringIO()
    call_command("housekeeping", stdout=out)

    assert set(OutboundEmail.objects.values_list("to_email", flat=True)) == {
        "new@example.org",
        "failed@example.org",
    }
    assert "Deleted 1 e-mail(s) delivered more than 30 days ago." in out.getvalue()
