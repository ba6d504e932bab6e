"""`python -m bot bench-sheets-city`: a city's sheets under one Google quota (issue 14).

N wards (default 100) × M tickets (default 200), each ward with its own spreadsheet in ONE fake
Sheets server that enforces Google's quota (60 read + 60 write per user, 300 + 300 per project,
per minute), synced by the real `WardSheets` loop (bot/runtime/sheets.py) through the real
gspread client and the deployment's RequestBudget, as the scheduler's `sheet_sync` job runs it:
every 5 s, brought forward by an Apps Script ping. Officers change a ticket's status in 10
random wards a minute, typed straight into the fake sheet (as an edit lands in Google); in the
"ping" phase the Apps Script's signed POST /webhooks/sheets follows each edit (the real Flask
app), in the "no ping" phase nothing does. Measured: 429s (Google's and the budget's), the most
requests in any sliding minute, and officer edit → resident's message queued (its outbox row)
p50/p95/max, per phase.

The sheets are laid out and filled once before the clock starts (onboarding, unbudgeted);
then the service "restarts" under the budget and reads every sheet first, as it would.

A scaled clock: one quota minute lasts `--minute-seconds` real seconds (default 8: 7.5 times
faster). The fake's quota window, the budget's minute, the planner's bounds and the job's 5-s
interval and 4-s tick all use it; latencies are reported in simulated seconds. What does not
scale is the work itself (a cycle's CPU and database time), so the simulated latencies are a
little pessimistic. Last line: JSON."""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select

SECRET = "bench-sheet-secret"
STATUS_EDIT = "Đang xử lý"           # new -> in_progress: the resident hears of it
JOB_EVERY, TICK = 5.0, 4.0           # the `sheet_sync` job's interval and tick, real seconds


@dataclass
class Edit:
    ward_id: int
    ticket_id: int
    at: datetime                     # utc wall clock, as outbox rows' created_at
    ping: bool


@dataclass
class Phase:
    name: str
    edits: list[Edit] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)   # simulated seconds
    missing: int = 0
    cycles: dict = field(default_factory=dict)              # CycleLog.since


def seed_city(wards: int, tickets: int) -> tuple[dict[int, list[tuple[int, str]]], dict[int, str]]:
    """In the configured database: `wards` wards (sheet `city-<n>`), each with `tickets` Zalo
    tickets, each from its own resident. Returns ward id -> [(ticket id, code)], and ward id ->
    its sheet's id."""
    from storage import db, wards as ward_store
    from storage.db import session_scope
    from storage.models import Resident, Ticket, utcnow

    engine = db.get_engine()
    now = utcnow()
    out: dict[int, list[tuple[int, str]]] = {}
    sheets: dict[int, str] = {}
    for n in range(wards):
        with session_scope() as s:
            ward_id = ward_store.add(s, f"p{n:03d}", {"name": f"Phường {n}", "sheet_id": f"city-{n}"},
                                     cipher=None).id
        sheets[ward_id] = f"city-{n}"
        with engine.begin() as conn:
            conn.execute(insert(Resident), [dict(ward_id=ward_id, zalo_user_id=f"{ward_id}-{i}",
                                                 is_follower=True, created_at=now, updated_at=now)
                                            for i in range(tickets)])
            residents = dict(conn.execute(select(Resident.zalo_user_id, Resident.id)
                                          .where(Resident.ward_id == ward_id)).all())
            conn.execute(insert(Ticket), [dict(
                ward_id=ward_id, code=f"PA-2026-{i + 1:05d}", kind="complaint", topic="environment",
                urgent=False, status="new", channel="zalo", resident_id=residents[f"{ward_id}-{i}"],
                text=f"Rác thải tồn đọng ở ngõ {i % 30}, tổ {i % 20}", reopened_count=0,
                created_at=now, updated_at=now) for i in range(tickets)])
            out[ward_id] = [tuple(r) for r in conn.execute(
                select(Ticket.id, Ticket.code).where(Ticket.ward_id == ward_id).order_by(Ticket.id))]
    return out, sheets


