"""Briefings as PDF: asked for by a reader, made by the task worker.

``briefing_request`` records what the reader asked for (with their language and time
zone) and enqueues ``cooperation.tasks.make_briefing`` once the transaction commits.
The task runs ``briefing_make``: it claims the row for a lease
(``PORTAL_BRIEFING_CLAIM_LEASE``), reads the content as that reader
(``cooperation.briefings``), renders it with WeasyPrint (``cooperation.pdf``) and
stores the PDF on the row. A failure is kept on the row and retried
(``PORTAL_BRIEFING_RETRY`` later, enqueued by the scheduler's ``send_reminders`` run)
up to ``PORTAL_BRIEFING_MAX_ATTEMPTS`` times; then the row is failed, and its reader
sees why and may try again (``briefing_retry``). Nothing a reader asked for is lost.
"""

import datetime
import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cooperation.models import AssessmentMeeting, Briefing, FocusArea, User

logger = logging.getLogger("cooperation.briefings")

Status = Briefing.Status
ERROR_MAX_LENGTH = 2000
# At most this many due briefings are enqueued again by one scheduler run.
ENQUEUE_BATCH = 100
# ``last_error`` of a briefing whose subject its reader may no longer see.
NOT_RELEASED = "not_released"
# Who may try again a briefing someone else asked for (the admin's action).
RETRY_ANY_PERMISSION = "cooperation.change_briefing"


def briefing_request(
    *,
    acting_user: User,
    meeting: AssessmentMeeting | None = None,
    as_of: datetime.date | None = None,
    region: str = "",
    focus_area: FocusArea | None = None,
) -> Briefing:
    """Ask for the PDF briefing of ``meeting``, or of the regional picture as of
    ``as_of`` (with an optional region and focus area), in the current language
    and time zone; the worker makes it."""
    if meeting is not None:
        if (
            not AssessmentMeeting.objects.visible_to(acting_user)
            .filter(pk=meeting.pk)
            .exists()
        ):
            raise PermissionDenied
        kind = Briefing.Kind.MEETING
    elif as_of is not None:
        kind = Briefing.Kind.REGIONAL
    else:
        raise ValidationError(
            _("Choose a meeting or a day for the briefing."), code="no_subject"
        )
    with transaction.atomic():
        briefing = Briefing.objects.create(
            kind=kind,
            requested_by=acting_user,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            time_zone=timezone.get_current_timezone_name(),
            meeting=meeting,
            as_of=as_of if meeting is None else None,
            region=region if meeting is None else "",
            focus_area=focus_area if meeting is None else None,
            next_attempt_at=timezone.now(),
        )
        _enqueue_on_commit(briefing.pk)
    return briefing


def _enqueue_on_commit(pk) -> None:
    # ``robust``: a task backend that is down leaves the row pending and due; the
    # scheduler's next run enqueues it again (``briefing_enqueue_due``).
    transaction.on_commit(lambda: _enqueue(pk), robust=True)


def _enqueue(pk) -> None:
    from cooperation.tasks import make_briefing

    make_briefing.enqueue(str(pk))


def briefing_enqueue_due(*, now: datetime.datetime | None = None) -> int:
    """Enqueue the briefings that are due (a retry whose time came, one whose
    worker died); return how many."""
    now = now or timezone.now()
    due = list(
        Briefing.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:ENQUEUE_BATCH]
    )
    for pk in due:
        _enqueue(pk)
    return len(due)


def _claim(pk, *, now) -> Briefing | None:
    """Take the briefing for this worker for one lease, unless another has it or
    it is not due."""
    claimed = Briefing.objects.filter(
        pk=pk, status=Status.PENDING, next_attempt_at__lte=now
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=now + settings.PORTAL_BRIEFING_CLAIM_LEASE,
    )
    if not claimed:
        return None
    return Briefing.objects.select_related("requested_by", "meeting", "focus_area").get(
        pk=pk
    )


class NotReleased(Exception):
    """The reader may no longer see what the briefing is about."""


