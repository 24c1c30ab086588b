"""``manage.py housekeeping``: delete what the portal no longer needs. Run it daily.

* expired sessions (``clearsessions``);
* finished task results of the database task backend older than
  ``--task-days`` (``prune_db_task_results``), when that backend is configured;
* login lockout records whose cool-off ended, and django-axes access and failure
  logs older than ``--login-log-days``;
* outbox rows sent more than ``DJANGO_OUTBOX_RETENTION_DAYS`` ago (failed rows stay
  until an Administrator retries them);
* PDF briefings asked for more than ``DJANGO_BRIEFING_RETENTION_DAYS`` ago.
"""

import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import task_backends
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from cooperation.services.briefings import briefing_prune
from cooperation.services.outbox import outbox_prune


class Command(BaseCommand):
    help = (
        "Delete expired sessions, old task results, expired login lockouts and old "
        "login logs, and delivered e-mails and PDF briefings past their retention. "
        "Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--task-days",
            type=int,
            default=14,
            help="Keep finished task results this many days (default: %(default)s).",
        )
        parser.add_argument(
            "--login-log-days",
            type=int,
            default=90,
            help="Keep login access logs this many days (default: %(default)s).",
        )

    def handle(self, *args, task_days, login_log_days, verbosity, **options):
        call_command("clearsessions")
        self.stdout.write("Expired sessions cleared.")

        for alias in settings.TASKS:
            if isinstance(task_backends[alias], DatabaseBackend):
                call_command(
                    "prune_db_task_results",
                    f"--backend={alias}",
                    "--queue-name=*",
                    f"--min-age-days={task_days}",
                    verbosity=verbosity,
                )

        cool_off = settings.AXES_COOLOFF_TIME
        lockouts = 0
        if cool_off is not None:
            lockouts, _ = AccessAttempt.objects.filter(
                attempt_time__lt=timezone.now() - cool_off
            ).delete()
        logs = AxesProxyHandler.reset_logs(age_days=login_log_days)
        failures = AxesProxyHandler.reset_failure_logs(age_days=login_log_days)
        self.stdout.write(
            f"Deleted {lockouts} expired login attempt record(s), {logs} access "
            f"log(s) and {failures} failure log(s)."
        )

        cutoff = datetime.timedelta(days=settings.PORTAL_OUTBOX_RETENTION_DAYS)
        deleted = outbox_prune()
        self.stdout.write(
            f"Deleted {deleted} e-mail(s) delivered more than {cutoff.days} days ago."
        )

        briefings = briefing_prune()
        self.stdout.write(
            f"Deleted {briefings} PDF briefing(s) asked for more than "
            f"{settings.PORTAL_BRIEFING_RETENTION_DAYS} days ago."
        )
