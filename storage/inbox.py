"""The durable inbox: insert once per event key, claim in batches, in arrival order per resident."""
from __future__ import annotations

import logging
import os
import threading
from collections import deque

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from storage.models import DEFAULT_WARD_ID, InboundEvent, utcnow
from storage.scoping import ward_of

log = logging.getLogger(__name__)


def _insert_for(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def store_event(
    session: Session,
    *,
    source: str,
    event_key: str,
    event_name: str,
    user_key: str | None,
    payload: str,
    status: str = "pending",
) -> bool:
    """Insert the event unless its key is already there. Returns True when it was new."""
    stmt = (
        _insert_for(session)(InboundEvent)
        .values(
            ward_id=ward_of(session),
            source=source,
            event_key=event_key,
            event_name=event_name,
            user_key=user_key,
            payload=payload,
            status=status,
            attempts=0,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["ward_id", "event_key"])
    )
    return session.execute(stmt).rowcount == 1


def claim_batch(session: Session, limit: int) -> list[InboundEvent]:
    """Up to `limit` pending events, each the oldest pending event of its resident, in arrival
    order, locked for us until our transaction ends.

    On PostgreSQL the row locks (SKIP LOCKED) plus the "no older pending event of the same
    resident" condition mean two workers never handle one resident's events at once or out of
    order: while worker A holds event 1, worker B skips it, and event 2 still has the older
    pending event 1 in front of it. The same condition keeps a batch to one event per resident
    (events without a resident, such as form submissions, are never held back). SQLite runs one
    worker (BEGIN IMMEDIATE serialises it).
    """
    older = aliased(InboundEvent)
    blocked = exists().where(
        and_(
            older.ward_id == InboundEvent.ward_id,  # a Zalo user id is per OA
            older.user_key == InboundEvent.user_key,
            older.status == "pending",
            older.id < InboundEvent.id,
        )
    )
    stmt = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending", ~blocked)
        .order_by(InboundEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=InboundEvent)
    )
    return list(session.execute(stmt).scalars())


def reclaim(session: Session, event_ids: list[int]) -> list[InboundEvent]:
    """After a commit released our claim: those of `event_ids` still pending and not taken by
    another worker meanwhile, locked for us again (SKIP LOCKED: one another worker holds is
    theirs now). Fresh from the database, in arrival order."""
    if not event_ids:
        return []
    stmt = (select(InboundEvent).where(InboundEvent.id.in_(event_ids), InboundEvent.status == "pending")
            .order_by(InboundEvent.id).with_for_update(skip_locked=True)
            .execution_options(populate_existing=True))
    return list(session.execute(stmt).scalars())


def mark_done(session: Session, event_ids: list[int]) -> None:
    """One statement for a batch's handled events."""
    if event_ids:
        session.execute(update(InboundEvent).where(InboundEvent.id.in_(event_ids))
                        .values(status="done", processed_at=utcnow(), last_error=None))


# What PostgreSQL answers when two transactions' locks crossed (two batches filing tickets of two
# kinds in opposite order): the event is not at fault, and it is simply handled again.
LOCK_CONFLICTS = ("40P01", "40001")  # deadlock_detected, serialization_failure


def lost_lock_race(exc: BaseException) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in LOCK_CONFLICTS


def record_failure(session: Session, event_id: int, error: str, max_attempts: int) -> str:
    """Count a failed attempt; after `max_attempts` the event ends `failed` (visible, final)."""
    event = session.get(InboundEvent, event_id, with_for_update=True)
    if event is None or event.status != "pending":
        return event.status if event else "missing"
    event.attempts += 1
    event.last_error = error[-2000:]
    if event.attempts >= max_attempts:
        event.status = "failed"
        event.processed_at = utcnow()
    return event.status


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(InboundEvent.status, func.count()).group_by(InboundEvent.status))
    return {status: n for status, n in rows}


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(InboundEvent.status == "pending")) or 0


class InboxUnavailable(RuntimeError):
    """The event could not be stored in time; the webhook answers 503 and Zalo retries."""


