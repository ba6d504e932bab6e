"""The city's spreadsheet (CITY_SHEET_ID): the `Tổng hợp` tab, one row per ward per week, and
the city's chart of the week (tickets received, resolved and overdue, ward by ward).

The figures are each ward's weekly report (handlers.reports.weekly), computed in that ward's
session; here they become rows. The newest week is on top: each run rewrites the tab (the
week's rows, then every other week's as they were), so running the same week again replaces
its rows instead of adding a second set, and the chart's range is always rows 1 to N + 1.
The tab belongs to the service: a column typed into it by hand is overwritten.

Requests per run: 1 metadata read, 1 values read of the tab, 1 values update (the tab), and
1 batchUpdate when the chart's range or title changes (a new week, another number of wards) =
at most 4; the first run creates the tab and its chart in one batchUpdate and reads nothing: 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.reports import WeeklyReport, weekly
from sheets_sync.client import attach_spreadsheet, request_count
from storage.db import session_scope

TAB = "Tổng hợp"
COLUMNS = ("Tuần", "Từ ngày", "Đến ngày", "Mã phường", "Tên phường", "Tiếp nhận", "Đã giải quyết",
           "Quá hạn", "Tỷ lệ đúng hạn", "Hài lòng trung bình", "Thông báo đã gửi",
           "Cư dân nhận thông báo", "Thành viên nhóm tổ đã xác nhận")
LAST_COL = "M"
NAME_COL, SERIES_COLS = COLUMNS.index("Tên phường"), (COLUMNS.index("Tiếp nhận"),
                                                     COLUMNS.index("Đã giải quyết"),
                                                     COLUMNS.index("Quá hạn"))
CHART_ANCHOR_COL = len(COLUMNS) + 1     # one empty column right of the table


@dataclass(frozen=True)
class WardWeek:
    code: str
    name: str
    report: WeeklyReport


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def ward_weeks(wards, end_day: date) -> list[WardWeek]:
    """Each ward's week (WardConfig-like: id, code, name), in its own session."""
    out = []
    for ward in wards:
        with session_scope(ward.id) as session:
            out.append(WardWeek(ward.code, ward.name or ward.code, weekly(session, end_day)))
    return out


def row(week: WardWeek) -> list[str]:
    rep = week.report
    return [week_key(rep.end), f"{rep.start:%d/%m/%Y}", f"{rep.end:%d/%m/%Y}", week.code, week.name,
            str(rep.received), str(rep.resolved), str(rep.overdue),
            f"{rep.on_time_rate:.0%}" if rep.on_time_rate is not None else "—",
            f"{rep.average_rating:.1f}" if rep.average_rating is not None else "—",
            str(rep.announcements), str(rep.reach.get("residents_reached", 0)),
            str(rep.reach.get("members_via_confirmed_groups", 0))]


def table(weeks: list[WardWeek], existing: list[list]) -> list[list[str]]:
    """The whole tab: header, this week's rows (by ward code), then the other weeks' rows."""
    this_week = {week_key(w.report.end) for w in weeks}
    older = [list(r) + [""] * (len(COLUMNS) - len(r)) for r in existing[1:]
             if r and any(r) and r[0] not in this_week]
    rows = [list(COLUMNS)] + [row(w) for w in sorted(weeks, key=lambda w: w.code)] + older
    # blank rows over what the tab had below, so no stale row survives a shorter table
    return rows + [[""] * len(COLUMNS)] * max(0, len(existing) - len(rows))


def _grid(sheet_id: int, col: int, rows: int) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": rows,
            "startColumnIndex": col, "endColumnIndex": col + 1}


def chart_spec(sheet_id: int, wards: int, key: str) -> dict:
    rows = wards + 1
    return {"title": f"Phiếu theo phường, tuần {key}",
            "basicChart": {
                "chartType": "COLUMN", "legendPosition": "BOTTOM_LEGEND", "headerCount": 1,
                "axis": [{"position": "BOTTOM_AXIS", "title": "Phường"},
                         {"position": "LEFT_AXIS", "title": "Số phiếu"}],
                "domains": [{"domain": {"sourceRange": {"sources": [_grid(sheet_id, NAME_COL, rows)]}}}],
                "series": [{"series": {"sourceRange": {"sources": [_grid(sheet_id, col, rows)]}},
                            "targetAxis": "LEFT_AXIS"} for col in SERIES_COLS]}}


def _tab_requests(meta: dict) -> tuple[int, list[dict], dict | None]:
    """The tab's sheet id, the requests creating it if it is missing, and its chart if any."""
    for sheet in meta["sheets"]:
        if sheet["properties"]["title"] == TAB:
            charts = sheet.get("charts", [])
            return sheet["properties"]["sheetId"], [], charts[0] if charts else None
    sheet_id = 1 + max((s["properties"]["sheetId"] for s in meta["sheets"]), default=0)
    return sheet_id, [{"addSheet": {"properties": {"title": TAB, "sheetId": sheet_id,
                                                   "gridProperties": {"frozenRowCount": 1}}}}], None


def write(settings, weeks: list[WardWeek]) -> int:
    """Rewrite the `Tổng hợp` tab and the chart. Returns the requests it took."""
    ss = attach_spreadsheet(settings, settings.city_sheet_id)
    before = request_count(ss)
    sheet_id, structure, chart = _tab_requests(ss.fetch_sheet_metadata())
    spec = chart_spec(sheet_id, len(weeks), week_key(weeks[0].report.end) if weeks else "")
    if structure:     # a new tab: created with its chart in one request, nothing to read
        ss.batch_update({"requests": structure + [{"addChart": {"chart": {"spec": spec, "position": {
            "overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": 1,
                                               "columnIndex": CHART_ANCHOR_COL}}}}}}]})
        existing = []
    else:
        existing = ss.values_get(f"'{TAB}'!A1:{LAST_COL}").get("values", [])
    rows = table(weeks, existing)
    ss.values_update(f"'{TAB}'!A1:{LAST_COL}{len(rows)}", params={"valueInputOption": "RAW"},
                     body={"values": rows})
    if chart is not None and chart.get("spec") != spec:
        ss.batch_update({"requests": [{"updateChartSpec": {"chartId": chart["chartId"], "spec": spec}}]})
    return request_count(ss) - before
