"""`python -m bot bench-typhoon`: a storm over the city, on PostgreSQL (or SQLite, one worker).

E events (default 10,000) in S seconds (60) from the wards' residents, posted signed through
the real webhook (gunicorn) on an even schedule, handled by N real `python -m bot worker`
processes, answered through the outbox to the fake Zalo (its own process, 50 ms a call, echoes
posted back to the webhook). Then a backlog (default 4,000 events posted at once) measures how
many events per second the workers handle, and how many sends per second reach Zalo, while the
queue is full.

For each worker count (--workers 1,2,4) and batch size (--batch 1,32: 1 is a commit per event,
the old way), `--repeats` fresh runs, interleaved so a busy machine slows both alike; medians,
and the ratio of the largest batch to the smallest at each worker count. Reported per run:
p50/p99 webhook → reply, drain time (first event posted → last reply at Zalo), events/s and
sends/s with the queue full, and the checks: none lost, none doubled (replies and tickets),
each resident's replies in the order the resident wrote. The last line is JSON.

Wards (--wards W, --residents R each, default 100 × 200): ward 0 is the service's `default`
ward (the environment), the others are added with `python -m bot wards import`; each is its own
OA on the fake Zalo with its own secret and token pair, and every --wards-per-app wards share
one Zalo app and its per-minute limit (--oa-limit, 3,800: Zalo allows ~4,000 a minute per app).
Every event goes to the one webhook address, signed with its ward's OA secret: the service finds
the ward from the event's OA id, as in production. One OA standing in for a city (--wards 1)
needs --oa-limit raised: one app could not send 10,000 replies in 2 minutes.

Memory: the resident memory (VmRSS) of every service process at the end of each run, after
the storm and the backlog: gunicorn's master and web worker, each event worker.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from bot.bench import typhoon_checks as checks
from bot.bench import typhoon_stack as stack_
from bot.bench.loadgen import build_request, run_closed_loop, run_open_loop
from bot.bench.typhoon_plan import (OA_LIMIT_PER_MINUTE, Planned, Ward, apps, city, expected_tickets,
                                    plan, resident_id, signed_body)
from storage import db
from storage.scoping import ALL_WARDS

WARM_UP_RESIDENTS = 64
WITHIN_SECONDS = 120.0  # the target: every reply out within 2 minutes of the first event


def _requests(port: int, wards: list[Ward], planned: list[Planned]) -> list[bytes]:
    """Each event signed with its ward's OA secret, all to the one webhook address: the service
    finds the ward from the event's OA id, as in production."""
    out = []
    for p in planned:
        raw, headers = signed_body(wards[p.ward], p)
        out.append(build_request("127.0.0.1", port, "/webhooks/zalo", raw, headers))
    return out


def _officers(wards: list[Ward]) -> set[str]:
    return {w.officer for w in wards}


