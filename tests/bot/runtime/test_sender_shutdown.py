"""The sender under load: each send thread keeps its HTTP connection to Zalo, and stopping it
(close()) records every send that finished while a send still waiting for a thread, which never
reached Zalo, goes back to the queue at once."""
from __future__ import annotations

from concurrent.futures import Future

from sqlalchemy import select

from bot.runtime.sender import _Flight, _Job
from storage import outbox
from storage.db import session_scope
from storage.messages import Reply
from storage.models import OutboundMessage


def test_a_send_that_never_started_goes_back_to_the_queue_and_the_others_are_recorded(runtime):
    with session_scope() as s:
        for n, text in enumerate(("một", "hai")):
            outbox.enqueue(s, f"60000000000000000{n}", Reply(text).payload())
    with session_scope() as s:
        jobs = [_Job(r.id, r.ward_id, r.channel, r.recipient_id, r.message, r.attempts) for r in outbox.claim_due(s, 10)]
    delivered, never_started = Future(), Future()
    delivered.set_result((jobs[0], {"message_id": "4321"}, None))
    never_started.cancel()
    runtime.sender._inflight[delivered] = _Flight(jobs[0], 0.0, float("inf"))
    runtime.sender._inflight[never_started] = _Flight(jobs[1], 0.0, float("inf"))
    runtime.sender.close()
    with session_scope() as s:
        rows = {r.id: (r.status, r.zalo_message_id) for r in s.scalars(select(OutboundMessage))}
    assert rows == {jobs[0].id: ("sent", "4321"), jobs[1].id: ("pending", None)}


def test_every_send_thread_keeps_a_connection_to_zalo(runtime, settings):
    sender = runtime.sender
    adapter = runtime.client.session.get_adapter(settings.zalo_api_base)
    assert sender.concurrency == 32
    assert adapter._pool_maxsize == sender._pool_size  # requests' default is 10
