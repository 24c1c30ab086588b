"""Rendered page parts kept in the shared cache although they hold values of one
request: each such value is rendered as a *mark*, and the marks are replaced by
the request's own values whenever the part is served (from the cache or not).

- ``csrf_mark()`` stands for the CSRF token: forms in a kept part still post with
  the reader's own token (``get_token(request)``, which also sends the cookie).
- ``next_mark()`` stands for the page's own address (``request.get_full_path()``),
  the "next" of the forms that come back to it.
- ``nonce_mark()`` stands for the response's CSP nonce (a print page's style).
- ``part_mark(name)`` stands for a kept part in the page around it (``spliced``).

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


def _request_values(request):
    """Each mark with what gives the request's value for it."""
    return (
        (csrf_mark(), lambda: get_token(request)),
        (nonce_mark(), lambda: str(get_nonce(request))),
        (next_mark(), lambda: conditional_escape(request.get_full_path())),
    )


def with_request_values(html: str, request) -> SafeString:
    """``html`` (markup rendered by a template, so escaped) with its marks replaced
    by ``request``'s values."""
    for mark, value in _request_values(request):
        if mark in html:
            html = html.replace(mark, value())
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


def encoded_with_request_values(html: bytes, request) -> bytes:
    """``with_request_values`` of markup kept encoded (UTF-8)."""
    for mark, value in _request_values(request):
        encoded_mark = mark.encode()
        if encoded_mark in html:
            html = html.replace(encoded_mark, value().encode())
    return html


# A page whose large parts are kept (``views.common.kept_page``) is served without
# decoding them: the page around them is rendered with a mark in each part's place
# (``part_mark``), encoded, and each mark replaced by its part's kept bytes. Kept
# as text, a part of some 300 KB holding a character beyond Latin-1 (a dash, an
# arrow) costs about 2 ms a request in decoding, joining and encoding it again;
# kept as bytes, a copy.


def part_mark(name: str) -> SafeString:
    """What stands for the kept part ``name`` (the name of the template variable it
    is given as: letters, digits and underscores) in the page around it."""
    return mark_safe(_mark(f"part{name}"))  # noqa: S308  # nosec B308 B703


def spliced(page: str, parts: dict[str, bytes]) -> bytes:
    """``page`` encoded (UTF-8), each ``part_mark(name)`` in it replaced by
    ``parts[name]``."""
    data = page.encode()
    for name, part in parts.items():
        data = part.join(data.split(part_mark(name).encode()))
    return data
