"""The outbox: messages to Zalo wait here until they end `sent` or `failed` with a reason."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from storage.models import OutboundMessage, utcnow

# A row left in `sending` by a killed process: we cannot know whether Zalo got it. Sending it
# again could make a resident receive the same reply twice, so it ends `failed` with this
# reason (visible on /healthz and the CLI) instead. The window is a few milliseconds wide.
INTERRUPTED = "interrupted_during_send"


def enqueue(
    session: Session,
    recipient_id: str,
    message: dict,
    *,
    purpose: str = "reply",
    channel: str = "zalo_cs",
    ticket_id: int | None = None,
    event_id: int | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    announcement_run_id: int | None = None,
    route: str | None = None,
) -> OutboundMessage:
    row = OutboundMessage(
        channel=channel,
        recipient_id=str(recipient_id),
        message=message,
        purpose=purpose,
        status="pending",
        attempts=0,
        next_attempt_at=not_before or utcnow(),
        ticket_id=ticket_id,
        event_id=event_id,
        dedupe_key=dedupe_key,
        announcement_run_id=announcement_run_id,
        route=route,
    )
    session.add(row)
    session.flush()
    return row


def claim_due(session: Session, limit: int, now: datetime | None = None) -> list[OutboundMessage]:
    """Due rows, at most one per recipient and never ahead of an older unfinished row for the
    same recipient, so a resident's messages arrive in the order they were written."""
    now = now or utcnow()
    older = aliased(OutboundMessage)
    blocked = exists().where(
        and_(
            older.recipient_id == OutboundMessage.recipient_id,
            older.status.in_(("pending", "sending")),
            older.id < OutboundMessage.id,
        )
    )
    stmt = (
        select(OutboundMessage)
        .where(
            OutboundMessage.status == "pending",
            OutboundMessage.next_attempt_at <= now,
            ~blocked,
        )
        .order_by(OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundMessage)
    )
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.status = "sending"
        row.sending_since = now
        row.attempts += 1
    return rows


def mark_sent(session: Session, row_id: int, zalo_message_id: str | None) -> None:
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id)
        .values(status="sent", sent_at=utcnow(), zalo_message_id=zalo_message_id, reason=None)
    )


def mark_failed(session: Session, row_id: int, reason: str, code: int | None, error: str) -> None:
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id)
        .values(status="failed", reason=reason, last_error_code=code, last_error=error[:2000])
    )


def schedule_retry(
    session: Session, row_id: int, at: datetime, reason: str, code: int | None, error: str
) -> None:
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id)
        .values(
            status="pending",
            next_attempt_at=at,
            reason=reason,
            last_error_code=code,
            last_error=error[:2000],
            sending_since=None,
        )
    )


def fail_interrupted(session: Session, stale_after: timedelta) -> int:
    """Rows stuck in `sending` longer than any send can take belong to a killed process."""
    cutoff = utcnow() - stale_after
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending", OutboundMessage.sending_since < cutoff)
        .values(status="failed", reason=INTERRUPTED)
    )
    return result.rowcount


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
    )
    return {status: n for status, n in rows}


def failure_reasons(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboundMessage.reason, func.count())
        .where(OutboundMessage.status == "failed")
        .group_by(OutboundMessage.reason)
    )
    return {reason or "unknown": n for reason, n in rows}
