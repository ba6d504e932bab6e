"""`python -m bot bench-broadcast` (or `python -m bot.bench.broadcast`): an announcement to
10,000 residents through a real `python -m bot worker` process, against the fake Zalo API with
50 ms latency and a 4,000 requests/minute limit, with Zalo's oa_send_* echoes posted to the
service's own webhook (served here over HTTP). The worker is killed with SIGKILL mid-run and
restarted: sends cut by the kill wait for their echo, so every resident is reached exactly
once. Reports the achieved send rate as a fraction of the limit, residents reached,
duplicates and how the cut sends were settled. Last line: JSON."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[2]
APP_ID, APP_SECRET = "360846524940903967", "bench-app-secret"
OA_ID, OA_SECRET = "388613280878808645", "bench-oa-secret"


def run(residents: int = 10000, limit: int = 4000, latency_ms: int = 50, *, kill: bool = True,
        kill_at: float = 0.4, database_url: str | None = None, stale_seconds: int = 5,
        echo_window_seconds: int = 10, timeout: float = 900, echoes: bool = True) -> dict:
    """Run the broadcast; returns the figures. With `database_url` (tests) its tables must
    exist and be empty; without, a fresh SQLite database is made and migrated."""
    from bot.app import create_app
    from bot.bench.live import LiveServer
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState
    from bot.settings import Settings

    database_url = _prepare_database(database_url)
    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET, access_token="bench-access",
                          refresh_token="bench-refresh", latency_ms=latency_ms,
                          rate_limit_per_minute=limit)
    _seed(state, residents)
    settings = Settings(database_url=database_url, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET,
                        zalo_oa_secret_key=OA_SECRET, zalo_oa_id=OA_ID, log_level="WARNING")
    app = create_app(settings)
    webhook = LiveServer(app).start()
    fake = FakeZaloServer(state).start()
    state.configure_webhook(webhook.url + "/webhooks/zalo", OA_SECRET, OA_ID)
    state.echoes = echoes  # False: an OA not subscribed to oa_send_* (cut sends are resent)
    env = _worker_env(database_url, fake.base_url, stale_seconds, echo_window_seconds)
    try:
        t0, t1, killed_at = _broadcast(state, env, residents, kill=kill, kill_at=kill_at, timeout=timeout)
    finally:
        fake.stop()
        webhook.stop()
        app.extensions["hts_inbox"].close()
    measured = _figures(state, t1 - t0)
    rate_per_min = measured["sent_total"] / (t1 - t0) * 60
    return {
        "residents": residents, "limit_per_minute": limit, "latency_ms": latency_ms,
        "achieved_per_minute": round(rate_per_min), "fraction_of_limit": round(rate_per_min / limit, 3),
        "killed": kill, "echoes": echoes, "sent_before_kill": killed_at, **measured,
    }


def _prepare_database(database_url: str | None) -> str:
    from storage import db

    if database_url is None:
        from storage.migrate import upgrade

        database_url = f"sqlite:///{tempfile.mkdtemp(prefix='hts-broadcast-')}/bench.db"
        upgrade(database_url)
    db.configure(database_url)
    return database_url


def _seed(state, residents: int) -> None:
    """`residents` followers in tổ 1, in the fake and in the database, and one announcement to
    the tổ whose sends are all due now."""
    from handlers import announcements
    from storage import db
    from storage.models import Announcement, OutboundMessage, Resident, ResidentialGroup, utcnow

    now = utcnow()
    users = [f"8{i:017d}" for i in range(residents)]
    for u in users:
        state.add_user(u)
    with db.session_scope() as s:
        s.add(ResidentialGroup(code="1", name="Tổ 1"))
        s.flush()
        s.execute(insert(Resident), [dict(zalo_user_id=u, group_code="1", is_follower=True,
                                          last_interaction_at=now, created_at=now, updated_at=now)
                                     for u in users])
        a = Announcement(title="Thông báo", content="Lịch tiêm chủng tháng 12.", targets=["1"],
                         next_run_at=now - timedelta(minutes=1), status="scheduled")
        s.add(a)
        s.flush()
        # Plan as if it were daytime, whatever the hour the benchmark runs at.
        noon = announcements.to_utc(announcements.to_local(now).replace(hour=12, minute=0))
        run_ = announcements.plan_run(s, a, a.next_run_at, min(noon, now))
        s.execute(OutboundMessage.__table__.update().where(
            OutboundMessage.announcement_run_id == run_.id).values(next_attempt_at=now))


def _worker_env(database_url: str, fake_url: str, stale_seconds: int, echo_window_seconds: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "HTS_", "OUTBOX_"))}
    env.update(DATABASE_URL=database_url, ZALO_APP_ID=APP_ID, ZALO_APP_SECRET=APP_SECRET,
               ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_OA_ID=OA_ID, ZALO_ACCESS_TOKEN="bench-access",
               ZALO_REFRESH_TOKEN="bench-refresh", ZALO_API_BASE=fake_url,
               ZALO_OAUTH_BASE=fake_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               OUTBOX_STALE_SECONDS=str(stale_seconds),
               OUTBOX_ECHO_WINDOW_SECONDS=str(echo_window_seconds))
    return env


def _broadcast(state, env: dict, residents: int, *, kill: bool, kill_at: float,
               timeout: float) -> tuple[float, float, int | None]:
    """Run the worker until every send settled, killing it with -9 at `kill_at` of the way and
    restarting it. Returns (first send, last settled, sends before the kill)."""
    from storage import db
    from storage.models import OutboundMessage

    def start():
        return subprocess.Popen([sys.executable, "-m", "bot", "worker", "--no-scheduler"], cwd=ROOT, env=env)

    def sent() -> int:
        return len(state.messages())

    def unfinished() -> int:
        with db.session_scope() as s:
            return s.scalar(select(func.count()).where(
                OutboundMessage.status.in_(("pending", "sending", "unknown"))))

    killed_at = None
    worker = start()
    while sent() == 0:
        time.sleep(0.05)
    t0 = time.monotonic()
    if kill:
        while sent() < residents * kill_at:
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # kill -9 mid-broadcast
        worker.wait()
        killed_at = sent()
        time.sleep(1.0)
        worker = start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and unfinished():
        time.sleep(0.2)
    t1 = time.monotonic()  # first send to last settled: includes the kill and the restart
    worker.send_signal(signal.SIGTERM)
    worker.wait(30)
    return t0, t1, killed_at


def _figures(state, seconds: float) -> dict:
    """What reached whom, from the fake's log and the outbox."""
    from storage import db, outbox
    from storage.models import OutboundMessage

    messages = state.messages()
    per_user = Counter(m.user_id for m in messages)
    with db.session_scope() as s:
        statuses = dict(s.execute(select(OutboundMessage.status, func.count())
                                  .group_by(OutboundMessage.status)).all())
        reasons = dict(s.execute(select(OutboundMessage.reason, func.count()).where(
            OutboundMessage.status == "failed").group_by(OutboundMessage.reason)).all())
        cut = dict(s.execute(select(OutboundMessage.reason, func.count()).where(
            OutboundMessage.unknown_sends > 0).group_by(OutboundMessage.reason)).all())
    stats = state.stats()
    return {
        "sent_total": len(messages),
        "residents_reached": len(per_user), "duplicates": len(messages) - len(per_user),
        "outbox": statuses, "failed_by_reason": reasons,
        # sends the kill cut (in flight, delivered or not): how they ended
        "cut_by_kill": sum(cut.values()), "cut_settled_by_echo": cut.get(outbox.CONFIRMED_BY_ECHO, 0),
        "cut_sent_again": sum(cut.values()) - cut.get(outbox.CONFIRMED_BY_ECHO, 0),
        "echoes_delivered": stats.get("echoes_delivered", 0),
        "rate_limited_by_fake": stats.get("rate_limited", 0),
        "seconds": round(seconds, 1),
    }


