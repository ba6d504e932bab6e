"""Ticket <-> sheet row, pure. Everything written is a plain string, written RAW."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from intents.taxonomy import TOPICS
from sheets_sync.layout import COL, COLUMNS
from storage.tickets import to_local
from storage.vocab import CHANNELS, STATUS_BY_LABEL, STATUSES, TICKET_KIND_LABELS

KIND_BY_LABEL = {v: k for k, v in TICKET_KIND_LABELS.items()}
TOPIC_BY_LABEL = {v: k for k, v in TOPICS.items()}
ANONYMISED = "(đã ẩn danh theo yêu cầu)"


def mask_phone(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 7:
        return "***" if digits else ""
    return f"{digits[:3]}****{digits[-3:]}"


def _dt(value: datetime | None) -> str:
    local = to_local(value)
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def _d(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def parse_date(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class TicketView:
    """What the row needs from a ticket (loaded by the caller, so this stays pure)."""
    ticket: object
    sender_name: str | None
    sender_phone: str | None
    image_urls: tuple[str, ...]


def ticket_row(view: TicketView, note: str = "") -> list[str]:
    t = view.ticket
    where = ", ".join(x for x in (t.location_text, f"Tổ {t.group_code}" if t.group_code else None) if x)
    if not where and t.latitude is not None:
        where = f"{t.latitude:.5f}, {t.longitude:.5f}"
    sender = " — ".join(x for x in (view.sender_name, mask_phone(view.sender_phone)) if x)
    if getattr(t, "anonymised_at", None):
        sender = ANONYMISED  # the reporter's data was erased at their request (storage/privacy.py)
    row = [""] * len(COLUMNS)
    row[COL["Mã phiếu"]] = t.code
    row[COL["Thời gian nhận"]] = _dt(t.created_at)
    row[COL["Kênh"]] = CHANNELS.get(t.channel, t.channel)
    row[COL["Loại"]] = TICKET_KIND_LABELS.get(t.kind, t.kind)
    row[COL["Lĩnh vực"]] = TOPICS.get(t.topic or "", "")
    row[COL["Khẩn"]] = "KHẨN" if t.urgent else ""
    row[COL["Nội dung"]] = t.text or ""
    row[COL["Địa chỉ / Tổ dân phố"]] = where
    row[COL["Người gửi"]] = sender
    row[COL["Ảnh"]] = "\n".join(view.image_urls)
    row[COL["Người xử lý"]] = t.assignee or ""
    row[COL["Trạng thái"]] = STATUSES.get(t.status, t.status)
    row[COL["Hạn xử lý"]] = _d(t.due_date)
    row[COL["Trả lời người dân"]] = t.answer or ""
    row[COL["Chuyển đến cơ quan"]] = t.forwarded_to or ""
    row[COL["Cập nhật lúc"]] = _dt(t.updated_at)
    row[COL["Ghi chú hệ thống"]] = note
    return row


def padded(values: list, width: int = len(COLUMNS)) -> list[str]:
    return [str(v) for v in values[:width]] + [""] * (width - len(values))


@dataclass(frozen=True)
class Edit:
    field: str        # Ticket attribute
    value: object     # parsed value to apply
    column: str


def officer_edits(sheet_row: list[str], pushed: list[str], officers: set[str]) -> tuple[list[Edit], list[str]]:
    """Cells an officer changed since the service last wrote the row: (valid edits, problems)."""
    edits, problems = [], []
    for column, field in (("Loại", "kind"), ("Lĩnh vực", "topic"), ("Người xử lý", "assignee"),
                          ("Trạng thái", "status"), ("Hạn xử lý", "due_date"),
                          ("Trả lời người dân", "answer"), ("Chuyển đến cơ quan", "forwarded_to")):
        i = COL[column]
        new, old = sheet_row[i].strip(), pushed[i].strip()
        if new == old:
            continue
        if column == "Trạng thái":
            if new not in STATUS_BY_LABEL or STATUS_BY_LABEL[new] == "draft":
                problems.append(f"Trạng thái \"{new}\" không có trong danh sách")
                continue
            edits.append(Edit(field, STATUS_BY_LABEL[new], column))
        elif column == "Loại":
            if new not in KIND_BY_LABEL:
                problems.append(f"Loại \"{new}\" không hợp lệ")
                continue
            edits.append(Edit(field, KIND_BY_LABEL[new], column))
        elif column == "Lĩnh vực":
            if new and new not in TOPIC_BY_LABEL:
                problems.append(f"Lĩnh vực \"{new}\" không hợp lệ")
                continue
            edits.append(Edit(field, TOPIC_BY_LABEL.get(new), column))
        elif column == "Người xử lý":
            if new and new not in officers:
                problems.append(f"Người xử lý \"{new}\" không có trong tab Cán bộ")
                continue
            edits.append(Edit(field, new or None, column))
        elif column == "Hạn xử lý":
            parsed = parse_date(new) if new else None
            if new and parsed is None:
                problems.append(f"Hạn xử lý \"{new}\" không phải ngày (dd/mm/yyyy)")
                continue
            edits.append(Edit(field, datetime(parsed.year, parsed.month, parsed.day) if parsed else None, column))
        else:
            edits.append(Edit(field, new or None, column))
    return edits, problems
