"""Exit 0 when the portal's web process answers /healthz with 200, else 1.

The container's HEALTHCHECK (Dockerfile). Standard library only: it runs every few
seconds and must not start Django. It asks as a client of the portal would, so that
the production settings answer it: the Host is the first of DJANGO_ALLOWED_HOSTS
(Django answers 400 to any other), and X-Forwarded-Proto is https, so that the HTTPS
redirect does not answer instead. Gunicorn believes that header from 127.0.0.1 while
GUNICORN_FORWARDED_ALLOW_IPS includes it (its default), Django when
DJANGO_BEHIND_PROXY is on; with neither, set DJANGO_SECURE_SSL_REDIRECT=0 or the
check sees a redirect and fails.

    python scripts/healthcheck.py [port]    (default: $PORT, else 8000)
"""

import http.client
import os
import sys


def main(argv):
    port = int(argv[1] if len(argv) > 1 else os.environ.get("PORT") or 8000)
    hosts = [
        host.strip().lstrip(".")
        for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")
        if host.strip() and host.strip() != "*"
    ]
    headers = {"Host": hosts[0] if hosts else "localhost", "X-Forwarded-Proto": "https"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        connection.request("GET", "/healthz", headers=headers)
        status = connection.getresponse().status
    except OSError as error:
        print(f"/healthz on port {port}: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"/healthz on port {port} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