def briefing_content(briefing: Briefing):
    """The content of ``briefing`` as its reader sees it now (in the active
    language and time zone)."""
    from cooperation import briefings
    from cooperation.picture import active_focus_areas

    user = briefing.requested_by
    if briefing.kind == Briefing.Kind.MEETING:
        meeting = (
            AssessmentMeeting.objects.visible_to(user)
            .filter(pk=briefing.meeting_id)
            .first()
        )
        if meeting is None:
            raise NotReleased
        return briefings.meeting_briefing(user, meeting)
    return briefings.regional_briefing(
        user,
        as_of=briefing.as_of,
        focus_areas=active_focus_areas(),
        region=briefing.region or None,
        focus_slug=briefing.focus_area.slug if briefing.focus_area else None,
    )


def briefing_make(pk) -> str:
    """Make the PDF of the briefing ``pk`` if it is due; return its status."""
    from cooperation.pdf import briefing_pdf

    now = timezone.now()
    briefing = _claim(pk, now=now)
    if briefing is None:
        return "skipped"
    started = time.perf_counter()
    try:
        if not briefing.requested_by.is_active:
            raise NotReleased
        with (
            translation.override(briefing.language),
            timezone.override(briefing.time_zone),
        ):
            content = briefing_content(briefing)
            pdf, pages = briefing_pdf(content)
    except NotReleased:
        Briefing.objects.filter(pk=pk).update(
            status=Status.FAILED,
            next_attempt_at=None,
            last_error=NOT_RELEASED,
        )
        return Status.FAILED
    except Exception as error:
        return _record_failure(briefing, error)
    seconds = time.perf_counter() - started
    Briefing.objects.filter(pk=pk, status=Status.PENDING).update(
        status=Status.READY,
        pdf=pdf,
        pages=pages,
        title=content.title[:300],
        render_seconds=seconds,
        finished_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )
    logger.info(
        "Briefing made: id=%s kind=%s pages=%d bytes=%d seconds=%.2f",
        pk,
        briefing.kind,
        pages,
        len(pdf),
        seconds,
    )
    return Status.READY


def _record_failure(briefing: Briefing, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    changes = {"last_error": text}
    if briefing.attempts >= settings.PORTAL_BRIEFING_MAX_ATTEMPTS:
        changes |= {"status": Status.FAILED, "next_attempt_at": None}
        logger.error(
            "Briefing given up after %d attempts: id=%s error=%s",
            briefing.attempts,
            briefing.pk,
            text,
            exc_info=error,
        )
    else:
        changes["next_attempt_at"] = timezone.now() + settings.PORTAL_BRIEFING_RETRY
        logger.warning(
            "Briefing not made, will retry: id=%s attempt=%d error=%s",
            briefing.pk,
            briefing.attempts,
            text,
            exc_info=error,
        )
    Briefing.objects.filter(pk=briefing.pk, status=Status.PENDING).update(**changes)
    return changes.get("status", Status.PENDING)


@transaction.atomic
def briefing_retry(*, briefing: Briefing, acting_user: User) -> Briefing:
    """Try a failed briefing again, from its first attempt: its reader, or an
    Administrator (it is made for its reader, as before)."""
    if briefing.requested_by_id != acting_user.pk and not acting_user.has_perm(
        RETRY_ANY_PERMISSION
    ):
        raise PermissionDenied
    if briefing.status != Status.FAILED:
        raise ValidationError(
            _("Only a briefing that failed can be tried again."), code="not_failed"
        )
    Briefing.objects.filter(pk=briefing.pk, status=Status.FAILED).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
    )
    _enqueue_on_commit(briefing.pk)
    briefing.refresh_from_db()
    return briefing


def briefing_prune(*, days: int | None = None) -> int:
    """Delete briefings asked for more than ``days``
    (``PORTAL_BRIEFING_RETENTION_DAYS``) ago; return how many."""
    days = settings.PORTAL_BRIEFING_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = Briefing.objects.filter(created_at__lt=cutoff).delete()
    return deleted
