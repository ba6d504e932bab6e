"""The scheduler: every job is registered here, with an id, in Asia/Ho_Chi_Minh time, coalesced,
with a misfire grace. It runs in exactly one process at a time, whichever worker holds the
leader lock (leadership.py, storage/leader.py); APScheduler 3.x itself cannot coordinate
several processes.

Jobs live in the project's database (SQLAlchemyJobStore): a job keeps its next run time across
restarts and fail-overs. What a fail-over does to a run, with takeover within 60 s and misfire
graces of 5 minutes (interval jobs) to 12 hours (daily, weekly jobs):
- due while no worker held the lock: the new holder finds it past due, inside its grace, and
  runs it once (coalesced: one run however many intervals were missed);
- the holder killed during a daily or weekly run: those run on the "inline" executor, in the
  scheduler's own thread, so the store records the next run time only after the run finished.
  Killed before that, the run is still due and the next holder makes it again; the job's guard
  (jobs.py) turns the second run into a no-op when the first had done its work;
- the holder killed during an interval run (every 30-60 s, or 30 min for the token): the store
  already moved on, and the next run, within the interval, does what the cut one did not.
Each job's guard, in its comment in jobs.py, also covers two runs at once (the old holder's
last job still finishing when the new holder starts).
"""
from __future__ import annotations

import logging
import pickle

from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from handlers.announcements import DAYS
from bot.runtime import failpoints, jobs
from intents.when import LOCAL_TZ

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}


def _at(spec: str) -> dict:
    """"fri 15:30" -> cron fields; "07:30" -> daily."""
    parts = spec.split()
    day = parts[0].lower() if len(parts) == 2 and parts[0].lower() in DAYS else None
    hour, minute = parts[-1].split(":")
    fields = {"hour": int(hour), "minute": int(minute)}
    if day:
        fields["day_of_week"] = day
    return fields


def job_specs(settings) -> list[dict]:
    """Each job: id, function reference, trigger. Listed by `python -m bot jobs`."""
    return [
        # Every 5 s it syncs the wards that are due (bot/runtime/sheets.py, sheets_sync/planner.py)
        dict(id="sheet_sync", func="bot.runtime.jobs:sheet_sync", trigger="interval", seconds=5,
             name="Đồng bộ bảng Phiếu của các phường với Google Sheets"),
        dict(id="announcements", func="bot.runtime.jobs:announcements", trigger="interval", seconds=60,
             name="Gửi thông báo đến hạn"),
        dict(id="conversation_timeouts", func="bot.runtime.jobs:conversation_timeouts", trigger="interval",
             seconds=60, name="Lưu nháp hội thoại quá hạn"),
        dict(id="dead_letter_alert", func="bot.runtime.jobs:dead_letter_alert", trigger="interval",
             seconds=60, name="Báo cán bộ tin không xử lý được (thư chết)"),
        dict(id="token_refresh", func="bot.runtime.jobs:token_refresh", trigger="interval", minutes=30,
             name="Làm mới token Zalo trước khi hết hạn"),
        dict(id="daily_reminder", func="bot.runtime.jobs:daily_reminder", trigger="cron",
             executor="inline", misfire_grace_time=4 * 3600, name="Nhắc cán bộ phiếu sắp/quá hạn",
             **_at(settings.daily_reminder_time)),
        dict(id="privacy_purge", func="bot.runtime.jobs:privacy_purge", trigger="cron", hour=3, minute=15,
             executor="inline", misfire_grace_time=12 * 3600, name="Xóa dữ liệu quá hạn lưu (RETENTION_DAYS_*)"),
        dict(id="weekly_report", func="bot.runtime.jobs:weekly_report", trigger="cron",
             executor="inline", misfire_grace_time=6 * 3600, name="Báo cáo tuần", **_at(settings.weekly_report_time)),
    ]


