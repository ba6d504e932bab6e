"""Webhook ingest and end-to-end latency benchmark.

1. Ingest: the real app under gunicorn vs a bare Flask endpoint served the same way (same
   gunicorn settings, same load generator, same machine, same run): requests/s, p99 latency at
   N concurrent keep-alive connections, then a count of stored events (none lost, none twice).
2. End to end: events posted at a fixed rate; latency from the POST to the reply arriving at
   the fake Zalo API, with `python -m bot worker` in between.
Medians of repeated runs. The last output line is one JSON object with the figures.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bot.bench.loadgen import build_request, run_closed_loop
from bot.sandbox import payloads

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "360846524940903967"
OA_ID = "388613280878808645"
OA_SECRET = "bench-oa-secret"
APP_SECRET = "bench-app-secret"
GUNICORN = ["-k", "gthread", "--threads", "16", "--backlog", "2048", "--keep-alive", "30",
            "--log-level", "warning"]
WORKERS = 2  # both cores; set by --workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


def signed_event(user: str, text: str) -> tuple[bytes, dict]:
    return payloads.signed(payloads.user_event(APP_ID, OA_ID, user, "user_send_text",
                                               payloads.text(text)), OA_SECRET)


def signed_request(port: int, user: str, text: str) -> bytes:
    raw, headers = signed_event(user, text)
    return build_request("127.0.0.1", port, "/webhooks/zalo", raw, headers)


def app_env(database_url: str, fake_url: str = "http://127.0.0.1:9") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_")}
    env.update(DATABASE_URL=database_url, ZALO_APP_ID=APP_ID, ZALO_APP_SECRET=APP_SECRET,
               ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_OA_ID=OA_ID, ZALO_ACCESS_TOKEN="bench-access",
               ZALO_REFRESH_TOKEN="bench-refresh", ZALO_API_BASE=fake_url,
               ZALO_OAUTH_BASE=fake_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


def gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(WORKERS), *GUNICORN, "-b",
                             f"127.0.0.1:{port}", target], cwd=ROOT, env=env)
    wait_port(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def load(port: int, seconds: float, concurrency: int, users: int = 500) -> dict:
    # Enough distinct, signed events for the run (unique msg_id each).
    budget = int(seconds * 6000) + 1000
    reqs = [signed_request(port, f"5{(i % users):017d}", "Đèn đường tổ 5 bị hỏng") for i in range(budget)]
    return run_closed_loop("127.0.0.1", port, reqs, concurrency, seconds)


def ingest(database_url: str, seconds: float, concurrency: int, repeats: int) -> dict:
    from storage import db
    from storage.models import InboundEvent
    from sqlalchemy import func, select, update

    bare_port, app_port = free_port(), free_port()
    env = app_env(database_url)
    bare = gunicorn("bot.bench.bare:app", bare_port, env)
    try:
        load(bare_port, 1.0, concurrency)  # warm-up
        bare_runs = [load(bare_port, seconds, concurrency) for _ in range(repeats)]
    finally:
        stop(bare)
    app = gunicorn("bot.app:wsgi()", app_port, env)
    try:
        warm = load(app_port, 1.0, concurrency)
        app_runs = [load(app_port, seconds, concurrency) for _ in range(repeats)]
    finally:
        stop(app)
    db.configure(database_url)
    # Events a stopped web process acknowledged but had not moved from its spool file yet
    # (none when it stops gracefully) are recovered, as the next start would.
    from bot.settings import load_settings
    from storage.spool import recover_orphans

    spool_dir = load_settings(env, dotenv=False).spool_directory
    recovered = recover_orphans(spool_dir, db.get_engine) if spool_dir else 0
    with db.session_scope() as s:
        stored = s.scalar(select(func.count()).select_from(InboundEvent))
        distinct = s.scalar(select(func.count(func.distinct(InboundEvent.event_key))))
        # The load's events are not for the end-to-end part: set them aside.
        s.execute(update(InboundEvent).where(InboundEvent.status == "pending").values(status="ignored"))
    # Every 200 is a promise that the event is stored: warm-up requests were real events too.
    accepted = sum(r["statuses"].get(200, 0) for r in [warm, *app_runs])
    return {"bare": bare_runs, "app": app_runs, "stored": stored, "distinct": distinct,
            "accepted": accepted, "recovered_from_spool": recovered,
            "inbox": "spool" if spool_dir else "database commit"}


def _wait_until_replying(state, post, timeout: float = 120) -> int:
    """Measure the steady state, not the worker's start-up: one warm-up event must be answered
    (models loaded, first query planned) before the timed events go out. A fixed sleep measured
    start-up whenever the models took longer to build than the sleep."""
    warm_up = "6" + "9" * 17
    state.add_user(warm_up)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            post(warm_up)
        except OSError:  # the web server is not listening yet
            time.sleep(0.2)
            continue
        break
    while time.time() < deadline and not any(m.user_id == warm_up for m in state.messages()):
        time.sleep(0.05)
    return len(state.messages())


def end_to_end(database_url: str, rate: float, seconds: float) -> dict:
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET, access_token="bench-access",
                          refresh_token="bench-refresh")
    fake = FakeZaloServer(state).start()
    port = free_port()
    env = app_env(database_url, fake.base_url)
    web = gunicorn("bot.app:wsgi()", port, env)
    worker = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--no-scheduler"],
                              cwd=ROOT, env=env)
    n = int(rate * seconds)
    users = [f"6{i:017d}" for i in range(n)]
    for u in users:
        state.add_user(u)
    sent_at: dict[str, float] = {}
    statuses: dict[int, int] = {}

    def post(user: str) -> None:
        raw, headers = signed_event(user, "xin chào")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sent_at[user] = time.time()
        conn.request("POST", "/webhooks/zalo", body=raw, headers=headers)
        status = conn.getresponse().status
        statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    try:
        warm = _wait_until_replying(state, post)
        statuses.clear()
        start = time.perf_counter()
        threads = []
        for i, user in enumerate(users):  # open loop: a fixed schedule, whatever the latency
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t = threading.Thread(target=post, args=(user,))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        deadline = time.time() + 60
        while time.time() < deadline and len(state.messages()) < n + warm:
            time.sleep(0.1)
    finally:
        stop(worker)
        stop(web)
        fake.stop()
    first_reply = {}
    for m in state.messages():
        first_reply.setdefault(m.user_id, m.timestamp.timestamp())
    lat = sorted(first_reply[u] - sent_at[u] for u in users if u in first_reply)
    return {
        "events": n, "replied": len(lat), "statuses": statuses,
        "p50_ms": lat[len(lat) // 2] * 1000 if lat else None,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else None,
        "duplicates": len(state.messages()) - len(first_reply),
    }


def main(args) -> int:
    global WORKERS
    from storage.migrate import upgrade

    WORKERS = args.workers
    tmp = tempfile.mkdtemp(prefix="hts-bench-")
    database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
    upgrade(database_url)
    repeats = 3
    result = ingest(database_url, args.seconds, args.concurrency, repeats)
    bare_rate = statistics.median(r["rate"] for r in result["bare"])
    app_rate = statistics.median(r["rate"] for r in result["app"])
    app_p99 = statistics.median(r["p99_ms"] for r in result["app"])
    bare_p99 = statistics.median(r["p99_ms"] for r in result["bare"])
    non_200 = sum(v for r in result["app"] for k, v in r["statuses"].items() if k != 200)
    print(f"ingest: app {app_rate:.0f} req/s vs bare Flask {bare_rate:.0f} req/s "
          f"(ratio {app_rate / bare_rate:.2f}); p99 {app_p99:.1f} ms (bare {bare_p99:.1f} ms) "
          f"at {args.concurrency} connections; non-200: {non_200}")
    e2e = end_to_end(database_url, args.rate, args.seconds)
    print(f"end to end at {args.rate:.0f} events/s: p50 {e2e['p50_ms']:.0f} ms, "
          f"p99 {e2e['p99_ms']:.0f} ms, replied {e2e['replied']}/{e2e['events']}, "
          f"duplicates {e2e['duplicates']}")
    figures = {
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "concurrency": args.concurrency,
        "gunicorn_workers": WORKERS,
        "ingest_rate": round(app_rate, 1),
        "bare_flask_rate": round(bare_rate, 1),
        "ingest_ratio": round(app_rate / bare_rate, 3),
        "ingest_p99_ms": round(app_p99, 2),
        "bare_p99_ms": round(bare_p99, 2),
        "ingest_non_200": non_200,
        "inbox": result["inbox"],
        "recovered_from_spool": result["recovered_from_spool"],
        "accepted_events": result["accepted"],
        "lost_events": result["accepted"] - result["distinct"],
        "duplicated_events": result["stored"] - result["distinct"],
        "e2e_rate": args.rate,
        "e2e_events": e2e["events"],
        "e2e_lost": e2e["events"] - e2e["replied"],
        "e2e_duplicates": e2e["duplicates"],
        "e2e_p50_ms": round(e2e["p50_ms"], 1) if e2e["p50_ms"] is not None else None,
        "e2e_p99_ms": round(e2e["p99_ms"], 1) if e2e["p99_ms"] is not None else None,
    }
    print(json.dumps(figures))
    return 0
