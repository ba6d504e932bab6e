"""The durable inbox: insert once per event key, claim in arrival order per resident."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from storage.models import InboundEvent, utcnow


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
            source=source,
            event_key=event_key,
            event_name=event_name,
            user_key=user_key,
            payload=payload,
            status=status,
            attempts=0,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["event_key"])
    )
    return session.execute(stmt).rowcount == 1


def claim_next(session: Session) -> InboundEvent | None:
    """The oldest pending event whose resident has no older pending event, locked for us.

    On PostgreSQL the row lock (SKIP LOCKED) plus the "no older pending event of the same
    resident" condition mean two workers never handle one resident's events at once or out of
    order: while worker A holds event 1, worker B skips it, and event 2 still has the older
    pending event 1 in front of it. SQLite runs one worker (BEGIN IMMEDIATE serialises it).
    """
    older = aliased(InboundEvent)
    blocked = exists().where(
        and_(
            older.user_key == InboundEvent.user_key,
            older.status == "pending",
            older.id < InboundEvent.id,
        )
    )
    stmt = (
        select(InboundEvent)
        .where(InboundEvent.status == "pending", ~blocked)
        .order_by(InboundEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=InboundEvent)
    )
    return session.execute(stmt).scalars().first()


def mark(session: Session, event_id: int, status: str, error: str | None = None) -> None:
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id)
        .values(status=status, processed_at=utcnow(), last_error=error)
    )


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
