"""Dead letters: where a record or event that cannot be handled goes, so nothing behind it waits.

A row error (the database refuses this value: NUL, an unencodable character, too long) is the
same on every try, so it is dead-lettered at once after the one row-by-row retry; an outage
(connection refused, timeout, disk) says nothing about the row and is retried, never
dead-lettered: the events stay in the spool or the webhook answers 503.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from storage.clean import clip
from storage.models import DeadLetter, utcnow

_TABLE = DeadLetter.__table__


def is_row_error(exc: BaseException) -> bool:
    """True when the database (or its driver) refused this row's values, not when it is down."""
    return isinstance(exc, (DataError, IntegrityError, UnicodeError, ValueError, TypeError))


def escaped(value) -> str:
    """Any record as storable ASCII text: NUL, lone surrogates and bad bytes become escapes."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)[1:-1]
    return json.dumps(value, ensure_ascii=True, default=str)


def record(conn: Connection | Session, *, source: str, reason: str, payload=None,
           event_key: str | None = None) -> None:
    """Store one dead letter (once per source + record: draining a file twice adds nothing)."""
    body = escaped(payload) if payload is not None else None
    key_text = escaped(event_key)[:255] if event_key is not None else None
    dedupe = hashlib.sha256(f"{source}\x1f{key_text}\x1f{body}".encode()).hexdigest()
    dialect = (conn.get_bind() if isinstance(conn, Session) else conn).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    conn.execute(
        insert(_TABLE)
        .values(source=source, reason=clip(reason, 300), event_key=key_text, payload=body,
                dedupe_key=dedupe, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(DeadLetter.source, func.count()).group_by(DeadLetter.source))
    return {source: n for source, n in rows}


def unalerted(session: Session) -> list[DeadLetter]:
    return list(session.scalars(select(DeadLetter).where(DeadLetter.alerted_at.is_(None))
                                .order_by(DeadLetter.id)))


def last_alert_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(DeadLetter.alerted_at)))


def mark_alerted(session: Session, ids: list[int], at: datetime) -> None:
    if ids:
        session.execute(update(DeadLetter).where(DeadLetter.id.in_(ids)).values(alerted_at=at))
