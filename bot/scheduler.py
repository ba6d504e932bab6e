"""The one scheduler (APScheduler 3.x cannot coordinate several processes): it runs in the
worker process only. Every job is registered here, with an id, in Asia/Ho_Chi_Minh time,
coalesced, with a misfire grace so a restart around a job's time runs it once."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)
TIMEZONE = "Asia/Ho_Chi_Minh"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}


def job_specs(runtime) -> list[dict]:
    """Each job: id, function, trigger and its arguments. Listed by `python -m bot jobs`."""
    return [
        dict(id="conversation_timeouts", func=runtime.worker.expire_stalled_conversations,
             trigger="interval", seconds=60, name="Lưu nháp hội thoại quá hạn"),
    ]


def build_scheduler(runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=TIMEZONE, job_defaults=JOB_DEFAULTS)
    for spec in job_specs(runtime):
        scheduler.add_job(replace_existing=True, **spec)
    return scheduler
