"""kill -9 of the worker at any point: no event lost, none acted on twice; order per resident.

The worker runs as a real subprocess (`python -m bot worker`) against the test database and
the fake Zalo API. A failpoint makes it die with os._exit(137) (like SIGKILL: nothing flushed
or committed) right before committing an event; a soak test also sends real SIGKILLs at random
moments. Zalo's oa_send_* echoes reach the webhook (served over HTTP by the test), so a send
cut by the kill is settled by its echo, or sent again when there is none: exactly once.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Ticket
from tests.support import APP_SECRET, OA_SECRET, ROOT, post_event, text_event

RESIDENT_EVENTS = InboundEvent.event_name.notlike("oa_send%")  # not the echoes of our replies


def worker_env(settings, failpoints: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "HTS_"))}
    env.update(
        DATABASE_URL=settings.database_url,
        ZALO_APP_ID=settings.zalo_app_id, ZALO_APP_SECRET=APP_SECRET,
        ZALO_OA_SECRET_KEY=OA_SECRET, ZALO_OA_ID=settings.zalo_oa_id,
        ZALO_ACCESS_TOKEN=settings.zalo_access_token, ZALO_REFRESH_TOKEN=settings.zalo_refresh_token,
        ZALO_API_BASE=settings.zalo_api_base, ZALO_OAUTH_BASE=settings.zalo_oauth_base,
        LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), OUTBOX_STALE_SECONDS="2",
        OUTBOX_ECHO_WINDOW_SECONDS="2",
    )
    if failpoints:
        env["HTS_FAILPOINTS"] = failpoints
    return env


def start_worker(settings, failpoints: str = "") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "worker", "--no-scheduler"], cwd=ROOT,
                            env=worker_env(settings, failpoints), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def pending() -> tuple[int, int]:
    with session_scope() as s:
        events = s.scalar(select(func.count()).where(InboundEvent.status == "pending"))
        out = s.scalar(select(func.count()).where(
            OutboundMessage.status.in_(("pending", "sending", "unknown"))))
    return events, out


def wait_idle(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pending() == (0, 0):
            return
        time.sleep(0.1)
    raise AssertionError(f"not idle: {pending()}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_kill_before_commit_loses_nothing_and_does_nothing_twice(client, settings, fake_zalo,
                                                                 live_webhook):
    user = "246845883529197922"
    fake_zalo.state.touch_interaction(user)
    for text in ("Cống thoát nước ngõ 4 tổ 6 bị tắc, nước tràn lên đường", "Không có ảnh",
                 "Gửi phản ánh"):
        assert post_event(client, text_event(user, text)).status_code == 200

    crashing = start_worker(settings, failpoints="worker.before_commit=3")
    assert crashing.wait(60) == 137  # died while handling the third event ("Gửi phản ánh")
    with session_scope() as s:
        statuses = list(s.scalars(select(InboundEvent.status).where(RESIDENT_EVENTS).order_by(InboundEvent.id)))
        assert statuses == ["done", "done", "pending"]
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0

    worker = start_worker(settings)
    try:
        wait_idle()
    finally:
        stop(worker)
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert list(s.scalars(select(InboundEvent.status).where(RESIDENT_EVENTS))) == ["done"] * 3
    sent = fake_zalo.state.messages(user)
    with session_scope() as s:
        rows = list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))
    assert len(rows) == 3  # one reply queued per message, none twice
    assert len({m.message["text"] for m in sent}) == len(sent) == 3  # each exactly once
    assert all(r.status == "sent" for r in rows)
    assert "PA-" in sent[-1].message["text"]


def test_random_sigkills_never_duplicate_or_lose(client, settings, fake_zalo, live_webhook):
    users = [f"24684588352919{i:04d}" for i in range(6)]
    rng = random.Random(7)
    for u in users:
        fake_zalo.state.touch_interaction(u)
    n_events = 0
    for round_ in range(5):
        for u in users:
            post_event(client, text_event(u, f"Rác thải đổ trộm ở ngõ {round_} tổ {u[-1]} bốc mùi"))
            n_events += 1
    for _ in range(6):
        proc = start_worker(settings)
        time.sleep(rng.uniform(0.6, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    worker = start_worker(settings)
    try:
        wait_idle(90)
    finally:
        stop(worker)
    with session_scope() as s:
        assert s.scalar(select(func.count()).where(InboundEvent.status == "done", RESIDENT_EVENTS)) == n_events
        rows = list(s.scalars(select(OutboundMessage)))
    assert len(rows) == n_events  # exactly one reply queued per event
    sent = [(m.user_id, m.message["text"]) for m in fake_zalo.state.messages()]
    assert len(sent) == len(set(sent)) == n_events  # every reply reached its resident once
    assert all(r.status == "sent" for r in rows)


def test_two_workers_keep_each_residents_events_in_order(client, settings, fake_zalo):
    users = [f"30000000000000{i:04d}" for i in range(8)]
    for u in users:
        fake_zalo.state.touch_interaction(u)
    for step in range(6):
        for u in users:
            post_event(client, text_event(u, f"tin số {step}"))
    workers = [start_worker(settings), start_worker(settings)]
    try:
        wait_idle(90)
    finally:
        for w in workers:
            stop(w)
    with session_scope() as s:
        for u in users:
            rows = list(s.execute(select(InboundEvent.id, InboundEvent.processed_at)
                                  .where(InboundEvent.user_key == u).order_by(InboundEvent.id)))
            times = [t for _, t in rows]
            assert times == sorted(times), u
        # the reply to each message was queued in the same order as the messages
        for u in users:
            event_ids = list(s.scalars(select(OutboundMessage.event_id)
                                       .where(OutboundMessage.recipient_id == u)
                                       .order_by(OutboundMessage.id)))
            assert event_ids == sorted(event_ids)
