"""Invitations, RSVP, reminders and calendars for assessment meetings.

Everything the portal sends goes through ``_send_once``: it first inserts a
``SentNotification`` row whose unique ``key`` names what is being sent, then sends the
e-mail, both inside one savepoint. A second attempt with the same key fails on the
unique constraint and is skipped; a failed send rolls the row back so the next run
retries. So ``meeting_notify`` and ``reminders_send`` can be called as often as
anyone likes (``send_reminders`` runs every five minutes from cron) and never send the
same thing twice.

Each recipient gets mail in their own preferred language and with times in their own
time zone, beside the meeting's own zone; nobody gets mail about a record that is not
released to them.

Reminder cadence (``reminders_send``):

* a meeting reminder once per attendee and start time, ``MEETING_REMINDER_LEAD``
  minutes before the start — a meeting moved to another time reminds again;
* a recommendation due within seven days: once per owner and due date (a new due date
  reminds again);
* an overdue recommendation: once a week (ISO week, UTC) while it stays open.

Calendars: ``meeting_ical`` builds one meeting as an RFC 5545/5546 iCalendar object
(METHOD REQUEST, CANCEL or PUBLISH, a VTIMEZONE for the meeting's zone, a stable UID
and the meeting's SEQUENCE); ``calendar_feed`` publishes every meeting visible to a
user at a secret-token URL; only the SHA-256 of that token is stored.
"""

import datetime
import hashlib
import secrets
import zoneinfo
from email.utils import parseaddr
from enum import StrEnum
from functools import cache
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    Recommendation,
    SentNotification,
    User,
)

PRODID = "-//Partner Coordination Portal//Assessment meetings//EN"
FEED_HISTORY_DAYS = 90
RECOMMENDATION_DUE_SOON_DAYS = 7

PARTSTAT = {
    Invitation.Response.NEEDS_ACTION: "NEEDS-ACTION",
    Invitation.Response.ACCEPTED: "ACCEPTED",
    Invitation.Response.TENTATIVE: "TENTATIVE",
    Invitation.Response.DECLINED: "DECLINED",
}
EVENT_STATUS = {
    AssessmentMeeting.Status.DRAFT: "TENTATIVE",
    AssessmentMeeting.Status.SCHEDULED: "CONFIRMED",
    AssessmentMeeting.Status.HELD: "CONFIRMED",
    AssessmentMeeting.Status.CANCELLED: "CANCELLED",
}
RSVP_RESPONSES = (
    Invitation.Response.ACCEPTED,
    Invitation.Response.TENTATIVE,
    Invitation.Response.DECLINED,
)

