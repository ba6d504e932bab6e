"""Push: the rows the sheet should show, and the fewest requests that get it there.

Everything is written RAW (a resident's "=IMPORTXML(...)" stays text). New and deleted rows
go out in one values append; changed rows, flags and notes in one values batchUpdate, each
row addressed by the row number it had in this cycle's read and carrying its own code in
column A, so even a sort between the read and the write leaves a row that the next cycle
recognises (a duplicate is flagged, the missing row restored) instead of a silent mix-up.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sheets_sync.layout import BOARD, COLUMNS, LAST_COL
from sheets_sync.pull import NOTE, BoardScan
from sheets_sync.rows import TicketView, padded, ticket_row
from storage.models import Resident, SheetRow, Ticket, utcnow

IMAGE_KINDS = ("image", "file", "video")


def load_views(session) -> dict[str, TicketView]:
    """Every ticket with what its row needs, in code order of creation (two queries)."""
    rows = session.scalars(select(Ticket).options(selectinload(Ticket.attachments)).order_by(Ticket.id))
    residents = {r.id: (r.display_name, r.phone)
                 for r in session.execute(select(Resident.id, Resident.display_name, Resident.phone))}
    views = {}
    for t in rows:
        name, phone = residents.get(t.resident_id, (None, None))
        views[t.code] = TicketView(
            ticket=t,
            sender_name=t.reporter_name or name,
            sender_phone=t.reporter_phone or phone,
            image_urls=tuple(a.url for a in t.attachments if a.url and a.kind in IMAGE_KINDS),
        )
    return views


def load_pushed(session) -> dict[int, list]:
    return {tid: values for tid, values in session.execute(select(SheetRow.ticket_id, SheetRow.values))}


@dataclass
class WritePlan:
    appends: list[list[str]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    written: dict[int, list[str]] = field(default_factory=dict)   # ticket id -> row as written
    appended: int = 0
    restored: int = 0
    updated: int = 0
    flagged: int = 0


def row_range(number: int, c0: str = "A", c1: str = LAST_COL) -> str:
    return f"'{BOARD}'!{c0}{number}:{c1}{number}"


def plan_writes(views: dict[str, TicketView], scan: BoardScan, pushed: dict[int, list],
                notes: dict[str, str], edited: set[str]) -> WritePlan:
    """Pure: compare what the sheet shows with what it should show."""
    plan = WritePlan()
    if scan.empty:
        plan.appends.append(list(COLUMNS))        # a fresh board: the header is the first row
    elif not scan.header_ok:
        plan.updates.append({"range": row_range(1), "values": [list(COLUMNS)]})
    for number, problem in scan.flags:
        plan.updates.append({"range": f"'{BOARD}'!{LAST_COL}{number}", "values": [[problem]]})
        plan.flagged += 1
    for code, view in views.items():
        ticket_id = view.ticket.id
        snapshot = pushed.get(ticket_id)
        note = notes.get(code)
        if note is None:
            # A rejection note stays until an officer's next valid edit on that row.
            note = "" if code in edited or snapshot is None else padded(snapshot)[NOTE]
        desired = ticket_row(view, note)
        found = scan.rows.get(code)
        if found is None:
            plan.appends.append(desired)
            if snapshot is not None:
                plan.restored += 1
            else:
                plan.appended += 1
        elif found[1] != desired:
            plan.updates.append({"range": row_range(found[0]), "values": [desired]})
            plan.updated += 1
        plan.written[ticket_id] = desired
    return plan


def execute(ss, plan: WritePlan, extra_updates: list[dict] = ()) -> None:
    """At most two requests: one append, one values batchUpdate. RAW both."""
    if plan.appends:
        ss.values_append(f"'{BOARD}'!A1:{LAST_COL}",
                         params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                         body={"values": plan.appends})
    updates = list(plan.updates) + list(extra_updates)
    if updates:
        ss.values_batch_update({"valueInputOption": "RAW", "data": updates})


def record_written(session, written: dict[int, list[str]], pushed: dict[int, list]) -> int:
    """Remember what the sheet now shows; only rows that changed are touched."""
    now = utcnow()
    changed = {tid: values for tid, values in written.items() if pushed.get(tid) != values}
    if not changed:
        return 0
    existing = {row.ticket_id: row for row in session.scalars(
        select(SheetRow).where(SheetRow.ticket_id.in_(list(changed))))} if len(changed) < 5000 else {
        row.ticket_id: row for row in session.scalars(select(SheetRow))}
    for tid, values in changed.items():
        row = existing.get(tid)
        if row is None:
            session.add(SheetRow(ticket_id=tid, values=values, pushed_at=now))
        else:
            row.values = values
            row.pushed_at = now
    return len(changed)
