"""Keep a record of each user's sessions, and end them when the account is deactivated.

``user_logged_in`` records the session key (Django has just cycled it, so the key
recorded is the one the browser now holds); ``user_logged_out`` forgets it. Saving a
user whose account turns inactive ends all its sessions, whoever saved it (admin,
shell, command): Django's ModelBackend would refuse the user at the next request
anyway, but the sessions themselves are gone at once.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from cooperation.models import User
from cooperation.services import accounts


@receiver(user_logged_in, dispatch_uid="cooperation_record_session")
def record_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    if session.session_key:
        accounts.user_session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="cooperation_forget_session")
def forget_session(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        accounts.user_session_forget(session_key=session.session_key)


@receiver(post_save, sender=User, dispatch_uid="cooperation_end_sessions_on_deactivate")
def end_sessions_of_deactivated_user(
    sender, instance, created, raw=False, update_fields=None, **kwargs
):
    # Whether it was active when read (User.from_db); None when unknown, which is
    # taken as "maybe": ending the sessions of an inactive user again is harmless.
    was_active = getattr(instance, "_stored_is_active", None)
    instance._stored_is_active = instance.is_active
    if raw or created or instance.is_active or was_active is False:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    accounts.user_end_sessions(
        user=instance, acting_user=getattr(instance, "_history_user", None)
    )
