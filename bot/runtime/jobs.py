"""The scheduler's jobs, as module-level functions (the persistent job store keeps a textual
reference "bot.runtime.jobs:<name>", so a restart finds them again). RUNTIME is set by the scheduler."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.reports import WeeklyReport

log = logging.getLogger(__name__)
RUNTIME = None


def sheet_sync() -> None:
    """Every ward's sheet, within the deployment's Google quota (bot/runtime/sheets.py)."""
    from bot.runtime.sheets import ward_sheets

    try:
        ward_sheets(RUNTIME).tick()
    except Exception as exc:  # the database down must not kill the scheduler; the next run retries
        log.error("đồng bộ bảng tính lỗi: %s: %s (lần sau thử lại)", type(exc).__name__, exc)


def conversation_timeouts() -> None:
    RUNTIME.worker.expire_stalled_conversations()


def token_refresh() -> None:
    if RUNTIME.client.refresh_if_expiring(within=timedelta(hours=3)):
        log.info("đã làm mới token Zalo trước khi hết hạn")


def announcements() -> None:
    from handlers.announcements import run_due
    from storage.db import session_scope

    with session_scope() as session:
        planned = run_due(session)
    if planned:
        log.info("thông báo: đã lập danh sách gửi (lượt %s)", planned)
        RUNTIME.sender.wakeup.set()


def daily_reminder() -> None:
    from handlers.reports import reminders
    from storage import outbox
    from storage.db import session_scope
    from storage.messages import Reply
    from storage.tickets import local_now

    today = local_now().date()
    with session_scope() as session:
        for zalo_id, text in reminders(session, RUNTIME.settings, today).items():
            outbox.enqueue(session, zalo_id, Reply(text).payload(), purpose="reminder",
                           dedupe_key=f"reminder:{today.isoformat()}:{zalo_id}")


def weekly_report() -> None:
    from bot.runtime.sheets import city_week_after_reports

    send_weekly(RUNTIME.settings, RUNTIME.client)
    city_week_after_reports(RUNTIME.settings)  # the city's `Tổng hợp` tab, after the wards' reports


def send_weekly(settings, client, end_day: date | None = None, force: bool = False) -> WeeklyReport | None:
    """Compute, write to the sheet, and send to officers — once per week unless forced."""
    from handlers.reports import chart_png, weekly
    from storage import outbox
    from storage.db import session_scope
    from storage.messages import Picture, Reply
    from storage.models import Flag, utcnow
    from storage.scoping import ward_of
    from storage.tickets import local_now

    end_day = end_day or local_now().date()
    week = f"weekly_report:{end_day.isocalendar().year}-W{end_day.isocalendar().week:02d}"
    with session_scope() as session:
        if not force and session.get(Flag, (ward_of(session), week)) is not None:
            log.info("báo cáo tuần %s đã gửi rồi", week)
            return None
        rep = weekly(session, end_day)
    rep.sheet_written = _write_sheet(settings, rep)
    attachment_id = None
    if client is not None and settings.officer_zalo_ids:
        try:
            attachment_id = client.upload_image(chart_png(rep), "bao-cao-tuan.png")
        except Exception as exc:  # the summary still goes out without the chart
            log.error("báo cáo tuần: tải biểu đồ lên Zalo lỗi: %s (vẫn gửi bản chữ)", exc)
    with session_scope() as session:
        for officer in settings.officer_zalo_ids:
            row = outbox.enqueue(session, officer, Reply(rep.summary()).payload(), purpose="report",
                                 dedupe_key=f"{week}:text:{officer}" if not force else None)
            rep.queued.append(row.id)
            if attachment_id:
                row = outbox.enqueue(session, officer, Picture(attachment_id).payload(), purpose="report",
                                     dedupe_key=f"{week}:chart:{officer}" if not force else None)
                rep.queued.append(row.id)
        # Marked sent only when it went somewhere: queued to an officer (the outbox delivers it,
        # committed together with this mark) and written to the sheet when there is one.
        if not settings.officer_zalo_ids:
            log.error("báo cáo tuần %s: chưa có cán bộ nhận (OFFICER_ZALO_IDS trống), chưa đánh dấu đã gửi", week)
        elif rep.sheet_written is not False:
            if session.get(Flag, (ward_of(session), week)) is None:
                session.add(Flag(name=week, value=utcnow().isoformat()))
            rep.marked_sent = True
    return rep


def _write_sheet(settings, rep: WeeklyReport) -> bool | None:
    """True once the rows are in the sheet's tab; False on failure; None with no sheet."""
    from handlers.reports import REPORT_TAB, sheet_rows
    from sheets_sync.client import is_configured, open_spreadsheet

    if not is_configured(settings):
        return None
    try:
        ss = open_spreadsheet(settings)
        titles = {s["properties"]["title"] for s in ss.fetch_sheet_metadata()["sheets"]}
        if REPORT_TAB not in titles:
            ss.batch_update({"requests": [{"addSheet": {"properties": {"title": REPORT_TAB}}}]})
        ss.values_append(f"'{REPORT_TAB}'!A1:D", params={"valueInputOption": "RAW",
                                                        "insertDataOption": "INSERT_ROWS"},
                         body={"values": sheet_rows(rep)})
        return True
    except Exception as exc:
        log.error("báo cáo tuần: không ghi được tab bảng tính: %s", exc)
        return False


def alert_dead_letters(settings, now=None) -> int:
    """Tell the duty officers about new dead letters: one summary message each, at most once
    per DEAD_LETTER_ALERT_MINUTES, so a burst of bad records is one message, not hundreds.
    Returns how many dead letters the alert covered (0: nothing sent)."""
    from handlers import texts
    from storage import deadletters, outbox
    from storage.db import session_scope
    from storage.messages import Reply
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
            outbox.enqueue(session, officer, Reply(text).payload(), purpose="officer_alert",
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
