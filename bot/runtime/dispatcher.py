"""Turns one stored inbound event into handler calls, inside the caller's transaction.

Middleware, in order: drop what no handler should see (echoes of the OA's own messages,
receipts, unknown events); load the resident and remember the interaction time (Zalo's reply
window); load the conversation, expiring it first if it went quiet; then the handlers.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.settings import Settings
from handlers import registry
from handlers.context import Context, Nlu
from handlers.registry import HANDLERS
from storage import residents
from storage.messages import Inbound
from storage.models import IDLE, utcnow

log = logging.getLogger(__name__)


def _event_time(event: Inbound, now: datetime) -> datetime:
    if event.timestamp_ms:
        try:
            at = datetime.fromtimestamp(event.timestamp_ms / 1000, timezone.utc).replace(tzinfo=None)
            return min(at, now)
        except (OverflowError, OSError, ValueError):
            pass
    return now


def dispatch(session: Session, settings: Settings, nlu: Nlu, event: Inbound,
             event_id: int | None = None) -> str | None:
    """Run the handlers for `event`. Returns the name of the handler that took it (or None)."""
    if not event.actionable:
        return None
    now = utcnow()
    resident = residents.get_or_create(session, event.user_id)
    if event.kind != "unfollow":
        residents.touch_interaction(resident, _event_time(event, now))
    conversation = residents.conversation_for(session, resident)
    timeout = timedelta(minutes=settings.conversation_timeout_minutes)
    if conversation.state != IDLE and conversation.updated_at < now - timeout:
        registry.expire(session, settings, conversation)
    ctx = Context(session=session, settings=settings, nlu=nlu, resident=resident,
                  conversation=conversation, now=now, event_id=event_id, text=event.text or "")
    for name, handler in HANDLERS:
        if handler(event, ctx):
            log.debug("event %r handled by %s", event.event_key[:80], name)  # repr: no raw line breaks
            return name
    return None
