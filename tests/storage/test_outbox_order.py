"""The sender claims the longest-due rows first (storage.outbox.claim_due), and still never a
recipient's message ahead of an older one on its way to the same recipient."""
from __future__ import annotations

from datetime import timedelta

from storage import outbox
from storage.db import session_scope
from storage.messages import Reply
from storage.models import utcnow


def _queue(session, recipient: str, text: str, due_seconds_ago: int):
    return outbox.enqueue(session, recipient, Reply(text).payload(),
                          not_before=utcnow() - timedelta(seconds=due_seconds_ago)).id


def test_longest_due_first_across_recipients_in_order_within_one(clean_db):
    with session_scope() as s:
        a1 = _queue(s, "600000000000000001", "một", 10)
        b1 = _queue(s, "600000000000000002", "một", 60)   # queued later, due sooner
        a2 = _queue(s, "600000000000000001", "hai", 120)  # due first, but a1 is older
    with session_scope() as s:
        assert [r.id for r in outbox.claim_due(s, 1)] == [b1]
    with session_scope() as s:
        assert [r.id for r in outbox.claim_due(s, 10)] == [a1]  # a2 waits behind a1
    assert a2 > a1
