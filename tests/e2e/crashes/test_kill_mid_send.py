"""kill -9 of the worker while residents' ticket codes go out: every code reaches its
resident exactly once. The worker is a real `python -m bot worker` subprocess; a failpoint
kills it (os._exit, like SIGKILL) right after Zalo accepted a message and before the outbox
recorded it, the worst moment; echoes reach the webhook served by the test."""
from __future__ import annotations

import re
import time
from collections import Counter

from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Resident, Ticket
from tests.e2e.crashes.test_crash_and_order import start_worker, stop
from tests.support import post_event, text_event

RESIDENTS = 40
ECHO_ENV = {"OUTBOX_ECHO_WINDOW_SECONDS": "2"}


def _unfinished() -> tuple[int, int]:
    with session_scope() as s:
        events = s.scalar(select(func.count()).where(InboundEvent.status == "pending"))
        out = s.scalar(select(func.count()).where(
            OutboundMessage.status.in_(("pending", "sending", "unknown"))))
    return events, out


def test_two_kills_while_40_ticket_codes_go_out_deliver_each_code_exactly_once(
        client, runtime, settings, fake_zalo, live_webhook, monkeypatch):
    for key, value in ECHO_ENV.items():
        monkeypatch.setenv(key, value)
    users = [f"55000000000000{i:04d}" for i in range(RESIDENTS)]
    for u in users:
        fake_zalo.state.touch_interaction(u)
    for text in ("Cống thoát nước ngõ 4 tổ 6 bị tắc, nước tràn lên đường", "Không có ảnh", "Gửi phản ánh"):
        for u in users:
            assert post_event(client, text_event(u, text)).status_code == 200
    # The conversations run here (the replies are queued, 40 of them with a ticket code);
    # the kills then land on the sending alone.
    assert runtime.worker.drain() == 3 * RESIDENTS
    replies = 3 * RESIDENTS
    # Each process counts its own sends: the first dies at its 90th (codes go out from the
    # 81st on), the second at its 12th.
    for at in (90, 12):
        proc = start_worker(settings, failpoints=f"sender.after_send={at}")
        assert proc.wait(120) == 137
    worker = start_worker(settings)
    try:
        deadline = time.monotonic() + 90
        while _unfinished() != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _unfinished() == (0, 0)
    finally:
        stop(worker)

    sent = [(m.user_id, m.message.get("text", "")) for m in fake_zalo.state.messages()]
    duplicates = [k for k, n in Counter(sent).items() if n > 1]
    assert not duplicates                              # nothing reached a resident twice
    assert len(sent) == replies                        # and nothing was lost
    with session_scope() as s:
        codes = dict(s.execute(select(Resident.zalo_user_id, Ticket.code)
                               .join(Ticket, Ticket.resident_id == Resident.id)).all())
        statuses = Counter(s.scalars(select(OutboundMessage.status)))
        unknown_settled = s.scalar(select(func.count()).where(OutboundMessage.unknown_sends > 0))
    assert len(codes) == RESIDENTS and statuses == {"sent": replies}
    for u in users:
        got = [t for user, t in sent if user == u and codes[u] in t]
        assert len(got) == 1, (u, got)                 # each code exactly once
    assert unknown_settled >= 2                        # the kills did cut sends mid-way
    assert all(re.search(r"PA-\d{4}-\d+", codes[u]) for u in users)
