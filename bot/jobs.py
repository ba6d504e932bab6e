"""The scheduler's jobs, as module-level functions (the persistent job store keeps a textual
reference "bot.jobs:<name>", so a restart finds them again). RUNTIME is set by the scheduler."""
from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger(__name__)
RUNTIME = None


def sheet_sync() -> None:
    from sheets_sync.sync import run_cycle_if_configured

    try:
        run_cycle_if_configured(RUNTIME.settings)
    except Exception as exc:  # the Sheets API down must not kill the scheduler; next cycle retries
        log.error("sheet sync failed: %s: %s", type(exc).__name__, exc)


def conversation_timeouts() -> None:
    RUNTIME.worker.expire_stalled_conversations()


def token_refresh() -> None:
    if RUNTIME.client.refresh_if_expiring(within=timedelta(hours=3)):
        log.info("zalo tokens refreshed ahead of expiry")


def announcements() -> None:
    from bot.announcements import run_due
    from storage.db import session_scope

    with session_scope() as session:
        planned = run_due(session)
    if planned:
        log.info("announcements: planned run(s) %s", planned)
        RUNTIME.sender.wakeup.set()


def daily_reminder() -> None:
    from bot.reports import reminders
    from bot.texts import Reply
    from handlers.context import build_message
    from storage import outbox
    from storage.db import session_scope
    from storage.tickets import local_now

    today = local_now().date()
    with session_scope() as session:
        for zalo_id, text in reminders(session, RUNTIME.settings, today).items():
            outbox.enqueue(session, zalo_id, build_message(Reply(text)), purpose="reminder",
                           dedupe_key=f"reminder:{today.isoformat()}:{zalo_id}")


def weekly_report() -> None:
    from bot.reports import send_weekly

    send_weekly(RUNTIME.settings, RUNTIME.client)


def privacy_purge() -> None:
    """Daily: empty raw payloads and finished conversations past their retention (issue 12)."""
    from bot.cli_privacy import purge_now

    counts = purge_now(RUNTIME.settings, actor="hệ thống (lịch hằng ngày)")
    if any(counts.values()):
        log.info("retention purge: %s", counts)
