"""bot/runtime/scheduler.py: every job registered under its id, stored in the database, and a
run missed while the worker was down (or being upgraded) happens once after the restart."""
from __future__ import annotations

from datetime import datetime, timedelta

from intents.when import LOCAL_TZ


def test_jobs_have_ids_and_a_missed_run_happens_once_after_restart(clean_db, settings):
    from types import SimpleNamespace

    from bot.runtime import jobs, scheduler

    calls = []
    runtime = SimpleNamespace(settings=settings)
    sched = scheduler.build_scheduler(runtime)
    ids = {j.id for j in sched.get_jobs()}
    assert {"sheet_sync", "announcements", "weekly_report", "daily_reminder", "token_refresh"} <= ids
    sched.shutdown(wait=True)
    # The worker was down over Friday 15:30: the stored next run time is in the past.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from storage.db import get_engine

    store = SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    job = store.lookup_job("weekly_report")
    job.next_run_time = datetime.now(job.trigger.timezone) - timedelta(minutes=20)
    store.update_job(job)
    jobs_weekly = jobs.weekly_report
    try:
        jobs.weekly_report = lambda: calls.append("weekly")
        again = scheduler.build_scheduler(runtime)  # the restart keeps the stored run time
        again.resume()
        import time

        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        again.shutdown(wait=True)
    finally:
        jobs.weekly_report = jobs_weekly
    assert calls == ["weekly"]


def test_a_job_stored_under_its_old_path_keeps_its_missed_run(clean_db, settings):
    """Jobs stored before bot.jobs became bot.runtime.jobs: the worker still starts, and a run
    that fell due while it was being upgraded still happens, once."""
    import pickle
    import time
    from types import SimpleNamespace

    from sqlalchemy import update

    from bot.runtime import jobs, scheduler

    runtime = SimpleNamespace(settings=settings)
    scheduler.build_scheduler(runtime).shutdown(wait=True)
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from storage.db import get_engine

    store = SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    job = store.lookup_job("weekly_report")
    job.next_run_time = datetime.now(job.trigger.timezone) - timedelta(minutes=20)
    store.update_job(job)
    state = job.__getstate__()
    state["func"] = state["func"].replace("bot.runtime.jobs:", "bot.jobs:")  # stored before the move
    with get_engine().begin() as connection:
        connection.execute(update(store.jobs_t).where(store.jobs_t.c.id == "weekly_report")
                           .values(job_state=pickle.dumps(state, store.pickle_protocol)))
    calls = []
    jobs_weekly = jobs.weekly_report
    try:
        jobs.weekly_report = lambda: calls.append("weekly")
        again = scheduler.build_scheduler(runtime)
        assert again.get_job("weekly_report").func_ref == "bot.runtime.jobs:weekly_report"
        again.resume()
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        again.shutdown(wait=True)
    finally:
        jobs.weekly_report = jobs_weekly
    assert calls == ["weekly"]
