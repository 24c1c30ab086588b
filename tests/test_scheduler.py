"""``manage.py scheduler``: what runs when, what a failure does, how it stops.

The scheduled commands are mocked (``call_command`` in the scheduler's module) and the
clock is fake: waiting advances it, and the test stops the loop after a set time.
"""

import logging
import signal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cooperation.management.commands import scheduler as scheduler_module
from cooperation.management.commands.scheduler import DAY, Job, Scheduler

# Each run closes the database connections that went stale, as a long-running
# process must; that touches the test database's connection.
pytestmark = pytest.mark.django_db


class FakeClock:
    """Monotonic seconds that move only when the scheduler waits."""

    def __init__(self, scheduler_ref, *, stop_at):
        self.now = 0.0
        self.stop_at = stop_at
        self.scheduler_ref = scheduler_ref
        self.waits = []

    def __call__(self):
        return self.now

    def wait(self, seconds):
        self.waits.append(seconds)
        self.now += seconds
        if self.now >= self.stop_at:
            self.scheduler_ref[0].stop()
        return self.scheduler_ref[0].stopping.is_set()


def run_scheduler(*, stop_at, reminders_every=60.0, side_effect=None):
    """Run a scheduler with the portal's two jobs until the fake clock reaches
    ``stop_at``; return the (clock time, command) of each run and the clock."""
    ref = []
    clock = FakeClock(ref, stop_at=stop_at)
    runs = []

    def fake_call_command(name, **kwargs):
        runs.append((clock.now, name))
        if side_effect:
            side_effect(name, clock)

    scheduler = Scheduler(
        [Job("send_reminders", every=reminders_every), Job("housekeeping", every=DAY)],
        clock=clock,
        wait=clock.wait,
    )
    ref.append(scheduler)
    with mock.patch.object(scheduler_module, "call_command", fake_call_command):
        scheduler.run()
    return runs, clock


def test_reminders_run_every_interval_and_housekeeping_once_a_day():
    runs, clock = run_scheduler(stop_at=DAY + 150)

    reminders = [at for at, name in runs if name == "send_reminders"]
    housekeeping = [at for at, name in runs if name == "housekeeping"]
    assert reminders[:3] == [0.0, 60.0, 120.0]
    assert len(reminders) == DAY // 60 + 3  # 0, 60, … up to DAY + 120
    assert housekeeping == [0.0, float(DAY)]
    # It sleeps between runs rather than polling.
    assert all(seconds == 60.0 for seconds in clock.waits)


def test_the_interval_is_kept_from_the_start_of_a_slow_run():
    def slow(name, clock):
        if name == "send_reminders":
            clock.now += 20  # send_reminders takes 20 s

    runs, clock = run_scheduler(stop_at=200, side_effect=slow)

    reminders = [at for at, name in runs if name == "send_reminders"]
    assert reminders == [0.0, 60.0, 120.0, 180.0]
    # Housekeeping started after the first 20 s run; the waits fill up to the minute.
    assert [at for at, name in runs if name == "housekeeping"] == [20.0]
    assert clock.waits[:2] == [40.0, 40.0]


def test_a_failing_run_is_logged_and_the_next_run_goes_on(caplog):
    def fail_second_reminder(name, clock):
        if name == "send_reminders" and clock.now == 60.0:
            raise RuntimeError("SMTP exploded")

    with caplog.at_level(logging.INFO, logger="cooperation.scheduler"):
        runs, _ = run_scheduler(stop_at=150, side_effect=fail_second_reminder)

    assert runs == [
        (0.0, "send_reminders"),
        (0.0, "housekeeping"),
        (60.0, "send_reminders"),
        (120.0, "send_reminders"),
    ]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert failures[0].getMessage().startswith("send_reminders failed after")
    assert "SMTP exploded" in caplog.text  # the traceback is in the log
    finished = [
        r.getMessage() for r in caplog.records if "finished in" in r.getMessage()
    ]
    assert len(finished) == 3  # 0 s reminders, housekeeping, 120 s reminders


def test_a_stop_during_a_run_starts_no_further_run():
    ref = []

    def stop_during_reminders(name, **kwargs):
        calls.append(name)
        ref[0].stop()

    calls = []
    waits = []
    scheduler = Scheduler(
        [Job("send_reminders", every=60), Job("housekeeping", every=DAY)],
        clock=lambda: 0.0,
        wait=waits.append,
    )
    ref.append(scheduler)
    with mock.patch.object(scheduler_module, "call_command", stop_during_reminders):
        scheduler.run()

    assert calls == ["send_reminders"]
    assert waits == []


def test_each_run_logs_the_commands_output(caplog):
    def with_output(name, *, stdout, stderr):
        stdout.write("Sent 2 meeting reminder(s).\n")
        scheduler.stop()

    scheduler = Scheduler([Job("send_reminders", every=60)], clock=lambda: 0.0)
    with (
        caplog.at_level(logging.INFO, logger="cooperation.scheduler"),
        mock.patch.object(scheduler_module, "call_command", with_output),
    ):
        scheduler.run()

    messages = [record.getMessage() for record in caplog.records]
    assert "Running send_reminders" in messages
    assert "send_reminders finished in 0.0 s: Sent 2 meeting reminder(s)." in messages
    assert messages[-1] == "Scheduler stopped"


def test_the_command_stops_on_sigterm_and_restores_the_signal_handlers(settings):
    """SIGTERM arrives while send_reminders runs: the command returns after that
    run, without starting housekeeping, and gives the handlers back."""
    settings.PORTAL_SCHEDULER_INTERVAL = 60

    def not_the_commands_handler(signum, frame):
        raise AssertionError("the scheduler did not handle the signal")

    calls = []

    def terminate_during_run(name, **kwargs):
        calls.append(name)
        signal.raise_signal(signal.SIGTERM)

    # Whatever SIGINT's handler is here (ignored when the tests run in the
    # background of a shell), the command gives it back.
    interrupt_handler = signal.getsignal(signal.SIGINT)
    previous = signal.signal(signal.SIGTERM, not_the_commands_handler)
    try:
        with mock.patch.object(scheduler_module, "call_command", terminate_during_run):
            call_command("scheduler")
        assert calls == ["send_reminders"]
        assert signal.getsignal(signal.SIGTERM) is not_the_commands_handler
        assert signal.getsignal(signal.SIGINT) is interrupt_handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_interval_comes_from_the_setting_or_the_option(settings):
    settings.PORTAL_SCHEDULER_INTERVAL = 15
    seen = []

    def record_jobs(self):
        seen.append([(job.command, job.every) for job in self.jobs])

    with mock.patch.object(Scheduler, "run", record_jobs):
        call_command("scheduler")
        call_command("scheduler", "--interval", "5")

    assert seen == [
        [("send_reminders", 15), ("housekeeping", DAY)],
        [("send_reminders", 5.0), ("housekeeping", DAY)],
    ]
    with pytest.raises(CommandError, match="positive"):
        call_command("scheduler", "--interval", "0")