# ------------------------------------------------------------------ small helpers


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def portal_url(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def portal_host() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"


def meeting_uid(meeting: AssessmentMeeting) -> str:
    """The iCalendar UID of a meeting: the same for every revision and every copy."""
    return f"meeting-{meeting.pk}@{portal_host()}"


@cache
def _vtimezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    # Building a VTIMEZONE walks the zone's transitions; the package asks to cache it.
    # It covers only the years the calendar needs, so invitations stay small.
    return icalendar.Timezone.from_tzid(
        tzid,
        first_date=datetime.date(first_year, 1, 1),
        last_date=datetime.date(last_year + 1, 1, 1),
    )


def _add_vtimezones(calendar: icalendar.Calendar, meetings) -> None:
    """A VTIMEZONE for each zone the ``meetings`` are held in, over their years."""
    years = {}
    for meeting in meetings:
        first, last = years.get(meeting.time_zone, (9999, 1))
        years[meeting.time_zone] = (
            min(first, meeting.starts_at.year - 1),
            max(last, meeting.ends_at.year + 1),
        )
    for name, (first, last) in sorted(years.items()):
        if name != "UTC" and zone_of(name).key == name:
            calendar.add_component(_vtimezone(name, first, last))


def _new_calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _address(user: User | None) -> tuple[str, str]:
    """(name, e-mail) of a meeting's organizer; the portal itself without a chair."""
    if user is not None and user.email:
        return str(user), user.email
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or _("Partner Coordination Portal"), email or f"noreply@{portal_host()}"


def _agenda_text(meeting: AssessmentMeeting, agenda) -> str:
    lines = []
    if agenda:
        lines.append(_("Agenda:"))
        lines.extend(
            f"{number}. {item.title} ({item.duration_minutes} min)"
            for number, item in enumerate(agenda, start=1)
        )
    if meeting.online_url:
        lines.append(_("Online link: %s") % meeting.online_url)
    lines.append(_("Meeting page: %s") % portal_url(meeting.get_absolute_url()))
    return "\n".join(lines)


def _meeting_event(
    meeting: AssessmentMeeting, *, agenda, invitations=None, cancelled=False
) -> icalendar.Event:
    zone = zone_of(meeting.time_zone)
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    # Local wall-clock times with TZID=<the meeting's zone>, as the meeting is held.
    event.add("dtstart", timezone.localtime(meeting.starts_at, zone))
    event.add("dtend", timezone.localtime(meeting.ends_at, zone))
    event.add("summary", meeting.title)
    if meeting.location or meeting.online_url:
        event.add("location", meeting.location or meeting.online_url)
    event.add("url", portal_url(meeting.get_absolute_url()))
    event.add("description", _agenda_text(meeting, agenda))
    event.add("status", "CANCELLED" if cancelled else EVENT_STATUS[meeting.status])
    event.add("last-modified", meeting.updated_at.astimezone(datetime.UTC))
    name, email = _address(meeting.chair)
    event.add("organizer", f"mailto:{email}", parameters={"CN": name})
    for invitation in invitations or ():
        attendee = invitation.user
        if not attendee.email:
            continue
        event.add(
            "attendee",
            f"mailto:{attendee.email}",
            parameters={
                "CN": str(attendee),
                "CUTYPE": "INDIVIDUAL",
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": PARTSTAT[invitation.response],
                "RSVP": "TRUE",
            },
        )
    return event


# --------------------------------------------------------------------- iCalendar


def meeting_ical(
    *,
    meeting: AssessmentMeeting,
    method: str = "REQUEST",
    language: str | None = None,
    invitations=None,
    agenda=None,
) -> bytes:
    """One meeting as an iCalendar object.

    ``method`` is REQUEST (an invitation), CANCEL (STATUS:CANCELLED) or PUBLISH (a
    plain download). ``language`` is the recipient's: the few words written into the
    description are in it. ``invitations`` and ``agenda`` may be passed already loaded.
    """
    if method not in {"REQUEST", "CANCEL", "PUBLISH"}:
        raise ValueError(f"Unknown iCalendar method {method!r}")
    if invitations is None and method != "PUBLISH":
        invitations = list(meeting.invitations.by_attendee_name())
    if agenda is None:
        agenda = list(meeting.agenda_items.all())
    with translation.override(language or settings.LANGUAGE_CODE):
        calendar = _new_calendar(method)
        _add_vtimezones(calendar, [meeting])
        calendar.add_component(
            _meeting_event(
                meeting,
                agenda=agenda,
                # RFC 5546: a PUBLISHed event carries no attendees.
                invitations=None if method == "PUBLISH" else invitations,
                cancelled=method == "CANCEL",
            )
        )
    return calendar.to_ical()


# --------------------------------------------------------------------- sending


def _render_mail(template: str, context: dict, *, user: User):
    """(subject, body, language) rendered in ``user``'s language and time zone."""
    with (
        translation.override(user.mail_language),
        timezone.override(zone_of(user.time_zone)),
    ):
        context = {
            **context,
            "recipient": user,
            "recipient_zone": user.time_zone,
            "portal_url": settings.PORTAL_BASE_URL,
        }
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}_body.txt", context)
        language = translation.get_language()
    return " ".join(subject.split()), body, language


def _send_once(*, key: str, kind: str, user: User, build) -> bool:
    """Send the message ``build()`` makes to ``user`` unless ``key`` was sent before.

    The log row is inserted first, in a savepoint together with the send: a duplicate
    key means it was already sent; a failing send rolls the row back.
    """
    if not user.email:
        return False
    try:
        with transaction.atomic():
            SentNotification.objects.create(key=key, kind=kind, recipient=user)
            build().send()
    except IntegrityError:
        return False
    return True


def _message(*, user: User, template: str, context: dict, ical=None, method=None):
    subject, body, language = _render_mail(template, context, user=user)
    message = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={"Content-Language": language},
    )
    if ical is not None:
        message.attach("invite.ics", ical, f"text/calendar; method={method}")
    return message


def _meeting_context(meeting: AssessmentMeeting, agenda) -> dict:
    return {
        "meeting": meeting,
        "meeting_zone": meeting.time_zone,
        "agenda": agenda,
        "meeting_url": portal_url(meeting.get_absolute_url()),
        "ics_url": portal_url(reverse("cooperation:meeting-ics", args=[meeting.pk])),
    }


class Notice(StrEnum):
    """What the attendees of a meeting are sent."""

    REQUEST = "request"  # the invitation (new, or changed: a new SEQUENCE)
    CANCEL = "cancel"


