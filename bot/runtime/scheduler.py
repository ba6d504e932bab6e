"""The one scheduler (APScheduler 3.x cannot coordinate several processes): it runs in the
worker process only (`serve`, or `worker` without --no-scheduler). Every job is registered
here, with an id, in Asia/Ho_Chi_Minh time, coalesced, with a misfire grace.

Jobs live in the project's database (SQLAlchemyJobStore), and a job already stored keeps its
next run time across restarts: a worker down at Friday 15:30 and back at 15:50 sends the
report once when it starts, not never and not twice.
"""
from __future__ import annotations

import logging
import pickle

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from handlers.announcements import DAYS
from bot.runtime import jobs
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
             misfire_grace_time=4 * 3600, name="Nhắc cán bộ phiếu sắp/quá hạn",
             **_at(settings.daily_reminder_time)),
        dict(id="privacy_purge", func="bot.runtime.jobs:privacy_purge", trigger="cron", hour=3, minute=15,
             misfire_grace_time=12 * 3600, name="Xóa dữ liệu quá hạn lưu (RETENTION_DAYS_*)"),
        dict(id="weekly_report", func="bot.runtime.jobs:weekly_report", trigger="cron",
             misfire_grace_time=6 * 3600, name="Báo cáo tuần", **_at(settings.weekly_report_time)),
    ]


def build_scheduler(runtime, *, persistent: bool = True) -> BackgroundScheduler:
    from storage.db import get_engine

    jobs.RUNTIME = runtime
    stores = {"default": SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")} \
        if persistent else {}
    scheduler = BackgroundScheduler(timezone=LOCAL_TZ, job_defaults=JOB_DEFAULTS, jobstores=stores)
    scheduler.start(paused=True)
    for spec in job_specs(runtime.settings):
        try:
            existing = scheduler.get_job(spec["id"])
        except LookupError:  # stored under a function path that has since moved
            existing = _repoint(stores["default"], spec)
        if existing is None or str(existing.trigger) != str(_trigger_of(scheduler, spec)):
            scheduler.add_job(replace_existing=True, **spec)
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
