"""The officers' sheet wired to the use cases. sheets_sync applies officers' edits and says what
changed (`TicketEdit`s); here each changed ticket goes to `handlers.ticket_updates.on_ticket_changed`
inside the cycle's own transaction, so the resident's message is committed with the edit or not
at all, and a replayed cycle (which finds nothing left to change) tells no one twice.

Every sync runs through here: the scheduler's `sheet_sync` job (which an onEdit hook brings
forward), `sheets sync`, the sheet refresh after `privacy erase`, and the sheets benchmark.
"""
from __future__ import annotations

import logging
import threading

from handlers.ticket_updates import on_ticket_changed
from sheets_sync.client import is_configured
from sheets_sync.sync import OnEdits, SheetSync, SyncReport, TicketEdit
from storage.models import Ticket

log = logging.getLogger(__name__)


def tell_residents(settings) -> OnEdits:
    """The `on_edits` of every cycle: each edited ticket's resident hears about it (once per
    ticket per cycle, with all its changed fields), in the cycle's session."""
    def on_edits(session, edits: list[TicketEdit]) -> None:
        for edit in edits:
            ticket = session.get(Ticket, edit.ticket_id)  # the pull's own object, from the session
            on_ticket_changed(session, settings, ticket, edit.changes, edit.actor)
    return on_edits


def sheet_syncer(settings, spreadsheet=None) -> SheetSync:
    return SheetSync(settings, spreadsheet, on_edits=tell_residents(settings))


def run_cycle(settings, spreadsheet=None) -> SyncReport:
    """One cycle. Raises SheetsUnavailable when the API keeps failing."""
    return sheet_syncer(settings, spreadsheet).run_cycle()


_syncers: dict[tuple, SheetSync] = {}
_syncers_lock = threading.Lock()


def run_cycle_if_configured(settings) -> SyncReport | None:
    """The scheduler's job ("sheet_sync", every 30 s): nothing to do when no sheet is set up.
    Keeps one opened spreadsheet per sheet, so a cycle does not pay for opening it again."""
    if not is_configured(settings):
        return None
    key = (settings.sheet_id, settings.google_sheets_api_base)
    with _syncers_lock:
        syncer = _syncers.get(key)
        if syncer is None:
            syncer = _syncers[key] = sheet_syncer(settings)
    report = syncer.run_cycle()
    if report.appended or report.updated or report.restored or report.edits_applied or report.flagged:
        log.info("đồng bộ bảng tính: %s", report.summary())
    return report
