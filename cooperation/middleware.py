import logging
import zoneinfo

from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

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


def _is_connection_error(error):
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)
