"""Tickets: codes, creation, lookup, audited changes."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from intents.when import LOCAL_TZ
from storage.models import Attachment, Ticket, TicketEvent, TicketSequence, utcnow
from storage.scoping import ward_of
from storage.vocab import KIND_PREFIX, STATUSES

def local_now() -> datetime:
    return datetime.now(LOCAL_TZ)


def to_local(naive_utc: datetime | None) -> datetime | None:
    if naive_utc is None:
        return None
    return naive_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ)


def next_code(session: Session, kind: str, year: int | None = None) -> str:
    """PA-2026-0001 style codes, one sequence per ward, prefix and year, safe across workers:
    the sequence row is locked for the rest of the transaction."""
    prefix = KIND_PREFIX[kind]
    year = year or local_now().year
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(TicketSequence)
        .values(ward_id=ward_of(session), prefix=prefix, year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["ward_id", "prefix", "year"])
    )
    seq = session.execute(
        select(TicketSequence)
        .where(TicketSequence.prefix == prefix, TicketSequence.year == year)
        .with_for_update()
    ).scalar_one()
    seq.last_value += 1
    session.flush()
    return f"{prefix}-{year}-{seq.last_value:04d}"


def create_ticket(
    session: Session,
    *,
    kind: str,
    text: str,
    actor: str,
    status: str = "new",
    attachments: list[dict] | None = None,
    **fields,
) -> Ticket:
    ticket = Ticket(code=next_code(session, kind), kind=kind, text=text, status=status, **fields)
    session.add(ticket)
    session.flush()
    add_attachments(session, ticket, attachments or [])
    audit(session, ticket, actor, "created", None, status)
    return ticket


def audit(
    session: Session, ticket: Ticket, actor: str, field: str, old, new, note: str | None = None
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor=actor,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            note=note,
            at=utcnow(),
        )
    )


def change(session: Session, ticket: Ticket, actor: str, **changes) -> dict[str, tuple]:
    """Apply field changes with one audit row each. Returns {field: (old, new)} actually changed."""
    changed: dict[str, tuple] = {}
    for field, new in changes.items():
        if field == "status" and new not in STATUSES:
            raise ValueError(f"unknown status {new!r}")
        old = getattr(ticket, field)
        if old == new:
            continue
        setattr(ticket, field, new)
        audit(session, ticket, actor, field, old, new)
        changed[field] = (old, new)
    if changed:
        ticket.updated_at = utcnow()
    return changed


def add_attachments(session: Session, ticket: Ticket, attachments: list[dict]) -> None:
    for att in attachments:
        session.add(
            Attachment(
                ticket_id=ticket.id,
                kind=att.get("type", "file"),
                url=att.get("url"),
                name=att.get("name"),
                meta={k: v for k, v in att.items() if k not in ("type", "url", "name")},
            )
        )
    ticket.updated_at = utcnow()


def by_code(session: Session, code: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.code == code.upper()))


def of_resident(session: Session, resident_id: int, limit: int = 5) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.resident_id == resident_id, Ticket.status != "draft")
            .order_by(Ticket.id.desc())
            .limit(limit)
        )
    )


def latest_sent(session: Session, resident_id: int, since: datetime) -> Ticket | None:
    """The resident's newest ticket sent (not a draft) since `since` and still open."""
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.resident_id == resident_id,
            Ticket.status.in_(("new", "assigned", "in_progress")),
            Ticket.created_at >= since,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def latest_draft(session: Session, resident_id: int, since: datetime) -> Ticket | None:
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.resident_id == resident_id,
            Ticket.status == "draft",
            Ticket.created_at >= since,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def all_tickets(session: Session) -> list[Ticket]:
    return list(
        session.scalars(select(Ticket).options(selectinload(Ticket.attachments)).order_by(Ticket.id))
    )


def as_dict(ticket: Ticket) -> dict:
    return {
        "code": ticket.code,
        "kind": ticket.kind,
        "topic": ticket.topic,
        "urgent": ticket.urgent,
        "status": ticket.status,
        "channel": ticket.channel,
        "text": ticket.text,
        "location": ticket.location_text,
        "latitude": ticket.latitude,
        "longitude": ticket.longitude,
        "group_code": ticket.group_code,
        "resident_id": ticket.resident_id,
        "assignee": ticket.assignee,
        "answer": ticket.answer,
        "due_date": ticket.due_date.date().isoformat() if ticket.due_date else None,
        "attachments": [
            {"type": a.kind, "url": a.url, "name": a.name} for a in ticket.attachments
        ],
        "created_at": ticket.created_at.isoformat() + "Z",
        "updated_at": ticket.updated_at.isoformat() + "Z",
    }
