"""The board's layout: tabs, columns, which columns officers edit, and the requests that
format, validate and protect them.

Protection: service-owned columns are protected so only the service account (and the
sheet's owner) can change them. Google refuses a plain sort (Dữ liệu > Sắp xếp) that would
move protected cells for people who may not edit them, so officers sort and filter in
filter views (Dữ liệu > Chế độ xem bộ lọc), which are per person and move nothing for
anyone else. SHEETS_PROTECTION=warning makes the protection a warning instead, when a ward
prefers plain sorting; the sync finds rows by code either way.
"""
from __future__ import annotations

from intents.taxonomy import TOPICS
from storage.vocab import STATUSES, TICKET_KIND_LABELS

BOARD = "Phiếu"
OFFICERS = "Cán bộ"
# Bump when the formatting/validation requests change: the next cycle re-applies them once.
LAYOUT_VERSION = 3

COLUMNS = (
    "Mã phiếu", "Thời gian nhận", "Kênh", "Loại", "Lĩnh vực", "Khẩn", "Nội dung",
    "Địa chỉ / Tổ dân phố", "Người gửi", "Ảnh", "Người xử lý", "Trạng thái", "Hạn xử lý",
    "Trả lời người dân", "Chuyển đến cơ quan", "Cập nhật lúc", "Ghi chú hệ thống",
)
COL = {name: i for i, name in enumerate(COLUMNS)}
LAST_COL = "Q"
# Officers edit these; every other column belongs to the service and is protected.
EDITABLE = ("Loại", "Lĩnh vực", "Người xử lý", "Trạng thái", "Hạn xử lý", "Trả lời người dân",
            "Chuyển đến cơ quan")
# Sheet column -> Ticket attribute, for the columns officers edit.
EDITABLE_FIELDS = {"Loại": "kind", "Lĩnh vực": "topic", "Người xử lý": "assignee",
                   "Trạng thái": "status", "Hạn xử lý": "due_date",
                   "Trả lời người dân": "answer", "Chuyển đến cơ quan": "forwarded_to"}
WIDTHS = {"Mã phiếu": 110, "Thời gian nhận": 120, "Nội dung": 360, "Địa chỉ / Tổ dân phố": 200,
          "Người gửi": 170, "Ảnh": 160, "Người xử lý": 150, "Trạng thái": 190,
          "Trả lời người dân": 300, "Chuyển đến cơ quan": 180, "Ghi chú hệ thống": 260}

OFFICER_COLUMNS = ("Họ tên", "Zalo user id", "Lĩnh vực phụ trách", "Ghi chú hệ thống")
OFFICER_NOTE = 3

BOARD_RANGE = f"'{BOARD}'!A1:{LAST_COL}"
OFFICERS_RANGE = f"'{OFFICERS}'!A1:D"
PROTECTION_PREFIX = "Cột do hệ thống ghi: "


def status_choices() -> list[str]:
    return list(STATUSES.values())


def _cols(sheet_id: int, c0: int, c1: int, r0: int | None = 1) -> dict:
    rng = {"sheetId": sheet_id, "startColumnIndex": c0, "endColumnIndex": c1}
    if r0 is not None:
        rng["startRowIndex"] = r0
    return rng


def _dropdown(sheet_id: int, column: str, values) -> dict:
    return {"setDataValidation": {
        "range": _cols(sheet_id, COL[column], COL[column] + 1),
        "rule": {"condition": {"type": "ONE_OF_LIST",
                               "values": [{"userEnteredValue": v} for v in values]},
                 "inputMessage": f"Chọn {column.lower()} trong danh sách",
                 "strict": True, "showCustomUi": True}}}


def _frozen(sheet_id: int) -> dict:
    return {"updateSheetProperties": {"properties": {"sheetId": sheet_id,
                                                     "gridProperties": {"frozenRowCount": 1}},
                                      "fields": "gridProperties.frozenRowCount"}}


def _header_format(sheet_id: int) -> dict:
    return {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
                           "cell": {"userEnteredFormat": {
                               "textFormat": {"bold": True},
                               "backgroundColor": {"red": 0.85, "green": 0.92, "blue": 1},
                               "wrapStrategy": "WRAP"}},
                           "fields": "userEnteredFormat(textFormat,backgroundColor,wrapStrategy)"}}


def _text_format(sheet_id: int, c0: int, c1: int) -> dict:
    """Typed digits stay text (a Zalo id, a phone number), never a number in 9.00E+17 form."""
    return {"repeatCell": {"range": _cols(sheet_id, c0, c1),
                           "cell": {"userEnteredFormat": {"numberFormat": {"type": "TEXT"}}},
                           "fields": "userEnteredFormat.numberFormat"}}


def format_requests(board_id: int, officers_id: int) -> list[dict]:
    """Frozen headers, dropdowns, widths, text formats. Safe to send again (each replaces)."""
    reqs = [
        _frozen(board_id), _header_format(board_id), _frozen(officers_id), _header_format(officers_id),
        _dropdown(board_id, "Trạng thái", status_choices()),
        _dropdown(board_id, "Loại", TICKET_KIND_LABELS.values()),
        {"setDataValidation": {
            "range": _cols(board_id, COL["Người xử lý"], COL["Người xử lý"] + 1),
            "rule": {"condition": {"type": "ONE_OF_RANGE",
                                   "values": [{"userEnteredValue": f"='{OFFICERS}'!$A$2:$A"}]},
                     "inputMessage": "Chọn cán bộ trong tab Cán bộ",
                     "strict": True, "showCustomUi": True}}},
        _text_format(officers_id, 1, 2),
        # Free text columns the service writes: no date/number guessing on the way in either.
        _text_format(board_id, COL["Hạn xử lý"], COL["Hạn xử lý"] + 1),
        {"repeatCell": {"range": _cols(board_id, COL["Nội dung"], COL["Nội dung"] + 1),
                        "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}},
                        "fields": "userEnteredFormat.wrapStrategy"}},
    ]
    if TOPICS:
        reqs.append(_dropdown(board_id, "Lĩnh vực", TOPICS.values()))
    for name, px in WIDTHS.items():
        reqs.append({"updateDimensionProperties": {
            "range": {"sheetId": board_id, "dimension": "COLUMNS", "startIndex": COL[name],
                      "endIndex": COL[name] + 1},
            "properties": {"pixelSize": px}, "fields": "pixelSize"}})
    return reqs


def protection_requests(board_id: int, existing: list[dict], warning_only: bool = False) -> list[dict]:
    """Protect every service-owned column not protected yet (judged by its description, so a
    protection an owner removed comes back, and none is ever added twice)."""
    have = {p.get("description") for p in existing}
    reqs = []
    for i, name in enumerate(COLUMNS):
        description = PROTECTION_PREFIX + name
        if name in EDITABLE or description in have:
            continue
        reqs.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": board_id, "startColumnIndex": i, "endColumnIndex": i + 1},
            "description": description, "warningOnly": warning_only}}})
    return reqs


def header_updates() -> list[dict]:
    return [{"range": f"'{BOARD}'!A1:{LAST_COL}1", "values": [list(COLUMNS)]},
            {"range": f"'{OFFICERS}'!A1:D1", "values": [list(OFFICER_COLUMNS)]}]
