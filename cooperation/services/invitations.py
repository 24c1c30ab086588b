"""Invitations, RSVP, reminders and calendars for assessment meetings.

Nothing here talks to the mail server: ``meeting_notify`` and ``reminders_send``
render each message and record it in the outbox (``services.outbox``) under a unique
``key`` naming what it is about, in the transaction of the change; the delivery task
sends it after the commit, retrying when the server fails. A key recorded before is
skipped, so both can be called as often as anyone likes (``send_reminders`` runs every
minute) and never send the same thing twice.

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
user at a secret-token URL; only the SHA-256 of that token is stored. The
occurrences of a series are sent as one recurring event: ``services.series_invitations``.
"""

import datetime
import hashlib
import secrets
import zoneinfo
from collections import defaultdict
from email.utils import parseaddr
from enum import StrEnum
from functools import cache
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    OutboundEmail,
    Recommendation,
    User,
)
from cooperation.models.base import VIEW_ALL_PERMISSION
from cooperation.services import outbox

PRODID = "-//Partner Coordination Portal//Assessment meetings//EN"
# The backend whose permissions decide who sees every record (User.objects.with_perm).
PERMISSION_BACKEND = "cooperation.backends.NationAwareModelBackend"
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


def add_vtimezones(calendar: icalendar.Calendar, meetings) -> None:
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


def new_calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def organizer_address(user: User | None) -> tuple[str, str]:
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


