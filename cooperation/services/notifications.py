"""Notifications: what users are told, in the portal and by e-mail.

The write services call these hooks inside their own transaction, after the change;
each records ``Notification`` rows for the users concerned (never the actor, never
someone who may not see the record, never an inactive account) and queues the
e-mails their preferences ask for. The hooks' signatures are fixed here so the
document and timeline services can call them.

Who is told (``Notification.Kind``):

* assigned: the recommendation's new owner;
* status changed, comment or progress update: the recommendation's owner and its
  followers (``Follow``);
* minutes published: the meeting's attendees, but those who declined;
* document added: on a recommendation its owner and followers, on a meeting its
  attendees (but those who declined), on an initiative its owner.

Each hook costs a bounded number of queries whatever the number of recipients: one
for the recipients (candidates filtered by the record's release as
``ReleasableQuerySet.visible_to`` decides it, with each one's delivery preference),
one to insert the notifications and, when someone wants e-mail at once, two for the
outbox. A notification stores codes and values (``detail``), never sentences: it is
rendered in the reader's language when shown (``notification_sentence``).

Delivery (``NotificationPreference``, per user and kind; portal only by default):

* portal: shown on the notifications page, counted in the navigation bar;
* immediate: an e-mail recorded in the outbox in the same transaction, in the
  recipient's language (``emails/notification_*.txt``), key ``notification:<pk>``;
* digest: one e-mail a day (``notifications_send_digest``, run by ``send_reminders``
  every minute): at the first run after ``DIGEST_HOUR`` o'clock in the user's own time
  zone, the notifications recorded before that hour and not yet e-mailed, in one
  message keyed by user and day, so it is never sent twice.
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cooperation import counts
from cooperation.models import (
    AssessmentMeeting,
    Document,
    Follow,
    Invitation,
    Notification,
    NotificationPreference,
    OutboundEmail,
    Recommendation,
    RecommendationUpdate,
    User,
)
from cooperation.models.base import VIEW_ALL_PERMISSION
from cooperation.services import outbox
from cooperation.services.invitations import (
    PERMISSION_BACKEND,
    outbound_email,
    portal_url,
    zone_of,
)

Kind = Notification.Kind
Delivery = NotificationPreference.Delivery

# The daily digest: sent at the first run after this hour, in each user's time zone.
DIGEST_HOUR = 7
# Notifications older than this are no longer put in a digest (the worker was down).
DIGEST_WINDOW = datetime.timedelta(days=7)
# The most notifications one digest run reads, and one digest lists.
DIGEST_MAX_ROWS = 5_000
DIGEST_MAX_ITEMS = 50

# ------------------------------------------------------------------ recipients


def _may_see(record) -> Q:
    """The users to whom the releasable ``record`` is released, as ``visible_to``
    decides it: superusers and holders of the view-all permission, everyone when it
    is released to all partners, else the users of the nations it is released to."""
    model = type(record)
    source = model._meta.model_name
    released = model.released_to.through.objects.filter(
        **{f"{source}_id": record.pk}
    ).values("nation_id")
    view_all = User.objects.with_perm(
        VIEW_ALL_PERMISSION, backend=PERMISSION_BACKEND
    ).values("pk")
    return (
        Q(is_superuser=True)
        | Exists(model.objects.filter(pk=record.pk, released_to_all=True))
        | Q(nation_id__in=released)
        | Q(pk__in=view_all)
    )


def _recipients(*, candidates: Q, record, kind: str, actor: User | None) -> list[User]:
    """The active users among ``candidates`` who may see ``record``, but ``actor``,
    each with their ``delivery`` for ``kind``: one query."""
    preference = NotificationPreference.objects.filter(
        user=OuterRef("pk"), kind=kind
    ).values("delivery")[:1]
    users = (
        User.objects.filter(candidates, is_active=True)
        .filter(_may_see(record))
        .select_related("nation")
        .annotate(delivery=Subquery(preference))
        .order_by("pk")
    )
    if actor is not None:
        users = users.exclude(pk=actor.pk)
    return list(users)


def _owner_and_followers(recommendation: Recommendation) -> Q:
    followers = Follow.objects.filter(recommendation_id=recommendation.pk)
    return Q(pk=recommendation.owner_id) | Q(pk__in=followers.values("user_id"))


def _attendees(meeting: AssessmentMeeting) -> Q:
    invited = Invitation.objects.filter(meeting_id=meeting.pk).exclude(
        response=Invitation.Response.DECLINED
    )
    return Q(pk__in=invited.values("user_id"))


def _notify(
    *,
    kind: str,
    candidates: Q,
    record,
    actor: User | None,
    detail: dict | None = None,
    **records,
) -> list[Notification]:
    """Record a ``kind`` notification about ``records`` for the ``candidates`` who
    may see ``record`` (the releasable one), and queue their immediate e-mails."""
    users = _recipients(candidates=candidates, record=record, kind=kind, actor=actor)
    if not users:
        return []
    now = timezone.now()
    notifications = [
        Notification(
            recipient=user,
            kind=kind,
            actor=actor,
            detail=detail or {},
            emailed_at=now if _mails_at_once(user) else None,
            **records,
        )
        for user in users
    ]
    Notification.objects.bulk_create(notifications)
    emails = [
        _immediate_email(notification)
        for notification in notifications
        if notification.emailed_at is not None
    ]
    if emails:
        outbox.outbox_record(emails=emails)
    return notifications


def _mails_at_once(user: User) -> bool:
    return user.delivery == Delivery.IMMEDIATE and bool(user.email)


# ----------------------------------------------------------------------- hooks


def notify_assigned(*, recommendation: Recommendation, actor: User) -> None:
    """``recommendation`` has a new owner."""
    _notify(
        kind=Kind.ASSIGNED,
        candidates=Q(pk=recommendation.owner_id),
        record=recommendation,
        actor=actor,
        recommendation=recommendation,
    )


def notify_status_changed(
    *, recommendation: Recommendation, update: RecommendationUpdate, actor: User
) -> None:
    """``update`` changed the status of ``recommendation``."""
    _notify(
        kind=Kind.STATUS_CHANGED,
        candidates=_owner_and_followers(recommendation),
        record=recommendation,
        actor=actor,
        detail={"from": update.from_status, "to": update.to_status},
        recommendation=recommendation,
    )


def notify_comment(*, update: RecommendationUpdate, actor: User) -> None:
    """``update`` is a comment or a progress update on its recommendation."""
    recommendation = update.recommendation
    detail = {"update": update.kind}
    if update.kind == RecommendationUpdate.Kind.PROGRESS:
        detail["progress"] = update.progress
    _notify(
        kind=Kind.COMMENT,
        candidates=_owner_and_followers(recommendation),
        record=recommendation,
        actor=actor,
        detail=detail,
        recommendation=recommendation,
    )


def notify_minutes_published(*, meeting: AssessmentMeeting, actor: User) -> None:
    """The minutes of ``meeting`` were published."""
    _notify(
        kind=Kind.MINUTES_PUBLISHED,
        candidates=_attendees(meeting),
        record=meeting,
        actor=actor,
        meeting=meeting,
    )


def notify_document_added(*, document: Document, actor: User) -> None:
    """``document`` (or a new version of it) was added."""
    if document.recommendation_id is not None:
        parent = document.recommendation
        candidates = _owner_and_followers(parent)
        records = {"recommendation": parent}
    elif document.meeting_id is not None:
        parent = document.meeting
        candidates = _attendees(parent)
        records = {"meeting": parent}
    else:
        parent = document.initiative
        candidates = Q(pk=parent.owner_id)
        records = {"initiative": parent}
    _notify(
        kind=Kind.DOCUMENT_ADDED,
        candidates=candidates,
        record=parent,
        actor=actor,
        document=document,
        **records,
    )


# -------------------------------------------------------------------- rendering


def _record_label(notification: Notification) -> str:
    if notification.recommendation_id is not None:
        recommendation = notification.recommendation
        return f"{recommendation.reference} “{recommendation.title}”"
    if notification.meeting_id is not None:
        return f"“{notification.meeting.title}”"
    if notification.initiative_id is not None:
        return f"“{notification.initiative.title}”"
    return ""


def notification_sentence(notification: Notification) -> str:
    """What ``notification`` tells, in the active language (its records loaded)."""
    detail = notification.detail or {}
    statuses = dict(Recommendation.Status.choices)
    params = {
        "actor": str(notification.actor) if notification.actor else _("Someone"),
        "record": _record_label(notification),
    }
    kind = notification.kind
    if kind == Kind.ASSIGNED:
        return _("%(actor)s made you the owner of %(record)s.") % params
    if kind == Kind.STATUS_CHANGED:
        params["from"] = statuses.get(detail.get("from"), detail.get("from") or "—")
        params["to"] = statuses.get(detail.get("to"), detail.get("to") or "—")
        return _("%(actor)s moved %(record)s from “%(from)s” to “%(to)s”.") % params
    if kind == Kind.COMMENT:
        if detail.get("update") == RecommendationUpdate.Kind.PROGRESS:
            params["progress"] = detail.get("progress", 0)
            return (
                _("%(actor)s reported progress of %(progress)s %% on %(record)s.")
                % params
            )
        return _("%(actor)s commented on %(record)s.") % params
    if kind == Kind.MINUTES_PUBLISHED:
        return _("%(actor)s published the minutes of %(record)s.") % params
    if kind == Kind.DOCUMENT_ADDED:
        params["document"] = (
            notification.document.title if notification.document else ""
        )
        return _("%(actor)s added the document “%(document)s” to %(record)s.") % params
    return str(notification.get_kind_display())


def notification_url(notification: Notification) -> str:
    """The page of the record ``notification`` is about."""
    for record in (
        notification.recommendation,
        notification.meeting,
        notification.initiative,
    ):
        if record is not None:
            return record.get_absolute_url()
    return ""


def _immediate_email(notification: Notification) -> OutboundEmail:
    user = notification.recipient
    with translation.override(user.mail_language):
        sentence = notification_sentence(notification)
    return outbound_email(
        key=f"notification:{notification.pk}",
        kind=OutboundEmail.Kind.NOTIFICATION,
        user=user,
        template="notification",
        context={
            "sentence": sentence,
            "record_url": portal_url(notification_url(notification)),
        },
    )


# ------------------------------------------------------------------- the digest


def _digest_cutoff(user: User, now: datetime.datetime) -> datetime.datetime:
    """The latest ``DIGEST_HOUR`` o'clock in ``user``'s time zone, not after ``now``."""
    local = timezone.localtime(now, zone_of(user.time_zone))
    cutoff = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if cutoff > local:
        cutoff -= datetime.timedelta(days=1)
    return cutoff


def notifications_send_digest(*, now: datetime.datetime | None = None) -> int:
    """Queue the daily digest of every user due one; return how many were queued.

    A user who chose the digest for some kinds gets, at the first run after
    ``DIGEST_HOUR`` o'clock in their time zone, one e-mail listing their
    notifications of those kinds recorded before that hour and not yet e-mailed
    (of the last ``DIGEST_WINDOW``), about records they may still see; these are
    marked e-mailed in the same transaction. The key names the user and the day:
    a second run the same day queues nothing.
    """
    now = now or timezone.now()
    wants_digest = NotificationPreference.objects.filter(
        user=OuterRef("recipient_id"), kind=OuterRef("kind"), delivery=Delivery.DIGEST
    )
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=now - DIGEST_WINDOW,
            created_at__lt=now,
        )
        .filter(Exists(wants_digest))
        .select_related("recipient", "recipient__nation")
        .only("pk", "created_at", "recipient")
        .order_by("created_at", "pk")[:DIGEST_MAX_ROWS]
    )
    by_user = defaultdict(list)
    users = {}
    for notification in pending:
        user = notification.recipient
        if not user.is_active or not user.email:
            continue
        users[user.pk] = user
        by_user[user.pk].append(notification)
    due = {}
    for pk, notifications in by_user.items():
        cutoff = _digest_cutoff(users[pk], now)
        ids = [n.pk for n in notifications if n.created_at < cutoff]
        if ids:
            due[f"notification_digest:{pk}:{cutoff.date().isoformat()}"] = (pk, ids)
    if not due:
        return 0
    already = set(
        OutboundEmail.objects.filter(key__in=due).values_list("key", flat=True)
    )
    queued = 0
    for key, (pk, ids) in due.items():
        if key not in already and _queue_digest(key=key, user=users[pk], ids=ids):
            queued += 1
    return queued


@transaction.atomic
def _queue_digest(*, key: str, user: User, ids: list[int]) -> bool:
    notifications = list(
        Notification.objects.visible_to(user)
        .filter(pk__in=ids, emailed_at__isnull=True)
        .for_list()
        .select_for_update(of=("self",))
    )
    if not notifications:
        return False
    with translation.override(user.mail_language):
        items = [
            (notification_sentence(n), portal_url(notification_url(n)))
            for n in notifications[:DIGEST_MAX_ITEMS]
        ]
    email = outbound_email(
        key=key,
        kind=OutboundEmail.Kind.NOTIFICATION_DIGEST,
        user=user,
        template="notification_digest",
        context={
            "items": items,
            "total": len(notifications),
            "more": len(notifications) - len(items),
            "notifications_url": portal_url(reverse("cooperation:notification-list")),
        },
    )
    if not outbox.outbox_record(emails=[email]):
        return False
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        emailed_at=timezone.now()
    )
    return True


# ----------------------------------------------------- reading and preferences


@counts.batched_token
def unread_token(user_pk):
    """The cache token under which the navigation bar keeps ``user_pk``'s unread
    count (``counts.cached_value``): renewed when they read notifications, a write
    that sends no signal. None without a user."""
    return f"cooperation:unread-token:{user_pk}" if user_pk else None


def _unread_changed(user_pk):
    counts.replace_token(unread_token(user_pk))
    transaction.on_commit(lambda: counts.replace_token(unread_token(user_pk)))


@transaction.atomic
def notification_mark_read(*, notification: Notification, acting_user: User) -> None:
    """Mark ``acting_user``'s ``notification`` read (already read: unchanged)."""
    if notification.recipient_id != acting_user.pk:
        raise ValidationError(_("This notification is not yours."), code="not_yours")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        _unread_changed(acting_user.pk)


