"""The scheduler's jobs, as module-level functions (the persistent job store keeps a textual
reference "bot.runtime.jobs:<name>", so a restart finds them again). RUNTIME is set by the scheduler.

Every job is safe to run twice, one after the other or at once (a fail-over reruns a daily or
weekly run cut by a kill; the old holder's last job may still be finishing when the new holder
starts: scheduler.py).

One scheduler serves every ward: each job does each ward's work in that ward's scope (its
tickets, officers, OA, token pair), and a ward that fails is logged with its code while the
others go on (`for_each_ward`). Dead letters are the deployment's (`dead_letter_alert`)."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Callable

from storage.base import DEFAULT_WARD_ID
from storage.scoping import ALL_WARDS
from storage.wards import WardConfig

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
    """Every ward with a Zalo app rotates its own pair, ahead of expiry. Two wards never share a
    pair; DbTokenStore's row lock keeps one refresher per ward across processes."""
    def refresh(ward: WardConfig) -> None:
        settings = RUNTIME.ward_settings(ward.id)
        if not (settings.zalo_app_id and settings.zalo_app_secret):
            return  # no Zalo app for this ward (yet): nothing to refresh with
        if RUNTIME.clients.for_ward(ward.id).refresh_if_expiring(within=timedelta(hours=3)):
            log.info("đã làm mới token Zalo của %s trước khi hết hạn", _label(ward))

    for_each_ward("làm mới token Zalo", refresh)


def announcements() -> None:
    """Every ward's announcements that are due: one query across wards, each planned in its
    ward's scope; one that fails is logged with its ward and the others are planned."""
    from handlers.announcements import run_due
    from storage.db import session_scope

    codes = {w.id: w.code for w in _wards()}  # read first: on SQLite, not inside the transaction
    with session_scope(ALL_WARDS) as session:
        planned = run_due(session, on_error=lambda ward_id, exc: _ward_failed(
            "gửi thông báo", codes.get(ward_id, str(ward_id)), exc))
    if planned:
        log.info("thông báo: đã lập danh sách gửi (lượt %s)", planned)
        RUNTIME.sender.wakeup.set()


def daily_reminder() -> None:
    """Each ward's officers hear of that ward's tickets due or overdue."""
    from storage.tickets import local_now

    today = local_now().date()
    for_each_ward("nhắc việc hằng ngày", lambda ward: remind_ward(ward, RUNTIME.ward_settings(ward.id), today))


def remind_ward(ward: WardConfig, settings, today: date) -> int:
    """One ward's daily reminder, queued in its scope (its officers, through its OA)."""
    from handlers.reports import reminders
    from storage import outbox
    from storage.db import session_scope
    from storage.messages import Reply
    from storage.models import Flag, utcnow

    mark = f"daily_reminder:{today.isoformat()}"
    # Once a day: the day's mark (a flag of the ward) is added in the transaction that queues
    # the reminders: a second run sees it and queues nothing; two at once collide on the flag's
    # key (and on each reminder's dedupe key) and the second rolls back.
    with session_scope(ward.id) as session:
        if session.get(Flag, (ward.id, mark)) is not None:
            log.info("nhắc việc ngày %s của %s đã xếp rồi, không xếp lại", today.strftime("%d/%m/%Y"),
                     _label(ward))
            return 0
        queued = reminders(session, settings, today)
        for zalo_id, text in queued.items():
            outbox.enqueue(session, zalo_id, Reply(text).payload(), purpose="reminder",
                           dedupe_key=f"reminder:{today.isoformat()}:{zalo_id}")
        session.add(Flag(name=mark, value=utcnow().isoformat()))
    log.info("nhắc việc ngày %s của %s: đã xếp %d tin cho cán bộ", today.strftime("%d/%m/%Y"),
             _label(ward), len(queued))
    return len(queued)


def weekly_report() -> None:
    """Each ward's report, with its own figures, to its own officers at once; each ward's sheet
    tab is owed and written by the sheet scheduler within the Google quota (every ward at
    15:30 would be a burst: sheets_sync/report_tab.py); then the city's `Tổng hợp` tab."""
    from bot.runtime.sheets import city_week_after_reports

    for_each_ward("báo cáo tuần", lambda ward: send_weekly(
        RUNTIME.ward_settings(ward.id), RUNTIME.clients.for_ward(ward.id), ward=ward))
    city_week_after_reports(RUNTIME.settings)


