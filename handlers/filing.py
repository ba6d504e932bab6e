"""Filing a ticket: the one place a ticket is made, whatever brought it (a Zalo conversation,
an urgent report, a conversation that went quiet, a Google Form submission).

Every ticket gets its due date here (working days by topic and urgency, handlers/deadlines.py),
and a new urgent ticket alerts the duty officers here (handlers/urgent.py).
"""
from __future__ import annotations

from handlers import states, texts, urgent
from handlers.context import Context, Settings
from handlers.deadlines import due_for, rules, working_days_for
from storage import residents, tickets
from storage.messages import Reply
from storage.models import Resident, Ticket


def file_ticket(session, settings: Settings, fields: dict, *, actor: str, status: str = "new",
                event_id: int | None = None) -> tuple[Ticket, int]:
    """Make the ticket `fields` describe (storage.tickets.create_ticket's columns, without the
    due date). Returns it and how many duty officers hold an alert for it (a new urgent
    ticket; 0 otherwise)."""
    due = due_for(settings, tickets.local_now().date(), fields.get("topic"), bool(fields.get("urgent")))
    ticket = tickets.create_ticket(session, actor=actor, status=status, due_date=due, **fields)
    alerted = 0
    if ticket.urgent and status == "new":
        alerted = urgent.alert_officers(session, settings, ticket, event_id)
    return ticket, alerted


def conversation_fields(resident: Resident, data: dict) -> dict:
    """A ticket's fields from what a Zalo conversation collected (its state data)."""
    return dict(
        kind=data["kind"],
        text=data["text"],
        topic=data.get("topic"),
        urgent=bool(data.get("urgent")),
        channel="zalo",
        location_text=data.get("location") or (texts.LOCATION_UNKNOWN if data.get("location_unknown") else None),
        latitude=data.get("lat"),
        longitude=data.get("lng"),
        group_code=data.get("group_code"),
        resident_id=resident.id,
        reporter_name=resident.display_name,
        reporter_phone=resident.phone,
        confidence=data.get("confidence"),
        attachments=data.get("attachments", []),
    )


def create_ticket(ctx: Context, data: dict, status: str = "new") -> tuple[Ticket, int]:
    return file_ticket(ctx.session, ctx.settings, conversation_fields(ctx.resident, data),
                       actor=f"resident:{ctx.resident.id}", status=status, event_id=ctx.event_id)


def created_reply(settings: Settings, ticket: Ticket) -> Reply:
    days = working_days_for(ticket.topic, ticket.urgent, rules(settings.deadlines_file))
    return texts.ticket_created(ticket.kind, ticket.code, days, ticket.due_date)


def submit(ctx: Context, data: dict) -> None:
    """The resident sent what the conversation collected: file it and give them its code."""
    ticket, _ = create_ticket(ctx, data)
    residents.set_state(ctx.conversation, states.IDLE)
    ctx.reply(created_reply(ctx.settings, ticket), ticket_id=ticket.id)
