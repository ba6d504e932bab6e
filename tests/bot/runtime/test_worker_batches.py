"""The worker takes events in batches (issue 14): one commit for up to WORKER_BATCH events, one
event per resident per batch, each event in its own savepoint."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from bot.runtime import failpoints
from storage import db, inbox, outbox
from storage.db import session_scope
from storage.messages import Reply
from storage.models import InboundEvent, OutboundMessage
from tests.support import post_event, text_event

USERS = [f"31000000000000{i:04d}" for i in range(5)]
POSTGRES_ONLY = ("SQLite has one writer: BEGIN IMMEDIATE serialises the worker, so there are no "
                 "concurrent claimers or lock races to test")


def _post_rounds(client, rounds: int, users=USERS) -> None:
    for step in range(rounds):
        for u in users:
            assert post_event(client, text_event(u, f"tin số {step}")).status_code == 200


def _ids(rows) -> list[tuple[str, int]]:
    """(resident, its message number) of claimed rows."""
    return [(r.user_key, int(json.loads(r.payload)["message"]["text"].split()[-1])) for r in rows]


def _record_replies(monkeypatch, fail_on: str | None = None, log: list | None = None):
    """Handlers replaced by one that queues a reply (its work) and raises on `fail_on`."""
    def handler(event, ctx):
        outbox.enqueue(ctx.session, event.user_id, Reply(f"đã nhận {event.text}").payload(),
                       event_id=ctx.event_id)
        if log is not None:
            log.append((event.user_id, event.text))
        if event.text == fail_on:
            raise RuntimeError("boom")
        return True

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("record", handler),))


def test_two_claimers_take_one_event_per_resident_and_never_skip_ahead(client, database_url):
    if not database_url.startswith("postgres"):
        pytest.skip(POSTGRES_ONLY)
    _post_rounds(client, 3)
    first, second, third = db.new_session(), db.new_session(), db.new_session()
    try:
        a = inbox.claim_batch(first, 2)
        assert _ids(a) == [(USERS[0], 0), (USERS[1], 0)]
        # The other claimer skips those two and the residents' later messages behind them.
        b = inbox.claim_batch(second, 32)
        assert _ids(b) == [(u, 0) for u in USERS[2:]]
        inbox.mark_done(first, [r.id for r in a])
        first.commit()
        c = inbox.claim_batch(third, 32)
        assert _ids(c) == [(USERS[0], 1), (USERS[1], 1)]  # next in line, one each
    finally:
        for s in (first, second, third):
            s.rollback()
            s.close()


def test_a_batch_holds_one_event_per_resident_in_arrival_order(client):
    _post_rounds(client, 3)
    with session_scope() as s:
        assert _ids(inbox.claim_batch(s, 32)) == [(u, 0) for u in USERS]


def test_one_commit_for_the_batch_and_a_failing_event_rolls_back_only_itself(
        client, runtime, monkeypatch, settings):
    bad = USERS[2]
    for u in USERS:
        post_event(client, text_event(u, "hỏng" if u == bad else "tin số 0"))
    _record_replies(monkeypatch, fail_on="hỏng")
    monkeypatch.setattr(runtime.worker.nlu, "refresh", lambda: 0)  # its own read, not the batch
    commits = []
    from sqlalchemy import event as sa_event

    listener = lambda conn: commits.append(1)  # noqa: E731
    sa_event.listen(db.get_engine(), "commit", listener)
    try:
        assert runtime.worker.process_next() == len(USERS)
    finally:
        sa_event.remove(db.get_engine(), "commit", listener)
    assert len(commits) == 1
    with session_scope() as s:
        rows = {e.user_key: e for e in s.scalars(select(InboundEvent))}
        replies = list(s.scalars(select(OutboundMessage.recipient_id)))
    assert all(rows[u].status == "done" for u in USERS if u != bad)
    assert rows[bad].status == "pending" and rows[bad].attempts == 1 and "boom" in rows[bad].last_error
    assert sorted(replies) == sorted(u for u in USERS if u != bad)  # its own reply rolled back


def test_an_urgent_alert_in_a_batch_is_committed_before_the_handlers_and_survives_them(
        client, runtime, monkeypatch, settings):
    urgent_user = USERS[1]
    for u in USERS[:3]:
        text = "day dien dut roi xuong duong truoc ngo 8 dang toe lua" if u == urgent_user else "xin chào"
        post_event(client, text_event(u, text))
    monkeypatch.setattr(failpoints, "_POINTS", {"worker.after_urgent_alert": failpoints.RAISE})
    assert runtime.worker.process_next() == 3
    with session_scope() as s:
        statuses = {e.user_key: (e.status, e.attempts) for e in s.scalars(select(InboundEvent))}
        alerts = s.scalar(select(func.count()).where(OutboundMessage.purpose == "officer_alert"))
    assert statuses == {USERS[0]: ("done", 0), urgent_user: ("pending", 1), USERS[2]: ("done", 0)}
    assert alerts == len(settings.officer_zalo_ids)
    monkeypatch.setattr(failpoints, "_POINTS", {})
    assert runtime.worker.drain() == 1
    with session_scope() as s:  # the waiting alert was given the ticket's code, not sent twice
        [alert] = s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert"))
        assert alert.ticket_id is not None


def test_a_batch_commits_as_soon_as_it_took_a_ticket_code_on_postgresql(client, runtime, monkeypatch,
                                                                        database_url):
    """The ticket counter row is locked until the commit: on PostgreSQL the batch ends there so
    other workers' batches do not queue behind it; SQLite (one writer) goes on."""
    from storage import tickets

    def handler(event, ctx):
        if event.user_id == USERS[0]:
            tickets.next_code(ctx.session, "complaint")
        return True

    for u in USERS[:3]:
        post_event(client, text_event(u, "xin chào"))
    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("code", handler),))
    postgres = database_url.startswith("postgres")
    assert runtime.worker.process_next() == (1 if postgres else 3)
    with session_scope() as s:
        done = s.scalar(select(func.count()).where(InboundEvent.status == "done"))
        untouched = s.scalar(select(func.count()).where(InboundEvent.status == "pending",
                                                        InboundEvent.attempts == 0))
    assert (done, untouched) == ((1, 2) if postgres else (3, 0))
    assert runtime.worker.drain() == (2 if postgres else 0)


