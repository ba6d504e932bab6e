"""CLI for the officers' sheet: `sheets sync`, `sheets show`, `bench-sheets`,
`bench-sheets-city`.

Wired by `register(subparsers)` from bot/cli/main.py.
"""
from __future__ import annotations

import json
import sys
import unicodedata

SHOWN = ("Mã phiếu", "Trạng thái", "Người xử lý", "Loại", "Lĩnh vực", "Người gửi", "Nội dung",
         "Ghi chú hệ thống")
WIDTH = {"Mã phiếu": 12, "Trạng thái": 22, "Người xử lý": 18, "Loại": 10, "Lĩnh vực": 18,
         "Người gửi": 22, "Nội dung": 44, "Ghi chú hệ thống": 40}


def _settings(args):
    """The ward's settings (its sheet), pointed at the sandbox's fake sheet when none is set."""
    from bot.cli.settings import default_ward_only, load_ward
    from sheets_sync.client import is_configured

    ward, settings = load_ward(args)
    if args.action == "sync":
        default_ward_only(ward, "Đồng bộ bảng tính (sheets sync)")
    if getattr(args, "api_base", None):
        settings = settings.with_overrides(google_sheets_api_base=args.api_base,
                                           sheet_id=args.sheet_id or settings.sheet_id or "sandbox-sheet")
    if not is_configured(settings):
        from bot.sandbox import setup as sandbox

        try:  # the running sandbox's fake sheet (`serve` without Google credentials)
            url = sandbox.read_info(settings.sandbox_file).get("fake_sheets_url")
        except FileNotFoundError:
            url = None
        if url:
            settings = settings.with_overrides(google_sheets_api_base=url, sheet_id="sandbox-sheet")
    return settings


def _fit(text: str, width: int) -> str:
    """Cut and pad to a display width (NFC, so Vietnamese letters count once)."""
    text = unicodedata.normalize("NFC", str(text)).replace("\n", " ")
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text + " " * (width - len(text))


def board_table(values: list[list], limit: int | None = None) -> list[str]:
    """The board as text lines (header, rule, rows). Pure, for tests."""
    if not values:
        return ["(bảng trống)"]
    header = [str(h) for h in values[0]]
    idx = [(name, header.index(name)) for name in SHOWN if name in header]
    lines = [" │ ".join(_fit(name, WIDTH[name]) for name, _ in idx).rstrip(),
             "─┼─".join("─" * WIDTH[name] for name, _ in idx)]
    rows = values[1:]
    for row in rows[:limit] if limit else rows:
        lines.append(" │ ".join(_fit(row[i] if i < len(row) else "", WIDTH[name]) for name, i in idx).rstrip())
    if limit and len(rows) > limit:
        lines.append(f"... và {len(rows) - limit} dòng nữa")
    lines.append(f"{len(rows)} dòng.")
    return lines


def cmd_sheets(args) -> int:
    from bot.runtime.sheets import sheet_syncer
    from sheets_sync.client import SheetsUnavailable, is_configured
    from sheets_sync.layout import BOARD_RANGE

    settings = _settings(args)
    if not is_configured(settings):
        sys.stderr.write("Chưa cấu hình SHEET_ID và tài khoản dịch vụ Google "
                         "(GOOGLE_SERVICE_ACCOUNT_FILE hoặc GOOGLE_SERVICE_ACCOUNT_JSON); xem README, mục «Bàn làm việc trên Google Sheets».\n")
        return 2
    syncer = sheet_syncer(settings)
    try:
        if args.action == "sync":
            report = syncer.run_cycle()
            print(report.summary())
            print(json.dumps(report.as_dict(), ensure_ascii=False))
            return 0
        values = syncer.spreadsheet.values_get(BOARD_RANGE).get("values", [])
    except SheetsUnavailable as exc:
        sys.stderr.write(f"Google Sheets không phản hồi: {exc}. Chu kỳ sau sẽ thử lại.\n")
        return 1
    for line in board_table(values, args.limit):
        print(line)
    return 0


def cmd_bench_sheets(args) -> int:
    from bot.bench.sheets import main

    return main(args)


def cmd_bench_sheets_city(args) -> int:
    from bot.bench.sheets_city import main

    return main(args)


def register(sub) -> None:
    from bot.cli.settings import add_ward_option

    p = sub.add_parser("sheets", help="bảng Phiếu trên Google Sheets: sync (một chu kỳ) | show (in bảng)")
    p.add_argument("action", choices=("sync", "show"))
    p.add_argument("--api-base", default=None, help="máy chủ Sheets giả lập (thử nghiệm)")
    p.add_argument("--sheet-id", default=None)
    p.add_argument("--limit", type=int, default=None, help="show: số dòng tối đa")
    add_ward_option(p)
    p.set_defaults(func=cmd_sheets)
    p = sub.add_parser("bench-sheets", help="đo một chu kỳ đồng bộ: 10.000 phiếu, 200 sửa đổi (Sheets giả lập)")
    p.add_argument("--tickets", type=int, default=10000)
    p.add_argument("--edits", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.set_defaults(func=cmd_bench_sheets)
    p = sub.add_parser("bench-sheets-city", help="đo đồng bộ 100 phường dưới một hạn mức Google "
                       "(Sheets giả lập có hạn mức, đồng hồ thu nhỏ)")
    from bot.bench.sheets_city import add_arguments
    add_arguments(p)
    p.set_defaults(func=cmd_bench_sheets_city)