class Officers:
    """Who edits what: each edit a random ward, and in it a ticket not edited before (so each
    edit is one status change, and one message to its resident)."""

    def __init__(self, tickets: dict[int, list[tuple[int, str]]], seed: int):
        self.rng = random.Random(seed)
        self.left = {w: list(ts) for w, ts in tickets.items()}
        for ts in self.left.values():
            self.rng.shuffle(ts)

    def next(self) -> tuple[int, int, str]:
        ward_id = self.rng.choice([w for w, ts in self.left.items() if ts])
        ticket_id, code = self.left[ward_id].pop()
        return ward_id, ticket_id, code


def row_of(state, code: str) -> int:
    """The 0-based row of a ticket on its ward's board, as the officer finds it."""
    from sheets_sync.layout import BOARD, COL

    for i, row in enumerate(state.rows(BOARD)):
        if row and row[COL["Mã phiếu"]] == code:
            return i
    raise LookupError(code)


def signed_ping(sheet_id: str, code: str, now: float) -> tuple[bytes, dict]:
    """The Apps Script's POST (sheets_sync/apps_script/onEdit.gs): body and headers."""
    raw = json.dumps({"spreadsheet_id": sheet_id, "code": code, "column": "Trạng thái",
                      "new_value": STATUS_EDIT, "user": "can.bo@example.com"}).encode()
    stamp = str(int(now))
    signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"X-Hts-Timestamp": stamp, "X-Hts-Signature": signature}


def latencies(edits: list[Edit], queued: dict[int, datetime], scale: float) -> tuple[list[float], int]:
    """Simulated seconds from each edit to its resident's message (`queued`: ticket id -> the
    outbox row's created_at); and how many edits have no message yet."""
    out, missing = [], 0
    for e in edits:
        at = queued.get(e.ticket_id)
        if at is None:
            missing += 1
        else:
            out.append(max(0.0, (at - e.at).total_seconds()) * scale)
    return out, missing


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))]


def queued_messages(ticket_ids: set[int]) -> dict[int, datetime]:
    """Ticket id -> when its resident's status message was queued (first row)."""
    from storage.db import session_scope
    from storage.models import OutboundMessage
    from storage.scoping import ALL_WARDS

    out: dict[int, datetime] = {}
    with session_scope(ALL_WARDS) as s:
        for ticket_id, at in s.execute(select(OutboundMessage.ticket_id, OutboundMessage.created_at)
                                       .where(OutboundMessage.purpose == "status_update")
                                       .order_by(OutboundMessage.id)):
            if ticket_id in ticket_ids:
                out.setdefault(ticket_id, at)
    return out


class CycleLog:
    """What the scheduler did, by reason: picks and the real seconds their cycles took (the
    work the scaled clock does not shrink)."""

    def __init__(self, runner):
        self.picks: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        sync = runner.sync

        def timed(pick, wards):
            t0 = time.perf_counter()
            try:
                return sync(pick, wards)
            finally:
                self.picks[pick.reason] += 1
                self.seconds[pick.reason] += time.perf_counter() - t0
        runner.sync = timed

    def since(self, mark: tuple[Counter, Counter], real_seconds: float) -> dict:
        """Per reason: cycles and real ms each; `busy`: the share of the real time spent in
        cycles (near 1, the machine, not the budget, sets the pace: use a longer minute)."""
        picks, seconds = self.picks - mark[0], self.seconds - mark[1]
        out = {reason: {"cycles": n, "ms_each": round(1000 * seconds[reason] / n)}
               for reason, n in sorted(picks.items())}
        out["busy"] = round(sum(seconds.values()) / real_seconds, 2)
        return out

    def mark(self) -> tuple[Counter, Counter]:
        return Counter(self.picks), Counter(self.seconds)


class SyncJob:
    """The scheduler's `sheet_sync` job: a tick every JOB_EVERY (scaled) seconds, or at once
    when a ping asks for it (process.py's sync-now: modify_job(next_run_time=now))."""

    def __init__(self, runner, scale: float):
        self.runner, self.scale = runner, scale
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="sheet-sync-job", daemon=True)

    def _loop(self) -> None:
        while not self.stopped.is_set():
            due = time.monotonic() + JOB_EVERY / self.scale     # an interval job: start to start
            self.runner.tick(seconds=TICK / self.scale)
            self.wake.wait(max(0.0, due - time.monotonic()))
            self.wake.clear()

    def start(self) -> SyncJob:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        self.thread.join()


