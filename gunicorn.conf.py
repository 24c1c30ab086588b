"""Gunicorn, the portal's production server, configured from the environment.

    gunicorn -c gunicorn.conf.py portal.wsgi:application

GUNICORN_BIND        where to listen, comma-separated (default 127.0.0.1:$PORT, and
                     PORT defaults to 8000); in a container, 0.0.0.0:8000
GUNICORN_WORKERS     processes (default 2 x cores + 1, at most 8)
GUNICORN_THREADS     requests each process serves at a time (default 4)
GUNICORN_TIMEOUT     seconds before a stuck request's worker is restarted (default 30)
GUNICORN_GRACEFUL_TIMEOUT  seconds a worker has to finish on a restart (default 30)
GUNICORN_KEEPALIVE   seconds an idle keep-alive connection is held (default 5)
GUNICORN_MAX_REQUESTS / GUNICORN_MAX_REQUESTS_JITTER  a worker is replaced after
                     about this many requests (default 1000, spread by up to 100;
                     0: never)
GUNICORN_PRELOAD     1 (default): load the portal once in the master and fork the
                     workers from it, warmed up (portal/warmup.py), so a replaced
                     worker answers at once; 0: each worker loads it itself. With
                     preloading, a code change needs a restart, not a HUP.
GUNICORN_ACCESS_LOG  where the access log goes: "-" standard output (default), a
                     file path, or empty for none
GUNICORN_FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-* (default 127.0.0.1)
GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (default: none)
"""

import gc
import os

from gunicorn.http import wsgi as _gunicorn_wsgi


def _int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = [
    address.strip()
    for address in os.environ.get(
        "GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT') or 8000}"
    ).split(",")
    if address.strip()
]

# Each worker process has its own PostgreSQL pool (DJANGO_DB_POOL_MAX_SIZE, 10
# connections): 8 workers stay within PostgreSQL's default 100 connections.
workers = _int("GUNICORN_WORKERS", min(2 * _cores() + 1, 8))
# More than one thread selects the gthread worker. Keep threads at or below the pool's
# max size, so that a request never waits for a connection another thread holds (a
# pool timeout then means that PostgreSQL is down; see portal/settings.py).
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# The portal is loaded once, in the master, and warmed up there (when_ready below);
# every worker is a fork of it. Nothing in the master opens a database or cache
# connection (warm_up closes any), so each worker still opens its own pool after
# the fork and never shares a connection with another process.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() not in {
    "0",
    "false",
    "no",
    "off",
}
if preload_app:
    # Until the fork: no collection leaves holes in the memory the workers share
    # (gc.freeze() in warm_up, gc.enable() in post_fork: Python's gc documentation).
    gc.disable()
# Restart each worker after about a thousand requests (spread, so that they do not all
# restart together), which bounds any slow memory growth. With preload_app a new
# worker costs a fork, not a second of imports and cold first requests (measured:
# the first request of a new worker 1.2-1.4 s without, about 65 ms with).
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# gunicorn's "-": standard output; its own errors go to standard error.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip() or None
errorlog = "-"
# Combined log format, then the time the request took (milliseconds) and, behind a
# proxy (where %(h)s is the proxy), the X-Forwarded-For it sent ("-" without one).
# The calendar feed has its secret token in the path: the access log is as
# confidential as the database.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    '"%({x-forwarded-for}i)s"'
)

# Only these addresses may set the scheme through X-Forwarded-Proto (the proxy in
# front); Django reads the client address itself (DJANGO_BEHIND_PROXY).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Gunicorn 25 and later listen on a control socket at a path shared by every
# gunicorn of the same user ($XDG_RUNTIME_DIR or ~/.gunicorn); only when asked.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


# Server hooks: the warm-up before the fork and a quick exit (portal/warmup.py).
def when_ready(server):
    """In the master, once the portal is loaded and before any worker is forked."""
    if preload_app:
        from portal.warmup import warm_up

        warm_up()


def post_fork(server, worker):
    """In each new worker: collect its own garbage (the master's is frozen)."""
    gc.enable()


def worker_exit(server, worker):
    """In a worker that is leaving: close its connections and end it at once,
    without the interpreter's teardown (``portal.warmup.leave``)."""
    if preload_app:
        from portal.warmup import leave

        leave()


# No "Server: gunicorn" header. Gunicorn has no setting for it (its maintainers
# declined one, benoitc/gunicorn#825): Response.default_headers always writes it.
# This file runs in the master before the workers are forked, so they all inherit the
# change. (HTTP/2, not enabled here, adds its own in gunicorn/http2/response.py.)
def _default_headers_without_server(response):
    return [
        line
        for line in _default_headers(response)
        if not line.lower().startswith("server:")
    ]


_default_headers = getattr(
    _gunicorn_wsgi.Response.default_headers,
    "__wrapped__",
    _gunicorn_wsgi.Response.default_headers,
)
_default_headers_without_server.__wrapped__ = _default_headers
_gunicorn_wsgi.Response.default_headers = _default_headers_without_server