def test_an_event_that_lost_a_deadlock_is_handled_again_without_counting_a_failure(
        client, settings, monkeypatch, database_url):
    """Two batches whose handlers lock two rows in opposite orders: PostgreSQL breaks the
    deadlock by failing one; that event is not at fault, so it is not a failed attempt."""
    if not database_url.startswith("postgres"):
        pytest.skip(POSTGRES_ONLY)
    from bot.runtime.worker import EventWorker
    from storage.models import TicketSequence
    from tests.conftest import pristine_nlu

    with session_scope() as s:
        s.add_all([TicketSequence(prefix="AA", year=1, last_value=0),
                   TicketSequence(prefix="BB", year=1, last_value=0)])
    both_hold_one = threading.Barrier(2, timeout=10)
    first_try = {"AA-BB": True, "BB-AA": True}

    def lock(session, prefix):
        session.execute(select(TicketSequence).where(TicketSequence.prefix == prefix).with_for_update())

    def handler(event, ctx):
        one, other = event.text.split("-")
        lock(ctx.session, one)
        if first_try[event.text]:
            first_try[event.text] = False
            both_hold_one.wait()
        lock(ctx.session, other)
        return True

    post_event(client, text_event(USERS[0], "AA-BB"))
    post_event(client, text_event(USERS[1], "BB-AA"))
    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("locks", handler),))
    worker = EventWorker(settings.with_overrides(worker_batch=1), pristine_nlu(settings))
    threads = [threading.Thread(target=worker.process_next) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    worker.drain()
    with session_scope() as s:
        rows = list(s.execute(select(InboundEvent.status, InboundEvent.attempts, InboundEvent.last_error)))
    assert rows == [("done", 0, None), ("done", 0, None)]
