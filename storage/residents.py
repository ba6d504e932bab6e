"""Residents and their stored conversation state."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import IDLE, Conversation, Resident, utcnow
from storage.scoping import ward_of


def get_or_create(session: Session, zalo_user_id: str) -> Resident:
    """Race-free under concurrent workers: insert-if-absent, then read."""
    resident = session.scalar(select(Resident).where(Resident.zalo_user_id == zalo_user_id))
    if resident is not None:
        return resident
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    session.execute(
        insert(Resident)
        .values(ward_id=ward_of(session), zalo_user_id=zalo_user_id, is_follower=False,
                created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["ward_id", "zalo_user_id"])
    )
    return session.scalar(select(Resident).where(Resident.zalo_user_id == zalo_user_id))


def touch_interaction(resident: Resident, at: datetime) -> None:
    """Remember the resident's last message: it opens Zalo's reply window."""
    if resident.last_interaction_at is None or at > resident.last_interaction_at:
        resident.last_interaction_at = at


def conversation_for(session: Session, resident: Resident) -> Conversation:
    # Locked, so the stalled-conversation sweep cannot expire it under a worker handling it.
    conv = session.scalar(
        select(Conversation).where(Conversation.resident_id == resident.id).with_for_update()
    )
    if conv is None:
        conv = Conversation(resident_id=resident.id, state=IDLE, data={}, updated_at=utcnow())
        session.add(conv)
        session.flush()
    return conv


def set_state(conv: Conversation, state: str, data: dict | None = None) -> None:
    conv.state = state
    # Assign a new dict so SQLAlchemy sees the JSON change.
    conv.data = dict(data) if data is not None else {}
    conv.updated_at = utcnow()


def stalled_conversations(session: Session, older_than: datetime) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.state != IDLE, Conversation.updated_at < older_than)
            .with_for_update(skip_locked=True)
        )
    )
