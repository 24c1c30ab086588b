import logging
import sys
import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signals import got_request_exception
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import resolve
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from cooperation import counts

logger = logging.getLogger(__name__)


class UserPreferencesMiddleware:
    """Show each signed-in user times in their own zone and pages in their language.

    Runs after LocaleMiddleware and AuthenticationMiddleware. Anonymous visitors keep
    the language their browser asks for and see UTC. Within the request, each cache
    token (data generation, permissions, unread count) is read once
    (``counts.request_tokens``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        with counts.request_tokens(user.pk if signed_in else None):
            return self._respond(request, user, signed_in)

    def _respond(self, request, user, signed_in):
        if signed_in:
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


class PrivateCacheMiddleware:
    """Keep every response out of shared caches and off the disk: ``private, no-store``.

    Everything the portal answers is for one signed-in user (pages, CSV exports,
    .ics downloads, history, the redirects after a form) or for whoever holds a
    secret address (the calendar feed); the login page sets the CSRF cookie. So no
    response is marked by looking at the user, which would cost a query. A view's own
    directives are kept. Static files never get here: WhiteNoise, before this
    middleware, answers them with its long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


def database_check_exempt(view_func):
    """Mark a view that answers without the database, or reports its absence itself.

    DatabaseUnavailableMiddleware neither checks the connection before such a view nor
    answers 503 for it while the database is known to be down (the health checks).
    """
    view_func.database_check_exempt = True
    return view_func


class DatabaseUnavailableMiddleware:
    """Answer a friendly 503 page, not a traceback, when the database is down.

    Whatever part of the request meets the failure: a view or its template (through
    ``process_exception``), another middleware loading the session or the user (Django
    turns that into the 500 page inside that middleware; the ``got_request_exception``
    receiver below marks the request so the 500 becomes the 503 here), or the 500 page
    itself. Before each view it takes the connection, so that a page that needs no
    query (the login page, the redirect to it) also answers 503 rather than a form
    that cannot work. The page is rendered without touching the database (no user,
    no session).

    Waiting for the connection pool is the slow part of an outage (the pool's
    timeout, DJANGO_DB_POOL_TIMEOUT). Once a request has waited in vain, the other
    requests of the process answer 503 at once for ``PORTAL_DATABASE_RETRY_SECONDS``;
    the next one after that tries again, and a healthy ``/readyz`` ends the wait
    early.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if database_outage.known() and not _exempt(request):
            return _unavailable_response()
        try:
            response = self.get_response(request)
        except Exception as error:
            if not _is_connection_error(error):
                raise
            return self._unavailable(error)
        error = getattr(request, _REQUEST_DATABASE_ERROR, None)
        if error is not None:
            return self._unavailable(error)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "database_check_exempt", False):
            return None
        try:
            connections[DEFAULT_DB_ALIAS].ensure_connection()
        except DatabaseError as error:
            if not _is_connection_error(error):
                raise
            return self._unavailable(error)
        return None

    def process_exception(self, request, exception):
        if _is_connection_error(exception):
            return self._unavailable(exception)
        return None

    def _unavailable(self, error):
        database_outage.record(error)
        logger.error("Database unavailable: %s", error.__class__.__name__)
        return _unavailable_response()


def _unavailable_response():
    response = HttpResponse(
        render_to_string("503.html"), status=503, content_type="text/html"
    )
    response["Retry-After"] = "60"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _exempt(request):
    """Whether the request is for a health check or for no view (a static file)."""
    try:
        match = resolve(request.path_info)
    except Http404:
        return True
    return getattr(match.func, "database_check_exempt", False)


# The request attribute that records a connection failure Django turned into a 500.
_REQUEST_DATABASE_ERROR = "_portal_database_error"


@receiver(got_request_exception, dispatch_uid="cooperation_database_unavailable")
def _note_database_error(sender, request=None, **kwargs):
    # Sent while Django handles the exception, before it renders the 500 page.
    error = sys.exception()
    if request is not None and _is_connection_error(error):
        setattr(request, _REQUEST_DATABASE_ERROR, error)


class _DatabaseOutage:
    """When this process last waited in vain for a connection from the pool.

    Only a pool timeout counts: it is what makes a request slow, and the pool runs
    out only when it cannot open connections (see DJANGO_DB_POOL_TIMEOUT in
    portal/settings.py). A connection lost in the middle of a query, or SQLite, fails
    at once and is simply retried by the next request.
    """

    def __init__(self):
        self.until = 0.0

    def known(self):
        return time.monotonic() < self.until

    def record(self, error):
        if _in_chain(error, _pool_timeout_classes()):
            self.until = time.monotonic() + settings.PORTAL_DATABASE_RETRY_SECONDS

    def clear(self):
        self.until = 0.0


database_outage = _DatabaseOutage()


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
    """Whether the error, or one it was raised from or while handling, means that the
    database cannot be reached (also a psycopg error that Django did not wrap)."""
    return _in_chain(error, _connection_error_classes())


def _connection_error_classes():
    classes = (OperationalError, InterfaceError)
    try:
        import psycopg
    except ImportError:
        return classes
    # Pool timeouts (psycopg_pool.PoolTimeout) are psycopg OperationalErrors.
    return (*classes, psycopg.OperationalError, psycopg.InterfaceError)


def _pool_timeout_classes():
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return ()
    return (PoolTimeout,)


def _in_chain(error, classes):
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, classes):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
