"""Count the SQL queries of each benchmarked page, in-process, for ``bench/run.py``.

Run with the project's virtual environment and the same environment as the server
(``DATABASE_URL``, ``DJANGO_SETTINGS_MODULE=portal.settings``, ``DJANGO_DEBUG=0`` …):

    .venv/bin/python bench/queries.py '[["colombia", "/"], ["admin", "/admin/"]]'

Each (username, path) is requested once with Django's test client, signed in as that
user (an administrator also gets the OTP verification the admin asks for, through
the static device ``manage.py addstatictoken`` made), and the queries are counted with
``CaptureQueriesContext``. Prints one JSON line per request as it is measured:
``{"key": "<user> <path>", "status": …, "queries": …, "ms": …}`` (``"error"`` instead
when it failed, e.g. on PostgreSQL's ``statement_timeout``, which the caller may set
through ``PGOPTIONS``). A streamed response (the CSV export) is read to its end inside
the count.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main(pairs):
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    host = (os.environ.get("DJANGO_ALLOWED_HOSTS") or "127.0.0.1").split(",")[0]
    users = {}
    for username, path in pairs:
        client = users.get(username)
        if client is None:
            user = get_user_model().objects.get(username=username)
            client = Client(SERVER_NAME=host)
            client.force_login(user)
            device = StaticDevice.objects.filter(user=user).first()
            if device is not None:
                session = client.session
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
                session.save()
            users[username] = client
        started = time.perf_counter()
        result = {"key": f"{username} {path}"}
        try:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
                if response.streaming:
                    b"".join(response.streaming_content)
        except DatabaseError as error:
            result["error"] = str(error).splitlines()[0]
            connection.close()  # a failed query leaves the connection unusable
        else:
            result |= {
                "status": response.status_code,
                "queries": len(captured.captured_queries),
            }
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(json.loads(sys.argv[1]))
