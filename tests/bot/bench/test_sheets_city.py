"""bot/bench/sheets_city.py's pieces that carry logic (the bench itself is run by hand and its
figures are in the README): the city it seeds, the officers' edits, the Apps Script's signed
ping as the real webhook takes it, the latencies and percentiles it reports, the targets."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

from bot.app import create_app
from bot.bench import sheets_city as bench
from bot.runtime.sheets import WardSheets
from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState
from sheets_sync.layout import BOARD, COL


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]
    assert (bench.percentile(values, 50), bench.percentile(values, 95)) == (50.0, 95.0)
    assert bench.percentile(values, 100) == 100.0 and bench.percentile([7.0], 95) == 7.0
    assert bench.percentile([], 95) is None


def test_latencies_are_simulated_seconds_and_unanswered_edits_are_counted():
    t0 = datetime(2026, 12, 11, 8, 0)
    edits = [bench.Edit(1, 10, t0, True), bench.Edit(2, 20, t0, True), bench.Edit(3, 30, t0, False)]
    queued = {10: t0 + timedelta(seconds=2), 20: t0 + timedelta(seconds=0.5)}
    latencies, missing = bench.latencies(edits, queued, scale=7.5)   # 8-s minutes
    assert latencies == [15.0, 3.75] and missing == 1


def test_officers_edit_random_wards_and_never_the_same_ticket_twice():
    tickets = {w: [(w * 100 + i, f"PA-{i}") for i in range(5)] for w in (1, 2, 3)}
    officers = bench.Officers(tickets, seed=1)
    edits = [officers.next() for _ in range(15)]
    assert len({t for _, t, _ in edits}) == 15                       # every ticket once
    assert {w for w, _, _ in edits} == {1, 2, 3}
    assert all(t in dict(tickets[w]) for w, t, _ in edits)            # the ward holds its ticket


def test_targets_are_zero_429s_every_message_and_both_p95s():
    good = {"google_429": 0, "budget_429": 0, "ping": {"missing": 0, "p95_s": 59.0},
            "no_ping": {"missing": 0, "p95_s": 299.0}}
    assert bench.targets_met(good)
    assert not bench.targets_met(dict(good, google_429=1))
    assert not bench.targets_met(dict(good, ping={"missing": 0, "p95_s": 60.0}))
    assert not bench.targets_met(dict(good, no_ping={"missing": 1, "p95_s": 10.0}))


def test_the_cycle_log_counts_picks_and_the_busy_share():
    runner = SimpleNamespace(sync=lambda pick, wards: None)
    log = bench.CycleLog(runner)
    mark = log.mark()
    runner.sync(SimpleNamespace(reason="ping"), {})
    runner.sync(SimpleNamespace(reason="idle"), {})
    out = log.since(mark, real_seconds=1000.0)
    assert (out["ping"]["cycles"], out["idle"]["cycles"]) == (1, 1) and out["busy"] < 0.01
    assert log.picks == Counter(ping=1, idle=1)


def test_an_edit_and_its_signed_ping_reach_the_resident_through_the_service(settings):
    tickets, sheets = bench.seed_city(wards=2, tickets=3)
    with FakeSheetsServer(FakeSheetsState("unused")) as fake:
        for sheet_id in sheets.values():
            fake.add_spreadsheet(sheet_id)
        city = settings.with_overrides(google_sheets_api_base=fake.base_url, sheet_id="",
                                       sheets_requests_per_minute=0, sheets_webhook_secret=bench.SECRET)
        runner = WardSheets(city)
        runner.tick(seconds=30)                                      # both sheets filled
        ward_id, (ticket_id, code) = next(iter(sheets)), tickets[next(iter(sheets))][1]
        state = fake.spreadsheets[sheets[ward_id]]
        assert [r[COL["Mã phiếu"]] for r in state.rows(BOARD)[1:]] == [c for _, c in tickets[ward_id]]
        state.set_cell(BOARD, bench.row_of(state, code), COL["Trạng thái"], bench.STATUS_EDIT)
        raw, headers = bench.signed_ping(sheets[ward_id], code, datetime.now().timestamp())
        app = create_app(city)
        try:
            assert app.test_client().post("/webhooks/sheets", data=raw, headers=headers).status_code == 202
        finally:
            app.extensions["hts_inbox"].close()
        [(pick, _report)] = runner.tick(seconds=30)
        assert (pick.ward_id, pick.reason) == (ward_id, "ping")
    queued = bench.queued_messages({ticket_id, tickets[ward_id][0][0]})
    assert list(queued) == [ticket_id]                              # that resident only
