"""Exactly one scheduler across real worker processes, and fail-over when its holder dies.

Two `python -m bot worker` processes run against the test database (PostgreSQL: the advisory
lock; SQLite: the flock beside the database file, two processes on one machine), with
SCHEDULER_LOCK_POLL_SECONDS=1 so a fail-over takes seconds instead of up to 10 (a lost
process) or 40 (a lost machine). The due job is the daily reminder: one reminder row in the
outbox and one "đã xếp" log line across both workers mean it ran exactly once.
"""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.runtime import scheduler
from intents.when import LOCAL_TZ
from storage import tickets
from storage.db import session_scope
from storage.leader import leader_lock
from storage.models import OutboundMessage
from tests.cli_support import run_cli
from tests.e2e.crashes.test_crash_and_order import ROOT, stop, worker_env
from tests.bot.runtime.test_leadership import _store

LEADS = "worker này chạy lịch định kỳ"
WAITS = "worker khác đang chạy lịch; worker này chờ thay thế"
LOST = "mất khóa chạy lịch"
RAN = "đã xếp 1 tin cho cán bộ"      # the daily reminder did its work
SKIPPED = "đã xếp rồi, không xếp lại"  # ... and a second run found its day's mark


class Worker:
    def __init__(self, settings, log_path, failpoints: str = ""):
        env = worker_env(settings, failpoints) | {"LOG_LEVEL": "INFO", "SCHEDULER_LOCK_POLL_SECONDS": "1",
                                                  "OFFICER_ZALO_IDS": ",".join(settings.officer_zalo_ids)}
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self._log)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        stop(self.proc)
        self._log.close()


@pytest.fixture()
def spawn(settings, tmp_path):
    started = []

    def make(name: str, failpoints: str = "") -> Worker:
        started.append(Worker(settings, tmp_path / f"{name}.log", failpoints))
        return started[-1]

    yield make
    for worker in started:
        worker.close()


@pytest.fixture()
def reminder_due_later(settings):
    """A ticket due today (so the reminder has one message to queue), and the jobs stored, with
    the reminder's next run far off until the test makes it due."""
    with session_scope() as s:
        tickets.create_ticket(s, kind="complaint", text="x", actor="test", status="new",
                              topic="environment", due_date=datetime.now(LOCAL_TZ).replace(tzinfo=None))
    scheduler.build_scheduler(SimpleNamespace(settings=settings)).shutdown(wait=True)
    set_reminder_at(datetime.now(LOCAL_TZ) + timedelta(days=1))


def set_reminder_at(when: datetime) -> None:
    store = _store()
    job = store.lookup_job("daily_reminder")
    job.next_run_time = when
    store.update_job(job)


def reminder_next_run() -> datetime:
    return _store().lookup_job("daily_reminder").next_run_time


def reminders_queued() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).where(OutboundMessage.purpose == "reminder"))


def wait_for(condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def leader_and_standby(a: Worker, b: Worker) -> tuple[Worker, Worker]:
    """Both started: exactly one leads, the other waits, and the lock names the leader."""
    wait_for(lambda: all(LEADS in w.log() or WAITS in w.log() for w in (a, b)), 90, "both workers to start")
    leaders = [w for w in (a, b) if LEADS in w.log()]
    assert len(leaders) == 1, [w.log() for w in (a, b)]
    leader = leaders[0]
    standby = b if leader is a else a
    assert WAITS in standby.log()
    return leader, standby


def holder_pid(settings) -> str | None:
    holder = leader_lock(settings.database_url, 1).holder()
    return holder.rsplit(" ", 1)[-1] if holder else None


def test_kill_9_of_the_holder_hands_over_and_a_due_job_runs_once(settings, reminder_due_later, spawn,
                                                                 tmp_path):
    a, b = spawn("a"), spawn("b")
    leader, standby = leader_and_standby(a, b)
    assert holder_pid(settings) == str(leader.proc.pid)

    leader.proc.send_signal(signal.SIGSTOP)  # it must not run the job before it dies
    leader.proc.send_signal(signal.SIGKILL)
    # Made due only once the holder is dead: on SQLite a stopped process may hold the database's
    # write lock (flock), and this write would wait for it forever.
    leader.proc.wait(10)
    set_reminder_at(datetime.now(LOCAL_TZ) - timedelta(minutes=1))
    took = wait_for(lambda: LEADS in standby.log(), 60, "the standby to take over")
    print(f"\nfail-over after kill -9: {took:.2f} s (poll 1 s)")
    assert took < 60
    wait_for(lambda: RAN in standby.log(), 30, "the due reminder")
    assert holder_pid(settings) == str(standby.proc.pid)
    jobs = run_cli(["jobs"], settings.database_url, tmp_path)
    assert f"Lịch định kỳ đang chạy ở: hopthuso-lich {socket.gethostname()[:30]} pid {standby.proc.pid}" \
        in jobs.stdout, jobs.stderr
    time.sleep(1.5)  # a second run would come now, at the scheduler's next pass
    assert (leader.log() + standby.log()).count("nhắc việc ngày") == 1
    assert reminders_queued() == 1
    assert reminder_next_run() > datetime.now(LOCAL_TZ)


def test_a_holder_killed_in_the_middle_of_a_daily_run_loses_nothing_and_repeats_nothing(
        settings, reminder_due_later, spawn):
    set_reminder_at(datetime.now(LOCAL_TZ) + timedelta(seconds=8))  # after both are up, normally
    a = spawn("a", failpoints="scheduler.after_inline_job=1")  # dies after the run, before its record
    wait_for(lambda: LEADS in a.log(), 60, "the first worker to lead")
    b = spawn("b")
    assert a.proc.wait(60) == 137
    assert RAN in a.log()
    assert reminders_queued() == 1
    assert reminder_next_run() < datetime.now(LOCAL_TZ)  # the kill left the run due
    wait_for(lambda: LEADS in b.log(), 60, "the second worker to take over")
    wait_for(lambda: SKIPPED in b.log(), 30, "the run to be made again")
    assert RAN not in b.log()
    assert reminders_queued() == 1
    wait_for(lambda: reminder_next_run() > datetime.now(LOCAL_TZ), 10, "the run to be recorded")


def test_a_frozen_holder_is_replaced_and_on_waking_stops_scheduling(settings, reminder_due_later, spawn):
    """A holder whose machine is lost or frozen (here: SIGSTOP) sends nothing; the server ends
    its session after 3 polls and a standby takes over. Woken again, the old holder finds its
    lock gone and stops its scheduler without running anything."""
    if settings.is_sqlite:
        pytest.skip("SQLite runs on one machine: a frozen process keeps its flock until it dies, so "
                    "there is no lost machine for a timer to detect (kill -9 is tested above)")
    a, b = spawn("a"), spawn("b")
    leader, standby = leader_and_standby(a, b)
    leader.proc.send_signal(signal.SIGSTOP)
    set_reminder_at(datetime.now(LOCAL_TZ) - timedelta(minutes=1))
    took = wait_for(lambda: LEADS in standby.log(), 60, "the standby to take over")
    print(f"\nfail-over from a frozen holder: {took:.2f} s (poll 1 s: session ended after 3 s)")
    assert 2.5 < took < 60
    wait_for(lambda: RAN in standby.log(), 30, "the due reminder")

    leader.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: LOST in leader.log(), 20, "the old holder to step down")
    time.sleep(1.5)
    assert holder_pid(settings) == str(standby.proc.pid)
    assert (leader.log() + standby.log()).count("nhắc việc ngày") == 1
    assert reminders_queued() == 1
