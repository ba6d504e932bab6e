"""kill -9 of a worker in the middle of a batch, or just before the batch's one commit: the
batch is committed whole or not at all, and after a restart every event is handled once: no
lost event, no second ticket, no second reply. A real `python -m bot worker` subprocess (one
event thread, so the batches are the same on both databases); failpoints make it die with
os._exit(137), like SIGKILL."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Resident, Ticket
from tests.e2e.crashes.test_crash_and_order import RESIDENT_EVENTS, start_worker, stop, wait_idle
from tests.support import post_event, text_event

RESIDENTS = 6
SCRIPT = ("Cống thoát nước ngõ 4 tổ 6 bị tắc, nước tràn lên đường", "Không có ảnh", "Gửi phản ánh")


def _state() -> tuple[Counter, int, int]:
    with session_scope() as s:
        statuses = Counter(s.scalars(select(InboundEvent.status).where(RESIDENT_EVENTS)))
        replies = s.scalar(select(func.count()).select_from(OutboundMessage))
        tickets = s.scalar(select(func.count()).select_from(Ticket))
    return statuses, replies, tickets


@pytest.mark.parametrize("failpoint, committed", [
    # died after handling 4 of the first batch's 6 events (one per resident): none of it stays
    ("worker.after_event=4", 0),
    # died right before committing the second batch: the first is all there, the second not
    ("worker.before_commit=2", RESIDENTS),
])
def test_kill_9_mid_batch_commits_the_batch_whole_or_not_at_all(
        client, settings, fake_zalo, live_webhook, monkeypatch, failpoint, committed):
    monkeypatch.setenv("WORKER_THREADS", "1")
    monkeypatch.setenv("WORKER_BATCH", "32")
    users = [f"32000000000000{i:04d}" for i in range(RESIDENTS)]
    for u in users:
        fake_zalo.state.touch_interaction(u)
    for text in SCRIPT:
        for u in users:
            assert post_event(client, text_event(u, text)).status_code == 200

    crashing = start_worker(settings, failpoints=failpoint)
    assert crashing.wait(60) == 137
    statuses, replies, tickets = _state()
    assert statuses == Counter({"done": committed, "pending": len(SCRIPT) * RESIDENTS - committed}) - Counter()
    assert (replies, tickets) == (committed, 0)  # each committed event's reply, nothing more

    worker = start_worker(settings)
    try:
        wait_idle()
    finally:
        stop(worker)
    statuses, replies, tickets = _state()
    assert statuses == Counter({"done": len(SCRIPT) * RESIDENTS})
    assert (replies, tickets) == (len(SCRIPT) * RESIDENTS, RESIDENTS)  # one reply per event, one ticket each
    sent = Counter((m.user_id, m.message["text"]) for m in fake_zalo.state.messages())
    assert set(sent.values()) == {1} and len(sent) == len(SCRIPT) * RESIDENTS  # each reply once
    with session_scope() as s:
        codes = dict(s.execute(select(Resident.zalo_user_id, Ticket.code).join(
            Ticket, Ticket.resident_id == Resident.id)).all())
    for u in users:
        assert [t for (user, t) in sent if user == u and codes[u] in t], u  # its code reached it
