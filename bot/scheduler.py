"""The one scheduler (APScheduler 3.x cannot coordinate several processes): it runs in the
worker process only (`serve`, or `worker` without --no-scheduler). Every job is registered
here with an id, in Asia/Ho_Chi_Minh time, coalesced, with a misfire grace."""
from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Ho_Chi_Minh"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}


def _sheet_sync(runtime) -> None:
    from sheets_sync.sync import run_cycle_if_configured

    try:
        run_cycle_if_configured(runtime.settings)
    except Exception as exc:  # the Sheets API down must not kill the scheduler; next cycle retries
        log.error("sheet sync failed: %s: %s", type(exc).__name__, exc)


def _token_refresh(runtime) -> None:
    if runtime.client.refresh_if_expiring(within=timedelta(hours=3)):
        log.info("zalo tokens refreshed ahead of expiry")


def job_specs(runtime) -> list[dict]:
    """Each job: id, function, trigger and its arguments. Listed by `python -m bot jobs`."""
    return [
        dict(id="sheet_sync", func=_sheet_sync, args=(runtime,), trigger="interval", seconds=30,
             name="Đồng bộ bảng Phiếu với Google Sheets"),
        dict(id="conversation_timeouts", func=runtime.worker.expire_stalled_conversations,
             trigger="interval", seconds=60, name="Lưu nháp hội thoại quá hạn"),
        dict(id="token_refresh", func=_token_refresh, args=(runtime,), trigger="interval",
             minutes=30, name="Làm mới token Zalo trước khi hết hạn"),
    ]


def build_scheduler(runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=TIMEZONE, job_defaults=JOB_DEFAULTS)
    for spec in job_specs(runtime):
        scheduler.add_job(replace_existing=True, **spec)
    return scheduler
