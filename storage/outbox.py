"""The outbox: messages to Zalo wait here until they end `sent` or `failed` with a reason.

A send whose outcome is unknown (the client timed out or the connection broke after Zalo may
have delivered it, or the process died mid-send) goes to status `unknown`. Zalo echoes every
message the OA sends as an `oa_send_*` webhook event (recipient id, msg_id, text); the webhook
stores it in `inbound_events` like any event (status `ignored`, user_key = the recipient).
`settle_unknown` looks there: an echo of the same content for the same recipient, received
after the row's first attempt and not already claimed by another row, means sent. No echo
within the window: send again, a bounded number of times, then `failed/failed_unknown_outcome`.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, exists, func, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from storage.models import DEFAULT_WARD_ID, InboundEvent, OutboundMessage, utcnow

UNKNOWN = "unknown"
# Rows still on their way: a resident's later message waits behind them (order per resident).
UNFINISHED = ("pending", "sending", UNKNOWN)
FAILED_UNKNOWN_OUTCOME = "failed_unknown_outcome"
CONFIRMED_BY_ECHO = "confirmed_by_echo"   # on a `sent` row: its echo, not the API, said so
# Why a row became `unknown` when its process died mid-send (old rows: `failed` with it).
INTERRUPTED = "interrupted_during_send"
ECHO_PREFIX = "oa_send"
# Our clock stamps received_at; an echo is looked for from this long before the first attempt.
ECHO_CLOCK_MARGIN = timedelta(seconds=2)
_SPACES = re.compile(r"\s+")


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


def claim_due(session: Session, limit: int, now: datetime | None = None, *,
              skip_wards=(), admit=None) -> list[OutboundMessage]:
    """Due rows, at most one per recipient and never ahead of an older unfinished row for the
    same recipient (an `unknown` one included), so a resident's messages arrive in order.

    The longest-due first: that order is the (status, next_attempt_at) index's, so a claim reads
    a few due rows and stops. In id order it read every pending row (10,000 after a storm:
    150 ms a claim here) or walked past every row ever sent; the order per recipient is the
    anti-join's doing, not the sort's.

    Rows of `skip_wards` are not looked at; a row `admit(row)` refuses stays pending as it was
    (the sender's rate limit per Zalo app)."""
    now = now or utcnow()
    older = aliased(OutboundMessage)
    blocked = exists().where(
        and_(
            older.ward_id == OutboundMessage.ward_id,  # a Zalo user id is per OA
            older.recipient_id == OutboundMessage.recipient_id,
            older.status.in_(UNFINISHED),
            older.id < OutboundMessage.id,
        )
    )
    stmt = (
        select(OutboundMessage)
        .where(
            OutboundMessage.status == "pending",
            OutboundMessage.next_attempt_at <= now,
            OutboundMessage.ward_id.not_in(list(skip_wards)) if skip_wards else true(),
            ~blocked,
        )
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundMessage)
    )
    rows = list(session.execute(stmt).scalars())
    if admit is not None:
        rows = [row for row in rows if admit(row)]
    for row in rows:
        row.status = "sending"
        row.sending_since = now
        row.attempts += 1
        if row.first_attempt_at is None:
            row.first_attempt_at = now
    return rows


def _this_attempt(row_id: int, attempts: int | None, statuses: tuple[str, ...]):
    """Where-clause for recording one attempt's result: a late answer (the row was meanwhile
    declared unknown, or sent again) must not overwrite a newer state."""
    clause = [OutboundMessage.id == row_id]
    if attempts is not None:
        clause += [OutboundMessage.attempts == attempts, OutboundMessage.status.in_(statuses)]
    return clause


def mark_sent(session: Session, row_id: int, zalo_message_id: str | None,
              attempts: int | None = None) -> bool:
    result = session.execute(
        update(OutboundMessage)
        .where(*_this_attempt(row_id, attempts, ("sending", UNKNOWN)))
        .values(status="sent", sent_at=utcnow(), zalo_message_id=zalo_message_id, reason=None)
    )
    return result.rowcount > 0


def mark_failed(session: Session, row_id: int, reason: str, code: int | None, error: str,
                attempts: int | None = None) -> None:
    session.execute(
        update(OutboundMessage)
        .where(*_this_attempt(row_id, attempts, ("sending",)))
        .values(status="failed", reason=reason, last_error_code=code, last_error=error[:2000])
    )


