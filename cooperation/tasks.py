"""Background tasks (Django's tasks framework, ``django.tasks``).

The backend is ``TASKS["default"]`` (``DJANGO_TASKS_BACKEND``): the immediate backend
runs a task on commit in the process that enqueued it; the database backend stores it
for ``manage.py db_worker``. A task is a thin door into a service, like a view.
"""

from django.tasks import task

from cooperation.services.outbox import outbox_deliver


@task
def deliver_emails() -> dict[str, int]:
    """Send the due e-mails of the outbox (``services.outbox.outbox_deliver``).

    Idempotent: any number of these may run at once; each row is claimed by one.
    """
    return outbox_deliver()


@task
def make_briefing(briefing_id: str) -> str:
    """Make the PDF of one briefing (``services.briefings.briefing_make``).

    Idempotent: a briefing already made, or being made by another worker, is left
    as it is.
    """
    from cooperation.services.briefings import briefing_make

    return briefing_make(briefing_id)
