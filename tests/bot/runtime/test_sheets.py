"""The runtime's sheet sync (bot/runtime/sheets.py): the scheduler's job syncs every ward's own
sheet in that ward's session, a ward whose Apps Script pinged before the others, an idle ward
still within its bound; an officer's edit reaches the resident exactly once."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from bot.runtime.sheets import WardSheets
from sheets_sync.layout import BOARD, COL
from storage import inbox, tickets, wards
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID, OutboundMessage
from tests.sheets_sync.test_pull import zalo_ticket
from tests.sheets_sync.test_sync import find_row_index
from tests.support import message_text


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def ping(ward_id: int, code: str = "PA-2026-0001") -> None:
    """What webhooks/sheets.py stores when a ward's Apps Script says an officer edited."""
    with session_scope(ward_id) as s:
        inbox.store_event(s, source="sheet", event_key=f"sheet:{ward_id}:{code}:{id(s)}",
                          event_name="sheet_edit", user_key=None, payload="{}", status="ignored")


def ticket(ward_id: int, text: str) -> str:
    with session_scope(ward_id) as s:
        return tickets.create_ticket(s, kind="complaint", text=text, actor="test").code


@pytest.fixture()
def city(sheet_settings, fake_sheets, no_backoff):
    """The default ward (sheet-1) and two more, each with its own spreadsheet on the fake."""
    ids = {"default": DEFAULT_WARD_ID}
    with session_scope() as s:
        for code, name in (("an-hai", "Phường An Hải"), ("my-an", "Phường Mỹ An")):
            fake_sheets.add_spreadsheet(f"sheet-{code}")
            ids[code] = wards.add(s, code, {"name": name, "sheet_id": f"sheet-{code}"}, cipher=None).id
    return ids


def test_the_scheduled_sync_tells_the_resident_once(sheet_settings, fake_sheets, no_backoff, monkeypatch):
    from bot.runtime import jobs

    monkeypatch.setattr(jobs, "RUNTIME", SimpleNamespace(settings=sheet_settings))
    code = zalo_ticket()
    jobs.sheet_sync()
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Đã giải quyết")
    ping(DEFAULT_WARD_ID, code)
    jobs.sheet_sync()
    ping(DEFAULT_WARD_ID, code)
    jobs.sheet_sync()  # a replayed cycle tells no one again
    with session_scope() as s:
        queued = [(m.recipient_id, m.purpose, message_text(m.message))
                  for m in s.scalars(select(OutboundMessage).order_by(OutboundMessage.id))]
    assert [(to, purpose) for to, purpose, _ in queued] == [
        ("246845883529197922", "status_update"), ("246845883529197922", "rating")]
    assert code in queued[0][2] and "đã được giải quyết" in queued[0][2]


def test_without_a_sheet_nothing_is_synced(settings):
    runner = WardSheets(settings.with_overrides(sheet_id="", google_sheets_api_base=""))
    assert runner.wards() == {} and runner.tick() == []


def test_each_wards_sheet_shows_only_its_own_tickets(sheet_settings, fake_sheets, city):
    ticket(city["default"], "Đèn đường ngõ 12 hỏng")
    ticket(city["an-hai"], "Rác ngõ 3 An Hải")
    ticket(city["an-hai"], "Cống tắc An Hải")
    ticket(city["my-an"], "Cây đổ Mỹ An")
    done = WardSheets(sheet_settings).tick()
    assert sorted(p.ward_id for p, report in done if report) == sorted(city.values())
    texts = {sid: [row[COL["Nội dung"]] for row in fake.rows(BOARD)[1:]]
             for sid, fake in fake_sheets.spreadsheets.items()}
    assert texts == {"sheet-1": ["Đèn đường ngõ 12 hỏng"],
                     "sheet-an-hai": ["Rác ngõ 3 An Hải", "Cống tắc An Hải"],
                     "sheet-my-an": ["Cây đổ Mỹ An"]}
    # the same code in two wards, each row in its own sheet
    assert fake_sheets.spreadsheets["sheet-an-hai"].rows(BOARD)[1][0] == fake_sheets.state.rows(BOARD)[1][0]


def test_an_officers_edit_reaches_the_resident_of_that_ward_only(sheet_settings, fake_sheets, city):
    from storage import residents

    with session_scope(city["my-an"]) as s:
        resident = residents.get_or_create(s, "246845883529197922")
        s.flush()
        code = tickets.create_ticket(s, kind="complaint", text="Cây đổ", actor="test",
                                     resident_id=resident.id, channel="zalo").code
    ticket(city["an-hai"], "Rác ngõ 3")                  # same code, other ward
    runner = WardSheets(sheet_settings)
    runner.tick()
    sheet = fake_sheets.spreadsheets["sheet-my-an"]
    sheet.set_cell(BOARD, 1, COL["Trạng thái"], "Đang xử lý")
    ping(city["my-an"], code)
    [(pick, report)] = runner.tick()
    assert (pick.ward_id, pick.reason, report.edits_applied) == (city["my-an"], "ping", 1)
    with session_scope(city["my-an"]) as s:
        assert [m.purpose for m in s.scalars(select(OutboundMessage))] == ["status_update"]
        assert tickets.by_code(s, code).status == "in_progress"
    with session_scope(city["an-hai"]) as s:
        assert tickets.by_code(s, code).status == "new" and not s.scalars(select(OutboundMessage)).all()


def test_a_pinged_ward_is_synced_before_idle_ones(sheet_settings, fake_sheets, city):
    clock = Clock()
    runner = WardSheets(sheet_settings, clock=clock)
    runner.tick()
    clock.advance(runner.planner.idle_every(3) + 1)      # every ward is due for its idle read
    ping(city["my-an"])
    order = [(p.ward_id, p.reason) for p, _ in runner.tick()]
    assert order[0] == (city["my-an"], "ping")
    assert sorted(w for w, _ in order[1:]) == [city["default"], city["an-hai"]]


def test_an_idle_ward_is_still_read_within_its_bound(sheet_settings, fake_sheets, city):
    """No Apps Script: an officer's edit is found by the idle read, no later than idle_every."""
    code = ticket(city["an-hai"], "Rác ngõ 3")
    clock = Clock()
    runner = WardSheets(sheet_settings, clock=clock)
    runner.tick()
    sheet = fake_sheets.spreadsheets["sheet-an-hai"]
    sheet.set_cell(BOARD, 1, COL["Trạng thái"], "Đang xử lý")
    clock.advance(runner.planner.idle_every(3) / 2)
    assert runner.tick() == []                           # not due yet, and nothing else to do
    clock.advance(runner.planner.idle_every(3) / 2)
    done = {p.ward_id: (p.reason, r.edits_applied) for p, r in runner.tick()}
    assert done[city["an-hai"]] in (("overdue", 1), ("idle", 1))
    with session_scope(city["an-hai"]) as s:
        assert tickets.by_code(s, code).status == "in_progress"


def test_a_ward_whose_sheet_fails_does_not_hold_up_the_others(sheet_settings, fake_sheets, city):
    with session_scope() as s:
        wards.update(s, "my-an", {"sheet_id": "not-shared-with-us"}, cipher=None)
    runner = WardSheets(sheet_settings)
    runner.ward_settings.directory.reload()
    done = {p.ward_id: r for p, r in runner.tick()}
    assert done[city["my-an"]] is None                   # 404: logged, tried again later
    assert done[city["default"]] is not None and done[city["an-hai"]] is not None
    assert runner.tick() == []                           # the failing ward waits (30 s, doubling)