def schedule_retry(
    session: Session, row_id: int, at: datetime, reason: str, code: int | None, error: str,
    attempts: int | None = None,
) -> None:
    session.execute(
        update(OutboundMessage)
        .where(*_this_attempt(row_id, attempts, ("sending",)))
        .values(
            status="pending",
            next_attempt_at=at,
            reason=reason,
            last_error_code=code,
            last_error=error[:2000],
            sending_since=None,
        )
    )


def mark_unknown(session: Session, row_id: int, attempts: int, cause: str, code: int | None,
                 error: str, now: datetime | None = None) -> bool:
    """Zalo may or may not have delivered this attempt: wait for its echo (settle_unknown)."""
    result = session.execute(
        update(OutboundMessage)
        .where(*_this_attempt(row_id, attempts, ("sending",)))
        .values(status=UNKNOWN, unknown_since=now or utcnow(),
                unknown_sends=OutboundMessage.unknown_sends + 1, reason=cause[:64],
                last_error_code=code, last_error=error[:2000])
    )
    return result.rowcount > 0


def recover_interrupted(session: Session, stale_after: timedelta, now: datetime | None = None) -> int:
    """Rows stuck in `sending` longer than any send can take belong to a killed process: the
    send may have reached Zalo or not, so they wait for an echo like a timed-out send. The
    window starts now, not at the send: a process that died took its web side down too
    (`serve`), and Zalo redelivers the echo when the webhook answers again."""
    now = now or utcnow()
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.status == "sending", OutboundMessage.sending_since < now - stale_after)
        .values(status=UNKNOWN, unknown_since=now, unknown_sends=OutboundMessage.unknown_sends + 1,
                reason=INTERRUPTED)
    )
    return result.rowcount