def _settle(wards: list[Ward], timeout: float) -> bool:
    """Wait until no event is pending and no reply is on its way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session_scope(ALL_WARDS) as s:
            if checks.unfinished(s, _officers(wards)) == (0, 0):
                return True
        time.sleep(0.25)
    return False


def _warm_up(stack, wards: list[Ward], residents: int) -> None:
    """Measure the steady state, not start-up: every worker process loads its models and
    builds each ward's Zalo client first (a message from every ward)."""
    warm = [Planned(0.0, i % len(wards), resident_id(i % len(wards), residents + i // len(wards)), 0,
                    "xin chào", f"warmup{time.time_ns()}x{i}")
            for i in range(max(WARM_UP_RESIDENTS, len(wards)))]
    t0 = time.monotonic()
    run_closed_loop("127.0.0.1", stack.web_port, _requests(stack.web_port, wards, warm), 8, 120)
    if not _settle(wards, 180):
        raise RuntimeError("warm-up events were not answered")
    # Worker processes started together load their models in about the same time.
    time.sleep(min(15.0, max(2.0, time.monotonic() - t0)))


def _storm(stack, wards: list[Ward], burst: list[Planned], seconds: float) -> dict:
    """The burst on its schedule, then its figures once every reply is out."""
    posted = {"sent_at": [], "statuses": []}
    if burst:
        posted = run_open_loop("127.0.0.1", stack.web_port, _requests(stack.web_port, wards, burst),
                               [p.at for p in burst])
    settled = _settle(wards, seconds + 900)
    messages, _ = stack_.sent_messages(stack)
    with db.session_scope(ALL_WARDS) as s:
        rows = checks.load(s, burst)
        alerts_waiting = checks.alerts_waiting(s, _officers(wards))
    storm = checks.figures(burst, posted["sent_at"], posted["statuses"], rows, messages,
                           expected_tickets(burst))
    return {**storm, "settled": settled, "alerts_waiting": alerts_waiting}


def _full_queue(stack, wards: list[Ward], backlog: list[Planned]) -> dict:
    """The backlog posted as fast as the webhook takes it, then handled with the queue full."""
    run_closed_loop("127.0.0.1", stack.web_port, _requests(stack.web_port, wards, backlog), 32, 600)
    since = time.time()
    _settle(wards, 900)
    messages, stats = stack_.sent_messages(stack)
    with db.session_scope(ALL_WARDS) as s:
        full = checks.capacity(backlog, checks.load(s, backlog), since, messages)
    return {**full, "rate_limited": stats.get("rate_limited", 0)}


def run_once(args, wards: list[Ward], workers: int, batch: int, burst: list[Planned],
             backlog: list[Planned]) -> dict:
    load_before = os.getloadavg()[0]
    stack = stack_.start(args.database_url, wards, args.residents + WARM_UP_RESIDENTS, args.oa_limit,
                         args.latency_ms)
    try:
        db.configure(stack.database_url)
        stack_.seed_officers(wards)
        stack_.keep_statistics(stack)
        stack_.start_workers(stack, wards[0], args.oa_limit, workers, batch, args.threads)
        _warm_up(stack, wards, args.residents)
        storm = _storm(stack, wards, burst, args.seconds)
        full = _full_queue(stack, wards, backlog)
        memory = stack_.memory(stack)  # after the storm and the backlog: the high-water mark
    finally:
        stack_.shut_down(stack)
    # The machine's load (1-minute average) around the run: other work slows every figure.
    return {"workers": workers, "batch": batch, **storm, **full, "rss_mib": memory,
            "load": round((load_before + os.getloadavg()[0]) / 2, 1)}


def _vn(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "—"
    text = f"{x:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _checks_line(r: dict) -> str:
    return (f"mất {r['lost_events'] + r['unreplied'] + r['not_done']}, trùng {r['doubled_replies']}, "
            f"sai thứ tự {r['residents_out_of_order']}/{r['residents_with_several_messages']} cư dân, "
            f"phiếu {_vn(r['tickets'])}/{_vn(r['tickets_expected'])}")


def _run_line(r: dict, n: int) -> str:
    return (f"{r['workers']} worker, lô {r['batch']}, lần {n}: p50 {_vn(r['p50_s'], 2)} s, "
            f"p99 {_vn(r['p99_s'], 2)} s, trả lời xong sau {_vn(r['drain_s'], 1)} s; "
            f"hàng đợi đầy: {_vn(r['events_per_s'])} sự kiện/giây, {_vn(r['sends_per_s'])} tin gửi/giây; "
            + _checks_line(r) + f"; tin báo cán bộ còn chờ {_vn(r['alerts_waiting'])}; " + _memory_line(r)
            + f"; tải máy {_vn(r['load'], 1)}")


def _memory_line(r: dict) -> str:
    web, workers = r["rss_mib"]["web"], r["rss_mib"]["workers"]
    return ("bộ nhớ (MiB): web " + " + ".join(_vn(x) for x in web) + ", worker "
            + " · ".join(_vn(x) for x in workers))


def _largest(values: list[float | None]) -> float | None:
    present = [x for x in values if x is not None]
    return max(present) if present else None


def memory_figures(r: dict) -> dict:
    """Per run: the web's master, its largest web worker, the largest event worker (MiB)."""
    web, workers = r["rss_mib"]["web"], r["rss_mib"]["workers"]
    return {"rss_web_master": web[0] if web else None, "rss_web_worker": _largest(web[1:]),
            "rss_worker": _largest(workers)}


def summarise(runs: list[dict]) -> list[dict]:
    """Medians per (workers, batch); the checks add up over the repetitions."""
    out = []
    for key in sorted({(r["workers"], r["batch"]) for r in runs}):
        group = [r for r in runs if (r["workers"], r["batch"]) == key]
        group = [{**r, **memory_figures(r)} for r in group]
        med = {k: statistics.median(r[k] for r in group if r[k] is not None) if any(
            r[k] is not None for r in group) else None
            for k in ("p50_s", "p99_s", "drain_s", "events_per_s", "sends_per_s", "load",
                      "rss_web_master", "rss_web_worker", "rss_worker")}
        sums = {k: sum(r[k] for r in group) for k in (
            "lost_events", "unreplied", "not_done", "doubled_replies", "residents_out_of_order",
            "residents_with_several_messages", "tickets", "tickets_expected", "rate_limited")}
        out.append({"workers": key[0], "batch": key[1], "repeats": len(group),
                    "all_settled": all(r["settled"] for r in group),
                    "all_within": all(r["drain_s"] is not None and r["drain_s"] <= WITHIN_SECONDS
                                      for r in group), **med, **sums})
    return out


def _ratios(summary: list[dict]) -> dict[int, float]:
    ratios = {}
    for workers in sorted({s["workers"] for s in summary}):
        rows = sorted((s for s in summary if s["workers"] == workers), key=lambda s: s["batch"])
        if len(rows) > 1 and rows[0]["events_per_s"] and rows[-1]["events_per_s"]:
            ratios[workers] = rows[-1]["events_per_s"] / rows[0]["events_per_s"]
    return ratios


def main(args) -> int:
    url = args.database_url or ""
    if not url.startswith(("postgres", "sqlite")):
        sys.stderr.write("Cần --database-url trỏ tới máy chủ PostgreSQL (vd. postgresql://127.0.0.1:5432/"
                         "postgres; mỗi lần đo tạo một cơ sở dữ liệu riêng rồi xóa đi), hoặc sqlite:// "
                         "(một tệp tạm cho mỗi lần đo).\n")
        return 2
    if url.startswith("sqlite") and args.workers != "1":
        sys.stderr.write("SQLite chỉ có một worker (một luồng ghi): chạy với --workers 1.\n")
        return 2
    if args.wards < 1 or args.wards > 100 or args.residents < 1:
        sys.stderr.write("--wards từ 1 đến 100, --residents (cư dân mỗi phường) từ 1 trở lên.\n")
        return 2
    args.oa_limit = args.oa_limit or OA_LIMIT_PER_MINUTE
    wards = city(args.wards, args.wards_per_app)
    burst = plan(args.events, args.seconds, args.residents, args.wards)
    backlog = plan(args.backlog, 0.0, args.residents, args.wards, seed=4000)
    worker_counts = [int(x) for x in args.workers.split(",")]
    batches = [int(x) for x in args.batch.split(",")]
    print(f"Bão: {_vn(args.events)} tin trong {_vn(args.seconds)} s, {args.wards} phường × "
          f"{_vn(args.residents)} cư dân ({apps(wards)} ứng dụng Zalo, mỗi ứng dụng giới hạn "
          f"{_vn(args.oa_limit)} yêu cầu/phút, Zalo giả lập trễ {args.latency_ms} ms); "
          f"tồn đọng {_vn(args.backlog)} tin.", flush=True)
    runs = []
    for n in range(1, args.repeats + 1):
        for workers in worker_counts:
            for batch in batches:
                r = run_once(args, wards, workers, batch, burst, backlog)
                runs.append(r)
                print(_run_line(r, n), flush=True)
    summary = summarise(runs)
    print("Trung vị:")
    for s in summary:
        print(f"  {s['workers']} worker, lô {s['batch']}: {_vn(s['events_per_s'])} sự kiện/giây, "
              f"{_vn(s['sends_per_s'])} tin gửi/giây, p50 {_vn(s['p50_s'], 2)} s, p99 {_vn(s['p99_s'], 2)} s, "
              f"xong sau {_vn(s['drain_s'], 1)} s ({'đều' if s['all_within'] else 'không đều'} trong "
              f"2 phút); " + _checks_line(s) + f"; bộ nhớ (MiB): web {_vn(s['rss_web_master'])} + "
              f"{_vn(s['rss_web_worker'])}, worker {_vn(s['rss_worker'])}; tải máy {_vn(s['load'], 1)}")
    ratios = _ratios(summary)
    for workers, ratio in ratios.items():
        print(f"  {workers} worker: lô {max(batches)} xử lý gấp {_vn(ratio, 2)} lần lô {min(batches)}")
    print(json.dumps({"summary": summary, "ratios": ratios, "runs": runs}, ensure_ascii=False))
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", default=None, metavar="URL",
                   help="máy chủ PostgreSQL; mỗi lần đo dùng một CSDL mới tạo trên đó")
    p.add_argument("--workers", default="1,2,4", help="số tiến trình worker, cách nhau bởi dấu phẩy")
    p.add_argument("--batch", default="1,32", help="WORKER_BATCH cần so sánh (1 = mỗi sự kiện một commit)")
    p.add_argument("--threads", type=int, default=None, help="WORKER_THREADS (mặc định của dịch vụ)")
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--wards", type=int, default=100, help="số phường, mỗi phường một OA (1 đến 100)")
    p.add_argument("--residents", type=int, default=200, help="số cư dân mỗi phường")
    p.add_argument("--wards-per-app", type=int, default=10,
                   help="số phường dùng chung một ứng dụng Zalo (chung giới hạn yêu cầu/phút)")
    p.add_argument("--backlog", type=int, default=4000, help="số tin tồn đọng để đo sự kiện/giây")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--latency-ms", type=int, default=50, help="độ trễ mỗi lần gọi Zalo giả lập")
    p.add_argument("--oa-limit", type=int, default=0,
                   help="giới hạn yêu cầu/phút của mỗi ứng dụng Zalo (mặc định 3.800)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bot.bench.typhoon", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
