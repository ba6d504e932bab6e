"""A send whose outcome is unknown is settled by its own OA's oa_send_* echo only: one Zalo
user id may be a resident of two wards, and both wards send the same standard replies."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox import payloads
from storage import outbox
from storage.db import session_scope
from storage.messages import Reply
from storage.models import OutboundMessage, utcnow
from storage.scoping import ALL_WARDS
from tests.e2e.wards.conftest import RESIDENT

TEXT = "Dạ, phường đã nhận tin của bác."


def _unknown_send(ward_id: int) -> int:
    """A send that may or may not have reached Zalo (a timeout): it waits for its echo."""
    since = utcnow() - timedelta(seconds=1)
    with session_scope(ward_id) as s:
        row = outbox.enqueue(s, RESIDENT, Reply(TEXT).payload())
        row.status, row.attempts, row.unknown_sends = "unknown", 1, 1
        row.first_attempt_at = row.unknown_since = since
        return row.id


def test_an_echo_settles_only_a_send_of_its_own_ward(city):
    a, b = city.a, city.b
    a_row, b_row = _unknown_send(a.id), _unknown_send(b.id)
    # Zalo echoes ward B's message (it went through); ward A's never reached Zalo.
    echo = {"app_id": b.app_id, "oa_id": b.oa_id, "user_id_by_app": "", "event_name": "oa_send_text",
            "timestamp": payloads.now_ms(), "sender": {"id": b.oa_id}, "recipient": {"id": RESIDENT},
            "message": {"msg_id": "echo-of-b", "text": TEXT}}
    city.post(b, echo)
    city.runtime.sender.settle_unknown()
    with session_scope(ALL_WARDS) as s:
        rows = {r.id: (r.status, r.zalo_message_id) for r in s.scalars(select(OutboundMessage))}
    assert rows[b_row] == ("sent", "echo-of-b")
    assert rows[a_row] == ("unknown", None)      # still waiting: sent again after the window
