"""Several replicas, proven: two gunicorn servers, task workers and one Redis, all on
one PostgreSQL database, as ``make cluster`` and ``compose.yaml`` run them.

One module-scoped cluster serves the tests below, in order: a session started on one
replica goes on on the other; a meeting scheduled on one replica is delivered once to
each attendee by the worker pool; a worker killed in the middle of a batch loses and
duplicates nothing once restarted; two ``send_reminders`` started together queue each
reminder once; and with the mail server's port closed, scheduling still answers at
once while the deliveries are retried and end up failed, as Administrators see them.

Needs PostgreSQL (``DATABASE_URL``) and Redis at 127.0.0.1:6379 (``.ci/run`` starts
it); mail goes to files (Django's file backend, one directory per worker).
"""

import contextlib
import datetime
import email
import email.header
import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import dj_database_url
import psycopg
import pytest

from tests import servers

REDIS = ("127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/11"
DATABASE = "portal_replicas_test"
PASSWORD = "Replica-Pass-2026!"
ATTENDEES = 10
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def redis_answers():
    with contextlib.suppress(OSError), socket.create_connection(REDIS, timeout=1):
        return True
    return False


def _needs(condition, reason):
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI provides it: .ci/run)")
    pytest.skip(reason)


# ------------------------------------------------------------------- the cluster


class Cluster:
    """The processes of one cluster and what they share."""

    def __init__(self, root, database_url):
        self.root = root
        self.database_url = database_url
        self.mail = root / "mail"
        self.mail.mkdir()
        self.workers = {}
        self.environment = {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "DJANGO_TASKS_BACKEND": "database",
            "DJANGO_EMAIL_BACKEND": "tests.mail_backends.SlowFileBackend",
            "DJANGO_TEST_MAIL_DELAY": "0.02",
            # A dead worker's batch is due again after 3 s; a failed e-mail is
            # retried after 1 s, then given up.
            "DJANGO_EMAIL_CLAIM_LEASE_SECONDS": "3",
            "DJANGO_EMAIL_RETRY_SECONDS": "1",
            "DJANGO_EMAIL_MAX_ATTEMPTS": "2",
            "DJANGO_MEETING_REMINDER_MINUTES": str(60 * 24 * 30),
            "DJANGO_PORTAL_URL": "http://127.0.0.1",
        }

    def env(self, **extra):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "GUNICORN_", "DATABASE_URL", "REDIS"))
        }
        env.update(servers.PRODUCTION_ENVIRONMENT)
        env.update(self.environment)
        # The production settings, with static URLs that need no collectstatic.
        env["DJANGO_SETTINGS_MODULE"] = "tests.server_settings"
        env.update(extra)
        return env

    def manage(self, *args, **extra):
        return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=servers.PROJECT_ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start_worker(self, name, **extra):
        directory = self.mail / name
        directory.mkdir(exist_ok=True)
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--worker-id",
                name,
            ],
            cwd=servers.PROJECT_ROOT,
            env=self.env(DJANGO_EMAIL_FILE_PATH=str(directory), **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers[name] = (process, log)
        return process

    def stop_worker(self, name, sig=signal.SIGTERM):
        process, log = self.workers.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()

    def stop_all_workers(self):
        for name in list(self.workers):
            self.stop_worker(name)

    def sql(self, query, *params):
        with psycopg.connect(self.database_url) as connection:
            return connection.execute(query, params).fetchall()

    def messages(self):
        """Every message any worker wrote: (recipient, subject) for each."""
        found = []
        for path in sorted(self.mail.rglob("*.log")):
            for raw in path.read_bytes().split(SEPARATOR):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw.strip(b"\n"))
                subject = str(
                    email.header.make_header(
                        email.header.decode_header(message["Subject"])
                    )
                )
                found.append((message["To"], subject))
        return found

    def wait_for(self, condition, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        logs = "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in self.root.glob("*.log")
        )
        raise AssertionError(f"{what}: not within {seconds} s\n{logs}")


