"""One sync cycle between the database and one ward's officers' sheet.

Requests per cycle, whatever the number of tickets:
  1 metadata read (layout check: tabs, frozen header, protections), when due, then
  1 values batchGet (board + officers tab + the announcement tabs), then, only if needed,
  1 values append (new or restored rows) and 1 values batchUpdate (changed rows, flags, notes).
Steady state, nothing changed: 2 with the layout check, 1 without. The layout is checked on
every cycle by default (`layout_every=0`); the ward scheduler (bot/runtime/sheets.py) checks
it every `layout_every` seconds instead, and at once when the batchGet finds a tab missing
(Google answers 400 for a range on a tab that is not there). The layout is created or
repaired in one extra batchUpdate only when something is missing.

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
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from gspread.exceptions import APIError

from sheets_sync import layout, pull, push, tabs_announce
from sheets_sync.client import SheetsUnavailable, attach_spreadsheet, request_count
from sheets_sync.layout import (
    BOARD,
    BOARD_RANGE,
    OFFICER_NOTE,
    OFFICERS,
    OFFICERS_RANGE,
)
from sheets_sync.pull import TicketEdit
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID, Flag
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
    layout_checked: bool = False
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)   # requests by API method
    problems: list[str] = field(default_factory=list)
    # The newest ticket change the sheet now shows (the scheduler's "pending changes" mark).
    tickets_through: datetime | None = None

    def as_dict(self) -> dict:
        out = asdict(self)
        out["tickets_through"] = self.tickets_through.isoformat() if self.tickets_through else None
        return out

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
    """One ward's sheet (`settings` are that ward's, Settings.for_ward; every transaction is in
    that ward's session, so its sheet only ever shows its own tickets)."""

    def __init__(self, settings, spreadsheet=None, *, on_edits: OnEdits,
                 ward_id: int = DEFAULT_WARD_ID, layout_every: float = 0.0, clock=time.monotonic):
        self.settings = settings
        self.ward_id = ward_id
        self._spreadsheet = spreadsheet
        self.on_edits = on_edits
        self.layout_every = layout_every     # seconds between layout checks (0: every cycle)
        self._clock = clock
        self._layout_checked_at: float | None = None
        self._lock = threading.Lock()

    @property
    def spreadsheet(self):
        if self._spreadsheet is None:
            self._spreadsheet = attach_spreadsheet(self.settings)
        return self._spreadsheet

    def layout_due(self) -> bool:
        checked = self._layout_checked_at
        return checked is None or self._clock() - checked >= self.layout_every

    # -- layout --
    def _layout_flag(self) -> str:
        return f"sheets_layout:{self.settings.sheet_id}"[:64]

    def ensure_layout(self, ss, report: SyncReport) -> list[dict]:
        """Create missing tabs and (re)apply formatting when needed: one metadata read when all
        is in place. Returns header writes to add to the cycle's values batchUpdate."""
        meta = ss.fetch_sheet_metadata()
        self._layout_checked_at = self._clock()
        report.layout_checked = True
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
        with session_scope(self.ward_id) as session:
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
            with session_scope(self.ward_id) as session:
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
        before, kinds_before = request_count(ss), dict(ss.client.by_kind)
        try:
            extra_updates = self.ensure_layout(ss, report) if self.layout_due() else []
            data = self._read(ss, report, extra_updates)
            self._apply_and_plan(ss, data, report, extra_updates)
        finally:
            report.requests = request_count(ss) - before
            report.by_kind = {k: n - kinds_before.get(k, 0) for k, n in ss.client.by_kind.items()
                              if n > kinds_before.get(k, 0)}
        return report

    def _read(self, ss, report: SyncReport, extra_updates: list[dict]) -> list[dict]:
        """The one values batchGet. A tab deleted since the last layout check makes Google
        answer 400: check (and repair) the layout at once, then read again."""
        _, extra_ranges = _extra_tabs()
        ranges = [BOARD_RANGE, OFFICERS_RANGE, *extra_ranges]
        try:
            return ss.values_batch_get(ranges)["valueRanges"]
        except APIError as err:
            if err.response.status_code != 400 or report.layout_checked:
                raise
        extra_updates += self.ensure_layout(ss, report)
        return ss.values_batch_get(ranges)["valueRanges"]

    def _apply_and_plan(self, ss, data: list[dict], report: SyncReport, extra_updates: list[dict]) -> None:
        board = data[0].get("values", [])
        officers_header_ok, officers = pull.officer_rows(data[1].get("values", []))
        if not officers_header_ok and OFFICERS not in {h["range"].split("!")[0].strip("'")
                                                       for h in extra_updates}:
            extra_updates += [h for h in layout.header_updates()
                              if h["range"].startswith(f"'{OFFICERS}'")]

        # 1. One transaction, in the ward's session: officers, edits, the rows to write.
        with session_scope(self.ward_id) as session:
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
            report.tickets_through = max((v.ticket.updated_at for v in views.values()
                                          if v.ticket.updated_at), default=None)
        # 2. Edits are committed (with their audit rows and what on_edits queued).

        # 3. Write what differs: at most one append and one batchUpdate.
        push.execute(ss, plan, extra_updates)
        report.appended, report.restored = plan.appended, plan.restored
        report.updated, report.flagged = plan.updated, plan.flagged

        # 4. Remember what the sheet now shows.
        with session_scope(self.ward_id) as session:
            push.record_written(session, plan.written, pushed)
