"""One invitation per meeting series: the recurring calendar event of a series.

The occurrences of a series are real meetings, each with its own page, agenda and
answers. Their attendees' calendars hold them as one recurring event (RFC 5545), so
that a series of twelve is one invitation, not twelve:

- the event's UID names the series and its *part* (a change to "this and the
  following" occurrences splits a series: the earlier occurrences stay one event,
  the later ones become a new one, as calendar programs do it themselves);
- each occurrence keeps the start the rule gave it (``recurrence_id``), its
  iCalendar RECURRENCE-ID even after it alone is moved;
- the master event repeats by the series' RRULE with a COUNT when the rule makes
  exactly the occurrences (checked by expanding it); otherwise, e.g. after the
  occurrences were moved to another day of the week, it lists them as RDATEs;
- an occurrence that is cancelled, not yet scheduled, or to which the recipient is
  not invited is an EXDATE; one that differs from the master (moved, another
  place or link, other answers) is an override carrying its RECURRENCE-ID.

Each recipient's copy holds only the occurrences released to them: its rule (or
its dates) is made from those alone, so nothing in it tells of a withheld one.

What is sent, and when (all recorded in the outbox in the transaction of the
change and delivered by the worker after the commit, like every e-mail):

- ``series_notify``: the whole part to each attendee (METHOD:REQUEST): a new
  series, a series split or moved as a whole, an occurrence put back in. The
  series' ``ical_sequence`` is raised whenever somebody already holds a copy;
- ``occurrence_update``: a change to one occurrence, sent as an update of that
  instance only (RECURRENCE-ID), to the attendees who hold it; an attendee who does
  not hold it yet gets the whole part instead;
- ``occurrences_cancel``: the cancellation of one or more occurrences, one message
  per attendee (METHOD:CANCEL, one VEVENT with its RECURRENCE-ID per occurrence).

The SEQUENCE of the master is the series' ``ical_sequence``; an instance's is that
plus the occurrence's own ``sequence``, so every revision of either is newer than
what the recipient holds.
"""

import datetime
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar
from dateutil.rrule import rrulestr
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from cooperation.models import (
    AssessmentMeeting,
    Invitation,
    MeetingSeries,
    OutboundEmail,
    User,
)
from cooperation.models.meetings import recurrence_rule, title_base
from cooperation.services import outbox
from cooperation.services.invitations import (
    EVENT_STATUS,
    add_attendees,
    add_vtimezones,
    already_sent,
    meeting_event,
    meeting_mail_context,
    new_calendar,
    organizer_address,
    outbound_email,
    portal_host,
    portal_url,
    seen_by,
    zone_of,
)

Status = AssessmentMeeting.Status
# The occurrences that are in an attendee's calendar; the others are EXDATEs.
IN_CALENDAR = (Status.SCHEDULED, Status.HELD)


def series_uid(series_id: int, part: int) -> str:
    """The iCalendar UID of one part of a series: the same for every revision."""
    return f"series-{series_id}-{part}@{portal_host()}"


def part_meetings(series_id: int, part: int) -> list[AssessmentMeeting]:
    """The occurrences of one part of a series, in the order of their instances."""
    return list(
        AssessmentMeeting.objects.filter(
            series_id=series_id, recurrence_part=part, recurrence_id__isnull=False
        )
        .select_related("chair", "series")
        .order_by("recurrence_id", "pk")
    )


# ------------------------------------------------------------------ the calendar


@dataclass(frozen=True)
class View:
    """One recipient's view of a part: the occurrences released to them (by
    instance), and which of them are in their calendar."""

    instances: list[AssessmentMeeting]
    shown: list[AssessmentMeeting]


def recipient_view(meetings, user, *, seen, invited) -> View:
    """``user``'s view of ``meetings`` (one part), given who sees each meeting
    (``seen``: meeting pk → user pks) and who is invited to it (``invited``: a set
    of (meeting pk, user pk)); ``invited`` None: every occurrence in calendar."""
    instances = [meeting for meeting in meetings if user.pk in seen[meeting.pk]]
    shown = [
        meeting
        for meeting in instances
        if meeting.status in IN_CALENDAR
        and (invited is None or (meeting.pk, user.pk) in invited)
    ]
    return View(instances=instances, shown=shown)