class _InlineExecutor(DebugExecutor):
    """Runs a job in the scheduler's thread: APScheduler writes the job's next run time to the
    store only once this returns, so a run cut by the process's death stays due."""

    def _do_submit_job(self, job, run_times):
        super()._do_submit_job(job, run_times)
        failpoints.hit("scheduler.after_inline_job")  # the kill -9 tests: done, not yet recorded


class _LeaderOnlyStore(SQLAlchemyJobStore):
    """Hands out due jobs only while this process still holds the leader lock, asked afresh at
    every pass: a holder frozen past the lock's timers (a paused VM) that wakes up runs nothing."""

    def __init__(self, still_leader, **kwargs):
        super().__init__(**kwargs)
        self._still_leader = still_leader

    def get_due_jobs(self, now):
        if self._still_leader():
            return super().get_due_jobs(now)
        # Paused, not left running: the jobs stay past due, so it would wake again at once. The
        # leadership thread, woken by still_leader, shuts it down.
        self._scheduler.pause()
        return []


def build_scheduler(runtime, *, persistent: bool = True, still_leader=None,
                    runs_jobs: bool = True) -> BackgroundScheduler:
    """Paused; `resume()` starts it. With `still_leader`, it runs jobs only while that says yes.
    `runs_jobs=False` (`jobs` lists them): its thread never looks at due jobs, even in the
    instant between shutdown() and the thread's end, when APScheduler would submit a due job to
    a stopped executor and move its stored next run time on: a run lost to a listing."""
    from storage.db import get_engine

    jobs.RUNTIME = runtime
    store = None
    if persistent:
        options = dict(engine=get_engine(), tablename="apscheduler_jobs")
        store = _LeaderOnlyStore(still_leader, **options) if still_leader else SQLAlchemyJobStore(**options)
    scheduler = BackgroundScheduler(timezone=LOCAL_TZ, job_defaults=JOB_DEFAULTS,
                                    jobstores={"default": store} if store else {},
                                    executors={"default": ThreadPoolExecutor(), "inline": _InlineExecutor()})
    if not runs_jobs:
        scheduler._process_jobs = lambda: None  # the main loop's one call: see the docstring
    scheduler.start(paused=True)
    for spec in job_specs(runtime.settings):
        try:
            existing = scheduler.get_job(spec["id"])
        except LookupError:  # stored under a function path that has since moved
            existing = _repoint(store, spec)
        if existing is None or str(existing.trigger) != str(_trigger_of(scheduler, spec)):
            scheduler.add_job(replace_existing=True, **spec)
        elif existing.executor != spec.get("executor", "default"):
            # Stored before cron jobs ran inline: same trigger, so keep its next run time.
            scheduler.modify_job(spec["id"], executor=spec.get("executor", "default"))
    return scheduler


def _repoint(store: SQLAlchemyJobStore, spec: dict):
    """A job stored before its function moved (bot.jobs became bot.runtime.jobs) cannot be
    loaded: point it at the function's new path and keep its stored next run time, so a worker
    upgraded while a run was due still makes that run."""
    from apscheduler.job import Job
    from sqlalchemy import select

    with store.engine.begin() as connection:
        blob = connection.execute(select(store.jobs_t.c.job_state)
                                  .where(store.jobs_t.c.id == spec["id"])).scalar_one()
    state = pickle.loads(blob)
    log.warning("tác vụ lịch %s: đường dẫn hàm %s đã đổi thành %s", spec["id"], state["func"],
                spec["func"])
    state["func"] = spec["func"]
    job = Job.__new__(Job)
    job.__setstate__(state)
    job._scheduler, job._jobstore_alias = store._scheduler, store._alias
    store.update_job(job)
    return job


def _trigger_of(scheduler, spec):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    args = {k: v for k, v in spec.items() if k in ("seconds", "minutes", "hour", "minute", "day_of_week")}
    if spec["trigger"] == "interval":
        return IntervalTrigger(timezone=scheduler.timezone, **args)
    return CronTrigger(timezone=scheduler.timezone, **args)
