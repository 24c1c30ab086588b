"""Account safety: changing the e-mail address, and ending a user's sessions.

Every login records its session key (``UserSession``, kept by the receivers in
``cooperation.user_sessions``), so that ``user_end_sessions`` ends all of one user's
sessions at once, through the configured session engine, without scanning every
session. Deactivating an account ends its sessions (from the admin, and from a
``post_save`` receiver whatever saved it).
"""

import hashlib
import logging
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from cooperation.models import OutboundEmail, User, UserSession
from cooperation.services import outbox
from cooperation.services.invitations import outbound_email

logger = logging.getLogger("cooperation.auth")


# ------------------------------------------------------------------ e-mail address


@transaction.atomic
def user_change_email(*, user: User, new_email: str, acting_user: User) -> bool:
    """Give ``user`` the address ``new_email``; return whether it changed.

    The address is normalised (the domain in lower case) and must not be used by
    another account in any case (``ValidationError`` on ``email`` otherwise). The old
    address is told (queued with the change, sent after the commit), so that someone
    whose account was taken over learns of it. Whoever asks for the change has proven who they are
    (the profile form asks for the current password).
    """
    old_email = user.email
    user.email = new_email
    try:
        # Normalises the address; an invalid or duplicate one fails here. Only the
        # address is checked: nothing else of the account changes.
        user.full_clean(
            exclude=[f.name for f in User._meta.concrete_fields if f.name != "email"]
        )
    except ValidationError:
        user.email = old_email
        raise
    if user.email == old_email:
        return False
    user._history_user = acting_user
    user.save(update_fields=["email"])
    logger.info(
        "E-mail address changed: username=%r by=%r",
        user.get_username(),
        acting_user.get_username(),
    )
    if old_email and old_email.lower() != user.email.lower():
        _queue_email_changed_notice(user=user, old_email=old_email)
    return True


PROFILE_FIELDS = ("first_name", "last_name", "time_zone", "language")


@transaction.atomic
def user_update_profile(
    *,
    user: User,
    acting_user: User,
    first_name: str,
    last_name: str,
    time_zone: str,
    language: str,
    email: str,
) -> User:
    """Save what a person may change of their own account: name, time zone,
    language and, through ``user_change_email`` (which tells the old address), the
    e-mail address. Returns the saved user, read afresh and locked."""
    stored = User.objects.select_for_update().get(pk=user.pk)
    for name, value in zip(
        PROFILE_FIELDS, (first_name, last_name, time_zone, language), strict=True
    ):
        setattr(stored, name, value)
    stored.full_clean(
        exclude=[
            f.name for f in User._meta.concrete_fields if f.name not in PROFILE_FIELDS
        ]
    )
    stored._history_user = acting_user
    stored.save(update_fields=PROFILE_FIELDS)
    user_change_email(user=stored, new_email=email, acting_user=acting_user)
    return stored


def _queue_email_changed_notice(*, user: User, old_email: str) -> None:
    """Tell the old address that the account's address changed: queued in the
    outbox with the change, sent by the delivery task after the commit."""
    changed_at = timezone.now()
    outbox.outbox_record(
        emails=[
            outbound_email(
                key=(
                    f"{OutboundEmail.Kind.EMAIL_CHANGED}:{user.pk}:"
                    f"{changed_at.isoformat()}"
                ),
                kind=OutboundEmail.Kind.EMAIL_CHANGED,
                user=user,
                to_email=old_email,
                template="email_changed",
                context={
                    "old_email": old_email,
                    "new_email": user.email,
                    "changed_at": changed_at,
                },
            )
        ]
    )


@transaction.atomic
def user_password_reset_queue(
    *,
    user: User,
    to_email: str,
    token: str,
    subject: str,
    body: str,
    html_body: str = "",
) -> bool:
    """Queue the password reset message rendered for ``user`` (the request's
    language, as Django's form renders it); return whether it was new. The same
    token (asked twice in one second) is queued once. The key holds only a digest
    of the token, and the delivery task blanks the body (which holds the link) once
    it is sent (``outbox.SECRET_KINDS``): the outbox never hands out a reset link."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    queued = outbox.outbox_record(
        emails=[
            OutboundEmail(
                key=f"{OutboundEmail.Kind.PASSWORD_RESET}:{user.pk}:{digest}",
                kind=OutboundEmail.Kind.PASSWORD_RESET,
                recipient=user,
                to_email=to_email,
                language=translation.get_language() or "",
                subject=subject,
                body=body,
                html_body=html_body,
            )
        ]
    )
    return bool(queued)


# ------------------------------------------------------------------------ sessions


def user_session_record(*, user: User, session_key: str) -> None:
    """Remember that ``session_key`` belongs to ``user`` (called at the login).

    Rows of sessions older than the longest a session lasts are dropped on the way,
    so that users who never log out do not pile rows up.
    """
    oldest = timezone.now() - settings.PORTAL_SESSION_MAX_AGE
    UserSession.objects.filter(user=user, created_at__lt=oldest).delete()
    UserSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user}
    )


def user_session_forget(*, session_key: str) -> None:
    """Forget a session that ended (called at the logout)."""
    UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def user_end_sessions(*, user: User, acting_user: User | None) -> int:
    """End every recorded session of ``user`` at once; return how many.

    Each session is deleted through the configured session engine (so a cache in
    front of the database is emptied too), then its record. ``acting_user`` is None
    when no person asked for it (a deactivation saved from a shell or command).
    """
    keys = list(
        UserSession.objects.filter(user=user).values_list("session_key", flat=True)
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    logger.info(
        "Sessions ended: username=%r count=%d by=%r",
        user.get_username(),
        len(keys),
        acting_user.get_username() if acting_user is not None else "-",
    )
    return len(keys)