def _shape(meeting: AssessmentMeeting, invitations) -> tuple:
    """What an instance shows beside its start: equal shapes need no override."""
    return (
        meeting.ends_at - meeting.starts_at,
        title_base(meeting.title),
        meeting.location,
        meeting.online_url,
        meeting.chair_id,
        EVENT_STATUS[meeting.status],
        tuple((invitation.user_id, invitation.response) for invitation in invitations),
    )


def _local(value: datetime.datetime, zone) -> datetime.datetime:
    return timezone.localtime(value, zone)


def series_rule(series: MeetingSeries, starts: list[datetime.datetime]) -> str | None:
    """The RRULE (with COUNT) that makes exactly the local ``starts`` (the first is
    DTSTART), or None when the series' rule does not make them (then they are
    listed as RDATEs)."""
    rule = recurrence_rule(
        frequency=series.frequency,
        interval=series.interval,
        starts_on=starts[0].date(),
        week_of_month=series.week_of_month,
        weekday=series.weekday,
    )
    rule = f"{rule};COUNT={len(starts)}"
    naive = [start.replace(tzinfo=None) for start in starts]
    if list(rrulestr(rule, dtstart=naive[0])) != naive:
        return None
    return rule


def part_events(
    *,
    series: MeetingSeries,
    part: int,
    meetings: list[AssessmentMeeting],
    view: View,
    invitations_of: dict[int, list[Invitation]],
    with_attendees: bool = True,
) -> list[icalendar.Event]:
    """The master VEVENT of a part as ``view`` sees it, then its overrides."""
    reference = view.shown[0]
    zone = zone_of(meetings[0].time_zone)
    uid = series_uid(series.pk, part)
    attendees_of = invitations_of if with_attendees else defaultdict(list)
    shapes = {
        meeting.pk: _shape(meeting, attendees_of[meeting.pk]) for meeting in view.shown
    }
    # The master looks like most of the occurrences, so few need an override.
    common, _count = Counter(shapes[meeting.pk] for meeting in view.shown).most_common(
        1
    )[0]
    reference = next(m for m in view.shown if shapes[m.pk] == common)
    duration = reference.ends_at - reference.starts_at
    starts = [_local(meeting.recurrence_id, zone) for meeting in view.instances]

    master = icalendar.Event()
    master.add("uid", uid)
    master.add("sequence", series.ical_sequence)
    master.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    master.add("dtstart", starts[0])
    master.add("dtend", starts[0] + duration)
    # A rule only when it makes exactly the occurrences this recipient sees: it
    # then says nothing of the others either.
    rule = series_rule(series, starts)
    if rule is not None:
        master.add("rrule", icalendar.vRecur.from_ical(rule))
    elif len(starts) > 1:
        master.add("rdate", starts[1:])
    shown = {meeting.pk for meeting in view.shown}
    excluded = [
        _local(meeting.recurrence_id, zone)
        for meeting in view.instances
        if meeting.pk not in shown
    ]
    if excluded:
        master.add("exdate", excluded)
    master.add("summary", title_base(reference.title))
    if reference.location or reference.online_url:
        master.add("location", reference.location or reference.online_url)
    master.add("url", portal_url(reference.get_absolute_url()))
    master.add("description", _series_text(series, reference))
    master.add("status", EVENT_STATUS[reference.status])
    master.add(
        "last-modified",
        max(meeting.updated_at for meeting in view.instances).astimezone(datetime.UTC),
    )
    name, email = organizer_address(reference.chair)
    master.add("organizer", f"mailto:{email}", parameters={"CN": name})
    add_attendees(master, attendees_of[reference.pk])

    events = [master]
    for meeting in view.shown:
        if meeting.starts_at == meeting.recurrence_id and shapes[meeting.pk] == common:
            continue
        events.append(
            instance_event(
                meeting,
                uid=uid,
                zone=zone,
                invitations=attendees_of[meeting.pk],
            )
        )
    return events


