"""CLI for the officers' desk: `sheets sync|show`, `notify-stats`, `jobs`, `bench-sheets`."""
from __future__ import annotations

import json
import sys


def _settings():
    from bot.__main__ import _settings
    from storage import db

    settings = _settings()
    db.configure(settings.database_url)
    return settings


def cmd_sheets(args) -> int:
    from sheets_sync.client import is_configured
    from sheets_sync.sync import SheetSync

    settings = _settings()
    if args.api_base:
        settings = settings.with_overrides(google_sheets_api_base=args.api_base,
                                           sheet_id=args.sheet_id or settings.sheet_id or "sandbox-sheet")
    if not is_configured(settings):
        from bot import sandbox

        try:  # the running sandbox's fake sheet
            url = sandbox.read_info(settings.sandbox_file).get("fake_sheets_url")
        except FileNotFoundError:
            url = None
        if url:
            settings = settings.with_overrides(google_sheets_api_base=url, sheet_id="sandbox-sheet")
    if not is_configured(settings):
        sys.stderr.write("Chưa cấu hình SHEET_ID và tài khoản dịch vụ Google (xem README, mục «Bàn làm việc trên Google Sheets»).\n")
        return 2
    syncer = SheetSync(settings)
    if args.action == "sync":
        report = syncer.run_cycle()
        print(f"Đã thêm {report.appended} dòng, khôi phục {report.restored}, cập nhật {report.updated}, "
              f"đánh dấu {report.flagged}; áp dụng {report.edits_applied} sửa đổi của cán bộ, "
              f"từ chối {report.edits_rejected}; {report.requests} lần gọi API.")
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    from sheets_sync.layout import BOARD_RANGE

    values = syncer.spreadsheet.values_get(BOARD_RANGE).get("values", [])
    shown = ("Mã phiếu", "Loại", "Trạng thái", "Người xử lý", "Người gửi", "Nội dung")
    if not values:
        print("(bảng trống)")
        return 0
    idx = [values[0].index(c) for c in shown if c in values[0]]
    for row in values:
        cells = [(row[i] if i < len(row) else "")[:40].replace("\n", " ") for i in idx]
        print(" | ".join(f"{c:<16}" for c in cells))
    return 0


def cmd_notify_stats(args) -> int:
    from handlers.ticket_updates import undeliverable_counts
    from storage.db import session_scope

    _settings()
    with session_scope() as session:
        print(json.dumps({"undeliverable_status_updates": undeliverable_counts(session)},
                         ensure_ascii=False))
    return 0


def cmd_jobs(args) -> int:
    from types import SimpleNamespace

    from bot.scheduler import build_scheduler

    settings = _settings()
    scheduler = build_scheduler(SimpleNamespace(settings=settings))  # paused: lists, runs nothing
    for job in scheduler.get_jobs():
        when = job.next_run_time.strftime("%d/%m/%Y %H:%M") if job.next_run_time else "-"
        print(f"{job.id:<22} {when:<17} {str(job.trigger):<40} {job.name}")
    scheduler.shutdown(wait=False)
    return 0


def cmd_bench_sheets(args) -> int:
    from sheets_sync.bench import main

    return main(args)


def register(sub) -> None:
    p = sub.add_parser("sheets", help="bảng Phiếu trên Google Sheets: sync | show")
    p.add_argument("action", choices=("sync", "show"))
    p.add_argument("--api-base", default=None, help="máy chủ Sheets giả lập (thử nghiệm)")
    p.add_argument("--sheet-id", default=None)
    p.set_defaults(func=cmd_sheets)
    sub.add_parser("notify-stats", help="số tin báo tiến độ không gửi được, theo lý do").set_defaults(
        func=cmd_notify_stats)
    sub.add_parser("jobs", help="các việc định kỳ").set_defaults(func=cmd_jobs)
    p = sub.add_parser("bench-sheets", help="đo một chu kỳ đồng bộ với 10.000 phiếu")
    p.add_argument("--tickets", type=int, default=10000)
    p.add_argument("--edits", type=int, default=200)
    p.set_defaults(func=cmd_bench_sheets)
