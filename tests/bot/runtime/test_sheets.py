"""The runtime's sheet sync (bot/runtime/sheets.py): the scheduler's job, which the onEdit hook
brings forward, applies an officer's edit and the resident hears about it exactly once; with no
sheet configured it does nothing."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from sheets_sync.layout import BOARD, COL
from storage.db import session_scope
from storage.models import OutboundMessage
from tests.sheets_sync.test_pull import zalo_ticket
from tests.sheets_sync.test_sync import find_row_index
from tests.support import message_text


def test_the_scheduled_sync_tells_the_resident_once(sheet_settings, fake_sheets, no_backoff, monkeypatch):
    from bot.runtime import jobs

    monkeypatch.setattr(jobs, "RUNTIME", SimpleNamespace(settings=sheet_settings))
    code = zalo_ticket()
    jobs.sheet_sync()
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Đã giải quyết")
    jobs.sheet_sync()
    jobs.sheet_sync()  # a replayed cycle tells no one again
    with session_scope() as s:
        queued = [(m.recipient_id, m.purpose, message_text(m.message))
                  for m in s.scalars(select(OutboundMessage).order_by(OutboundMessage.id))]
    assert [(to, purpose) for to, purpose, _ in queued] == [
        ("246845883529197922", "status_update"), ("246845883529197922", "rating")]
    assert code in queued[0][2] and "đã được giải quyết" in queued[0][2]


def test_run_cycle_if_configured_skips_without_a_sheet(settings):
    from bot.runtime.sheets import run_cycle_if_configured

    assert run_cycle_if_configured(settings.with_overrides(sheet_id="", google_sheets_api_base="")) is None
