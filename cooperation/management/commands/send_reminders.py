"""``manage.py send_reminders``: queue the meeting and recommendation reminders due now.

Run it every minute (the ``scheduler`` command, or cron). It only records outbox rows
and enqueues the delivery task; it never talks to the mail server. Every reminder has
a unique key, so a second run, or two runs started at the same moment on two
machines, never queues the same reminder twice. It also enqueues the delivery of rows
whose retry is due (or whose worker died), and of PDF briefings likewise. It queues
the daily digests of notifications due (``notifications_send_digest``: once a day per
user, at the first run after 07:00 in their time zone). See
``cooperation.services.invitations`` for the cadence and ``cooperation.services.outbox``
for delivery.
"""

from django.core.management.base import BaseCommand

from cooperation.services.briefings import briefing_enqueue_due
from cooperation.services.invitations import reminders_send
from cooperation.services.notifications import notifications_send_digest
from cooperation.services.outbox import outbox_enqueue_due


class Command(BaseCommand):
    help = (
        "Queue meeting reminders (MEETING_REMINDER_LEAD minutes before the start) "
        "and reminders to owners of recommendations due within 7 days or overdue, "
        "and enqueue the delivery of e-mails that are due. Safe to run every minute "
        "on any number of machines: nothing is queued twice."
    )

    def handle(self, *args, **options):
        counts = reminders_send()
        digests = notifications_send_digest()
        if not any(counts.values()) and not digests:
            outbox_enqueue_due()
        briefing_enqueue_due()
        self.stdout.write(
            f"Queued {counts['meeting_reminders']} meeting reminder(s) and "
            f"{counts['recommendation_reminders']} recommendation reminder(s)."
        )
        if digests:
            self.stdout.write(f"Queued {digests} daily digest(s) of notifications.")