def send_weekly(settings, client, end_day: date | None = None, force: bool = False,
                ward: WardConfig | None = None, write_now: bool = False) -> WeeklyReport | None:
    """Compute, send to officers and owe the sheet's tab — once per week unless forced. For
    `ward` (default: the default ward), with its settings (Settings.for_ward) and client.
    The officers' messages never wait for Google: they are queued with the week's mark and the
    tab's debt in one transaction; `write_now` (the CLI) then writes the tab at once, else the
    sheet scheduler does (a tab it cannot write now stays owed: nothing lost)."""
    from handlers.reports import sheet_rows, weekly
    from sheets_sync import report_tab
    from sheets_sync.client import is_configured
    from storage.db import session_scope
    from storage.models import Flag, utcnow
    from storage.tickets import local_now

    ward_id, of = (ward.id, _label(ward)) if ward else (DEFAULT_WARD_ID, "phường")
    end_day = end_day or local_now().date()
    week = f"weekly_report:{end_day.isocalendar().year}-W{end_day.isocalendar().week:02d}"
    with session_scope(ward_id) as session:
        if not force and session.get(Flag, (ward_id, week)) is not None:
            log.info("báo cáo tuần %s của %s đã gửi rồi", week, of)
            return None
        rep = weekly(session, end_day)
    attachment_id = _upload_chart(settings, client, rep, of)
    with session_scope(ward_id) as session:
        _queue_weekly(session, settings, rep, week, attachment_id, force)
        rep.sheet_owed = is_configured(settings)
        if rep.sheet_owed:
            report_tab.owe(session, week.split(":", 1)[1], sheet_rows(rep))
        if not settings.officer_zalo_ids:
            log.error("báo cáo tuần %s của %s: chưa có cán bộ nhận (OFFICER_ZALO_IDS trống), chưa "
                      "đánh dấu đã gửi", week, of)
        else:   # queued to an officer (the outbox delivers it, committed with this mark)
            if session.get(Flag, (ward_id, week)) is None:
                session.add(Flag(name=week, value=utcnow().isoformat()))
            rep.marked_sent = True
    if rep.sheet_owed and write_now:
        rep.sheet_written = _write_sheet_now(settings, ward_id, of)
    return rep


def _upload_chart(settings, client, rep: WeeklyReport, of: str) -> str | None:
    from handlers.reports import chart_png

    if client is None or not settings.officer_zalo_ids:
        return None
    try:
        return client.upload_image(chart_png(rep), "bao-cao-tuan.png")
    except Exception as exc:  # the summary still goes out without the chart
        log.error("báo cáo tuần của %s: tải biểu đồ lên Zalo lỗi: %s (vẫn gửi bản chữ)", of, exc)
        return None


def _queue_weekly(session, settings, rep: WeeklyReport, week: str, attachment_id: str | None,
                  force: bool) -> None:
    from storage import outbox
    from storage.messages import Picture, Reply

    for officer in settings.officer_zalo_ids:
        row = outbox.enqueue(session, officer, Reply(rep.summary()).payload(), purpose="report",
                             dedupe_key=f"{week}:text:{officer}" if not force else None)
        rep.queued.append(row.id)
        if attachment_id:
            row = outbox.enqueue(session, officer, Picture(attachment_id).payload(), purpose="report",
                                 dedupe_key=f"{week}:chart:{officer}" if not force else None)
            rep.queued.append(row.id)


def _write_sheet_now(settings, ward_id: int, of: str) -> bool:
    """The owed tab, written at once (through the deployment's budget). False: it stays owed."""
    from sheets_sync import report_tab

    try:
        report_tab.write_owed(settings, ward_id)
        return True
    except Exception as exc:
        log.error("báo cáo tuần của %s: chưa ghi được tab bảng tính: %s (vẫn còn chờ ghi, bộ lập "
                  "lịch sẽ ghi khi Google cho phép)", of, exc)
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
    """Dead letters are the deployment's, not a ward's (a record nobody could read may not even
    say its ward): the default ward's duty officers hear of them — OFFICER_ZALO_IDS of the
    environment, or what `wards set default` stored — through the default ward's OA."""
    if alert_dead_letters(RUNTIME.ward_settings(DEFAULT_WARD_ID)):
        RUNTIME.sender.wakeup.set()


def privacy_purge() -> None:
    """Daily: empty raw payloads and finished conversations past their retention (issue 12),
    ward by ward (the retention days are the deployment's), each in its own audit trail."""
    from storage.privacy import purge_ward

    settings = RUNTIME.settings

    def purge(ward: WardConfig) -> None:
        counts = purge_ward(ward.id, inbound_days=settings.retention_days_inbound_payload,
                            outbox_days=settings.retention_days_outbox_payload,
                            conversation_days=settings.retention_days_conversations,
                            actor="hệ thống (lịch hằng ngày)")
        if any(counts.values()):
            log.info("xóa dữ liệu quá hạn lưu của %s: %s", _label(ward), counts)

    for_each_ward("xóa dữ liệu quá hạn lưu", purge)


# -- every ward, one at a time; one that fails does not stop the others --
def _wards() -> list[WardConfig]:
    """The wards as this process sees them (bot.wards.WardSettings' directory, re-read every
    30 s): the list and each ward's settings agree, and a ward added a moment ago gets its
    jobs from the next run after that."""
    return RUNTIME.ward_settings.directory.all()


def for_each_ward(job: str, act: Callable[[WardConfig], object]) -> int:
    """act(ward) for every ward; a ward that fails is logged with its code and the others go
    on (its work is tried again at the job's next run). Returns how many failed."""
    failed = 0
    for ward in _wards():
        try:
            act(ward)
        except Exception as exc:
            failed += 1
            _ward_failed(job, ward.code, exc)
    return failed


def _ward_failed(job: str, code: str, exc: BaseException) -> None:
    from storage.clean import redact_error

    # The error's kind, masked first line and place only: its text may carry personal data.
    log.error("%s: phường %s lỗi: %s (các phường khác vẫn chạy; lần chạy sau thử lại)",
              job, code, redact_error(exc))


def _label(ward: WardConfig) -> str:
    return "phường" if ward.is_default else f"phường {ward.code}"
