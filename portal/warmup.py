"""Work every worker would otherwise do on its first requests, done once in the master.

Gunicorn loads the application in its master process (``preload_app``) and calls
:func:`warm_up` there before it forks the workers (``gunicorn.conf.py``). A worker
then starts as a copy of a process that has already imported every view, resolved
the URL patterns, read the translation catalogues of each language and compiled the
templates, instead of spending about a second of CPU on that after it is born. That
matters because workers are replaced every ``GUNICORN_MAX_REQUESTS`` requests: each
replacement used to cost every request in flight behind it a stall of hundreds of
milliseconds (measured in ``make bench``: the p99 of even ``/healthz``).

Nothing here may open a connection to the database or the cache: a socket opened in
the master would be shared by every worker forked from it. :func:`warm_up` checks
that and closes whatever a hook opened regardless.
"""

import gc
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def _template_names(engine):
    """The name of every template the Django engine's loaders can find."""
    names = set()
    for loader in engine.template_loaders:
        for inner in getattr(loader, "loaders", [loader]):
            for directory in inner.get_dirs():
                root = Path(directory)
                if not root.is_dir():
                    continue
                names.update(
                    path.relative_to(root).as_posix()
                    for path in root.rglob("*")
                    if path.is_file() and path.suffix in {".html", ".txt", ".ics"}
                )
    return sorted(names)


def compile_templates():
    """Compile the templates into the cached loader; return how many compiled."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines

    compiled = 0
    for backend in engines.all():
        engine = getattr(backend, "engine", None)
        if engine is None:  # not a Django-template engine
            continue
        for name in _template_names(engine):
            try:
                engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                # A file that is not a template on its own (a fragment of another
                # language, a partial with a syntax of its own) is compiled, as
                # before, when a page first asks for it.
                continue
            compiled += 1
    return compiled


def load_translations():
    """Read the message catalogues of every language the portal speaks."""
    from django.conf import settings
    from django.utils import translation

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Dashboard")


def close_connections():
    """Close any database or cache connection, so no worker inherits a socket."""
    from django.core.cache import caches
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()
    caches.close_all()


def warm_up():
    """Load in this (the master) process what each worker would load on its own."""
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every view module
    resolver.reverse_dict  # noqa: B018 - builds the reverse lookup tables
    load_translations()
    compiled = compile_templates()
    close_connections()
    # Objects made so far are never collected: the collector would otherwise touch
    # (and so copy) their memory pages in every worker.
    gc.freeze()
    logger.info(
        "Warmed up before forking the workers: %d templates compiled.", compiled
    )
    return compiled
