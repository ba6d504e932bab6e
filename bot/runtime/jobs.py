"""The scheduler's jobs, as module-level functions (the persistent job store keeps a textual
reference "bot.runtime.jobs:<name>", so a restart finds them again). RUNTIME is set by the scheduler."""
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
        log.error("đồng bộ bảng tính lỗi: %s: %s (chu kỳ sau thử lại)", type(exc).__name__, exc)


def conversation_timeouts() -> None:
    RUNTIME.worker.expire_stalled_conversations()


def token_refresh() -> None:
    if RUNTIME.client.refresh_if_expiring(within=timedelta(hours=3)):
        log.info("đã làm mới token Zalo trước khi hết hạn")


def announcements() -> None:
    from bot.announcements import run_due
    from storage.db import session_scope

    with session_scope() as session:
        planned = run_due(session)
    if planned:
        log.info("thông báo: đã lập danh sách gửi (lượt %s)", planned)
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


def alert_dead_letters(settings, now=None) -> int:
    """Tell the duty officers about new dead letters: one summary message each, at most once
    per DEAD_LETTER_ALERT_MINUTES, so a burst of bad records is one message, not hundreds.
    Returns how many dead letters the alert covered (0: nothing sent)."""
    from bot import texts
    from handlers.context import build_message
    from storage import deadletters, outbox
    from storage.db import session_scope
    from storage.models import utcnow

    now = now or utcnow()
    with session_scope() as session:
        last = deadletters.last_alert_at(session)
        if last is not None and now - last < timedelta(minutes=settings.dead_letter_alert_minutes):
            return 0
        new = deadletters.unalerted(session)
        if not new or not settings.officer_zalo_ids:
            return 0
        reasons = list(dict.fromkeys(f"{d.source}: {d.reason.split(' at ')[0]}" for d in new))
        text = texts.officer_dead_letters(len(new), reasons)
        for officer in settings.officer_zalo_ids:
            outbox.enqueue(session, officer, build_message(texts.Reply(text)), purpose="officer_alert",
                           dedupe_key=f"dead_letters:{new[-1].id}:{officer}")
        deadletters.mark_alerted(session, [d.id for d in new], now)
    log.warning("thư chết: %d mới, đã báo cán bộ trực", len(new))
    return len(new)


def dead_letter_alert() -> None:
    if alert_dead_letters(RUNTIME.settings):
        RUNTIME.sender.wakeup.set()


def privacy_purge() -> None:
    """Daily: empty raw payloads and finished conversations past their retention (issue 12)."""
    from bot.cli.privacy import purge_now

    counts = purge_now(RUNTIME.settings, actor="hệ thống (lịch hằng ngày)")
    if any(counts.values()):
        log.info("xóa dữ liệu quá hạn lưu: %s", counts)