def meeting_event(
    meeting: AssessmentMeeting,
    *,
    agenda,
    invitations=None,
    cancelled=False,
    uid: str | None = None,
    sequence: int | None = None,
    summary: str | None = None,
    recurrence_id: datetime.datetime | None = None,
) -> icalendar.Event:
    """``meeting`` as a VEVENT; as an instance of a recurring series' event,
    ``uid``, ``sequence`` and ``summary`` are the series' and ``recurrence_id``
    names the instance (``services.series_invitations``)."""
    zone = zone_of(meeting.time_zone)
    event = icalendar.Event()
    event.add("uid", uid or meeting_uid(meeting))
    event.add("sequence", meeting.sequence if sequence is None else sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    # Local wall-clock times with TZID=<the meeting's zone>, as the meeting is held.
    event.add("dtstart", timezone.localtime(meeting.starts_at, zone))
    event.add("dtend", timezone.localtime(meeting.ends_at, zone))
    event.add("summary", summary or meeting.title)
    if meeting.location or meeting.online_url:
        event.add("location", meeting.location or meeting.online_url)
    event.add("url", portal_url(meeting.get_absolute_url()))
    event.add("description", _agenda_text(meeting, agenda))
    event.add("status", "CANCELLED" if cancelled else EVENT_STATUS[meeting.status])
    event.add("last-modified", meeting.updated_at.astimezone(datetime.UTC))
    name, email = organizer_address(meeting.chair)
    event.add("organizer", f"mailto:{email}", parameters={"CN": name})
    add_attendees(event, invitations or ())
    return event


def add_attendees(event: icalendar.Event, invitations) -> None:
    """An ATTENDEE line per invitation with an address, carrying the answer."""
    for invitation in invitations:
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
        calendar = new_calendar(method)
        add_vtimezones(calendar, [meeting])
        calendar.add_component(
            meeting_event(
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


def already_sent(keys) -> set[str]:
    """Which of the delivery ``keys`` are in the outbox already, in one query."""
    return set(
        OutboundEmail.objects.filter(key__in=keys)
        .values_list("key", flat=True)
        .order_by()
    )


def outbound_email(
    *,
    key: str,
    kind: str,
    user: User,
    template: str,
    context: dict,
    to_email: str | None = None,
    ical: bytes | None = None,
    method: str = "",
) -> OutboundEmail:
    """The message ``template`` makes for ``user`` (to ``to_email``, by default their
    address), rendered in their language and time zone, for ``outbox_record``."""
    subject, body, language = _render_mail(template, context, user=user)
    return OutboundEmail(
        key=key,
        kind=kind,
        recipient=user,
        to_email=to_email or user.email,
        language=language,
        subject=subject,
        body=body,
        ical=ical.decode() if ical is not None else "",
        ical_method=method if ical is not None else "",
    )


def _users_who_see(record, users) -> set[int]:
    """The pks of the active ``users`` to whom ``record`` is released, decided as
    ``visible_to`` decides it, in at most two queries however many users there are."""
    return seen_by([record], users)[record.pk]


def seen_by(records, users) -> dict[int, set[int]]:
    """For each of ``records`` (of one model), the pks of the active ``users`` to
    whom it is released, decided as ``visible_to`` decides it; at most two queries
    however many records and users there are."""
    active = [user for user in users if user.is_active]
    everyone = {user.pk for user in active}
    restricted = [record for record in records if not record.released_to_all]
    seen = {record.pk: everyone for record in records if record.released_to_all}
    if not restricted:
        return seen
    model = type(restricted[0])
    source = f"{model._meta.model_name}_id"
    released = defaultdict(set)
    for record_id, nation_id in model.released_to.through.objects.filter(
        **{f"{source}__in": [record.pk for record in restricted]}
    ).values_list(source, "nation_id"):
        released[record_id].add(nation_id)
    for record in restricted:
        seen[record.pk] = {
            user.pk
            for user in active
            if user.is_superuser
            or (user.nation_id is not None and user.nation_id in released[record.pk])
        }
    # Who is left out of any record may still see every record.
    left_out = {
        user.pk
        for user in active
        for record in restricted
        if user.pk not in seen[record.pk]
    }
    if left_out:
        see_all = set(
            User.objects.with_perm(VIEW_ALL_PERMISSION, backend=PERMISSION_BACKEND)
            .filter(pk__in=left_out)
            .values_list("pk", flat=True)
        )
        for record in restricted:
            seen[record.pk] = seen[record.pk] | see_all
    return seen


def meeting_mail_context(meeting: AssessmentMeeting, agenda) -> dict:
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
    SERIES = "series"  # the whole part of a series, as one recurring invitation


@transaction.atomic
def meeting_notify(
    *,
    meeting: AssessmentMeeting,
    kind: Notice = Notice.REQUEST,
    acting_user: User | None,
) -> int:
    """Queue a meeting's invitation or cancellation for its attendees; return how many
    messages were queued.

    The meeting services call it in the transaction that schedules, changes or
    cancels the meeting: each message is recorded in the outbox with the change and
    sent by the delivery task after the commit (``services.outbox``). A change after
    the current revision was already queued raises the meeting's SEQUENCE by one so
    that calendar clients replace the old copy. Invitations go only to a scheduled
    meeting that has not ended; cancellations only to attendees who were sent an
    invitation. Nobody gets mail about a meeting not released to them. History names
    ``acting_user`` (whose change is being told; None for a run nobody started) for
    the SEQUENCE and the invitations it writes. The number of queries does not grow
    with the number of attendees. An occurrence of a series is told as an instance
    of the series' recurring invitation (``series_invitations.occurrence_update``
    and ``occurrences_cancel``).
    """
    cancelling = Notice(kind) == Notice.CANCEL
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
    if meeting.recurrence_id is not None:
        # An occurrence of a series: an instance of its recurring invitation.
        from cooperation.services import series_invitations

        if cancelling:
            return series_invitations.occurrences_cancel(
                meetings=[meeting], acting_user=acting_user
            )
        return series_invitations.occurrence_update(
            meeting=meeting, acting_user=acting_user
        )
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
    if any(invitation.sent_sequence >= meeting.sequence for invitation in invitations):
        meeting.sequence += 1
        meeting._history_user = acting_user
        meeting.save(update_fields=["sequence"])
    agenda = list(meeting.agenda_items.all())

    method = "CANCEL" if cancelling else "REQUEST"
    kind_value = (
        OutboundEmail.Kind.CANCELLATION if cancelling else OutboundEmail.Kind.INVITATION
    )
    template = "meeting_cancellation" if cancelling else "meeting_invitation"
    context = meeting_mail_context(meeting, agenda)
    visible = _users_who_see(meeting, [invitation.user for invitation in recipients])
    keyed = {
        f"{kind_value}:{meeting.pk}:{invitation.user_id}:{meeting.sequence}": invitation
        for invitation in recipients
        if invitation.user.email and invitation.user_id in visible
    }
    already = already_sent(keyed)
    emails = [
        outbound_email(
            key=key,
            kind=kind_value,
            user=invitation.user,
            template=template,
            context={**context, "invitation": invitation},
            ical=meeting_ical(
                meeting=meeting,
                method=method,
                language=invitation.user.mail_language,
                invitations=invitations,
                agenda=agenda,
            ),
            method=method,
        )
        for key, invitation in keyed.items()
        if key not in already
    ]
    queued = outbox.outbox_record(emails=emails)
    if not cancelling:
        told = []
        for email in queued:
            invitation = keyed[email.key]
            if invitation.sent_sequence != meeting.sequence:
                invitation.sent_sequence = meeting.sequence
                told.append(invitation)
        if told:
            bulk_update_with_history(
                told, Invitation, ["sent_sequence"], default_user=acting_user
            )
    return len(queued)


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
    if invitation.meeting.has_started:
        raise ValidationError(
            _("This meeting has started; answers can no longer be given or changed."),
            code="started",
        )
    invitation.response = response
    invitation.responded_at = timezone.now()
    # The attendance is the minutes' (``meeting_record_minutes``), not changed here.
    invitation.full_clean(exclude=["attendance", "represented_by"])
    invitation._history_user = acting_user
    invitation.save(update_fields=["response", "responded_at"])


# ---------------------------------------------------------------------- reminders


def _meeting_reminders(now: datetime.datetime) -> list[OutboundEmail]:
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
            f"{OutboundEmail.Kind.MEETING_REMINDER}:{invitation.meeting_id}:"
            f"{invitation.user_id}:{invitation.meeting.starts_at.isoformat()}"
        )
        for invitation in invitations
    }
    already = already_sent(keys.values())
    emails = []
    for invitation in invitations:
        key = keys[invitation.pk]
        meeting, user = invitation.meeting, invitation.user
        if key in already or not meeting.is_visible_to(user):
            continue
        context = {
            **meeting_mail_context(meeting, list(meeting.agenda_items.all())),
            "invitation": invitation,
        }
        emails.append(
            outbound_email(
                key=key,
                kind=OutboundEmail.Kind.MEETING_REMINDER,
                user=user,
                template="meeting_reminder",
                context=context,
            )
        )
    return emails


def recommendation_reminder_key(rec: Recommendation, *, today: datetime.date) -> str:
    """Due soon: once per due date. Overdue: once per ISO week while still open."""
    prefix = f"{OutboundEmail.Kind.RECOMMENDATION_REMINDER}:{rec.pk}"
    if rec.due_date < today:
        year, week, _day = today.isocalendar()
        return f"{prefix}:overdue:{rec.due_date.isoformat()}:{year}-W{week:02d}"
    return f"{prefix}:due:{rec.due_date.isoformat()}"


def _recommendation_reminders(today: datetime.date) -> list[OutboundEmail]:
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
    already = already_sent(keys.values())
    emails = []
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
        emails.append(
            outbound_email(
                key=key,
                kind=OutboundEmail.Kind.RECOMMENDATION_REMINDER,
                user=rec.owner,
                template="recommendation_reminder",
                context=context,
            )
        )
    return emails


@transaction.atomic
def reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue every reminder that is due and was not queued before; return how many
    of each kind. The delivery task sends them after the commit."""
    now = now or timezone.now()
    today = now.astimezone(datetime.UTC).date()
    meeting_reminders = outbox.outbox_record(emails=_meeting_reminders(now))
    recommendation_reminders = outbox.outbox_record(
        emails=_recommendation_reminders(today)
    )
    return {
        "meeting_reminders": len(meeting_reminders),
        "recommendation_reminders": len(recommendation_reminders),
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
        calendar = new_calendar("PUBLISH")
        calendar.add("x-wr-calname", _("Partner Coordination Portal meetings"))
        calendar.add("x-wr-timezone", user.time_zone)
        calendar.add("x-published-ttl", datetime.timedelta(hours=1))
        calendar.add(
            "refresh-interval",
            datetime.timedelta(hours=1),
            parameters={"VALUE": "DURATION"},
        )
        add_vtimezones(calendar, meetings)
        for meeting in meetings:
            calendar.add_component(
                meeting_event(
                    meeting,
                    agenda=list(meeting.agenda_items.all()),
                    cancelled=meeting.status == AssessmentMeeting.Status.CANCELLED,
                )
            )
    return calendar.to_ical()