class Browser:
    """A signed-in person's browser: one cookie jar for every replica of the host."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, port, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=30) as response:
                status, content = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read().decode()
        return status, content, time.monotonic() - started

    def form(self, port, path):
        """The page's form fields as its HTML gives them (the CSRF token among them)."""
        status, content, _seconds = self.request(port, path)
        assert status == 200, (path, status, content[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        return {"csrfmiddlewaretoken": html.unescape(token.group(1))}, content

    def post_form(self, port, path, data):
        fields, _content = self.form(port, path)
        status, content, seconds = self.request(port, path, {**fields, **data})
        digest = re.search(
            r'name="confirm-warnings_digest" value="([0-9a-f]+)"', content
        )
        if status == 200 and digest:
            # Scheduling warnings (a holiday, an overlap) are confirmed, as people do.
            status, content, seconds = self.request(
                port,
                path,
                {
                    **fields,
                    **data,
                    "confirm-confirm_warnings": "on",
                    "confirm-warnings_digest": digest.group(1),
                },
            )
        return status, content, seconds


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


SETUP_SCRIPT = """
from cooperation.models import Nation, User
colombia, _ = Nation.objects.get_or_create(
    iso_alpha2="CO",
    defaults={{
        "name": "Colombia",
        "iso_alpha3": "COL",
        "region": Nation.Region.SOUTH_AMERICA,
        "time_zone": "America/Bogota",
    }},
)
chief = User.objects.create_superuser(
    "chief", "chief@example.org", {password!r}, nation=colombia
)
for number in range({attendees}):
    User.objects.create_user(
        f"attendee{{number}}",
        f"attendee{{number}}@example.org",
        "x-unused-password-1",
        nation=colombia,
        first_name="Attendee",
        last_name=f"No{{number:02d}}",
    )
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        # CI runs the suite on PostgreSQL too, where this runs.
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL=postgres://…): replicas share one database"
        )
    _needs(redis_answers(), "needs Redis at 127.0.0.1:6379 (redis-server)")
    config = dj_database_url.parse(url)
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    database_url = url.rsplit("/", 1)[0] + f"/{DATABASE}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    assert config["NAME"]
    root = tmp_path_factory.mktemp("replicas")
    cluster = Cluster(root, database_url)
    for step in (
        ("migrate", "--noinput"),
        ("shell", "-c", SETUP_SCRIPT.format(password=PASSWORD, attendees=ATTENDEES)),
    ):
        done = cluster.manage(*step)
        assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-4000:])
    subprocess.run(  # noqa: S603 - flush the test's own Redis database
        [
            sys.executable,
            "-c",
            f"import redis; redis.Redis.from_url({REDIS_URL!r}).flushdb()",
        ],
        check=True,
    )
    with (
        servers.gunicorn(cluster.env(), root / "web-a.log") as port_a,
        servers.gunicorn(cluster.env(), root / "web-b.log") as port_b,
    ):
        cluster.ports = (port_a, port_b)
        cluster.start_worker("worker-1")
        cluster.start_worker("worker-2")
        try:
            yield cluster
        finally:
            cluster.stop_all_workers()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


@pytest.fixture(scope="module")
def chief(cluster):
    browser = Browser()
    port_a, _port_b = cluster.ports
    status, content, _seconds = browser.post_form(
        port_a, "/accounts/login/", {"username": "chief", "password": PASSWORD}
    )
    assert status == 302, content[:1000]
    return browser


def attendee_ids(cluster, count=ATTENDEES):
    rows = cluster.sql(
        "SELECT id FROM cooperation_user WHERE username LIKE 'attendee%%' "
        "ORDER BY username LIMIT %s",
        count,
    )
    return [str(row[0]) for row in rows]


def next_weekday(days_ahead):
    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def meeting_data(cluster, title, day, **extra):
    colombia = cluster.sql("SELECT id FROM cooperation_nation WHERE iso_alpha2 = 'CO'")
    return {
        "title": title,
        "status": "scheduled",
        "time_zone": "America/Bogota",
        "starts_at": f"{day:%Y-%m-%d}T09:00",
        "ends_at": f"{day:%Y-%m-%d}T10:00",
        "nations": [str(colombia[0][0])],
        "attendees": attendee_ids(cluster),
        "release-released_to_all": "on",
        "agenda-TOTAL_FORMS": "0",
        "agenda-INITIAL_FORMS": "0",
        "repeat-frequency": "",
        **extra,
    }


def invitations_of(cluster, title):
    return [
        (to, subject)
        for to, subject in cluster.messages()
        if title in subject and subject.startswith(("Invitation", "Updated invitation"))
    ]


# ----------------------------------------------------------------------- the tests

pytestmark = [pytest.mark.postgres]


def test_a_session_started_on_one_replica_goes_on_on_the_other(cluster, chief):
    port_a, port_b = cluster.ports

    status_a, page_a, _ = chief.request(port_a, "/")
    status_b, page_b, _ = chief.request(port_b, "/")

    assert (status_a, status_b) == (200, 200)
    assert "chief" in page_b
    anonymous = Browser()
    assert anonymous.request(port_b, "/")[0] == 302  # to the sign-in page


def test_a_meeting_scheduled_on_one_replica_is_delivered_once_to_each_attendee(
    cluster, chief
):
    port_a, _port_b = cluster.ports
    data = meeting_data(cluster, "Replica review", next_weekday(3))

    status, content, seconds = chief.post_form(port_a, "/meetings/new/", data)

    assert status == 302, content[:2000]
    cluster.wait_for(
        lambda: len(invitations_of(cluster, "Replica review")) >= ATTENDEES,
        60,
        "ten invitations delivered",
    )
    time.sleep(1)  # anything extra would have arrived by now
    delivered = invitations_of(cluster, "Replica review")
    assert sorted(to for to, _subject in delivered) == sorted(
        f"attendee{number}@example.org" for number in range(ATTENDEES)
    )
    assert cluster.sql(
        "SELECT count(*) FROM cooperation_outboundemail WHERE status = 'sent' "
        "AND subject LIKE %s",
        "%Replica review%",
    ) == [(ATTENDEES,)]


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_duplicates_nothing(
    cluster, chief
):
    port_a, port_b = cluster.ports
    cluster.stop_worker("worker-2")
    # A slow mail server: the series' invitations (one per attendee for its 12
    # occurrences) take worker-1a about 5 s, so the kill lands in the batch.
    cluster.stop_worker("worker-1")
    cluster.start_worker("worker-1a", DJANGO_TEST_MAIL_DELAY="0.5")
    data = meeting_data(
        cluster,
        "Killed worker series",
        next_weekday(40),
        **{
            "repeat-frequency": "weekly",
            "repeat-interval": "1",
            "repeat-ends": "after_count",
            "repeat-count": "12",
        },
    )
    status, content, _ = chief.post_form(port_b, "/meetings/new/", data)
    assert status == 302, content[:2000]
    cluster.wait_for(
        lambda: len(invitations_of(cluster, "Killed worker series")) >= 2,
        30,
        "worker-1a started the batch",
    )

    cluster.stop_worker("worker-1a", sig=signal.SIGKILL)
    sent_before_restart = len(invitations_of(cluster, "Killed worker series"))
    cluster.start_worker("worker-1b")
    # Its rows are due again after the lease; the scheduler's run enqueues them.
    time.sleep(3.5)
    assert cluster.manage("send_reminders").returncode == 0
    cluster.wait_for(
        lambda: len(invitations_of(cluster, "Killed worker series")) >= ATTENDEES,
        60,
        f"all {ATTENDEES} invitations delivered after the restart",
    )
    time.sleep(1)

    delivered = invitations_of(cluster, "Killed worker series")
    assert sent_before_restart < ATTENDEES  # the kill did land in the middle
    # One invitation per attendee for the whole series, none lost, none twice.
    assert len(delivered) == len(set(delivered)) == ATTENDEES
    cluster.start_worker("worker-2")


def test_two_send_reminders_started_together_queue_each_reminder_once(cluster):
    def reminders():
        return cluster.sql(
            "SELECT count(*), count(DISTINCT key) FROM cooperation_outboundemail "
            "WHERE kind = 'meeting_reminder'"
        )[0]

    runs = [
        subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "send_reminders"],
            cwd=servers.PROJECT_ROOT,
            env=cluster.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    total, distinct = reminders()
    # The meetings above start within the reminder window: each attendee of each
    # is reminded of each meeting once.
    assert total == distinct >= ATTENDEES
    cluster.wait_for(
        lambda: (
            len([m for m in cluster.messages() if m[1].startswith("Reminder")]) >= total
        ),
        60,
        "the reminders delivered",
    )
    time.sleep(1)
    delivered = [m for m in cluster.messages() if m[1].startswith("Reminder")]
    assert len(delivered) == len(set(delivered)) == total


def closed_port():
    return servers.unused_port()


def test_with_the_mail_server_down_scheduling_answers_at_once_and_deliveries_fail_visibly(
    cluster, chief, tmp_path
):
    cluster.stop_all_workers()
    smtp_down = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(closed_port()),
    }
    cluster.start_worker("worker-smtp-down", **smtp_down)
    scheduler = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "scheduler"],
        cwd=servers.PROJECT_ROOT,
        env=cluster.env(DJANGO_SCHEDULER_INTERVAL="1", **smtp_down),
        stdout=open(tmp_path / "scheduler.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with servers.gunicorn(
            cluster.env(**smtp_down), cluster.root / "web-c.log"
        ) as port_c:
            status, content, seconds = chief.post_form(
                port_c,
                "/meetings/new/",
                meeting_data(cluster, "Mail server down", next_weekday(80)),
            )
        assert status == 302, content[:2000]
        assert seconds < 1.0

        def given_up():
            return cluster.sql(
                "SELECT status, attempts, last_error FROM cooperation_outboundemail "
                "WHERE subject LIKE %s",
                "%Mail server down%",
            )

        cluster.wait_for(
            lambda: (
                (rows := given_up())
                and len(rows) == ATTENDEES
                and all(row[0] == "failed" for row in rows)
            ),
            60,
            "the deliveries retried, then failed",
        )
        rows = given_up()
        assert {row[1] for row in rows} == {2}
        assert all("refused" in row[2].lower() for row in rows)
        assert not invitations_of(cluster, "Mail server down")
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        scheduler.wait(timeout=30)
        cluster.stop_all_workers()
