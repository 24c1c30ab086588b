"""``manage.py scheduler``: the portal's clock, one long-running process.

Runs ``send_reminders`` every ``DJANGO_SCHEDULER_INTERVAL`` seconds (60) and
``housekeeping`` once a day, both at start and then on their interval, sleeping in
between. Each run is logged with its output and duration; a run that raises is logged
with its traceback and the next run goes on as planned. SIGTERM or SIGINT stops it
cleanly: a run in progress finishes, no new one starts (a second signal stops it at
once).

Run one scheduler (``make scheduler``, the Procfile's ``scheduler``). A second one is
harmless, since both commands are safe to run at the same moment, only wasteful. The
same two commands can be run from cron or a systemd timer instead (README: Running in
production).
"""

import io
import logging
import signal
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

logger = logging.getLogger("cooperation.scheduler")

DAY = 24 * 60 * 60


@dataclass
class Job:
    """A management command run every ``every`` seconds, the first time at start."""

    command: str
    every: float
    due: float | None = None  # on the scheduler's clock; None: at the first tick


class Scheduler:
    """Runs the jobs that are due, then waits until the next one is (or a stop).

    ``clock`` is monotonic seconds and ``wait(seconds)`` returns early, with a true
    value, when the scheduler is stopped; the tests give both fakes.
    """

    def __init__(self, jobs, *, clock=time.monotonic, wait=None):
        self.jobs = list(jobs)
        self.clock = clock
        self.stopping = threading.Event()
        self.wait = wait or self.stopping.wait

    def stop(self):
        self.stopping.set()

    def run(self):
        logger.info(
            "Scheduler started: %s",
            ", ".join(f"{job.command} every {job.every:g} s" for job in self.jobs),
        )
        while not self.stopping.is_set():
            for job in self.jobs:
                if self.stopping.is_set():
                    break
                if job.due is None or self.clock() >= job.due:
                    self.run_job(job)
            if self.stopping.is_set():
                break
            self.wait(max(0.0, min(job.due for job in self.jobs) - self.clock()))
        logger.info("Scheduler stopped")

    def run_job(self, job):
        started = self.clock()
        # The next run is planned from this one's start, so that a slow run does not
        # push the schedule later; a run longer than the interval is followed by the
        # next one at once, never by a burst of missed ones.
        job.due = started + job.every
        output = io.StringIO()
        logger.info("Running %s", job.command)
        close_old_connections()
        try:
            call_command(job.command, stdout=output, stderr=output)
        except Exception:
            logger.exception(
                "%s failed after %.1f s; next run in %g s",
                job.command,
                self.clock() - started,
                job.every,
            )
        else:
            logger.info(
                "%s finished in %.1f s%s",
                job.command,
                self.clock() - started,
                f": {output.getvalue().strip()}" if output.getvalue().strip() else "",
            )
        finally:
            # A long-lived process: hand its connection back (to the pool on
            # PostgreSQL) between runs, as a request does at its end.
            close_old_connections()


class Command(BaseCommand):
    help = (
        "Run send_reminders every DJANGO_SCHEDULER_INTERVAL seconds (default 60) and "
        "housekeeping once a day, until SIGTERM or SIGINT."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between two send_reminders runs "
            "(default: DJANGO_SCHEDULER_INTERVAL, 60).",
        )

    def handle(self, *args, interval=None, **options):
        if interval is None:
            interval = settings.PORTAL_SCHEDULER_INTERVAL
        if interval <= 0:
            raise CommandError("The interval must be a positive number of seconds.")
        scheduler = Scheduler(
            [Job("send_reminders", every=interval), Job("housekeeping", every=DAY)]
        )

        def stop(signum, frame):
            logger.info(
                "%s received: stopping after the current run",
                signal.Signals(signum).name,
            )
            scheduler.stop()
            # A second signal is not caught: it ends the process at once.
            for name, handler in previous.items():
                signal.signal(name, handler)

        previous = {
            signum: signal.signal(signum, stop)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            scheduler.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
