"""`python -m bot bench-sheets`: one sync cycle with 10,000 tickets and 200 officer edits
against the fake Sheets API. Requests per cycle and wall time (medians of 3), against a
baseline measured in the same run: one plain read of the whole board. Last line: JSON."""
from __future__ import annotations

import json
import statistics
import tempfile
import time

from sqlalchemy import insert

from bot.runtime.sheets import sheet_syncer
from bot.settings import Settings
from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState
from sheets_sync.layout import BOARD, BOARD_RANGE, COL
from storage import db
from storage.models import Base, Ticket, utcnow
from storage.wards import ensure_default


def main(args) -> int:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='hts-sheets-')}/bench.db"
    engine = db.configure(url)
    Base.metadata.create_all(engine)
    now = utcnow()
    with engine.begin() as conn:
        ensure_default(conn)
        conn.execute(insert(Ticket), [
            dict(code=f"PA-2026-{i:05d}", kind="complaint", topic="environment", urgent=False,
                 status="new", channel="form", text=f"Rác thải tồn đọng ở ngõ {i % 300}, tổ {i % 20}",
                 reopened_count=0, created_at=now, updated_at=now)
            for i in range(1, args.tickets + 1)])
    with FakeSheetsServer(FakeSheetsState("bench")) as fake:
        settings = Settings(database_url=url, sheet_id="bench", google_sheets_api_base=fake.base_url)
        syncer = sheet_syncer(settings)
        t0 = time.perf_counter()
        first = syncer.run_cycle()
        first_s = time.perf_counter() - t0
        steady, edit_runs, baseline = [], [], []
        statuses = ("Đang xử lý", "Đã phân công", "Đã chuyển cơ quan có thẩm quyền")
        for run in range(max(3, getattr(args, "runs", 3))):
            t0 = time.perf_counter()
            ss = syncer.spreadsheet
            ss.values_get(BOARD_RANGE)
            baseline.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            seen = fake.state.total_requests()
            r = syncer.run_cycle()
            steady.append((time.perf_counter() - t0, r.requests))
            assert fake.state.total_requests() - seen == r.requests  # the server counted the same
            for k in range(args.edits):
                fake.state.set_cell(BOARD, 1 + (k * 37 + run) % args.tickets, COL["Trạng thái"], statuses[run % 3])
            t0 = time.perf_counter()
            r = syncer.run_cycle()
            edit_runs.append((time.perf_counter() - t0, r.requests, r.edits_applied))
    figures = {
        "tickets": args.tickets, "edits": args.edits,
        "first_cycle_s": round(first_s, 2), "first_cycle_requests": first.requests,
        "steady_cycle_s": round(statistics.median(s for s, _ in steady), 3),
        "steady_requests": statistics.median(n for _, n in steady),
        "edit_cycle_s": round(statistics.median(s for s, _, _ in edit_runs), 3),
        "edit_cycle_requests": statistics.median(n for _, n, _ in edit_runs),
        "edits_applied": statistics.median(a for _, _, a in edit_runs),
        "baseline_read_s": round(statistics.median(baseline), 3),
    }
    figures["steady_cycle_vs_read"] = round(figures["steady_cycle_s"] / figures["baseline_read_s"], 1)
    figures["edit_cycle_vs_read"] = round(figures["edit_cycle_s"] / figures["baseline_read_s"], 1)
    figures["targets_met"] = (figures["steady_requests"] <= 4 and figures["edit_cycle_requests"] <= 4
                              and figures["edit_cycle_s"] < 5)
    print(f"{args.tickets} tickets: first cycle {first_s:.1f} s ({first.requests} requests); steady "
          f"{figures['steady_cycle_s']} s / {figures['steady_requests']} requests; with {args.edits} "
          f"officer edits {figures['edit_cycle_s']} s / {figures['edit_cycle_requests']} requests "
          f"({figures['edits_applied']} applied); one plain board read {figures['baseline_read_s']} s")
    print(json.dumps(figures))
    return 0
