"""sheets_sync/quota.py: the deployment's request budget (a sliding window every request of
every ward passes) and the pause a 429 puts on all of them, honouring Retry-After."""
from __future__ import annotations

import threading
import time

import pytest

from bot.sandbox.fake_sheets.quota import GoogleQuota
from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState
from sheets_sync.client import SheetsUnavailable, open_spreadsheet
from sheets_sync.quota import RequestBudget, budget_for, install


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_no_more_than_per_minute_in_any_minute():
    clock = Clock()
    budget = RequestBudget(3, clock=clock, sleep=clock.sleep)
    assert [budget.acquire(0) for _ in range(4)] == [True, True, True, False]
    clock.now = 30.0
    assert budget.free() == 0 and not budget.acquire(29.9)   # the first slot frees after 60 s
    assert budget.acquire(32) and clock.now == pytest.approx(61.2)   # (+2 %: landing margin)
    assert budget.free() == 2 and budget.waits == 1        # all three of t=0 have left the window


def test_a_429_pauses_everyone_longer_each_time_in_a_row_until_a_success():
    clock = Clock()
    budget = RequestBudget(50, clock=clock, sleep=clock.sleep)
    first, second = budget.back_off(), budget.back_off()
    assert 1.0 <= first <= 1.2 and 2.0 <= second <= 2.4
    assert budget.free() == 0 and budget.paused_for() == pytest.approx(second)
    budget.succeeded()
    clock.now += 10
    assert 1.0 <= budget.back_off() <= 1.2               # back to the first step
    assert budget.back_off(retry_after=7.0) == 7.0        # the answer's Retry-After wins


def test_one_budget_per_service_account(settings):
    a = settings.with_overrides(google_sheets_api_base="http://127.0.0.1:1")
    b = settings.with_overrides(google_sheets_api_base="http://127.0.0.1:2")
    assert budget_for(a) is budget_for(a.with_overrides(sheet_id="another-ward"))
    assert budget_for(a) is not budget_for(b)
    assert budget_for(a).per_minute == 50
    assert budget_for(a.with_overrides(sheets_requests_per_minute=0)) is None


def test_a_429_holds_back_every_ward_for_its_retry_after(settings):
    """Ward A meets Google's 429 (Retry-After: 2): ward B, asking meanwhile, waits out the same
    pause instead of meeting a 429 of its own; A's request goes again once, after the pause."""
    quota = GoogleQuota(read_per_user=2, window=2.0, retry_after=True)
    with FakeSheetsServer(FakeSheetsState("ward-a"), quota=quota) as fake:
        fake.add_spreadsheet("ward-b")
        base = settings.with_overrides(google_sheets_api_base=fake.base_url)
        budget = install(base, RequestBudget(1000))      # roomy: here Google's quota decides
        a = open_spreadsheet(base, "ward-a")             # reads 1 of 2
        b = open_spreadsheet(base, "ward-b")             # reads 2 of 2
        done = {}

        def read_a():
            done["a"] = a.values_get("'Sheet1'!A1")

        thread = threading.Thread(target=read_a)
        thread.start()
        deadline = time.monotonic() + 5
        while budget.paused_for() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        paused = budget.paused_for()
        started = time.monotonic()
        b.values_get("'Sheet1'!A1")
        waited = time.monotonic() - started
        thread.join(10)
    assert 1.0 < paused <= 2.0 and waited >= paused - 0.1
    assert "a" in done and quota.refused() == 1 and budget.throttled == 1


def test_without_room_in_time_the_cycle_stops_with_a_named_error(settings, monkeypatch):
    monkeypatch.setattr("sheets_sync.client.MAX_ELAPSED", 0.2)
    with FakeSheetsServer(FakeSheetsState("ward-a")) as fake:
        base = settings.with_overrides(google_sheets_api_base=fake.base_url)
        install(base, RequestBudget(1, minute=60.0))
        ss = open_spreadsheet(base, "ward-a")            # takes the minute's only slot
        with pytest.raises(SheetsUnavailable, match="budget"):
            ss.values_get("'Sheet1'!A1")
        assert fake.state.requests["values.get"] == 0    # nothing sent past the budget
