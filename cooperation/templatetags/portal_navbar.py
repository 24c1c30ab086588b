"""The navigation bar, drawn once per reader and data generation and then read
from the cache: it names the reader, counts their unread notifications and lists
their saved filters, each a query or a cache read of its own, on every page."""

import hashlib

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

from cooperation import counts, page_cache
from cooperation.services import notifications

register = template.Library()

NAVBAR_TEMPLATE = "includes/_navbar.html"


def navbar_cache_key(request) -> str | None:
    """What the signed-in reader's navigation bar depends on: the data generation
    (their name, nation and saved filters are records), their unread count's token,
    their language and time zone, and the page it is drawn on (the active link; the
    search page's query). None: draw it every time."""
    user = getattr(request, "user", None)
    if not settings.PAGE_FRAGMENT_CACHE or user is None or not user.is_authenticated:
        return None
    generation = counts.current_generation()
    unread = counts.token(notifications.unread_token(user.pk))
    if generation is None or unread is None:
        return None
    match = request.resolver_match
    name = (match.url_name or "") if match else ""
    query = request.GET.get("q", "") if name == "search" else ""
    parts = [
        generation,
        unread,
        str(user.pk),
        get_language(),
        timezone.get_current_timezone_name(),
        name,
        query,
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"cooperation:navbar:{digest}"


@register.simple_tag(takes_context=True)
def navbar(context):
    """``includes/_navbar.html``, kept in the cache under ``navbar_cache_key`` with
    marks for the page's address and the CSRF token (``cooperation.page_cache``)."""
    request = context.get("request")
    navbar_template = context.template.engine.get_template(NAVBAR_TEMPLATE)
    if request is None:  # a template rendered without a request (an e-mail)
        return navbar_template.render(context)
    key = navbar_cache_key(request)
    html = counts.cache_get(key) if key else None
    if html is None:
        marks = {
            "next_path": page_cache.next_mark(),
            "csrf_token": page_cache.csrf_mark(),
        }
        with context.push(marks):
            html = str(navbar_template.render(context))
        if key:
            counts.cache_set(key, html, settings.COUNT_CACHE_SECONDS)
    return page_cache.with_request_values(html, request)