@transaction.atomic
def notification_mark_all_read(*, acting_user: User) -> int:
    """Mark every unread notification of ``acting_user`` read; return how many."""
    marked = (
        Notification.objects.filter(recipient=acting_user)
        .unread()
        .update(read_at=timezone.now())
    )
    _unread_changed(acting_user.pk)
    return marked


@transaction.atomic
def notification_set_preferences(*, user: User, choices: Mapping[str, str]) -> None:
    """Store how ``user`` wants each kind of notification (``{kind: delivery}``);
    kinds left out keep their choice."""
    for kind, delivery in choices.items():
        if kind not in Kind.values or delivery not in Delivery.values:
            raise ValidationError(
                _("Choose how to be told from the list."), code="invalid_choice"
            )
    if not choices:
        return
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user=user, kind=kind, delivery=delivery)
            for kind, delivery in choices.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["delivery"],
    )


def notification_preferences(*, user: User) -> dict[str, str]:
    """``{kind: delivery}`` for every kind: ``user``'s choice, else portal only."""
    stored = dict(
        NotificationPreference.objects.filter(user=user).values_list("kind", "delivery")
    )
    return {kind: stored.get(kind, Delivery.PORTAL) for kind in Kind.values}


# ---------------------------------------------------------------------- follows


@transaction.atomic
def recommendation_follow(
    *, recommendation: Recommendation, acting_user: User, follow: bool = True
) -> bool:
    """Start (or, ``follow=False``, stop) following ``recommendation`` as
    ``acting_user``, who must see it; return whether they follow it now."""
    if not recommendation.is_visible_to(acting_user):
        raise ValidationError(
            _("This recommendation is not released to you."), code="not_visible"
        )
    if follow:
        Follow.objects.bulk_create(
            [Follow(user=acting_user, recommendation=recommendation)],
            ignore_conflicts=True,
        )
        counts.records_changed()  # the page kept for the reader shows "Unfollow"
    else:
        Follow.objects.filter(user=acting_user, recommendation=recommendation).delete()
    return follow