# ---- Echoes ---------------------------------------------------------------------------------
def _norm_text(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _text_of(message: dict) -> str | None:
    text = message.get("text") if isinstance(message, dict) else None
    return _norm_text(text) or None if isinstance(text, str) else None


def _kind_of(message: dict) -> str:
    """What the echo's event name says the message was: oa_send_<kind>."""
    payload = ((message or {}).get("attachment") or {}).get("payload") or {}
    template = payload.get("template_type") if isinstance(payload, dict) else None
    if template == "media":
        return "image"
    if template == "request_user_info":
        return "list"
    return "text"


@dataclass(frozen=True)
class Echo:
    event_id: int
    recipient_id: str
    msg_id: str
    kind: str
    text: str | None
    received_at: datetime
    ward_id: int = DEFAULT_WARD_ID  # the OA that sent it: one Zalo user id may be in two wards

    def matches(self, message: dict) -> bool:
        """Same content: equal texts (NFC, spacing folded) when both carry one; else the same
        kind (an image echo may or may not repeat its caption)."""
        ours = _text_of(message)
        if ours is not None and self.text is not None:
            return ours == self.text
        return self.kind == _kind_of(message)


def parse_echo(event_id: int, user_key: str | None, payload: str, received_at: datetime,
               ward_id: int = DEFAULT_WARD_ID) -> Echo | None:
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    name = str(body.get("event_name") or "")
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
    sender = body.get("sender") if isinstance(body.get("sender"), dict) else {}
    if sender.get("admin_id"):
        return None  # typed by an officer in the OA chat tool: never one of our sends
    recipient_id = str(recipient.get("id") or user_key or "")
    kind = name[len(ECHO_PREFIX) + 1:].replace("group_", "", 1) or "text"
    msg_id = str(message.get("msg_id") or "") or f"echo-event:{event_id}"
    return Echo(event_id, recipient_id, msg_id[:64], kind, _text_of(message), received_at, ward_id)


def _echoes_for(session: Session, recipients: set[str], since: datetime) -> list[Echo]:
    rows = session.execute(
        select(InboundEvent.id, InboundEvent.user_key, InboundEvent.payload, InboundEvent.received_at,
               InboundEvent.ward_id)
        .where(InboundEvent.user_key.in_(recipients),
               InboundEvent.event_name.like(ECHO_PREFIX + "%"),
               InboundEvent.received_at >= since)
        .order_by(InboundEvent.id)
    )
    echoes = [parse_echo(*row) for row in rows]
    return [e for e in echoes if e is not None and e.recipient_id in recipients]


@dataclass
class Settled:
    confirmed: int = 0
    resent: int = 0
    dead: int = 0


def settle_unknown(session: Session, *, window: timedelta, max_sends: int,
                   as_sent: Callable[[dict], dict], now: datetime | None = None,
                   limit: int = 500) -> Settled:
    """Settle `unknown` rows: an echo of theirs means sent; none within `window` of becoming
    unknown means send again, up to `max_sends` sends of unknown outcome, then dead letter.
    `as_sent` gives a row's payload the shape it was sent in (the sender's zalo_message), which
    is what the echo repeats: a text cut to Zalo's limit, a picture's caption.

    An echo settles at most one row (its msg_id is stored on the row it settled, and a row
    sent normally already holds its own), so an echo of an earlier identical reply can never
    settle a later one. Echoes of messages the OA sent some other way (an officer typing in
    the OA chat tool) match no row and are left alone."""
    now = now or utcnow()
    out = Settled()
    rows = list(session.execute(
        select(OutboundMessage).where(OutboundMessage.status == UNKNOWN)
        .order_by(OutboundMessage.id).limit(limit)
        .with_for_update(skip_locked=True, of=OutboundMessage)).scalars())
    if not rows:
        return out
    recipients = {r.recipient_id for r in rows}
    since = min(r.first_attempt_at or r.created_at for r in rows) - ECHO_CLOCK_MARGIN
    echoes = _echoes_for(session, recipients, since)
    sent = {row.id: as_sent(row.message) for row in rows}
    taken: set[str] = set()
    if echoes:
        taken = set(session.scalars(select(OutboundMessage.zalo_message_id).where(
            OutboundMessage.zalo_message_id.in_({e.msg_id for e in echoes}))))
    for row in rows:
        start = (row.first_attempt_at or row.created_at) - ECHO_CLOCK_MARGIN
        echo = next((e for e in echoes if e.recipient_id == row.recipient_id and e.ward_id == row.ward_id
                     and e.received_at >= start and e.msg_id not in taken
                     and e.matches(sent[row.id])), None)
        if echo is not None:
            taken.add(echo.msg_id)
            row.status, row.zalo_message_id, row.sent_at = "sent", echo.msg_id, echo.received_at
            row.reason = CONFIRMED_BY_ECHO
            out.confirmed += 1
        elif now - (row.unknown_since or now) >= window:
            if row.unknown_sends >= max_sends:
                row.last_error = (f"no oa_send echo within {int(window.total_seconds())} s after "
                                  f"{row.unknown_sends} send(s) of unknown outcome; last: {row.reason}")
                row.status, row.reason = "failed", FAILED_UNKNOWN_OUTCOME
                out.dead += 1
            else:
                row.status, row.next_attempt_at, row.sending_since = "pending", now, None
                out.resent += 1
    return out


def echo_health(session: Session) -> dict:
    """Has Zalo ever sent us an oa_send_* echo? Without them every unknown-outcome send is sent
    again after the window, so the OA's webhook must subscribe to those events."""
    last_echo = session.scalar(select(func.max(InboundEvent.received_at))
                               .where(InboundEvent.event_name.like(ECHO_PREFIX + "%")))
    # Sends Zalo took (sent), or may have taken (an unknown outcome at least once).
    sent = session.scalar(select(func.count()).where(
        or_(OutboundMessage.status == "sent", OutboundMessage.unknown_sends > 0),
        OutboundMessage.channel.in_(("zalo_cs", "zalo_group")))) or 0
    warning = None
    if sent and last_echo is None:
        warning = (f"Đã gửi {sent} tin nhưng chưa từng nhận sự kiện oa_send_* từ Zalo: hãy bật các sự "
                   "kiện oa_send_text, oa_send_image, oa_send_list, oa_send_gif, oa_send_file, "
                   "oa_send_sticker cho webhook. Thiếu chúng, tin không rõ kết quả sẽ được gửi lại "
                   "sau cửa sổ chờ và cư dân có thể nhận trùng.")
    return {"last_echo_at": last_echo.isoformat(timespec="seconds") if last_echo else None,
            "sent": sent, "warning": warning}


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
