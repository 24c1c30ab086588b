"""Account safety: changing the e-mail address, and ending a user's sessions.

Every login records its session key (``UserSession``, kept by the receivers in
``cooperation.user_sessions``), so that ``user_end_sessions`` ends all of one user's
sessions at once, through the configured session engine, without scanning every
session. Deactivating an account ends its sessions (from the admin, and from a
``post_save`` receiver whatever saved it).
"""

import datetime
import logging
from functools import partial
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from cooperation.models import User, UserSession
from cooperation.services.invitations import _render_mail

logger = logging.getLogger("cooperation.auth")


# ------------------------------------------------------------------ e-mail address


@transaction.atomic
def user_change_email(*, user: User, new_email: str, acting_user: User) -> bool:
    """Give ``user`` the address ``new_email``; return whether it changed.

    The address is normalised (the domain in lower case) and must not be used by
    another account in any case (``ValidationError`` on ``email`` otherwise). Once
    the change is committed, the old address is told, so that someone whose account
    was taken over learns of it. Whoever asks for the change has proven who they are
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
        transaction.on_commit(
            partial(
                _send_email_changed_notice,
                user=user,
                old_email=old_email,
                new_email=user.email,
                changed_at=timezone.now(),
            )
        )
    return True


def _send_email_changed_notice(
    *, user: User, old_email: str, new_email: str, changed_at: datetime.datetime
) -> None:
    """Tell the old address that the account's address changed.

    Runs after the commit; a failing mail server is logged and does not undo or
    break the change (moving mail to a worker with retries is a later issue).
    """
    subject, body, language = _render_mail(
        "email_changed",
        {"old_email": old_email, "new_email": new_email, "changed_at": changed_at},
        user=user,
    )
    message = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [old_email],
        headers={"Content-Language": language},
    )
    try:
        message.send()
    except Exception:
        logger.exception(
            "Could not send the e-mail change notice: username=%r",
            user.get_username(),
        )


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
