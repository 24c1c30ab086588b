import logging
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class UserPreferencesMiddleware:
    """Show each signed-in user times in their own zone and pages in their language.

    Runs after LocaleMiddleware and AuthenticationMiddleware. Anonymous visitors keep
    the language their browser asks for and see UTC.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class DatabaseUnavailableMiddleware:
    """Answer a friendly 503 page, not a traceback, when the database is down.

    The page is rendered without touching the database (no user, no session).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except DatabaseError as error:
            return self._unavailable(error)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError) and _is_connection_error(exception):
            return self._unavailable(exception)
        return None

    def _unavailable(self, error):
        if not _is_connection_error(error):
            raise error
        logger.error("Database unavailable: %s", error.__class__.__name__)
        response = HttpResponse(
            render_to_string("503.html"), status=503, content_type="text/html"
        )
        response["Retry-After"] = "60"
        return response


# Session keys holding the login time and the last recorded activity (POSIX seconds).
SESSION_LOGIN_AT = "portal_login_at"
SESSION_SEEN_AT = "portal_seen_at"
# The last-activity stamp is rewritten at most this often, so that requests in between
# cost no session write (no query).
ACTIVITY_RESOLUTION = 60


def start_session_clock(request):
    """Record the login time; called when a user logs in (cooperation.auth_log)."""
    now = int(timezone.now().timestamp())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now


class SessionExpiryMiddleware:
    """End a session after 30 minutes without a request or 12 hours after the login.

    Both limits come from settings (``PORTAL_SESSION_IDLE_TIMEOUT`` and
    ``PORTAL_SESSION_MAX_AGE``). The last activity is written to the session at most
    once a minute (so the idle limit counts from at most a minute before the last
    request): a request within a minute of the last stamp costs no query. An expired
    user is logged out with a message; LoginRequiredMiddleware then sends them to the
    login page. Runs after AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = int(timezone.now().timestamp())
        login_at = session.get(SESSION_LOGIN_AT)
        seen_at = session.get(SESSION_SEEN_AT)
        if login_at is None or seen_at is None:
            # A session from before these limits existed: its clock starts now.
            session[SESSION_LOGIN_AT] = login_at or now
            session[SESSION_SEEN_AT] = now
            return
        if now - login_at > settings.PORTAL_SESSION_MAX_AGE.total_seconds():
            self._expire(
                request,
                _("Your session has ended: sessions last at most %(hours)d hours.")
                % {"hours": settings.PORTAL_SESSION_MAX_AGE.total_seconds() // 3600},
                "absolute",
            )
        elif now - seen_at > settings.PORTAL_SESSION_IDLE_TIMEOUT.total_seconds():
            self._expire(
                request,
                _(
                    "Your session has ended after %(minutes)d minutes without "
                    "activity. Please log in again."
                )
                % {
                    "minutes": settings.PORTAL_SESSION_IDLE_TIMEOUT.total_seconds()
                    // 60
                },
                "idle",
            )
        elif now - seen_at >= ACTIVITY_RESOLUTION:
            session[SESSION_SEEN_AT] = now

    def _expire(self, request, message, reason):
        logging.getLogger("cooperation.auth").info(
            "Session expired (%s): username=%r", reason, request.user.get_username()
        )
        logout(request)
        messages.info(request, message)


def _is_connection_error(error):
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)
