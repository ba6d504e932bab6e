"""The officers' sheets wired to the use cases. sheets_sync applies officers' edits and says what
changed (`TicketEdit`s); here each changed ticket goes to `handlers.ticket_updates.on_ticket_changed`
inside the cycle's own transaction, so the resident's message is committed with the edit or not
at all, and a replayed cycle (which finds nothing left to change) tells no one twice.

Every sync runs through here: the scheduler's `sheet_sync` job (`WardSheets.tick`: every ward's
sheet, one at a time, in the order sheets_sync/planner.py gives and within the deployment's
request budget; an Apps Script ping brings the job forward; it also writes the weekly report
tabs the weekly job left owed), `sheets sync`, the sheet refresh
after `privacy erase`, and the benchmarks.
"""
from __future__ import annotations

import logging
import threading
import time

from handlers.ticket_updates import on_ticket_changed
from sheets_sync import report_tab
from sheets_sync.client import is_configured
from sheets_sync.planner import REASONS, Pick, SyncPlanner
from sheets_sync.quota import RequestBudget, budget_for
from sheets_sync.signals import Signals
from sheets_sync.sync import OnEdits, SheetSync, SyncReport, TicketEdit
from storage.models import DEFAULT_WARD_ID, Ticket

log = logging.getLogger(__name__)
TICK_SECONDS = 4.0      # one `sheet_sync` run syncs wards for at most this long (the job runs every 5 s)
UNBUDGETED = 10 ** 6    # SHEETS_REQUESTS_PER_MINUTE=0: no budget, the planner never waits for one


def tell_residents(settings) -> OnEdits:
    """The `on_edits` of every cycle: each edited ticket's resident hears about it (once per
    ticket per cycle, with all its changed fields), in the cycle's session."""
    def on_edits(session, edits: list[TicketEdit]) -> None:
        for edit in edits:
            ticket = session.get(Ticket, edit.ticket_id)  # the pull's own object, from the session
            on_ticket_changed(session, settings, ticket, edit.changes, edit.actor)
    return on_edits


def sheet_syncer(settings, spreadsheet=None, *, ward_id: int = DEFAULT_WARD_ID,
                 layout_every: float = 0.0) -> SheetSync:
    """One ward's syncer; `settings` are that ward's (WardSettings)."""
    return SheetSync(settings, spreadsheet, on_edits=tell_residents(settings), ward_id=ward_id,
                     layout_every=layout_every)


def run_cycle(settings, spreadsheet=None, *, ward_id: int = DEFAULT_WARD_ID) -> SyncReport:
    """One cycle. Raises SheetsUnavailable when the API keeps failing."""
    return sheet_syncer(settings, spreadsheet, ward_id=ward_id).run_cycle()


