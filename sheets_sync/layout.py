"""The board's layout: tabs, columns, which columns officers edit, formatting requests."""
from __future__ import annotations

from intents.taxonomy import TOPICS
from storage.vocab import STATUSES, TICKET_KIND_LABELS

BOARD = "Phiếu"
OFFICERS = "Cán bộ"

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
OFFICER_COLUMNS = ("Họ tên", "Zalo user id", "Lĩnh vực phụ trách")

BOARD_RANGE = f"'{BOARD}'!A1:{LAST_COL}"
OFFICERS_RANGE = f"'{OFFICERS}'!A2:C"


def _range(sheet_id: int, c0: int, c1: int, r0: int = 1) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": r0, "startColumnIndex": c0, "endColumnIndex": c1}


def _dropdown(sheet_id: int, column: str, values) -> dict:
    return {"setDataValidation": {
        "range": _range(sheet_id, COL[column], COL[column] + 1),
        "rule": {"condition": {"type": "ONE_OF_LIST",
                               "values": [{"userEnteredValue": v} for v in values]},
                 "strict": True, "showCustomUi": True}}}


def board_requests(board_id: int, officers_id: int) -> list[dict]:
    """Formatting, dropdowns and protection for a freshly created board."""
    reqs = [
        {"updateSheetProperties": {"properties": {"sheetId": board_id,
                                                  "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
        {"repeatCell": {"range": {"sheetId": board_id, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True},
                                                       "backgroundColor": {"red": 0.85, "green": 0.92, "blue": 1}}},
                        "fields": "userEnteredFormat(textFormat,backgroundColor)"}},
        _dropdown(board_id, "Trạng thái", STATUSES.values()),
        _dropdown(board_id, "Loại", TICKET_KIND_LABELS.values()),
        _dropdown(board_id, "Lĩnh vực", TOPICS.values()),
        {"setDataValidation": {
            "range": _range(board_id, COL["Người xử lý"], COL["Người xử lý"] + 1),
            "rule": {"condition": {"type": "ONE_OF_RANGE",
                                   "values": [{"userEnteredValue": f"='{OFFICERS}'!$A$2:$A"}]},
                     "strict": True, "showCustomUi": True}}},
        {"updateSheetProperties": {"properties": {"sheetId": officers_id,
                                                  "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
    ]
    # Protect every service-owned column (warning only would let a slip through silently).
    for i, name in enumerate(COLUMNS):
        if name not in EDITABLE:
            reqs.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": board_id, "startColumnIndex": i, "endColumnIndex": i + 1},
                "description": f"Cột do hệ thống ghi: {name}", "warningOnly": False}}})
    return reqs
