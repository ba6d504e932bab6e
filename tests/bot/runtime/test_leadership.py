"""Who runs the scheduler inside a process (bot/runtime/leadership.py) and what the scheduler
does with a due job while it leads, has lost the lead, or is killed mid-run (scheduler.py)."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.runtime import jobs, scheduler
from bot.runtime.leadership import SchedulerLeadership
from intents.when import LOCAL_TZ
from storage.leader import FileLeaderLock


class FakeScheduler:
    def __init__(self):
        self.stopped = threading.Event()

    def shutdown(self, wait=True):
        self.stopped.set()


def _leadership(path, started: list, poll=1):
    def start(still_leader):
        started.append(FakeScheduler())
        return started[-1]

    lead = SchedulerLeadership(FileLeaderLock(path), poll, start)
    thread = threading.Thread(target=lead.run, daemon=True)
    thread.start()
    return lead, thread


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_one_leads_the_other_waits_and_takes_over_when_it_stops(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.runtime.leadership")
    path = tmp_path / "db.scheduler.lock"
    a_started, b_started = [], []
    a, a_thread = _leadership(path, a_started)
    _wait(lambda: a.scheduler is not None)
    b, b_thread = _leadership(path, b_started)
    _wait(lambda: "worker khác đang chạy lịch; worker này chờ thay thế" in caplog.text)
    assert b.scheduler is None and not b_started

    a.stop()
    a_thread.join(5)
    assert a_started[0].stopped.is_set()
    _wait(lambda: b.scheduler is not None, timeout=5)  # within one poll (1 s) and a bit
    assert caplog.text.count("worker này chạy lịch định kỳ") == 2
    b.stop()
    b_thread.join(5)


def test_a_holder_that_cannot_confirm_its_lock_stops_its_scheduler(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.runtime.leadership")
    path = tmp_path / "db.scheduler.lock"
    started = []
    lead, thread = _leadership(path, started)
    _wait(lambda: lead.scheduler is not None)
    path.unlink()  # the lock no longer guards anything: another process could take a new one
    assert not lead.still_leader()  # the scheduler's own check, before a pass over due jobs
    _wait(started[0].stopped.is_set, timeout=3)  # woken at once, not at the next poll
    assert "mất khóa chạy lịch" in caplog.text
    lead.stop()
    thread.join(5)


def test_a_scheduler_that_failed_to_start_frees_the_lock(tmp_path):
    path = tmp_path / "db.scheduler.lock"

    def broken(still_leader):
        raise RuntimeError("database not migrated")

    lead = SchedulerLeadership(FileLeaderLock(path), 1, broken)
    with pytest.raises(RuntimeError):
        lead._step()
    assert lead.scheduler is None
    assert FileLeaderLock(path).try_acquire()  # a standby may start it where this one could not


def _store():
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from storage.db import get_engine

    store = SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    return store


def _make_due(job_id: str, ago=timedelta(minutes=5)) -> datetime:
    store = _store()
    job = store.lookup_job(job_id)
    job.next_run_time = datetime.now(LOCAL_TZ) - ago
    store.update_job(job)
    return job.next_run_time


def _run_with(runtime, still_leader, fake_weekly, seconds=3.0):
    original = jobs.weekly_report
    jobs.weekly_report = fake_weekly
    try:
        sched = scheduler.build_scheduler(runtime, still_leader=still_leader)
        sched.resume()
        time.sleep(seconds)
        sched.shutdown(wait=True)
    finally:
        jobs.weekly_report = original


def test_a_scheduler_that_lost_the_lead_runs_no_due_job(clean_db, settings):
    runtime = SimpleNamespace(settings=settings)
    scheduler.build_scheduler(runtime).shutdown(wait=True)
    _make_due("weekly_report")
    calls = []
    _run_with(runtime, lambda: False, lambda: calls.append("weekly"), seconds=1.5)
    assert calls == []
    assert _store().lookup_job("weekly_report").next_run_time < datetime.now(LOCAL_TZ)  # still due
    _run_with(runtime, lambda: True, lambda: calls.append("weekly"), seconds=1.5)
    assert calls == ["weekly"]


def test_a_daily_or_weekly_run_is_recorded_only_once_it_has_finished(clean_db, settings):
    """Killed mid-run (kill -9 leaves no chance to clean up), the store still says due: the
    next holder makes the run. The tests in test_failover.py kill a real worker there."""
    runtime = SimpleNamespace(settings=settings)
    scheduler.build_scheduler(runtime).shutdown(wait=True)
    due = _make_due("weekly_report")
    seen = []
    _run_with(runtime, lambda: True, lambda: seen.append(_store().lookup_job("weekly_report").next_run_time))
    assert seen == [due]  # during the run: the stored time had not moved on
    assert _store().lookup_job("weekly_report").next_run_time > datetime.now(LOCAL_TZ)  # after it: it had


def test_jobs_stored_before_inline_runs_keep_their_missed_run(clean_db, settings):
    """An upgrade moves the daily and weekly jobs to the inline executor without losing a run
    that fell due while the worker was being upgraded."""
    runtime = SimpleNamespace(settings=settings)
    scheduler.build_scheduler(runtime).shutdown(wait=True)
    store = _store()
    job = store.lookup_job("weekly_report")
    job._modify(executor="default")
    store.update_job(job)
    due = _make_due("weekly_report")
    sched = scheduler.build_scheduler(runtime)
    assert sched.get_job("weekly_report").executor == "inline"
    assert sched.get_job("weekly_report").next_run_time == due
    sched.shutdown(wait=True)


def test_the_daily_reminder_queues_once_a_day_however_often_it_runs(clean_db, settings, caplog):
    """Its guard: the day's mark, added with the reminders. A second run queues nothing."""
    from sqlalchemy import func, select

    from storage import tickets
    from storage.db import session_scope
    from storage.models import OutboundMessage

    caplog.set_level(logging.INFO, logger="bot.runtime.jobs")
    with session_scope() as s:
        tickets.create_ticket(s, kind="complaint", text="x", actor="test", status="new",
                              topic="environment", due_date=datetime.now(LOCAL_TZ).replace(tzinfo=None))
    from bot.wards import WardSettings

    jobs.RUNTIME = SimpleNamespace(settings=settings, ward_settings=WardSettings(settings))
    jobs.daily_reminder()
    jobs.daily_reminder()
    with session_scope() as s:
        assert s.scalar(select(func.count()).where(OutboundMessage.purpose == "reminder")) == 1
    assert "đã xếp 1 tin cho cán bộ" in caplog.text and "đã xếp rồi, không xếp lại" in caplog.text


def test_a_sheet_edit_does_not_wait_for_a_busy_scheduler(runtime):
    """The sheet webhook asks for a sync now; a weekly report running in the scheduler's thread
    holds its job store meanwhile, and the webhook must answer anyway."""
    busy, asked = threading.Event(), threading.Event()

    class BusyScheduler:
        running, timezone = True, LOCAL_TZ

        def modify_job(self, job_id, **changes):
            busy.wait(10)
            asked.set()

    runtime.leadership = SimpleNamespace(scheduler=BusyScheduler())
    started = time.monotonic()
    runtime.sync_now()
    assert time.monotonic() - started < 1
    busy.set()
    assert asked.wait(5)
