"""What happens at the login: logged, timed, and a friendly page when locked out.

Receivers of Django's ``user_logged_in`` / ``user_login_failed`` and django-axes'
``user_locked_out`` signals write to the ``cooperation.auth`` logger: the username and
the client address, never a password. The login also starts the session's clock
(cooperation.middleware.SessionExpiryMiddleware ends the session on time).
"""

import logging

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.shortcuts import render

from cooperation.middleware import start_session_clock

logger = logging.getLogger("cooperation.auth")


def _client_address(request):
    """The address axes counts failures against (REMOTE_ADDR, or the proxy's view)."""
    if request is None:
        return "-"
    return get_client_ip_address(request) or "-"


def _printable(value):
    """A username as typed, safe to put on one log line."""
    return repr(str(value or ""))


@receiver(user_logged_in, dispatch_uid="cooperation_auth_logged_in")
def log_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session_clock(request)
    logger.info(
        "Login succeeded: username=%s address=%s",
        _printable(user.get_username()),
        _client_address(request),
    )


@receiver(user_login_failed, dispatch_uid="cooperation_auth_login_failed")
def log_login_failure(sender, credentials, request=None, **kwargs):
    # ``credentials`` arrives cleansed by Django (the password is masked); only the
    # username is read from it.
    logger.warning(
        "Login failed: username=%s address=%s",
        _printable(credentials.get("username")),
        _client_address(request),
    )


@receiver(user_locked_out, dispatch_uid="cooperation_auth_locked_out")
def log_lockout(sender, request, username, ip_address, **kwargs):
    logger.warning(
        "Login locked out: username=%s address=%s for %s minutes",
        _printable(username),
        ip_address or _client_address(request),
        _lockout_minutes(),
    )


def _lockout_minutes():
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    """The page django-axes answers for a locked-out account and address (HTTP 429)."""
    minutes = _lockout_minutes()
    response = render(
        request,
        "registration/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