def meeting_notify(
    *,
    meeting: AssessmentMeeting,
    kind: Notice = Notice.REQUEST,
    acting_user: User | None,
) -> int:
    """E-mail a meeting's attendees its invitation or its cancellation; return how many.

    Call it (through ``transaction.on_commit``) when a meeting is scheduled, changed or
    cancelled. A change after the current revision was already sent raises the
    meeting's SEQUENCE by one so that calendar clients replace the old copy.
    Invitations go only to a scheduled meeting that has not ended; cancellations only
    to attendees who were sent an invitation. Nobody gets mail about a meeting not
    released to them. History names ``acting_user`` (whose change is being told; None
    for a run nobody started) for the SEQUENCE and the invitations it writes.
    """
    cancelling = Notice(kind) == Notice.CANCEL
    with transaction.atomic():
        meeting = (
            AssessmentMeeting.objects.select_for_update(of=("self",))
            .select_related("chair")
            .get(pk=meeting.pk)
        )
        if not cancelling and (
            meeting.status != AssessmentMeeting.Status.SCHEDULED
            or meeting.ends_at <= timezone.now()
        ):
            return 0
        invitations = list(
            meeting.invitations.select_related("user", "user__nation").order_by("pk")
        )
        recipients = [
            invitation
            for invitation in invitations
            if not cancelling or invitation.sent_sequence >= 0
        ]
        if not recipients:
            return 0
        if any(
            invitation.sent_sequence >= meeting.sequence for invitation in invitations
        ):
            meeting.sequence += 1
            meeting._history_user = acting_user
            meeting.save(update_fields=["sequence"])
        agenda = list(meeting.agenda_items.all())

    method = "CANCEL" if cancelling else "REQUEST"
    kind_value = (
        SentNotification.Kind.CANCELLATION
        if cancelling
        else SentNotification.Kind.INVITATION
    )
    template = "meeting_cancellation" if cancelling else "meeting_invitation"
    context = _meeting_context(meeting, agenda)
    sent = 0
    for invitation in recipients:
        user = invitation.user
        if not user.is_active or not meeting.is_visible_to(user):
            continue

        def build(user=user, invitation=invitation):
            ical = meeting_ical(
                meeting=meeting,
                method=method,
                language=user.mail_language,
                invitations=invitations,
                agenda=agenda,
            )
            return _message(
                user=user,
                template=template,
                context={**context, "invitation": invitation},
                ical=ical,
                method=method,
            )

        key = f"{kind_value}:{meeting.pk}:{user.pk}:{meeting.sequence}"
        if _send_once(key=key, kind=kind_value, user=user, build=build):
            sent += 1
            if not cancelling and invitation.sent_sequence != meeting.sequence:
                invitation.sent_sequence = meeting.sequence
                invitation._history_user = acting_user
                invitation.save(update_fields=["sent_sequence"])
    return sent


# --------------------------------------------------------------------------- RSVP


@transaction.atomic
def invitation_respond(
    *, invitation: Invitation, acting_user: User, response: str
) -> None:
    """Record the invitee's (``acting_user``) answer: accepted, tentative or declined."""
    if invitation.user_id != acting_user.pk:
        raise PermissionDenied(_("Only the invited person can answer an invitation."))
    if response not in RSVP_RESPONSES:
        raise ValidationError(
            {"response": _("Answer accept, tentative or decline.")}, code="invalid"
        )
    if invitation.meeting.status == AssessmentMeeting.Status.CANCELLED:
        raise ValidationError(
            _("This meeting was cancelled; there is nothing to answer."),
            code="cancelled",
        )
    if invitation.meeting.has_ended:
        raise ValidationError(
            _("This meeting is over; answers can no longer be given or changed."),
            code="ended",
        )
    invitation.response = response
    invitation.responded_at = timezone.now()
    invitation.full_clean()
    invitation._history_user = acting_user
    invitation.save(update_fields=["response", "responded_at"])


# ---------------------------------------------------------------------- reminders


def _meeting_reminders(now: datetime.datetime) -> int:
    lead = datetime.timedelta(minutes=settings.MEETING_REMINDER_LEAD)
    invitations = list(
        Invitation.objects.filter(
            meeting__status=AssessmentMeeting.Status.SCHEDULED,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + lead,
            user__is_active=True,
        )
        .exclude(response=Invitation.Response.DECLINED)
        .exclude(user__email="")
        .select_related("meeting", "meeting__chair", "user", "user__nation")
        .order_by("meeting__starts_at", "pk")
    )
    keys = {
        invitation.pk: (
            f"{SentNotification.Kind.MEETING_REMINDER}:{invitation.meeting_id}:"
            f"{invitation.user_id}:{invitation.meeting.starts_at.isoformat()}"
        )
        for invitation in invitations
    }
    already = set(
        SentNotification.objects.filter(key__in=keys.values()).values_list(
            "key", flat=True
        )
    )
    sent = 0
    for invitation in invitations:
        key = keys[invitation.pk]
        meeting, user = invitation.meeting, invitation.user
        if key in already or not meeting.is_visible_to(user):
            continue

        def build(meeting=meeting, user=user, invitation=invitation):
            context = {
                **_meeting_context(meeting, list(meeting.agenda_items.all())),
                "invitation": invitation,
            }
            return _message(user=user, template="meeting_reminder", context=context)

        if _send_once(
            key=key,
            kind=SentNotification.Kind.MEETING_REMINDER,
            user=user,
            build=build,
        ):
            sent += 1
    return sent