def instance_event(
    meeting: AssessmentMeeting, *, uid: str, zone, invitations, cancelled=False
) -> icalendar.Event:
    """One occurrence as an instance of its part's event (RECURRENCE-ID)."""
    return meeting_event(
        meeting,
        agenda=(),
        invitations=invitations,
        cancelled=cancelled,
        uid=uid,
        sequence=meeting.series.ical_sequence + meeting.sequence,
        summary=title_base(meeting.title),
        recurrence_id=_local(meeting.recurrence_id, zone),
    )


def _series_text(series: MeetingSeries, reference: AssessmentMeeting) -> str:
    lines = [_("Each occurrence has its own page, agenda and answer in the portal.")]
    if reference.online_url:
        lines.append(_("Online link: %s") % reference.online_url)
    lines.append(_("Meeting page: %s") % portal_url(reference.get_absolute_url()))
    return "\n".join(lines)


def part_calendar(
    *,
    series: MeetingSeries,
    part: int,
    meetings: list[AssessmentMeeting],
    view: View,
    invitations_of,
    method: str,
    language: str | None,
) -> bytes:
    """A part as ``view`` sees it, as an iCalendar object (REQUEST or PUBLISH)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        calendar = new_calendar(method)
        add_vtimezones(calendar, meetings)
        for event in part_events(
            series=series,
            part=part,
            meetings=meetings,
            view=view,
            invitations_of=invitations_of,
            # RFC 5546: a PUBLISHed event carries no attendees.
            with_attendees=method != "PUBLISH",
        ):
            calendar.add_component(event)
    return calendar.to_ical()


def part_ical(
    *, meeting: AssessmentMeeting, user: User, language: str | None
) -> bytes | None:
    """The part of a series ``meeting`` belongs to, as ``user`` sees it, to
    download (METHOD:PUBLISH): every occurrence released to them that takes place
    (None when none does). One query, however long the series."""
    meetings = list(
        AssessmentMeeting.objects.visible_to(user)
        .filter(
            series_id=meeting.series_id,
            recurrence_part=meeting.recurrence_part,
            recurrence_id__isnull=False,
        )
        .select_related("chair", "series")
        .order_by("recurrence_id", "pk")
    )
    seen = {visible.pk: {user.pk} for visible in meetings}
    view = recipient_view(meetings, user, seen=seen, invited=None)
    if not view.shown:
        return None
    return part_calendar(
        series=meetings[0].series,
        part=meeting.recurrence_part,
        meetings=meetings,
        view=view,
        invitations_of=defaultdict(list),
        method="PUBLISH",
        language=language,
    )


# ------------------------------------------------------------------------ sending


@dataclass
class Part:
    """A part of a series, loaded once for everything sent about it."""

    series: MeetingSeries
    number: int
    meetings: list[AssessmentMeeting]
    invitations_of: dict[int, list[Invitation]]
    users: dict[int, User]
    seen: dict[int, set[int]]

    @property
    def zone(self):
        return zone_of(self.meetings[0].time_zone)

    @property
    def uid(self) -> str:
        return series_uid(self.series.pk, self.number)

    def invitation(self, meeting_pk: int, user_pk: int) -> Invitation | None:
        return next(
            (i for i in self.invitations_of[meeting_pk] if i.user_id == user_pk), None
        )

    def holders(self) -> set[int]:
        """Who was sent this part (or one of its occurrences) before."""
        return {
            invitation.user_id
            for invitations in self.invitations_of.values()
            for invitation in invitations
            if invitation.sent_sequence >= 0
        }

    def view(self, user: User) -> View:
        invited = {
            (meeting_pk, invitation.user_id)
            for meeting_pk, invitations in self.invitations_of.items()
            for invitation in invitations
        }
        return recipient_view(self.meetings, user, seen=self.seen, invited=invited)

    def calendar(self, view: View, *, method: str, language: str | None) -> bytes:
        return part_calendar(
            series=self.series,
            part=self.number,
            meetings=self.meetings,
            view=view,
            invitations_of=self.invitations_of,
            method=method,
            language=language,
        )


def load_part(series_id: int, part: int) -> Part | None:
    """The part, its series locked (its ``ical_sequence`` is raised under the
    lock), with every invitation and who sees each occurrence: five queries
    however many occurrences and attendees it has."""
    series = MeetingSeries.objects.select_for_update().get(pk=series_id)
    meetings = part_meetings(series_id, part)
    if not meetings:
        return None
    for meeting in meetings:
        meeting.series = series
    invitations_of = defaultdict(list)
    users = {}
    for invitation in (
        Invitation.objects.filter(meeting__in=meetings)
        .select_related("user", "user__nation")
        .order_by("user__last_name", "user__first_name", "user__username", "pk")
    ):
        invitations_of[invitation.meeting_id].append(invitation)
        users.setdefault(invitation.user_id, invitation.user)
    return Part(
        series=series,
        number=part,
        meetings=meetings,
        invitations_of=invitations_of,
        users=users,
        seen=seen_by(meetings, users.values()),
    )


def _series_context(part: Part, view: View, *, updated: bool) -> dict:
    first = view.shown[0] if view.shown else part.meetings[0]
    return {
        "series": part.series,
        "title": title_base(first.title),
        "occurrences": [
            {"meeting": meeting, "url": portal_url(meeting.get_absolute_url())}
            for meeting in view.shown
        ],
        "meeting_zone": first.time_zone,
        "updated": updated,
    }


def _cancel_whole(series: MeetingSeries, part: int, chair: User | None) -> bytes:
    """METHOD:CANCEL of a whole part (no RECURRENCE-ID): for a holder none of
    whose occurrences is left in it."""
    calendar = new_calendar("CANCEL")
    event = icalendar.Event()
    event.add("uid", series_uid(series.pk, part))
    event.add("sequence", series.ical_sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("summary", series.title)
    event.add("status", "CANCELLED")
    name, email = organizer_address(chair)
    event.add("organizer", f"mailto:{email}", parameters={"CN": name})
    calendar.add_component(event)
    return calendar.to_ical()


@transaction.atomic
def part_withdraw(
    *, series_id: int, part: int, user_ids: Iterable[int], acting_user: User | None
) -> int:
    """Queue the cancellation of a whole part to the users who hold it, once its
    occurrences have moved into another part (a later change to "this and the
    following" of an earlier occurrence). Return how many were queued."""
    series = MeetingSeries.objects.select_for_update().get(pk=series_id)
    users = list(
        User.objects.filter(pk__in=list(user_ids), is_active=True)
        .exclude(email="")
        .select_related("nation")
        .order_by("pk")
    )
    if not users:
        return 0
    series.ical_sequence += 1
    series._history_user = acting_user
    series.save(update_fields=["ical_sequence"])
    chair = (
        AssessmentMeeting.objects.filter(series_id=series_id)
        .select_related("chair")
        .order_by("occurrence_number")
        .first()
        .chair
    )
    kind = OutboundEmail.Kind.CANCELLATION
    ical = _cancel_whole(series, part, chair)
    return len(
        outbox.outbox_record(
            emails=[
                outbound_email(
                    key=f"{kind}:series-{series.pk}-{part}:{user.pk}:"
                    f"{series.ical_sequence}",
                    kind=kind,
                    user=user,
                    template="meeting_series_cancellation",
                    context={
                        "series": series,
                        "title": series.title,
                        "occurrences": [],
                        "merged": True,
                    },
                    ical=ical,
                    method="CANCEL",
                )
                for user in users
            ]
        )
    )


def _mark_sent(part: Part, told: dict[int, list[AssessmentMeeting]], acting_user):
    """Record, on each invitation of each occurrence sent to a user, the revision
    they now hold."""
    changed = []
    for user_pk, meetings in told.items():
        for meeting in meetings:
            invitation = part.invitation(meeting.pk, user_pk)
            if invitation is not None and invitation.sent_sequence != meeting.sequence:
                invitation.sent_sequence = meeting.sequence
                changed.append(invitation)
    if changed:
        bulk_update_with_history(
            changed, Invitation, ["sent_sequence"], default_user=acting_user
        )


@transaction.atomic
def series_notify(
    *,
    series_id: int,
    part: int,
    acting_user: User | None,
    only: Iterable[int] | None = None,
) -> int:
    """Queue the whole part of a series for its attendees (``only``: for these
    users alone); return how many messages were queued.

    Each attendee gets the part as they see it (``recipient_view``), as a REQUEST,
    when at least one of their occurrences is still to come; an attendee who was
    sent the part before and has none of its occurrences left in their calendar
    gets its cancellation. The series' ``ical_sequence`` is raised first when one
    of them holds a copy already. The number of queries does not grow with the
    number of occurrences or attendees.
    """
    loaded = load_part(series_id, part)
    if loaded is None:
        return 0
    now = timezone.now()
    holders = loaded.holders()
    wanted = set(only) if only is not None else None
    plans = []
    for user in loaded.users.values():
        if not (user.is_active and user.email) or (
            wanted is not None and user.pk not in wanted
        ):
            continue
        view = loaded.view(user)
        if view.shown:
            if any(meeting.ends_at > now for meeting in view.shown):
                plans.append((user, view, False))
        elif user.pk in holders:
            plans.append((user, view, True))
    if not plans:
        return 0
    series = loaded.series
    if any(user.pk in holders for user, _view, _cancel in plans):
        series.ical_sequence += 1
        series._history_user = acting_user
        series.save(update_fields=["ical_sequence"])
    emails, told = [], {}
    kinds = {
        False: OutboundEmail.Kind.INVITATION,
        True: OutboundEmail.Kind.CANCELLATION,
    }
    keys = {
        user.pk: f"{kinds[cancelling]}:series-{series.pk}-{part}:{user.pk}:"
        f"{series.ical_sequence}"
        for user, _view, cancelling in plans
    }
    already = already_sent(keys.values())
    for user, view, cancelling in plans:
        key = keys[user.pk]
        if key in already:
            continue
        context = _series_context(loaded, view, updated=user.pk in holders)
        if cancelling:
            context["occurrences"] = []
            ical = _cancel_whole(series, part, loaded.meetings[0].chair)
            method = "CANCEL"
        else:
            ical = loaded.calendar(view, method="REQUEST", language=user.mail_language)
            method = "REQUEST"
        emails.append(
            outbound_email(
                key=key,
                kind=kinds[cancelling],
                user=user,
                template="meeting_series_cancellation"
                if cancelling
                else "meeting_series_invitation",
                context=context,
                ical=ical,
                method=method,
            )
        )
        if not cancelling:
            told[user.pk] = view.shown
    queued = outbox.outbox_record(emails=emails)
    sent_to = {email.recipient_id for email in queued}
    _mark_sent(
        loaded,
        {pk: meetings for pk, meetings in told.items() if pk in sent_to},
        acting_user,
    )
    return len(queued)


def _instance_calendar(part: Part, meetings, *, method: str, language) -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        calendar = new_calendar(method)
        add_vtimezones(calendar, meetings)
        for meeting in meetings:
            calendar.add_component(
                instance_event(
                    meeting,
                    uid=part.uid,
                    zone=part.zone,
                    invitations=part.invitations_of[meeting.pk],
                    cancelled=method == "CANCEL",
                )
            )
    return calendar.to_ical()


def _mail_context(meeting: AssessmentMeeting) -> dict:
    return meeting_mail_context(meeting, list(meeting.agenda_items.all()))


@transaction.atomic
def occurrence_update(*, meeting: AssessmentMeeting, acting_user: User | None) -> int:
    """Queue a change to one scheduled occurrence: an update of that instance alone
    (RECURRENCE-ID) for the attendees who hold it, the whole part for those who do
    not yet. Return how many messages were queued."""
    loaded = load_part(meeting.series_id, meeting.recurrence_part)
    if loaded is None:
        return 0
    meeting = next(m for m in loaded.meetings if m.pk == meeting.pk)
    if meeting.status != Status.SCHEDULED or meeting.ends_at <= timezone.now():
        return 0
    invitations = [
        invitation
        for invitation in loaded.invitations_of[meeting.pk]
        if invitation.user.is_active
        and invitation.user.email
        and invitation.user_id in loaded.seen[meeting.pk]
    ]
    holders = [i for i in invitations if i.sent_sequence >= 0]
    newcomers = [i.user_id for i in invitations if i.sent_sequence < 0]
    queued = []
    if holders:
        if any(i.sent_sequence >= meeting.sequence for i in holders):
            meeting.sequence += 1
            meeting._history_user = acting_user
            meeting.save(update_fields=["sequence"])
        kind = OutboundEmail.Kind.INVITATION
        keyed = {
            f"{kind}:{meeting.pk}:{i.user_id}:"
            f"{loaded.series.ical_sequence}-{meeting.sequence}": i
            for i in holders
        }
        already = already_sent(keyed)
        context = _mail_context(meeting)
        queued = outbox.outbox_record(
            emails=[
                outbound_email(
                    key=key,
                    kind=kind,
                    user=invitation.user,
                    template="meeting_invitation",
                    context={**context, "invitation": invitation},
                    ical=_instance_calendar(
                        loaded,
                        [meeting],
                        method="REQUEST",
                        language=invitation.user.mail_language,
                    ),
                    method="REQUEST",
                )
                for key, invitation in keyed.items()
                if key not in already
            ]
        )
        sent_to = {email.recipient_id for email in queued}
        _mark_sent(loaded, {pk: [meeting] for pk in sent_to}, acting_user)
    count = len(queued)
    if newcomers:
        count += series_notify(
            series_id=meeting.series_id,
            part=meeting.recurrence_part,
            acting_user=acting_user,
            only=newcomers,
        )
    return count


@transaction.atomic
def occurrences_cancel(
    *, meetings: list[AssessmentMeeting], acting_user: User | None
) -> int:
    """Queue the cancellation of these occurrences (of one part, already saved as
    cancelled): one message per attendee who holds any of them, with a VEVENT per
    occurrence (METHOD:CANCEL, RECURRENCE-ID). Return how many were queued."""
    first = meetings[0]
    loaded = load_part(first.series_id, first.recurrence_part)
    if loaded is None:
        return 0
    wanted = {meeting.pk for meeting in meetings}
    targets = [m for m in loaded.meetings if m.pk in wanted]
    per_user = defaultdict(list)
    for meeting in targets:
        for invitation in loaded.invitations_of[meeting.pk]:
            user = invitation.user
            if (
                invitation.sent_sequence >= 0
                and user.is_active
                and user.email
                and user.pk in loaded.seen[meeting.pk]
            ):
                per_user[user.pk].append(meeting)
    kind = OutboundEmail.Kind.CANCELLATION
    keys = {
        user_pk: f"{kind}:{cancelled[0].pk}:{user_pk}:{cancelled[0].sequence}"
        if len(cancelled) == 1
        # Several at once: named by a digest of the occurrences and revisions.
        else f"{kind}:series-{loaded.series.pk}-{loaded.number}:{user_pk}:"
        + hashlib.sha256(
            ",".join(f"{m.pk}.{m.sequence}" for m in cancelled).encode()
        ).hexdigest()[:20]
        for user_pk, cancelled in per_user.items()
    }
    already = already_sent(keys.values())
    emails = []
    for user_pk, cancelled in per_user.items():
        if keys[user_pk] in already:
            continue
        user = loaded.users[user_pk]
        ical = _instance_calendar(
            loaded, cancelled, method="CANCEL", language=user.mail_language
        )
        if len(cancelled) == 1:
            template = "meeting_cancellation"
            context = _mail_context(cancelled[0])
        else:
            template = "meeting_series_cancellation"
            view = View(instances=cancelled, shown=cancelled)
            context = _series_context(loaded, view, updated=True)
        emails.append(
            outbound_email(
                key=keys[user_pk],
                kind=kind,
                user=user,
                template=template,
                context=context,
                ical=ical,
                method="CANCEL",
            )
        )
    return len(outbox.outbox_record(emails=emails))
