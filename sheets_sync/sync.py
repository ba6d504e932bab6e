"""One sync cycle between the database and the officers' sheet.

Requests per cycle, whatever the number of tickets:
  1 metadata read (layout check: tabs, frozen header, protections), then
  1 values batchGet (board + officers tab + the announcement tabs), then, only if needed,
  1 values append (new or restored rows) and 1 values batchUpdate (changed rows, flags, notes).
Steady state, nothing changed: 2. The layout is created or repaired in one extra batchUpdate
only when something is missing.

Order, so a crash or an API failure anywhere is harmless: read the sheet; apply officers'
valid edits to the database (with audit rows), hand them to `on_edits` (the composition root
tells residents, bot/runtime/sheets.py) and work out the rows to write, in one transaction; write the rows; record what was written. A cycle that
fails before its commit changes nothing; one that fails after it leaves edits applied and
the next cycle finishes the writing (it finds the same edits, and `change` skips what is
already so, so nothing is applied or notified twice).
"""
from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sheets_sync import layout, pull, push, tabs_announce
from sheets_sync.client import SheetsUnavailable, open_spreadsheet, request_count
from sheets_sync.layout import (
    BOARD,
    BOARD_RANGE,
    OFFICER_NOTE,
    OFFICERS,
    OFFICERS_RANGE,
)
from sheets_sync.pull import TicketEdit
from storage.db import session_scope
from storage.models import Flag
from storage.scoping import ward_of

__all__ = ["OnEdits", "SheetSync", "SheetsUnavailable", "SyncReport", "TicketEdit"]

# Called with the cycle's session and the edits it applied, before the commit: whatever it
# queues (the resident's message) is committed with the edits or not at all.
OnEdits = Callable[[object, list[TicketEdit]], None]


@dataclass
class SyncReport:
    appended: int = 0
    restored: int = 0
    updated: int = 0
    flagged: int = 0
    edits_applied: int = 0
    edits_rejected: int = 0
    learned: int = 0
    officers: int = 0
    layout_changed: bool = False
    requests: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One Vietnamese line for the CLI and the log."""
        return (f"Đã thêm {self.appended} dòng, khôi phục {self.restored}, cập nhật {self.updated}, "
                f"đánh dấu {self.flagged}; áp dụng {self.edits_applied} sửa đổi của cán bộ, "
                f"từ chối {self.edits_rejected}; {self.requests} lần gọi API"
                + ("; đã tạo/sửa định dạng bảng" if self.layout_changed else "") + ".")


def _extra_tabs() -> tuple[list[str], list[str]]:
    """The announcement tabs, which ride on the board's requests."""
    return [tabs_announce.GROUPS, tabs_announce.ANNOUNCEMENTS], [tabs_announce.GROUPS_RANGE,
                                                                 tabs_announce.ANN_RANGE]


