"""Rendered page parts kept in the shared cache although they hold values of one
request: each such value is rendered as a *mark*, and the marks are replaced by
the request's own values whenever the part is served (from the cache or not).

- ``csrf_mark()`` stands for the CSRF token: forms in a kept part still post with
  the reader's own token (``get_token(request)``, which also sends the cookie).
- ``next_mark()`` stands for the page's own address (``request.get_full_path()``),
  the "next" of the forms that come back to it.
- ``nonce_mark()`` stands for the response's CSP nonce (a print page's style).

A mark is a keyed hash of the deployment's secret key, so no one can predict it
and write it into a record; the marks are letters and digits, which escaping
leaves alone, and the values replacing them are escaped.
"""

import functools

from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


@functools.cache
def _mark(name: str) -> str:
    digest = salted_hmac(
        "cooperation.page_cache", name, algorithm="sha256"
    ).hexdigest()[:32]
    return f"portal{name}mark{digest}"


def csrf_mark() -> str:
    return _mark("csrf")


def next_mark() -> str:
    return _mark("next")


def nonce_mark() -> str:
    return _mark("nonce")


def with_request_values(html: str, request) -> SafeString:
    """``html`` (markup rendered by a template, so escaped) with its marks replaced
    by ``request``'s values."""
    if csrf_mark() in html:
        html = html.replace(csrf_mark(), get_token(request))
    if nonce_mark() in html:
        html = html.replace(nonce_mark(), str(get_nonce(request)))
    if next_mark() in html:
        html = html.replace(next_mark(), conditional_escape(request.get_full_path()))
    return mark_safe(html)  # noqa: S308  # nosec B308 B703