def main(args) -> int:
    figures = run(args.residents, args.limit, args.latency_ms, kill=not getattr(args, "no_kill", False),
                  stale_seconds=getattr(args, "stale_seconds", 5),
                  echo_window_seconds=getattr(args, "echo_window", 10),
                  echoes=not getattr(args, "no_echo", False))
    print(f"broadcast to {figures['residents']}: {figures['achieved_per_minute']}/min = "
          f"{figures['fraction_of_limit']:.1%} of the {figures['limit_per_minute']}/min limit; "
          f"killed -9 after {figures['sent_before_kill']} sends, restarted; "
          f"{figures['residents_reached']} residents reached, {figures['duplicates']} duplicates; "
          f"{figures['cut_by_kill']} sends cut by the kill: {figures['cut_settled_by_echo']} settled "
          f"by their echo, {figures['cut_sent_again']} sent again; failed: {figures['failed_by_reason'] or 'none'}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--residents", type=int, default=10000)
    p.add_argument("--limit", type=int, default=4000, help="giới hạn của Zalo giả lập, yêu cầu/phút")
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--kill", dest="no_kill", action="store_false", default=False,
                   help="tắt worker bằng kill -9 giữa chừng rồi chạy lại (mặc định)")
    p.add_argument("--no-kill", dest="no_kill", action="store_true", help="không tắt giữa chừng")
    p.add_argument("--no-echo", action="store_true",
                   help="Zalo giả lập không gửi sự kiện oa_send_* (OA chưa đăng ký)")
    p.add_argument("--stale-seconds", type=int, default=5, help="OUTBOX_STALE_SECONDS của worker")
    p.add_argument("--echo-window", type=int, default=10, help="OUTBOX_ECHO_WINDOW_SECONDS của worker")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bot.bench.broadcast", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
