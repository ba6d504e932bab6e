"""Friday 15:30 with many wards: the weekly job queues every ward's report to its officers at
once and only owes each ward's "Báo cáo tuần" tab; the sheet scheduler writes the owed tabs
within the deployment's request budget, behind the syncs, against the fake Sheets enforcing
Google's quota: no 429, every tab written once. On a scaled clock (a quota "minute" is one
second)."""
from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.runtime import jobs
from bot.runtime.sheets import WardSheets
from bot.wards import WardSettings
from handlers.reports import REPORT_TAB
from sheets_sync import report_tab
from sheets_sync.city import TAB as CITY_TAB
from sheets_sync.quota import RequestBudget, install
from tests.bot.runtime.conftest import wards_on_google_quota
from storage.db import session_scope
from storage.models import Flag, OutboundMessage, utcnow
from storage.scoping import ALL_WARDS

WARDS = 20
MINUTE = 1.0        # seconds a quota minute lasts here
BUDGET = 30         # requests per (scaled) minute, every ward together
GOOGLE = 36         # the fake's per-user read and write limits, per (scaled) minute


@pytest.fixture()
def city(settings, no_backoff):
    with wards_on_google_quota(WARDS, per_user=GOOGLE, minute=MINUTE, first="city", tickets_per_ward=1,
                               officers=True) as fake:
        city_settings = settings.with_overrides(google_sheets_api_base=fake.base_url, sheet_id="",
                                                city_sheet_id="city")
        budget = install(city_settings, RequestBudget(BUDGET, minute=MINUTE))
        runtime = SimpleNamespace(settings=city_settings, ward_settings=WardSettings(city_settings),
                                  clients=SimpleNamespace(for_ward=lambda _ward_id: None))
        saved, jobs.RUNTIME = jobs.RUNTIME, runtime
        try:
            yield fake, runtime, budget
        finally:
            jobs.RUNTIME = saved


def _tick_until(runner: WardSheets, done, seconds: float = 20 * MINUTE) -> None:
    """The scheduler's `sheet_sync` job, run back to back, until done() or the time is up."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        runner.tick(seconds=0.5)
        time.sleep(0.02)


def _owed() -> int:
    with session_scope(ALL_WARDS) as s:
        return s.scalar(select(func.count()).select_from(Flag).where(Flag.name.like(report_tab.PREFIX + "%")))


def test_every_wards_tab_is_written_within_the_budget_and_officers_do_not_wait(city):
    fake, runtime, budget = city
    runner = WardSheets(runtime.settings)
    _tick_until(runner, lambda: len(runner.planner.tracks) == WARDS
                and all(t.last_read for t in runner.planner.tracks.values()))
    jobs.weekly_report()
    with session_scope(ALL_WARDS) as s:   # every ward's officers have theirs, no tab written yet
        reports = s.scalars(select(OutboundMessage.ward_id).where(OutboundMessage.purpose == "report")).all()
    assert len(set(reports)) == WARDS + 1                              # the default ward's too
    assert _owed() == WARDS and not any(REPORT_TAB in fake.spreadsheets[f"sheet-{i}"].sheets
                                        for i in range(WARDS))
    assert CITY_TAB in fake.state.sheets                              # the city's, same budget
    _tick_until(runner, lambda: _owed() == 0)
    assert fake.quota.refused() == 0 and budget.throttled == 0
    # Counted as the fake received them: on a one-second minute a request slowed by the busy
    # machine past the budget's 0.1-s landing margin can land one window later.
    assert fake.quota.peak_per_user <= BUDGET + 2 < GOOGLE
    for i in range(WARDS):
        rows = fake.spreadsheets[f"sheet-{i}"].rows(REPORT_TAB)
        assert [r[0] for r in rows].count("Tổng") == 1, i            # the week once, not twice
        assert rows[1][:2] == ["Tổng", "1"]


def test_a_tab_google_refuses_stays_owed_and_is_written_later(city, caplog):
    fake, runtime, budget = city
    ward = next(w for w in runtime.ward_settings.directory.all() if w.code == "w3")
    runner = WardSheets(runtime.settings)
    _tick_until(runner, lambda: runner.planner.track(ward.id).last_read)
    fake.spreadsheets["sheet-3"].fail(503, kind="values.append")   # maybe applied: not resent
    with session_scope(ward.id) as s:
        report_tab.owe(s, "2026-W50", [["Tuần 05/12–11/12/2026", "Tiếp nhận"], ["Tổng", "1"]])
    with caplog.at_level(logging.WARNING, logger="bot.runtime.sheets"):
        _tick_until(runner, lambda: _owed() == 0)
    [line] = [r.getMessage() for r in caplog.records if "Báo cáo tuần" in r.getMessage()]
    assert line.startswith("báo cáo tuần: chưa ghi được tab") and "vẫn còn chờ ghi, thử lại sau" in line
    assert _owed() == 0                                            # tried again, written
    assert [r[0] for r in fake.spreadsheets["sheet-3"].rows(REPORT_TAB)] == ["Tuần 05/12–11/12/2026", "Tổng"]


def test_a_tab_claimed_by_another_process_is_not_written_twice(city):
    fake, runtime, _budget = city
    ward = next(w for w in runtime.ward_settings.directory.all() if w.code == "w1")
    settings = runtime.ward_settings(ward.id)
    with session_scope(ward.id) as s:
        report_tab.owe(s, "2026-W50", [["Tổng", "1"]])
    with session_scope(ward.id) as s:
        value = s.get(Flag, (ward.id, report_tab.PREFIX + "2026-W50")).value
    assert report_tab._claim(ward.id, report_tab.PREFIX + "2026-W50", value, utcnow()) == [["Tổng", "1"]]
    assert report_tab.write_owed(settings, ward.id) == 0           # held by the other: skipped
    assert REPORT_TAB not in fake.spreadsheets["sheet-1"].sheets


def test_report_weekly_send_writes_at_once_and_a_refusal_leaves_the_tab_owed(city):
    fake, runtime, _budget = city
    ward = next(w for w in runtime.ward_settings.directory.all() if w.code == "w0")
    settings = runtime.ward_settings(ward.id)
    rep = jobs.send_weekly(settings, None, ward=ward, write_now=True)
    assert rep.sheet_written and rep.marked_sent and _owed() == 0
    assert fake.spreadsheets["sheet-0"].rows(REPORT_TAB)[1][0] == "Tổng"
    fake.spreadsheets["sheet-0"].fail(503, kind="values.append")
    rep = jobs.send_weekly(settings, None, ward=ward, write_now=True, force=True)
    assert rep.sheet_written is False and rep.marked_sent and _owed() == 1   # not lost
    with session_scope(ward.id) as s:                                  # the officers' are queued
        assert s.scalar(select(func.count()).select_from(OutboundMessage)
                        .where(OutboundMessage.purpose == "report")) == 2
