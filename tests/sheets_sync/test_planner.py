"""sheets_sync/planner.py: which ward's sheet goes next (pings first, then what is due in the
order it became due, then spare budget for the least recently read), the bounds it promises,
and the request costs it counts on, measured against the fake Sheets."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sheets_sync.layout import BOARD, COL
from sheets_sync.planner import COST, LAYOUT_COST, SyncPlanner
from bot.runtime.sheets import sheet_syncer
from tests.sheets_sync.test_sync import find_row_index, make_ticket


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _read_all(planner: SyncPlanner, wards, at: datetime | None = None) -> None:
    for w in wards:
        planner.started(w)
        planner.finished(w, at)


def test_bounds_follow_the_budget_and_the_number_of_wards():
    p = SyncPlanner(50)
    assert p.idle_every(1) == 30.0                   # one ward: every 30 s, as before
    assert p.idle_every(100) == pytest.approx(240)   # 100 wards on 50/min: every 4 minutes
    assert p.idle_every(170) == pytest.approx(408)
    assert p.layout_every(1) == 300.0 and p.layout_every(100) == pytest.approx(2400)
    assert SyncPlanner(50, minute=6.0).idle_every(100) == pytest.approx(24)  # a scaled clock


def test_a_pinged_ward_goes_before_due_and_idle_ones():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    _read_all(p, [1, 2, 3, 4])
    clock.advance(p.idle_every(4) + 1)               # every ward is due for its idle read
    p.changed(2, datetime(2026, 1, 1))
    p.pinged(3)
    assert p.pick([1, 2, 3, 4], free=50).ward_id == 3
    assert p.pick([1, 2, 3, 4], free=50).reason == "ping"
    _read_all(p, [3])
    assert p.pick([1, 2, 3, 4], free=50).ward_id == 1    # overdue since before 2 changed


CITY = list(range(1, 101))     # 100 wards: idle reads are due every 4 minutes on 50/min


def test_nothing_is_read_more_often_than_min_every_without_a_reason():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    _read_all(p, CITY)
    clock.advance(10)
    assert p.pick(CITY, free=50) is None
    clock.advance(20)
    assert p.pick(CITY, free=50).reason == "idle"      # 30 s on, with budget to spare


def test_spare_reads_leave_headroom_but_due_wards_do_not_wait_for_it():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    _read_all(p, CITY)
    clock.advance(31)
    assert p.pick(CITY, free=10) is None               # 1 request + 10 of headroom: not yet
    assert p.pick(CITY, free=11).reason == "idle"
    p.changed(2, datetime(2026, 1, 1))
    assert p.pick(CITY, free=COST["change"]).ward_id == 2   # a due ward needs only its cost
    assert p.pick(CITY, free=COST["change"] - 1) is None
    assert p.pick(CITY, free=4, layout_due=lambda w: True).cost == COST["change"] + LAYOUT_COST


def test_an_idle_ward_is_read_within_its_bound_while_another_changes_all_the_time():
    """Ward 1 has new tickets before every pick and the budget has no spare room: ward 2,
    which never changes, is still read no later than idle_every after its last read."""
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    wards = [1, 2]
    _read_all(p, wards)
    last_read_2, gaps = clock.now, []
    stamp = datetime(2026, 1, 1)
    for _ in range(200):
        clock.advance(5)
        stamp += timedelta(seconds=5)
        p.changed(1, stamp)
        pick = p.pick(wards, free=COST["change"])        # never enough for a spare read
        assert pick is not None
        p.started(pick.ward_id)
        p.finished(pick.ward_id, stamp if pick.ward_id == 1 else None)
        if pick.ward_id == 2:
            gaps.append(clock.now - last_read_2)
            last_read_2 = clock.now
    assert gaps and max(gaps) <= p.idle_every(2) + 5


def test_a_failing_ward_waits_longer_each_time_but_never_past_the_bound():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    waits = []
    for _ in range(6):
        p.started(7)
        waits.append(p.failed(7, wards=100))
    assert waits[:3] == [30, 60, 120] and max(waits) == p.idle_every(100)
    assert p.pick([7], free=50) is None
    clock.advance(waits[-1])
    assert p.pick([7], free=50).ward_id == 7


def test_a_ping_during_a_cycle_is_served_by_another_cycle():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    p.pinged(1)
    p.started(1)
    clock.advance(1)
    p.pinged(1)                                          # after the cycle began: maybe after its read
    p.finished(1, None)
    assert p.pick([1], free=50).reason == "ping"
    p.started(1)
    p.finished(1, None)
    assert p.pick([1], free=50) is None


def test_changes_already_on_the_sheet_are_not_pending():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    at = datetime(2026, 1, 1, 8, 0)
    _read_all(p, [1], at)
    p.changed(1, at)                                     # the change the last cycle wrote
    assert p.pick([1], free=50) is None
    p.changed(1, at + timedelta(seconds=1))
    assert p.pick([1], free=50).reason == "change"


def test_the_costs_the_planner_counts_on_are_what_a_cycle_sends(sheet_settings, fake_sheets, no_backoff):
    """Measured against the fake: an idle read 1 request, an officer's edit written back 2, new
    and changed tickets 3, and the layout check adds 1."""
    code = make_ticket()
    syncer = sheet_syncer(sheet_settings, layout_every=3600)
    syncer.run_cycle()                                   # creates the board (layout due: first)
    assert syncer.run_cycle().requests == COST["idle"]
    row = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, row, COL["Trạng thái"], "Đang xử lý")
    # applied; written back when "Cập nhật lúc" (to the minute) changed
    assert syncer.run_cycle().requests <= COST["ping"]
    fake_sheets.state.set_cell(BOARD, row, COL["Trạng thái"], "Xong rồi")
    assert syncer.run_cycle().requests == COST["ping"]   # refused: old value and a note written back
    make_ticket("Cống thoát nước bị tắc")
    from storage import tickets
    from storage.db import session_scope
    with session_scope() as s:
        tickets.change(s, tickets.by_code(s, code), "test", answer="Đã báo tổ trưởng")
    report = syncer.run_cycle()
    assert report.requests == COST["change"]
    assert report.by_kind == {"values.batchGet": 1, "values.append": 1, "values.batchUpdate": 1}
    syncer.layout_every = 0
    report = syncer.run_cycle()
    assert report.requests == COST["idle"] + LAYOUT_COST and report.by_kind["get"] == 1


def test_owed_report_tabs_go_after_pings_and_due_wards_before_spare_reads():
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    _read_all(p, CITY)
    p.reports({6})
    clock.advance(31)                                    # every ward may have a spare read
    p.reports({5, 6})                                    # 6 is owed since before
    p.pinged(9)
    p.changed(7, datetime(2026, 12, 11, 8, 30))
    assert p.pick(CITY, free=50).ward_id == 9
    _read_all(p, [9])
    assert p.pick(CITY, free=50).ward_id == 7            # a due ward before a report
    _read_all(p, [7], datetime(2026, 12, 11, 8, 30))
    pick = p.pick(CITY, free=COST["report"])             # no headroom needed, oldest first
    assert (pick.ward_id, pick.reason, pick.cost) == (6, "report", COST["report"])
    p.started(6)
    assert p.pick(CITY, free=50).ward_id == 5            # 6 is being written
    p.reported(6)
    p.reports({5})                                       # what the database says now
    assert p.track(6).report_since is None and p.pick(CITY, free=50).ward_id == 5
    p.reports(set())
    assert p.pick(CITY, free=50).reason == "idle"


def test_a_report_owed_as_long_as_an_idle_ward_waits_is_as_due_as_one():
    """However busy the budget with due wards, an owed tab is not put off for ever: once owed
    for idle_every it takes its turn among them, in the order they became due."""
    clock = Clock()
    p = SyncPlanner(50, clock=clock)
    p.reports({1})                                       # owed from 1000
    clock.advance(5)
    _read_all(p, CITY)                                   # read at 1005: overdue from 1245
    clock.advance(100)
    _read_all(p, [1])
    clock.advance(139)                                   # 1244: the tab owed 244 s > idle_every
    p.changed(2, datetime(2026, 12, 11, 8, 30))          # due from 1244
    assert p.idle_every(len(CITY)) == 240
    pick = p.pick(CITY, free=COST["report"])
    assert (pick.ward_id, pick.reason) == (1, "report")  # due from 1240: before ward 2
    p.started(1)
    p.reported(1)
    clock.advance(1)
    assert p.pick(CITY, free=50).ward_id == 2            # then ward 2, then the overdue ones
