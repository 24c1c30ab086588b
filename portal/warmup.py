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
the master would be shared by every worker forked from it. :func:`warm_up` closes
whatever was opened regardless.

Measured with one worker replaced every five requests: a new worker's first request
took 1.2-1.4 s without the preload, about 100 ms with the preload alone, and about
65 ms once the cache and pool client libraries (imported by Django on the first
connection) were imported here too. A leaving worker ends through :func:`leave`.
"""

import contextlib
import gc
import importlib
import logging
import os
import sys
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
    """Read the message catalogues of every language the portal speaks, and build
    the URL reversing tables, which Django keeps per language."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Dashboard")
            resolver.reverse_dict  # noqa: B018 - built on first use
            resolver.app_dict  # noqa: B018
            resolver.namespace_dict  # noqa: B018


def import_clients():
    """Import the client libraries Django imports on the first connection only."""
    from django.conf import settings

    wanted = []
    if any("redis" in cache["BACKEND"].lower() for cache in settings.CACHES.values()):
        wanted.append("redis")
    if any(
        database.get("OPTIONS", {}).get("pool")
        for database in settings.DATABASES.values()
    ):
        wanted.append("psycopg_pool")
    for name in wanted:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


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

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    load_translations()
    import_clients()
    compiled = compile_templates()
    close_connections()
    # Objects made so far are never collected: the collector would otherwise touch
    # (and so copy) their memory pages in every worker.
    gc.freeze()
    logger.info(
        "Warmed up before forking the workers: %d templates compiled.", compiled
    )
    return compiled


def leave():
    """End this worker without the interpreter's teardown.

    A worker forked from the warmed master shares its memory until it writes to
    it. Python's teardown decrements the reference count of every object, which
    copies the shared pages: measured, about 70 ms of CPU between the worker's
    last request and the master forking its replacement (about 7 ms without it).
    The connections are closed properly first and the logs flushed; nothing else
    is left to do."""
    close_connections()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