def run_phase(name: str, *, fake, app_client, officers: Officers, sheet_of: dict[int, str],
              minutes: float, per_minute: int, scale: float, ping: bool, drain: float) -> Phase:
    """`minutes` simulated minutes of edits, then up to `drain` more for the last messages."""
    from sheets_sync.layout import BOARD, COL
    from storage.models import utcnow

    phase = Phase(name)
    every = 60.0 / per_minute / scale
    start = time.monotonic()
    for k in range(int(minutes * per_minute)):
        time.sleep(max(0.0, start + k * every - time.monotonic()))
        ward_id, ticket_id, code = officers.next()
        state = fake.spreadsheets[sheet_of[ward_id]]
        state.set_cell(BOARD, row_of(state, code), COL["Trạng thái"], STATUS_EDIT)
        phase.edits.append(Edit(ward_id, ticket_id, utcnow(), ping))
        if ping:
            raw, headers = signed_ping(sheet_of[ward_id], code, time.time())
            assert app_client.post("/webhooks/sheets", data=raw, headers=headers).status_code == 202
    ids = {e.ticket_id for e in phase.edits}
    deadline = time.monotonic() + drain * 60.0 / scale
    while True:
        queued = queued_messages(ids)
        if len(queued) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    phase.latencies, phase.missing = latencies(phase.edits, queued, scale)
    return phase


def warm_up(runner, wards: int, scale: float, limit_minutes: float = 30.0) -> float:
    """Until every ward's sheet has been read once since the start; simulated minutes it took."""
    start = time.monotonic()
    while time.monotonic() - start < limit_minutes * 60.0 / scale:
        tracks = runner.planner.tracks
        if len(tracks) >= wards and all(t.last_read is not None for t in tracks.values()):
            break
        time.sleep(0.2)
    return (time.monotonic() - start) * scale / 60.0


def figures_of(phase: Phase) -> dict:
    lat = phase.latencies
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {"edits": len(phase.edits), "notified": len(lat), "missing": phase.missing,
            "p50_s": rounded(percentile(lat, 50)), "p95_s": rounded(percentile(lat, 95)),
            "max_s": rounded(max(lat) if lat else None),
            "mean_s": rounded(statistics.fmean(lat) if lat else None), "cycles": phase.cycles}


def onboard(settings, wards: int) -> float:
    """Every ward's sheet laid out and filled once, before the clock starts: onboarding 100
    wards is a one-off (5 requests each), not what the bench measures. Unbudgeted, with the
    fake's quota off. Returns the real seconds it took."""
    from bot.runtime.sheets import WardSheets

    t0 = time.monotonic()
    runner = WardSheets(settings.with_overrides(sheets_requests_per_minute=0))
    while len(runner.planner.tracks) < wards or any(t.last_read is None for t in runner.planner.tracks.values()):
        runner.tick(seconds=5.0)
    return time.monotonic() - t0


def run(args) -> dict:
    from bot.app import create_app
    from bot.runtime.sheets import WardSheets
    from bot.sandbox.fake_sheets.quota import GoogleQuota
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_sheets.state import FakeSheetsState
    from bot.settings import Settings
    from sheets_sync.quota import RequestBudget, install
    from storage import db
    from storage.migrate import upgrade

    scale = 60.0 / args.minute_seconds        # simulated seconds per real second
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hts-sheets-city-')}/bench.db"
    upgrade(url)
    db.configure(url)
    tickets, sheet_of = seed_city(args.wards, args.tickets)
    quota = GoogleQuota(window=args.minute_seconds)             # Google's defaults, scaled minute
    with FakeSheetsServer(FakeSheetsState("unused")) as fake:
        for sheet_id in sheet_of.values():
            fake.add_spreadsheet(sheet_id)
        settings = Settings(database_url=url, google_sheets_api_base=fake.base_url,
                            sheets_requests_per_minute=args.budget, sheets_webhook_secret=SECRET,
                            log_level="WARNING")
        onboarded = onboard(settings, args.wards)
        fake.quota, before = quota, fake.total_requests()
        # The service (re)started: its budget, its WardSheets, its job, its webhook.
        budget = install(settings, RequestBudget(args.budget, minute=args.minute_seconds))
        runner = WardSheets(settings)
        cycles = CycleLog(runner)
        app = create_app(settings, sync_now=lambda: job.wake.set())
        job = SyncJob(runner, scale).start()
        try:
            warm = warm_up(runner, args.wards, scale)
            officers = Officers(tickets, args.seed)
            common = dict(fake=fake, app_client=app.test_client(), officers=officers, sheet_of=sheet_of,
                          minutes=args.minutes, per_minute=args.edits_per_minute, scale=scale)
            phases = []
            for name, ping, drain in (("ping", True, 3.0), ("no_ping", False, 10.0)):
                mark, t0 = cycles.mark(), time.monotonic()
                phases.append(run_phase(name, ping=ping, drain=drain, **common))
                phases[-1].cycles = cycles.since(mark, time.monotonic() - t0)
        finally:
            job.stop()
            app.extensions["hts_inbox"].close()
        return {
            "wards": args.wards, "tickets_per_ward": args.tickets, "budget_per_minute": args.budget,
            "edits_per_minute": args.edits_per_minute, "simulated_minutes_per_phase": args.minutes,
            "minute_seconds": args.minute_seconds, "onboarding_real_s": round(onboarded),
            "restart_read_all_minutes": round(warm, 1),
            "google_429": quota.refused(), "budget_429": budget.throttled,
            "max_requests_in_a_minute": quota.peak_per_user, "requests": fake.total_requests() - before,
            "budget_waits": budget.waits,
            **{p.name: figures_of(p) for p in phases},
        }


