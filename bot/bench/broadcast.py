"""`python -m bot bench-broadcast`: an announcement to 10,000 residents through a real
`python -m bot worker` process, against the fake Zalo API with 50 ms latency and a 4,000
requests/minute limit. Reports the achieved send rate as a fraction of the limit, and the
duplicates after a kill -9 of the worker mid-run (then a restart). Last line: JSON."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[2]
APP_ID, APP_SECRET = "360846524940903967", "bench-app-secret"


def main(args) -> int:
    from bot import announcements
    from bot.fake_zalo import FakeZaloServer, FakeZaloState
    from storage import db
    from storage.migrate import upgrade
    from storage.models import Announcement, OutboundMessage, Resident, ResidentialGroup, utcnow

    url = f"sqlite:///{tempfile.mkdtemp(prefix='hts-broadcast-')}/bench.db"
    upgrade(url)
    db.configure(url)
    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET, access_token="bench-access",
                          refresh_token="bench-refresh", latency_ms=args.latency_ms,
                          rate_limit_per_minute=args.limit)
    now = utcnow()
    users = [f"8{i:017d}" for i in range(args.residents)]
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
        run = announcements.plan_run(s, a, a.next_run_at, min(noon, now))
        s.execute(OutboundMessage.__table__.update().where(
            OutboundMessage.announcement_run_id == run.id).values(next_attempt_at=now))
    fake = FakeZaloServer(state).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_")}
    env.update(DATABASE_URL=url, ZALO_APP_ID=APP_ID, ZALO_APP_SECRET=APP_SECRET,
               ZALO_OA_SECRET_KEY="x", ZALO_OA_ID="1", ZALO_ACCESS_TOKEN="bench-access",
               ZALO_REFRESH_TOKEN="bench-refresh", ZALO_API_BASE=fake.base_url,
               ZALO_OAUTH_BASE=fake.base_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))

    def start():
        return subprocess.Popen([sys.executable, "-m", "bot", "worker", "--no-scheduler"], cwd=ROOT, env=env)

    def sent() -> int:
        return len(state.messages())

    try:
        worker = start()
        while sent() == 0:
            time.sleep(0.05)
        t0 = time.monotonic()
        while sent() < args.residents * 0.4:
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # kill -9 mid-broadcast
        worker.wait()
        killed_at = sent()
        time.sleep(1.0)
        worker = start()
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            with db.session_scope() as s:
                left = s.scalar(select(func.count()).where(OutboundMessage.status.in_(("pending", "sending"))))
            if left == 0:
                break
            time.sleep(0.2)
        t1 = time.monotonic()  # first send to last: includes the kill and the restart
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    finally:
        fake.stop()
    messages = state.messages()
    unique = len({m.user_id for m in messages})
    with db.session_scope() as s:
        reasons = dict(s.execute(select(OutboundMessage.reason, func.count()).where(
            OutboundMessage.status == "failed").group_by(OutboundMessage.reason)).all())
    rate_per_min = len(messages) / (t1 - t0) * 60
    figures = {
        "residents": args.residents, "limit_per_minute": args.limit, "latency_ms": args.latency_ms,
        "achieved_per_minute": round(rate_per_min), "fraction_of_limit": round(rate_per_min / args.limit, 3),
        "sent_before_kill": killed_at, "sent_total": len(messages), "unique_recipients": unique,
        "duplicates": len(messages) - unique, "failed_by_reason": reasons,
        "rate_limited_by_fake": state.stats().get("rate_limited", 0),
    }
    print(f"broadcast to {args.residents}: {figures['achieved_per_minute']}/min = "
          f"{figures['fraction_of_limit']:.1%} of the {args.limit}/min limit; killed -9 after "
          f"{killed_at} sends, restarted; {unique} residents reached, {figures['duplicates']} duplicates, "
          f"failed: {reasons or 'none'}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0
