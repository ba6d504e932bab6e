"""One sync cycle between the database and the officers' sheet.

Requests per cycle, whatever the number of tickets: one metadata read, one batchGet (board +
officers), then at most one append (new or restored rows) and one values batchUpdate (changed
rows, flags). The layout is created once, when a tab is missing.

Order, so a crash anywhere is harmless: read the sheet; apply officers' valid edits to the
database (with audit and notifications) and commit; write the rows; record what was written.
An officer's cell differs from what the service last wrote; a service change is a ticket that
differs from the sheet. Re-running after a crash finds the same edits and changes nothing twice.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from sheets_sync import layout, tabs_announce
from sheets_sync.client import is_configured, open_spreadsheet, request_count
from sheets_sync.layout import BOARD, BOARD_RANGE, COL, COLUMNS, LAST_COL, OFFICERS, OFFICERS_RANGE
from sheets_sync.rows import TicketView, officer_edits, padded, ticket_row
from storage import tickets as ticket_store
from storage.db import session_scope
from storage.models import Officer, Resident, SheetRow, Ticket, utcnow

log = logging.getLogger(__name__)
NOTE = COL["Ghi chú hệ thống"]


@dataclass
class SyncReport:
    appended: int = 0
    restored: int = 0
    updated: int = 0
    flagged: int = 0
    edits_applied: int = 0
    edits_rejected: int = 0
    officers: int = 0
    requests: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _views(session) -> dict[str, TicketView]:
    rows = session.scalars(select(Ticket).options(selectinload(Ticket.attachments)).order_by(Ticket.id))
    residents = {r.id: r for r in session.scalars(select(Resident))}
    views = {}
    for t in rows:
        res = residents.get(t.resident_id)
        views[t.code] = TicketView(
            ticket=t,
            sender_name=t.reporter_name or (res.display_name if res else None),
            sender_phone=t.reporter_phone or (res.phone if res else None),
            image_urls=tuple(a.url for a in t.attachments if a.url and a.kind in ("image", "file", "video")),
        )
    return views


class SheetSync:
    def __init__(self, settings, spreadsheet=None):
        self.settings = settings
        self._spreadsheet = spreadsheet

    @property
    def spreadsheet(self):
        if self._spreadsheet is None:
            self._spreadsheet = open_spreadsheet(self.settings)
        return self._spreadsheet

    # -- layout --
    def _ensure_layout(self, ss, report: SyncReport) -> None:
        meta = ss.fetch_sheet_metadata()
        titles = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta["sheets"]}
        missing = [t for t in (BOARD, OFFICERS, tabs_announce.GROUPS, tabs_announce.ANNOUNCEMENTS)
                   if t not in titles]
        if not missing:
            return
        replies = ss.batch_update({"requests": [{"addSheet": {"properties": {"title": t}}}
                                                for t in missing]})["replies"]
        for title, reply in zip(missing, replies):
            titles[title] = reply["addSheet"]["properties"]["sheetId"]
        if BOARD in missing:
            ss.batch_update({"requests": layout.board_requests(titles[BOARD], titles[OFFICERS])})
        ss.values_batch_update({"valueInputOption": "RAW", "data": [
            {"range": f"'{BOARD}'!A1:{LAST_COL}1", "values": [list(COLUMNS)]},
            {"range": f"'{OFFICERS}'!A1:C1", "values": [list(layout.OFFICER_COLUMNS)]},
            *tabs_announce.headers(),
        ]})
        report.problems.append(f"đã tạo tab: {', '.join(missing)}")

    # -- the cycle --
    def run_cycle(self) -> SyncReport:
        from handlers.ticket_updates import on_ticket_changed

        report = SyncReport()
        ss = self.spreadsheet
        before = request_count(ss)
        self._ensure_layout(ss, report)
        data = ss.values_batch_get([BOARD_RANGE, OFFICERS_RANGE, tabs_announce.GROUPS_RANGE,
                                    tabs_announce.ANN_RANGE])["valueRanges"]
        board = data[0].get("values", [])
        officer_rows = [padded(r, 3) for r in data[1].get("values", []) if r and str(r[0]).strip()]
        officer_names = {r[0].strip() for r in officer_rows}

        # 1. Read the database and the sheet; work out officers' edits.
        with session_scope() as session:
            report.officers = self._sync_officers(session, officer_rows)
            tab_updates = tabs_announce.sync_groups(session, data[2].get("values", [])) + \
                tabs_announce.sync_announcements(session, data[3].get("values", []))
            views = _views(session)
            pushed = {row.ticket_id: row.values for row in session.scalars(select(SheetRow))}
            in_sheet: dict[str, tuple[int, list[str]]] = {}
            updates: list[dict] = list(tab_updates)
            for i, raw in enumerate(board[1:], start=2):
                row = padded(raw)
                code = row[0].strip().upper()
                problem = None
                if not code:
                    problem = "Dòng không có Mã phiếu: không được nhập vào hệ thống"
                elif code not in views:
                    problem = f"Mã phiếu {code} không có trong hệ thống: dòng này không được nhập"
                elif code in in_sheet:
                    problem = f"Mã phiếu {code} bị trùng (dòng {in_sheet[code][0]} là bản chính)"
                if problem:
                    if row[NOTE] != problem and any(c.strip() for c in row):
                        updates.append({"range": f"'{BOARD}'!{LAST_COL}{i}", "values": [[problem]]})
                        report.flagged += 1
                    continue
                in_sheet[code] = (i, row)

            notes: dict[str, str] = {}
            editors = _recent_editors(session)
            for code, (i, row) in in_sheet.items():
                ticket = views[code].ticket
                snapshot = pushed.get(ticket.id)
                if snapshot is None:
                    continue  # never written by us (e.g. a restored database): ours wins
                edits, problems = officer_edits(row, padded(snapshot), officer_names)
                if problems:
                    notes[code] = "Không áp dụng: " + "; ".join(problems)
                    report.edits_rejected += len(problems)
                if not edits:
                    continue
                editor = next((editors[(code, e.column)] for e in edits if (code, e.column) in editors), None)
                actor = f"sheet:{editor or ticket.assignee or 'cán bộ'}"
                changes = ticket_store.change(session, ticket, actor, **{e.field: e.value for e in edits})
                if not changes:
                    continue
                report.edits_applied += len(changes)
                self._learn(session, ticket, changes)
                on_ticket_changed(session, self.settings, ticket, changes, actor)
            # 2. Edits committed here (with their audit rows and notifications).

        # 3. Write what differs: changed rows in place, missing rows appended.
        with session_scope() as session:
            views = _views(session)
            pushed_ids = {tid for (tid,) in session.execute(select(SheetRow.ticket_id))}
        appends: list[list[str]] = []
        written: dict[int, list[str]] = {}
        if not board or padded(board[0])[: len(COLUMNS)] != list(COLUMNS):
            updates.append({"range": f"'{BOARD}'!A1:{LAST_COL}1", "values": [list(COLUMNS)]})
        for code, view in views.items():
            desired = ticket_row(view, notes.get(code, ""))
            found = in_sheet.get(code)
            if found is None:
                appends.append(desired)
                if view.ticket.id in pushed_ids:
                    report.restored += 1
                else:
                    report.appended += 1
            elif found[1] != desired:
                updates.append({"range": f"'{BOARD}'!A{found[0]}:{LAST_COL}{found[0]}",
                                "values": [desired]})
                report.updated += 1
            written[view.ticket.id] = desired
        if appends:
            ss.values_append(f"'{BOARD}'!A1:{LAST_COL}", params={"valueInputOption": "RAW",
                                                                 "insertDataOption": "INSERT_ROWS"},
                             body={"values": appends})
        if updates:
            ss.values_batch_update({"valueInputOption": "RAW", "data": updates})

        # 4. Remember what we wrote (only rows that changed, to keep the cycle cheap).
        with session_scope() as session:
            current = {row.ticket_id: row for row in session.scalars(select(SheetRow))}
            now = utcnow()
            for tid, values in written.items():
                row = current.get(tid)
                if row is None:
                    session.add(SheetRow(ticket_id=tid, values=values, pushed_at=now))
                elif row.values != values:
                    row.values = values
                    row.pushed_at = now
        report.requests = request_count(ss) - before
        return report

    def _sync_officers(self, session, rows: list[list[str]]) -> int:
        existing = {o.name: o for o in session.scalars(select(Officer))}
        names = set()
        for name, zalo_id, topics in rows:
            name = name.strip()
            names.add(name)
            officer = existing.get(name) or Officer(name=name)
            officer.zalo_user_id = zalo_id.strip() or None
            officer.topics = topics.strip() or None
            session.add(officer)
        if existing.keys() - names:
            session.execute(delete(Officer).where(Officer.name.in_(existing.keys() - names)))
        return len(names)

    @staticmethod
    def _learn(session, ticket, changes) -> None:
        """An officer's correction of Loại / Lĩnh vực teaches the classifier."""
        if "kind" not in changes and "topic" not in changes:
            return
        from storage.learning import add_example

        add_example(session, ticket.text, ticket.kind, ticket.topic, source="sheet", ticket_id=ticket.id)


def _recent_editors(session) -> dict[tuple[str, str], str]:
    """Who made an edit, from the onEdit hook's recent reports: (code, column) -> e-mail.
    The Sheets API itself does not say who changed a cell; without the hook the audit names
    the assignee (or "cán bộ")."""
    import json
    from datetime import timedelta

    from storage.models import InboundEvent

    since = utcnow() - timedelta(minutes=15)
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


_syncers: dict[tuple, SheetSync] = {}


def run_cycle_if_configured(settings) -> SyncReport | None:
    """The scheduler's job: nothing to do when no sheet is configured."""
    if not is_configured(settings):
        return None
    key = (settings.sheet_id, settings.google_sheets_api_base)
    syncer = _syncers.setdefault(key, SheetSync(settings))
    report = syncer.run_cycle()
    if report.appended or report.updated or report.edits_applied or report.flagged:
        log.info("sheet sync: %s", report.as_dict())
    return report
