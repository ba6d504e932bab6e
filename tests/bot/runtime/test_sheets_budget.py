"""bot/runtime/sheets.py with many wards against the fake Sheets enforcing Google's quota: the
deployment stays within its request budget, so Google never answers 429. On a scaled clock
(one quota "minute" is one second) so the test takes seconds."""
from __future__ import annotations

import time

import pytest

from bot.runtime.sheets import WardSheets
from sheets_sync.layout import BOARD
from sheets_sync.quota import RequestBudget, install
from tests.bot.runtime.conftest import wards_on_google_quota

WARDS = 12
MINUTE = 1.0        # seconds a quota minute lasts here
BUDGET = 20         # requests per (scaled) minute, every ward together
GOOGLE = 24         # the fake's per-user read and write limits, per (scaled) minute


@pytest.fixture()
def city(settings, no_backoff):
    with wards_on_google_quota(WARDS, per_user=GOOGLE, minute=MINUTE, first="unused",
                               tickets_per_ward=3) as fake:
        yield fake, settings.with_overrides(google_sheets_api_base=fake.base_url, sheet_id="")


def _run(runner: WardSheets, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        runner.tick(seconds=0.5)
        time.sleep(0.02)


def test_many_wards_never_exceed_the_budget_and_meet_no_429(city):
    fake, settings = city
    budget = install(settings, RequestBudget(BUDGET, minute=MINUTE))
    runner = WardSheets(settings)
    _run(runner, 5 * MINUTE)          # first cycles alone cost ~5 requests × 12 wards = 3 minutes' budget
    assert fake.quota.refused() == 0 and budget.throttled == 0
    assert fake.quota.peak_per_user <= BUDGET
    boards = {sid: len(s.rows(BOARD)) for sid, s in fake.spreadsheets.items() if sid != "unused"}
    assert boards == {f"sheet-{i}": 4 for i in range(WARDS)}   # header + 3 tickets, every ward


def test_the_same_wards_without_the_budget_meet_429s(city):
    """The control: what the budget prevents is real."""
    fake, settings = city
    runner = WardSheets(settings.with_overrides(sheets_requests_per_minute=0))
    runner.tick(seconds=2 * MINUTE)
    assert fake.quota.refused() > 0