def recommendation_reminder_key(rec: Recommendation, *, today: datetime.date) -> str:
    """Due soon: once per due date. Overdue: once per ISO week while still open."""
    prefix = f"{SentNotification.Kind.RECOMMENDATION_REMINDER}:{rec.pk}"
    if rec.due_date < today:
        year, week, _day = today.isocalendar()
        return f"{prefix}:overdue:{rec.due_date.isoformat()}:{year}-W{week:02d}"
    return f"{prefix}:due:{rec.due_date.isoformat()}"


def _recommendation_reminders(today: datetime.date) -> int:
    recommendations = list(
        Recommendation.objects.open()
        .filter(
            due_date__isnull=False,
            due_date__lte=today + datetime.timedelta(days=RECOMMENDATION_DUE_SOON_DAYS),
            owner__is_active=True,
        )
        .exclude(owner__email="")
        .select_related("owner", "owner__nation")
        .order_by("due_date", "pk")
    )
    keys = {
        rec.pk: recommendation_reminder_key(rec, today=today) for rec in recommendations
    }
    already = set(
        SentNotification.objects.filter(key__in=keys.values()).values_list(
            "key", flat=True
        )
    )
    sent = 0
    for rec in recommendations:
        key = keys[rec.pk]
        if key in already or not rec.is_visible_to(rec.owner):
            continue
        context = {
            "recommendation": rec,
            "overdue": rec.due_date < today,
            "days_left": (rec.due_date - today).days,
            "days_overdue": (today - rec.due_date).days,
            "recommendation_url": portal_url(rec.get_absolute_url()),
        }

        def build(rec=rec, context=context):
            return _message(
                user=rec.owner, template="recommendation_reminder", context=context
            )

        if _send_once(
            key=key,
            kind=SentNotification.Kind.RECOMMENDATION_REMINDER,
            user=rec.owner,
            build=build,
        ):
            sent += 1
    return sent


def reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send every reminder that is due and was not sent before; return the counts."""
    now = now or timezone.now()
    today = now.astimezone(datetime.UTC).date()
    return {
        "meeting_reminders": _meeting_reminders(now),
        "recommendation_reminders": _recommendation_reminders(today),
    }


# ---------------------------------------------------------------- calendar feed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_token_create(*, user: User, acting_user: User) -> str:
    """Make (or replace) the user's feed token; return the secret, shown only once."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = _token_hash(token)
    user._history_user = acting_user
    user.save(update_fields=["calendar_token_hash"])
    return token


@transaction.atomic
def calendar_token_revoke(*, user: User, acting_user: User) -> None:
    user.calendar_token_hash = ""
    user._history_user = acting_user
    user.save(update_fields=["calendar_token_hash"])


def calendar_feed_user(token: str) -> User | None:
    """The active user whose feed token this is, or None.

    Only the token's SHA-256 is stored and looked up, so comparing happens on a hash
    an attacker cannot steer; an unknown or revoked token finds nobody.
    """
    if not token or len(token) > 200:
        return None
    return (
        User.objects.select_related("nation")
        .filter(calendar_token_hash=_token_hash(token), is_active=True)
        .first()
    )


def calendar_feed(*, user: User, now: datetime.datetime | None = None) -> bytes:
    """Every meeting visible to ``user`` from 90 days ago on, as METHOD:PUBLISH."""
    now = now or timezone.now()
    meetings = list(
        AssessmentMeeting.objects.visible_to(user)
        .filter(starts_at__gte=now - datetime.timedelta(days=FEED_HISTORY_DAYS))
        .select_related("chair")
        .prefetch_related("agenda_items")
        .order_by("starts_at", "pk")
    )
    with translation.override(user.mail_language):
        calendar = _new_calendar("PUBLISH")
        calendar.add("x-wr-calname", _("Partner Coordination Portal meetings"))
        calendar.add("x-wr-timezone", user.time_zone)
        calendar.add("x-published-ttl", datetime.timedelta(hours=1))
        calendar.add(
            "refresh-interval",
            datetime.timedelta(hours=1),
            parameters={"VALUE": "DURATION"},
        )
        _add_vtimezones(calendar, meetings)
        for meeting in meetings:
            calendar.add_component(
                _meeting_event(
                    meeting,
                    agenda=list(meeting.agenda_items.all()),
                    cancelled=meeting.status == AssessmentMeeting.Status.CANCELLED,
                )
            )
    return calendar.to_ical()
