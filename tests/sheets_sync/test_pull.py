"""The pull says what it applied and tells no one itself: the composition root does
(bot/runtime/sheets.py), inside the cycle's transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sheets_sync.layout import BOARD, COL
from sheets_sync.sync import SheetSync, TicketEdit
from storage import residents
from storage.db import session_scope
from storage.models import OutboundMessage, Ticket, TicketEvent
from tests.sheets_sync.test_sync import find_row_index, make_ticket


def zalo_ticket() -> str:
    with session_scope() as s:
        resident = residents.get_or_create(s, "246845883529197922")
        s.flush()
        resident_id = resident.id
    return make_ticket(resident=resident_id, channel="zalo")


def test_the_pull_returns_what_it_applied_and_queues_nothing(sheet_settings, fake_sheets, no_backoff):
    code = zalo_ticket()
    seen: list[list[TicketEdit]] = []
    syncer = SheetSync(sheet_settings, on_edits=lambda session, edits: seen.append(list(edits)))
    syncer.run_cycle()
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Đã giải quyết")
    fake_sheets.state.set_cell(BOARD, i, COL["Trả lời người dân"], "Đã thay bóng đèn.")
    assert syncer.run_cycle().edits_applied == 2
    syncer.run_cycle()  # the same board again: nothing left to apply, nothing returned
    with session_scope() as s:
        ticket_id = s.scalar(select(Ticket.id))
        queued = s.scalars(select(OutboundMessage)).all()
    assert seen == [[], [TicketEdit(ticket_id, code, "sheet:cán bộ",
                                    {"status": ("new", "resolved"), "answer": (None, "Đã thay bóng đèn.")})], []]
    assert queued == []  # the resident is told by whoever runs the cycle, not by the pull


def test_on_edits_runs_in_the_cycles_transaction(sheet_settings, fake_sheets, no_backoff):
    code = zalo_ticket()

    def failing(session, edits):
        if edits:
            raise RuntimeError("on_edits failed")

    syncer = SheetSync(sheet_settings, on_edits=failing)
    syncer.run_cycle()
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Đã giải quyết")
    with pytest.raises(RuntimeError):
        syncer.run_cycle()
    with session_scope() as s:  # the edit went back with what on_edits could not do
        assert s.scalar(select(Ticket.status)) == "new"
        assert s.scalar(select(TicketEvent.id).where(TicketEvent.field == "status")) is None
