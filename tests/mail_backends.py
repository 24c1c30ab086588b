"""E-mail backends for tests of the outbox's delivery (``MAILERS`` in a test).

Each keeps what it did on the class, as Django's locmem backend keeps
``mail.outbox``: tests read ``connections_opened`` and ``mail.outbox``.
"""

import os
import smtplib
import time

from django.core import mail
from django.core.mail.backends import filebased
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class CountingBackend(LocmemBackend):
    """Django's locmem backend that counts the connections opened."""

    connections_opened = 0

    def open(self):
        CountingBackend.connections_opened += 1
        return super().open()


class DownBackend(CountingBackend):
    """A mail server that cannot be reached: opening the connection fails."""

    def open(self):
        super().open()
        raise ConnectionRefusedError(111, "Connection refused")


class RefusingBackend(CountingBackend):
    """A mail server that refuses every address containing ``bounce`` (and only
    that message), accepting the others on the same connection."""

    def send_messages(self, messages):
        for message in messages:
            refused = [address for address in message.to if "bounce" in address]
            if refused:
                raise smtplib.SMTPRecipientsRefused(
                    dict.fromkeys(refused, (550, b"No such user"))
                )
        return super().send_messages(messages)


def reset():
    CountingBackend.connections_opened = 0
    mail.outbox = []


class SlowFileBackend(filebased.EmailBackend):
    """Django's file backend behind a slow mail server: each message takes
    ``DJANGO_TEST_MAIL_DELAY`` seconds (default 0.05) before it is written, so a
    worker can be stopped in the middle of a batch (tests/test_replicas.py)."""

    def write_message(self, message):
        time.sleep(float(os.environ.get("DJANGO_TEST_MAIL_DELAY", "0.05")))
        super().write_message(message)
        self.stream.flush()
