"""``manage.py send_reminders``: send the meeting and recommendation reminders due now.

Run it every five minutes from cron. It is idempotent: every reminder is logged in
``SentNotification`` under a unique key before it is sent, so a second run (or two
runs at once) never sends the same reminder twice. See
``cooperation.services.invitations`` for the cadence.
"""

from django.core.management.base import BaseCommand

from cooperation.services.invitations import reminders_send


class Command(BaseCommand):
    help = (
        "Send meeting reminders (MEETING_REMINDER_LEAD minutes before the start) "
        "and reminders to owners of recommendations due within 7 days or overdue. "
        "Safe to run every five minutes: nothing is sent twice."
    )

    def handle(self, *args, **options):
        counts = reminders_send()
        self.stdout.write(
            f"Sent {counts['meeting_reminders']} meeting reminder(s) and "
            f"{counts['recommendation_reminders']} recommendation reminder(s)."
        )