def report_lines(f: dict) -> list[str]:
    def phase(name: str, label: str) -> str:
        p = f[name]
        return (f"  {label}: {p['edits']} lần sửa, {p['notified']} tin đã xếp cho cư dân"
                + (f" ({p['missing']} chưa có)" if p["missing"] else "")
                + f"; trễ p50 {p['p50_s']} s, p95 {p['p95_s']} s, lớn nhất {p['max_s']} s"
                + f" (máy bận đồng bộ {p['cycles']['busy']:.0%} thời gian thật)")
    return [
        f"{f['wards']} phường × {f['tickets_per_ward']} phiếu, hạn mức {f['budget_per_minute']} yêu cầu/phút, "
        f"cán bộ sửa {f['edits_per_minute']} phường/phút, {f['simulated_minutes_per_phase']} phút mỗi lượt.",
        f"Đồng hồ thu nhỏ: một phút hạn mức = {f['minute_seconds']} giây thật; thời gian dưới đây là "
        "thời gian mô phỏng.",
        f"Khởi động lại: đọc xong mọi bảng sau {f['restart_read_all_minutes']} phút.",
        f"Lỗi 429 của Google: {f['google_429']}; nhiều nhất {f['max_requests_in_a_minute']} yêu cầu "
        f"trong một phút bất kỳ; tổng {f['requests']} yêu cầu.",
        phase("ping", "Có Apps Script báo"),
        phase("no_ping", "Không có Apps Script"),
    ]


def targets_met(f: dict) -> bool:
    return (f["google_429"] == 0 and f["budget_429"] == 0 and f["ping"]["missing"] == 0
            and f["no_ping"]["missing"] == 0 and f["ping"]["p95_s"] < 60 and f["no_ping"]["p95_s"] < 300)


def main(args) -> int:
    figures = run(args)
    figures["targets_met"] = targets_met(figures)
    for line in report_lines(figures):
        print(line)
    print("Đạt mục tiêu (0 lỗi 429, p95 < 60 s có Apps Script, < 5 phút không có)."
          if figures["targets_met"] else "CHƯA đạt mục tiêu.")
    print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["targets_met"] else 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wards", type=int, default=100, help="số phường (mỗi phường một bảng tính)")
    p.add_argument("--tickets", type=int, default=200, help="số phiếu mỗi phường")
    p.add_argument("--budget", type=int, default=50, help="SHEETS_REQUESTS_PER_MINUTE: hạn mức cả thành phố")
    p.add_argument("--edits-per-minute", type=int, default=10, help="số phường cán bộ sửa mỗi phút")
    p.add_argument("--minutes", type=float, default=10.0, help="số phút mô phỏng mỗi lượt (có/không Apps Script)")
    p.add_argument("--minute-seconds", type=float, default=8.0,
                   help="một phút hạn mức kéo dài bao nhiêu giây thật (đồng hồ thu nhỏ)")
    p.add_argument("--seed", type=int, default=14, help="hạt giống ngẫu nhiên: phường và phiếu được sửa")
    p.add_argument("--database-url", default=None, help="mặc định: SQLite mới trong thư mục tạm")
