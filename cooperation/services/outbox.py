"""The outbox: e-mail is recorded with the change that causes it, and sent later.

A service that must tell someone something renders the message (in the recipient's
language, as it will be read) and records it with ``outbox_record`` inside its own
transaction: the message exists exactly when the change does. On commit, the delivery
task (``cooperation.tasks.deliver_emails``) is enqueued; it runs ``outbox_deliver``
in the worker (``manage.py db_worker`` with ``DJANGO_TASKS_BACKEND=database``), so no
request ever waits for the mail server and a mail server that is down never turns a
save into an error.

Delivery guarantees:

* **Once per key.** Each row has a unique ``key`` naming what it is about; recording
  a key already present keeps the first row, so nothing is queued twice, whoever
  records it and however often (two ``send_reminders`` at the same moment included).
* **No lock held while talking to SMTP.** ``outbox_deliver`` claims a batch of due
  rows in a short transaction (``select_for_update(skip_locked=True)``: concurrent
  workers take different rows), counts the attempt and pushes ``next_attempt_at``
  one lease (``PORTAL_EMAIL_CLAIM_LEASE``) ahead, then commits before opening the connection.
* **At most one duplicate, after a crash.** Each row is marked sent right after the
  server accepted it. A worker killed in the middle of a batch leaves its unsent rows
  to become due again when the lease ends; only the one message the server accepted
  just before the kill, and not yet marked, can be sent a second time.
* **Isolation and retries.** A batch goes over one SMTP connection; each message is
  sent in its own ``try``: a refused address fails that row only. A failed row is
  retried with exponential backoff (``PORTAL_EMAIL_RETRY_BASE`` × 2^(attempts − 1),
  at most ``RETRY_MAX``) and marked failed after ``PORTAL_EMAIL_MAX_ATTEMPTS``, its last
  error kept; Administrators see it in the admin and retry it there
  (``delivery_retry``).
"""

import datetime
import logging
import smtplib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cooperation.models import OutboundEmail, User

logger = logging.getLogger("cooperation.outbox")

BATCH_SIZE = 50
# How long a claimed row belongs to the worker that claimed it
# (``PORTAL_EMAIL_CLAIM_LEASE``) and the first retry's wait
# (``PORTAL_EMAIL_RETRY_BASE``) are settings; the longest wait is fixed.
RETRY_MAX = datetime.timedelta(hours=6)
ERROR_MAX_LENGTH = 2000

Status = OutboundEmail.Status
# Messages whose text must not outlive their delivery (a password reset link): the
# body is blanked once sent, so nobody reading the outbox can use it.
SECRET_KINDS = {OutboundEmail.Kind.PASSWORD_RESET}


# ------------------------------------------------------------------------ record


def outbox_record(*, emails: Sequence[OutboundEmail]) -> list[OutboundEmail]:
    """Record the unsaved ``emails`` to be sent; return those that were new.

    Call it inside the transaction of the change the messages tell of. A key that is
    already recorded (or repeated in ``emails``) is skipped; should another
    transaction record the same key at the same moment, the database keeps one row.
    The delivery task is enqueued once the transaction commits.
    """
    seen = set(
        OutboundEmail.objects.filter(key__in=[email.key for email in emails])
        .values_list("key", flat=True)
        .order_by()
    )
    new = []
    now = timezone.now()
    for email in emails:
        if email.key in seen:
            continue
        seen.add(email.key)
        email.status = Status.PENDING
        email.next_attempt_at = now
        new.append(email)
    if new:
        OutboundEmail.objects.bulk_create(new, ignore_conflicts=True)
        enqueue_delivery_on_commit()
    return new


def enqueue_delivery_on_commit() -> None:
    """Enqueue the delivery task when the current transaction commits. A task that
    finds its rows already taken by another ends at once, so recording several
    times in one transaction (the occurrences of a series) costs little."""
    # Robust: a task queue that cannot be reached must not undo or fail the change;
    # the rows stay pending and the next ``send_reminders`` run enqueues them again.
    transaction.on_commit(_enqueue_delivery, robust=True)


def _enqueue_delivery() -> None:
    from cooperation.tasks import deliver_emails

    deliver_emails.enqueue()


def outbox_enqueue_due(*, now: datetime.datetime | None = None) -> bool:
    """Enqueue the delivery task when some row is due (a retry whose time came, a row
    whose worker died); return whether it was."""
    now = now or timezone.now()
    if not OutboundEmail.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now
    ).exists():
        return False
    _enqueue_delivery()
    return True


# ---------------------------------------------------------------------- deliver


