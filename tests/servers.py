"""Start the portal under gunicorn, as in production, for the tests that need a server.

Used by tests/test_database_down.py and tests/test_headers.py.
"""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# What the production server needs from its environment, minus the database.
PRODUCTION_ENVIRONMENT = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-secret-key-for-a-server-started-by-the-tests-only",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "DJANGO_LOG_LEVEL": "WARNING",
}


def unused_port():
    """A TCP port nothing listens on: bound by the system, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, *, headers=None, body=None, timeout=15):
    """One request on a new connection: (status, headers, body text, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        content = response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()
    return response.status, response.headers, content, time.monotonic() - started


@contextlib.contextmanager
def gunicorn(environment, log_path, *, startup_seconds=20):
    """Run ``gunicorn -c gunicorn.conf.py portal.wsgi:application``; yield its port.

    ``environment`` is added to PRODUCTION_ENVIRONMENT. The server's output goes to
    ``log_path`` and is shown if it does not start. It is stopped on the way out.
    """
    port = unused_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_", "DATABASE_URL"))
    }
    env.update(PRODUCTION_ENVIRONMENT)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
        }
    )
    env.update(environment)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "portal.wsgi:application",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(server, port, log_path, startup_seconds)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server, port, log_path, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {server.returncode}:\n{Path(log_path).read_text()}"
            )
        try:
            if request(port, "GET", "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not answer /healthz within {seconds} s:\n"
        f"{Path(log_path).read_text()}"
    )