class WardSheets:
    """Every ward's sheet, synced one ward at a time within the deployment's request budget.
    Lives as long as the scheduler's process: what it remembers (when each sheet was read,
    what it shows) is rebuilt by reading every sheet once after a restart."""

    def __init__(self, settings, ward_settings=None, *, budget: RequestBudget | None = None,
                 clock=time.monotonic):
        from bot.wards import WardSettings

        self.settings = settings
        self.ward_settings = ward_settings or WardSettings(settings)
        self.budget = budget or budget_for(settings)
        per_minute = self.budget.per_minute if self.budget else settings.sheets_requests_per_minute or 60
        minute = self.budget.minute if self.budget else 60.0
        self.planner = SyncPlanner(per_minute, minute, clock=clock)
        self.signals = Signals()
        self.clock = clock
        self._syncers: dict[int, SheetSync] = {}
        self._lock = threading.Lock()   # one tick at a time (the job, and a benchmark's loop)

    def wards(self) -> dict[int, object]:
        """The wards with a sheet, each with its settings."""
        out = {}
        for config in self.ward_settings.directory.all():
            ward = self.ward_settings(config.id)
            if is_configured(ward):
                out[config.id] = ward
        return out

    def syncer(self, ward_id: int, settings, wards: int) -> SheetSync:
        syncer = self._syncers.get(ward_id)
        if syncer is None or syncer.settings is not settings:   # new ward, or its row changed
            syncer = self._syncers[ward_id] = sheet_syncer(settings, ward_id=ward_id)
        syncer.layout_every = self.planner.layout_every(wards)
        return syncer

    def free(self) -> int:
        return self.budget.free() if self.budget else UNBUDGETED

    def tick(self, seconds: float = TICK_SECONDS) -> list[tuple[Pick, SyncReport | None]]:
        """Sync wards, best first, while the budget has room, for at most `seconds`."""
        with self._lock:
            done = []
            deadline = self.clock() + seconds
            while self.clock() < deadline:
                wards = self.wards()
                pick = self.next_pick(wards)
                if pick is None:
                    break
                done.append((pick, self.sync(pick, wards)))
            return done

    def next_pick(self, wards: dict) -> Pick | None:
        if not wards:
            return None
        for ward_id in self.signals.pings():
            self.planner.pinged(ward_id)
        for ward_id, at in self.signals.changes().items():
            self.planner.changed(ward_id, at)
        self.planner.reports(self.signals.reports())
        return self.planner.pick(
            wards, self.free(), layout_due=lambda w: self.syncer(w, wards[w], len(wards)).layout_due())

    def sync(self, pick: Pick, wards: dict) -> SyncReport | None:
        if pick.reason == "report":
            self.write_report(pick.ward_id, wards)
            return None
        settings = wards[pick.ward_id]
        syncer = self.syncer(pick.ward_id, settings, len(wards))
        self.planner.started(pick.ward_id)
        try:
            report = syncer.run_cycle()
        except Exception as exc:  # this ward's sheet; the others carry on
            wait = self.planner.failed(pick.ward_id, len(wards))
            log.error("đồng bộ bảng tính phường %s lỗi: %s: %s (thử lại sau %.0f giây)",
                      pick.ward_id, type(exc).__name__, exc, wait)
            return None
        self.planner.finished(pick.ward_id, report.tickets_through)
        if report.appended or report.updated or report.restored or report.edits_applied or report.flagged:
            log.info("đồng bộ bảng tính phường %s (%s): %s", pick.ward_id, REASONS[pick.reason],
                     report.summary())
        return report

    def write_report(self, ward_id: int, wards: dict) -> None:
        """The ward's owed weekly report tab (sheets_sync/report_tab.py); on failure it stays
        owed and the ward waits, as after a failed cycle."""
        self.planner.started(ward_id)
        try:
            written = report_tab.write_owed(wards[ward_id], ward_id)
        except Exception as exc:
            wait = self.planner.failed(ward_id, len(wards))
            log.warning("báo cáo tuần: chưa ghi được tab «Báo cáo tuần» của phường %s: %s: %s "
                        "(vẫn còn chờ ghi, thử lại sau %.0f giây)", ward_id, type(exc).__name__, exc, wait)
            return
        self.planner.reported(ward_id)
        if written:
            log.info("báo cáo tuần: đã ghi tab «Báo cáo tuần» của phường %s", ward_id)


_ward_sheets: WardSheets | None = None
_ward_sheets_lock = threading.Lock()


def ward_sheets(runtime) -> WardSheets:
    """The scheduler's WardSheets, for this runtime's settings (kept between runs of the job)."""
    global _ward_sheets
    with _ward_sheets_lock:
        if _ward_sheets is None or _ward_sheets.settings is not runtime.settings:
            _ward_sheets = WardSheets(runtime.settings, getattr(runtime, "ward_settings", None))
        return _ward_sheets


def publish_city_week(settings, end_day=None):
    """The city's week: every ward's figures (each in its own session) and, with CITY_SHEET_ID,
    the `Tổng hợp` tab rewritten. Returns (the wards' weeks, requests sent or None)."""
    from bot.wards import ward_directory
    from sheets_sync import city
    from storage.tickets import local_now

    weeks = city.ward_weeks(ward_directory(settings).all(), end_day or local_now().date())
    city_settings = settings.with_overrides(sheet_id=settings.city_sheet_id)
    if not settings.city_sheet_id or not is_configured(city_settings):
        return weeks, None
    return weeks, city.write(settings, weeks)


def city_week_after_reports(settings) -> None:
    """The weekly job's last step, once every ward's report is out."""
    try:
        weeks, sent = publish_city_week(settings)
    except Exception as exc:  # the wards' reports are out already; the city tab waits for a rerun
        log.error("báo cáo tuần: không ghi được tab «Tổng hợp» của thành phố: %s: %s "
                  "(chạy lại: report weekly --city)", type(exc).__name__, exc)
        return
    if sent is not None:
        log.info("báo cáo tuần: đã ghi tab «Tổng hợp» của thành phố (%d phường, %d lần gọi API)",
                 len(weeks), sent)
