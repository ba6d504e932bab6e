"""Pull: what officers changed in the sheet, checked and applied to the database.

An officer's edit is a cell in an editable column that differs from what the service last
wrote there (`SheetRow.values`). Rows are found by their ticket code, never by row number.
Valid edits go through `storage.tickets.change` (one audit row each, actor "sheet:<who>");
a correction of Loại / Lĩnh vực becomes a learned example. Invalid values are not applied:
the row gets a note and the service's value back. What was applied is returned as
`TicketEdit`s: telling the resident is a use case, which the composition root calls in the
same transaction (bot/runtime/sheets.py), so this package never reaches up into handlers/.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select

from sheets_sync.layout import COL, COLUMNS, OFFICER_COLUMNS
from sheets_sync.rows import TicketView, officer_edits, padded
from storage import tickets as ticket_store
from storage.learning import add_example
from storage.models import InboundEvent, Officer, utcnow

log = logging.getLogger(__name__)
NOTE = COL["Ghi chú hệ thống"]
_ZALO_ID = re.compile(r"^\d{5,32}$")
EDITOR_WINDOW = timedelta(minutes=15)


@dataclass
class BoardScan:
    """The board as read: rows by code (sheet row number, values) and rows to flag."""
    rows: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    flags: list[tuple[int, str]] = field(default_factory=list)   # (sheet row number, note)
    header_ok: bool = True
    empty: bool = False


def scan_board(values: list[list], known_codes) -> BoardScan:
    """Index the board's rows by ticket code. Unknown, empty and duplicate codes are flagged
    (a note in Ghi chú hệ thống), never imported."""
    scan = BoardScan(empty=not values)
    scan.header_ok = bool(values) and padded(values[0])[: len(COLUMNS)] == list(COLUMNS)
    for number, raw in enumerate(values[1:], start=2):
        row = padded(raw)
        code = row[0].strip().upper()
        if not any(c.strip() for c in row):
            continue
        if not code:
            problem = "Dòng không có Mã phiếu: không được nhập vào hệ thống"
        elif code not in known_codes:
            problem = f"Mã phiếu {code} không có trong hệ thống: dòng này không được nhập"
        elif code in scan.rows:
            problem = f"Mã phiếu {code} bị trùng (dòng {scan.rows[code][0]} là bản chính): dòng này bị bỏ qua"
        else:
            scan.rows[code] = (number, row)
            continue
        if row[NOTE] != problem:
            scan.flags.append((number, problem))
    return scan


def officer_rows(values: list[list]) -> tuple[bool, list[list[str]]]:
    """The Cán bộ tab read from A1: (header as expected?, data rows from row 2, padded; blank
    rows kept so row numbers hold)."""
    header_ok = bool(values) and padded(values[0], len(OFFICER_COLUMNS)) == list(OFFICER_COLUMNS)
    return header_ok, [padded(r, len(OFFICER_COLUMNS)) for r in values[1:]]


def sync_officers(session, rows: list[list[str]]) -> tuple[set[str], dict[int, str]]:
    """Mirror the Cán bộ tab into `officers`. Returns (valid names, {row index: note})."""
    existing = {o.name: o for o in session.scalars(select(Officer))}
    names: set[str] = set()
    notes: dict[int, str] = {}
    for i, (name, zalo_id, topics, note) in enumerate(rows):
        name, zalo_id = name.strip(), zalo_id.strip()
        problem = ""
        if not name:
            if zalo_id or topics.strip():
                problem = "Thiếu họ tên: dòng này không được dùng"
            if note != problem:
                notes[i] = problem
            continue
        if name in names:
            problem = f"{name} bị trùng: chỉ dòng đầu được dùng"
        elif zalo_id and not _ZALO_ID.match(zalo_id):
            problem = ("Zalo user id phải là một dãy số (gõ dấu ' trước dãy số, "
                       "để Google Sheets không đổi thành 9,00E+17)")
        if note != problem:
            notes[i] = problem
        if name in names:
            continue
        names.add(name)
        officer = existing.get(name) or Officer(name=name)
        officer.zalo_user_id = zalo_id if zalo_id and not problem else None
        officer.topics = topics.strip() or None
        session.add(officer)
    gone = existing.keys() - names
    if gone:
        session.execute(delete(Officer).where(Officer.name.in_(gone)))
    return names, notes


def recent_editors(session) -> dict[tuple[str, str], str]:
    """Who made an edit, from the onEdit hook's recent reports: (code, column) -> e-mail.
    The Sheets API does not say who changed a cell; without the hook the audit trail names
    the ticket's assignee, or "cán bộ"."""
    since = utcnow() - EDITOR_WINDOW
    out: dict[tuple[str, str], str] = {}
    for payload in session.scalars(select(InboundEvent.payload).where(
            InboundEvent.source == "sheet", InboundEvent.received_at >= since).order_by(InboundEvent.id)):
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if isinstance(body, dict) and body.get("user") and body.get("code") and body.get("column"):
            out[(str(body["code"]).strip().upper(), str(body["column"]))] = str(body["user"])[:150]
    return out


def learn(session, ticket, changes) -> bool:
    """An officer's correction of Loại / Lĩnh vực teaches the classifier."""
    if "kind" not in changes and "topic" not in changes:
        return False
    try:
        add_example(session, ticket.text, ticket.kind, ticket.topic, source="sheet", ticket_id=ticket.id)
    except ValueError as exc:   # e.g. an empty text: nothing to learn from
        log.info("sửa nhãn phiếu %s trên bảng không được học: %s", ticket.code, exc)
        return False
    return True


@dataclass(frozen=True)
class TicketEdit:
    """One ticket's officer edits applied in this cycle: what `on_ticket_changed` needs. One
    per ticket, not per field, so a status and an answer changed together make one message."""
    ticket_id: int
    code: str
    actor: str                                  # "sheet:<editor, assignee or cán bộ>"
    changes: dict[str, tuple]                   # field -> (old, new), as `tickets.change` returns


@dataclass
class PullResult:
    notes: dict[str, str] = field(default_factory=dict)   # code -> note for Ghi chú hệ thống
    edited: set[str] = field(default_factory=set)        # codes with an applied edit
    changes: list[TicketEdit] = field(default_factory=list)   # in board order
    applied: int = 0
    rejected: int = 0
    learned: int = 0


def apply_edits(session, scan: BoardScan, views: dict[str, TicketView],
                pushed: dict[int, list], officer_names: set[str]) -> PullResult:
    """Apply officers' valid edits (in `session`; the caller tells residents, then commits)."""
    editors = recent_editors(session)
    result = PullResult()
    stamp = ticket_store.local_now().strftime("%d/%m %H:%M")
    for code, (_number, row) in scan.rows.items():
        ticket = views[code].ticket
        snapshot = pushed.get(ticket.id)
        if snapshot is None:
            continue  # never written by us (e.g. a restored database): the service's row wins
        edits, problems = officer_edits(row, padded(snapshot), officer_names)
        if problems:
            result.notes[code] = f"{stamp} Không áp dụng: " + "; ".join(problems)
            result.rejected += len(problems)
        if not edits:
            continue
        editor = next((editors[(code, e.column)] for e in edits if (code, e.column) in editors), None)
        actor = f"sheet:{editor or ticket.assignee or 'cán bộ'}"
        changes = ticket_store.change(session, ticket, actor, **{e.field: e.value for e in edits})
        if not changes:
            continue
        result.edited.add(code)
        result.applied += len(changes)
        result.learned += learn(session, ticket, changes)
        result.changes.append(TicketEdit(ticket.id, code, actor, changes))
    return result