def _claim(*, limit: int, now: datetime.datetime) -> list[OutboundEmail]:
    """Take up to ``limit`` due rows for this worker, in a short transaction."""
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if rows:
            OutboundEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
                attempts=F("attempts") + 1,
                next_attempt_at=now + settings.PORTAL_EMAIL_CLAIM_LEASE,
            )
    for row in rows:
        row.attempts += 1
    return rows


def _message(row: OutboundEmail, connection) -> EmailMultiAlternatives:
    headers = {"Content-Language": row.language} if row.language else {}
    message = EmailMultiAlternatives(
        row.subject,
        row.body,
        settings.DEFAULT_FROM_EMAIL,
        [row.to_email],
        headers=headers,
        connection=connection,
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    if row.ical:
        message.attach(
            "invite.ics", row.ical, f"text/calendar; method={row.ical_method}"
        )
    return message


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return min(settings.PORTAL_EMAIL_RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)


def _broken(error: Exception) -> bool:
    """Whether ``error`` means the connection itself is gone (not one refusal)."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _record_failure(row: OutboundEmail, error: Exception, *, now) -> str:
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    changes = {"last_error": text}
    if row.attempts >= settings.PORTAL_EMAIL_MAX_ATTEMPTS:
        changes |= {"status": Status.FAILED, "next_attempt_at": None}
        logger.error(
            "E-mail given up after %d attempts: id=%d key=%s error=%s",
            row.attempts,
            row.pk,
            row.key,
            text,
        )
    else:
        changes["next_attempt_at"] = now + retry_delay(row.attempts)
        logger.warning(
            "E-mail not sent, will retry: id=%d key=%s attempt=%d error=%s",
            row.pk,
            row.key,
            row.attempts,
            text,
        )
    OutboundEmail.objects.filter(pk=row.pk, status=Status.PENDING).update(**changes)
    return changes.get("status", Status.PENDING)


def _send_batch(rows: list[OutboundEmail], counts: dict[str, int]) -> None:
    """Send ``rows`` over one connection, recording each outcome as it comes."""
    smtp = mail.mailers.default  # a new connection, opened once for the batch
    waiting = list(rows)
    try:
        smtp.open()
        while waiting:
            row = waiting.pop(0)
            try:
                smtp.send_messages([_message(row, smtp)])
            except Exception as error:  # noqa: BLE001 - one message, one outcome
                counts[_record_failure(row, error, now=timezone.now())] += 1
                if _broken(error):
                    smtp.close()
                    smtp.open()
                continue
            forget = {"body": "", "html_body": ""} if row.kind in SECRET_KINDS else {}
            OutboundEmail.objects.filter(pk=row.pk).update(
                status=Status.SENT,
                sent_at=timezone.now(),
                next_attempt_at=None,
                last_error="",
                **forget,
            )
            counts[Status.SENT] += 1
    except Exception as error:  # noqa: BLE001 - no connection: the rest waits
        now = timezone.now()
        for row in waiting:
            counts[_record_failure(row, error, now=now)] += 1
    finally:
        smtp.close()


def outbox_deliver(
    *, batch_size: int = BATCH_SIZE, max_batches: int | None = None
) -> dict[str, int]:
    """Send every due e-mail, batch by batch; return how many were sent, are waiting
    for a retry (pending) and were given up (failed)."""
    counts = {Status.SENT: 0, Status.PENDING: 0, Status.FAILED: 0}
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = _claim(limit=batch_size, now=timezone.now())
        if not rows:
            break
        _send_batch(rows, counts)
        batches += 1
    return {str(status): total for status, total in counts.items()}


# ------------------------------------------------------------------------ retry


@transaction.atomic
def delivery_retry(
    *, deliveries: Iterable[OutboundEmail], acting_user: User | None
) -> int:
    """Send the failed ``deliveries`` again: pending, due now, attempts counted from
    zero; the delivery task is enqueued on commit. Return how many."""
    pks = [delivery.pk for delivery in deliveries]
    count = OutboundEmail.objects.filter(pk__in=pks, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        logger.info(
            "E-mail deliveries retried: count=%d by=%r",
            count,
            acting_user.get_username() if acting_user is not None else "-",
        )
        enqueue_delivery_on_commit()
    return count


# ------------------------------------------------------------------ housekeeping


def outbox_prune(*, days: int | None = None) -> int:
    """Delete rows sent more than ``days`` (``PORTAL_OUTBOX_RETENTION_DAYS``) ago;
    return how many. Keys live in the reminder windows for at most a week, so a retention
    of some weeks never lets anything be sent twice."""
    days = settings.PORTAL_OUTBOX_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = OutboundEmail.objects.filter(
        status=Status.SENT, sent_at__lt=cutoff
    ).delete()
    return deleted
