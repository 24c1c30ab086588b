"""Refuse requests whose address, cookies or form data are not text a person typed.

A NUL character or bytes that are not UTF-8 have no meaning anywhere in the portal,
and left in they reach places that cannot take them: PostgreSQL refuses NUL in text
(a 500, not a message), path converters and ``request.GET.get(...)`` read them as
they are. One check before any view runs answers them all with the 400 page.
"""

import logging
from urllib.parse import unquote_to_bytes

from django.core.handlers.wsgi import WSGIRequest
from django.shortcuts import render

logger = logging.getLogger(__name__)

FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class MalformedInputMiddleware:
    """Answer 400 when the path, the query string, a cookie or a form POST holds NUL,
    or the query string or form POST is not valid UTF-8.

    Place it after LocaleMiddleware (the page is in the visitor's language) and
    before anything that reads the path, the session or the form data.

    Bytes in the path that are not UTF-8 never reach a view as such: Django escapes
    them again (``/nations/%ff/`` is the path ``/nations/%FF/``, a 404), and by then
    the bytes the client sent are gone. A urlencoded body is checked byte for byte
    (Django reads it into memory anyway). A multipart body is not read twice: its
    parsed fields are checked, where Django has already replaced bytes that are not
    UTF-8 with U+FFFD; the portal's own pages never post multipart, so a U+FFFD
    there is taken as such a byte.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = malformed_input(request)
        if problem:
            logger.warning("Refused a request: %s in %s", problem, _where(request))
            return render(request, "400.html", status=400)
        return self.get_response(request)


def malformed_input(request):
    """What is wrong with the request's input, or None."""
    if "\x00" in request.path_info:
        return "path"
    if not _is_text(unquote_to_bytes(_raw_meta(request, "QUERY_STRING"))):
        return "query string"
    if any("\x00" in value for value in request.COOKIES.values()):
        return "cookie"
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return None
    content_type = request.content_type or ""
    if content_type == FORM_URLENCODED and _is_utf8(request.encoding):
        try:
            body = request.body
        except OSError:
            return None  # the client went away; Django answers as it would anyway
        if not _is_text(unquote_to_bytes(body)):
            return "form data"
    elif content_type == MULTIPART:
        for key, values in request.POST.lists():
            if any(not _is_parsed_text(text) for text in (key, *values)):
                return "form data"
    return None


def _raw_meta(request, key):
    """A WSGI variable as the bytes the client sent (WSGI hands them over as text
    read as ISO-8859-1)."""
    value = request.META.get(key, "")
    if isinstance(request, WSGIRequest):
        return value.encode("iso-8859-1")
    return value.encode("utf-8", "surrogatepass")


def _is_text(raw):
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_parsed_text(text):
    return "\x00" not in text and "\ufffd" not in text


def _is_utf8(encoding):
    return encoding is None or encoding.lower().replace("_", "-") in {"utf-8", "utf8"}


def _where(request):
    # The path as Django escaped it, shortened: the log says where, not what.
    return repr(request.path[:100])