class SheetSync:
    def __init__(self, settings, spreadsheet=None, *, on_edits: OnEdits):
        self.settings = settings
        self._spreadsheet = spreadsheet
        self.on_edits = on_edits
        self._lock = threading.Lock()

    @property
    def spreadsheet(self):
        if self._spreadsheet is None:
            self._spreadsheet = open_spreadsheet(self.settings)
        return self._spreadsheet

    # -- layout --
    def _layout_flag(self) -> str:
        return f"sheets_layout:{self.settings.sheet_id}"[:64]

    def ensure_layout(self, ss, report: SyncReport) -> list[dict]:
        """Create missing tabs and (re)apply formatting when needed: one metadata read when all
        is in place. Returns header writes to add to the cycle's values batchUpdate."""
        meta = ss.fetch_sheet_metadata()
        by_title = {s["properties"]["title"]: s for s in meta["sheets"]}
        extra_tabs, _ = _extra_tabs()
        missing = [t for t in (BOARD, OFFICERS, *extra_tabs) if t not in by_title]
        ids = {t: s["properties"]["sheetId"] for t, s in by_title.items()}
        used = set(ids.values())
        requests: list[dict] = []
        for title in missing:
            sid = random.randint(10_000, 2_000_000_000)
            while sid in used:
                sid += 1
            used.add(sid)
            ids[title] = sid
            requests.append({"addSheet": {"properties": {"title": title, "sheetId": sid}}})
        with session_scope() as session:
            flag = session.get(Flag, (ward_of(session), self._layout_flag()))
            stale = flag is None or flag.value != str(layout.LAYOUT_VERSION)
        if missing or stale:
            requests += layout.format_requests(ids[BOARD], ids[OFFICERS])
            if tabs_announce.GROUPS in missing:
                # Zalo ids typed there must stay text, like the officers' ones.
                requests.append(layout._text_format(ids[tabs_announce.GROUPS], 2, 4))
        else:
            frozen = by_title[BOARD]["properties"].get("gridProperties", {}).get("frozenRowCount", 0)
            if frozen != 1:
                requests.append(layout._frozen(ids[BOARD]))
        existing = by_title[BOARD].get("protectedRanges", []) if BOARD in by_title else []
        warning_only = getattr(self.settings, "sheets_protection", "strict") == "warning"
        requests += layout.protection_requests(ids[BOARD], existing, warning_only)
        if requests:
            ss.batch_update({"requests": requests})
            report.layout_changed = True
            with session_scope() as session:
                flag = session.get(Flag, (ward_of(session), self._layout_flag())) or Flag(name=self._layout_flag(), value="")
                flag.value = str(layout.LAYOUT_VERSION)
                session.add(flag)
        if missing:
            report.problems.append(f"đã tạo tab: {', '.join(missing)}")
        headers = []
        if OFFICERS in missing:
            headers += [h for h in layout.header_updates() if h["range"].startswith(f"'{OFFICERS}'")]
        if any(t in missing for t in extra_tabs):
            headers += tabs_announce.headers()
        return headers

    # -- the cycle --
    def run_cycle(self) -> SyncReport:
        with self._lock:  # the scheduler and an onEdit "sync now" never overlap
            return self._run_cycle()

    def _run_cycle(self) -> SyncReport:
        report = SyncReport()
        ss = self.spreadsheet
        before = request_count(ss)
        try:
            extra_updates = self.ensure_layout(ss, report)
            _, extra_ranges = _extra_tabs()
            data = ss.values_batch_get([BOARD_RANGE, OFFICERS_RANGE, *extra_ranges])["valueRanges"]
            board = data[0].get("values", [])
            officers_header_ok, officers = pull.officer_rows(data[1].get("values", []))
            if not officers_header_ok and OFFICERS not in {h["range"].split("!")[0].strip("'")
                                                           for h in extra_updates}:
                extra_updates += [h for h in layout.header_updates()
                                  if h["range"].startswith(f"'{OFFICERS}'")]

            # 1. One transaction: officers, edits, the rows to write.
            with session_scope() as session:
                names, officer_notes = pull.sync_officers(session, officers)
                report.officers = len(names)
                for i, note in officer_notes.items():
                    extra_updates.append({"range": f"'{OFFICERS}'!{chr(65 + OFFICER_NOTE)}{i + 2}",
                                          "values": [[note]]})
                extra_updates += tabs_announce.sync_groups(session, data[2].get("values", []))
                extra_updates += tabs_announce.sync_announcements(session, data[3].get("values", []))
                views = push.load_views(session)
                pushed = push.load_pushed(session)
                scan = pull.scan_board(board, views.keys())
                result = pull.apply_edits(session, scan, views, pushed, names)
                self.on_edits(session, result.changes)
                report.edits_applied, report.edits_rejected = result.applied, result.rejected
                report.learned = result.learned
                plan = push.plan_writes(views, scan, pushed, result.notes, result.edited)
            # 2. Edits are committed (with their audit rows and what on_edits queued).

            # 3. Write what differs: at most one append and one batchUpdate.
            push.execute(ss, plan, extra_updates)
            report.appended, report.restored = plan.appended, plan.restored
            report.updated, report.flagged = plan.updated, plan.flagged

            # 4. Remember what the sheet now shows.
            with session_scope() as session:
                push.record_written(session, plan.written, pushed)
        finally:
            report.requests = request_count(ss) - before
        return report