class InboxWriter:
    """Group commit for the webhook path.

    Each request hands its event to one writer thread per process and waits; the thread
    inserts everything waiting with one static INSERT ... ON CONFLICT DO NOTHING, executed for
    the whole batch (insert_rows), and one commit, then wakes the requests. A request still gets its 200 only after its event
    is committed, but 60 concurrent requests cost one transaction instead of 60 — which is
    what keeps SQLite's write lock (and PostgreSQL's WAL flush) off the latency path.
    """

    MAX_BATCH = 500

    def __init__(self, engine_getter, writers: int | None = None, on_stored=None):
        self._engine_getter = engine_getter
        self._on_stored = on_stored or (lambda: None)
        self._queue: deque = deque()
        self._cv = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._pid = None
        self._writers = writers
        self._table = InboundEvent.__table__

    def _ensure_thread(self) -> None:
        # Started lazily and per process: a thread does not survive a fork (gunicorn --preload).
        if self._pid == os.getpid() and all(t.is_alive() for t in self._threads):
            return
        self._pid = os.getpid()
        # One writer per process measured best on both databases (bench-ingest): more writers
        # only split the batches and add round trips.
        n = self._writers or 1
        self._threads = [threading.Thread(target=self._run, name=f"inbox-writer-{i}", daemon=True)
                         for i in range(n)]
        for t in self._threads:
            t.start()

    def submit(self, row: dict, timeout: float = 1.5) -> None:
        """Store one event (once per event_key); returns when it is committed."""
        done = threading.Event()
        slot = {"row": row, "done": done, "error": None}
        with self._cv:
            self._ensure_thread()
            self._queue.append(slot)
            self._cv.notify()
        if not done.wait(timeout):
            raise InboxUnavailable("timed out waiting for the inbox commit")
        if slot["error"] is not None:
            raise InboxUnavailable(str(slot["error"])) from slot["error"]

    def backlog_bytes(self) -> int:
        return 0  # nothing is acknowledged before it is committed

    def flush(self) -> bool:
        return True

    def close(self) -> None:
        pass  # its writer thread only waits; nothing is held back

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue:
                    self._cv.wait()
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.MAX_BATCH))]
            try:
                self._write([s["row"] for s in batch])
            except Exception as exc:  # an outage: the requests answer 503; Zalo delivers again
                for slot in batch:
                    slot["error"] = exc
            for slot in batch:
                slot["done"].set()

    def _write(self, rows: list[dict]) -> None:
        store_rows(self._engine_getter(), rows, source="inbox")
        self._on_stored()


_INSERT_COLUMNS = ("ward_id", "source", "event_key", "event_name", "user_key", "payload", "status")


def insert_rows(engine, rows: list[dict]) -> None:
    """Insert raw events in one transaction, once per event key (a repeat is a no-op).

    One static statement, executemany: no per-batch SQL compilation on the hot path."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    placeholders = ", ".join([mark] * len(_INSERT_COLUMNS))
    sql = (
        f"INSERT INTO inbound_events ({', '.join(_INSERT_COLUMNS)}, attempts, received_at) "
        f"VALUES ({placeholders}, 0, {mark}) ON CONFLICT (ward_id, event_key) DO NOTHING"
    )
    now = utcnow()
    params = [(r.get("ward_id", DEFAULT_WARD_ID),) + tuple(r[c] for c in _INSERT_COLUMNS[1:]) + (now,)
              for r in rows]
    with engine.begin() as conn:
        conn.exec_driver_sql(sql, params)


def store_rows(engine, rows: list[dict], *, source: str) -> int:
    """insert_rows() that one bad row cannot fail: if the batch is refused for a row's values,
    each row is tried alone and the ones the database still refuses become dead letters
    (storage.deadletters), so the others are stored. An outage raises, and nothing is
    dead-lettered. Returns how many rows were dead-lettered."""
    from storage import deadletters
    from storage.clean import redact_error

    try:
        insert_rows(engine, rows)
        return 0
    except Exception as exc:
        if not deadletters.is_row_error(exc):
            raise
    dead = 0
    for row in rows:
        try:
            insert_rows(engine, [row])
        except Exception as exc:
            if not deadletters.is_row_error(exc):
                raise
            log.error("inbox: CSDL từ chối một sự kiện, đã chuyển vào thư chết (%s)", redact_error(exc))
            with engine.begin() as conn:
                deadletters.record(conn, source=source, reason=redact_error(exc), payload=row,
                                   event_key=row.get("event_key"))
            dead += 1
    return dead
