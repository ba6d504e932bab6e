"""Look up a ticket: "tra cứu PA-2026-0001" (any case, spacing, with or without diacritics).
Only the resident who filed a ticket learns anything about it."""
from __future__ import annotations

from handlers import states, texts
from handlers.context import Context
from intents.commands import parse as parse_command
from storage import tickets
from storage.messages import Inbound
from storage.vocab import STATUSES


def _fmt(dt) -> str:
    local = tickets.to_local(dt)
    return local.strftime("%H:%M %d/%m/%Y") if local else ""


def show(ctx: Context, code: str) -> None:
    ticket = tickets.by_code(ctx.session, code)
    if ticket is None or ticket.resident_id != ctx.resident.id or ticket.status == "draft":
        ctx.reply(texts.lookup_not_found(code))
        return
    due = ticket.due_date.strftime("%d/%m/%Y") if ticket.due_date and ticket.status not in (
        "resolved", "answered", "rejected", "closed") else None
    ctx.reply(
        texts.lookup_result(ticket.code, STATUSES[ticket.status], _fmt(ticket.updated_at),
                            ticket.answer, bool(ticket.assignee), due),
        ticket_id=ticket.id,
    )


def on_lookup(event: Inbound, ctx: Context) -> bool:
    command = parse_command(event.text) if event.kind == "text" else None
    if command is None:
        return False
    if command.name == "lookup":
        show(ctx, command.code)
        return True
    if command.name == "menu_lookup" and ctx.conversation.state == states.IDLE:
        mine = tickets.of_resident(ctx.session, ctx.resident.id)
        if not mine:
            ctx.reply(texts.lookup_none())
        elif len(mine) == 1:
            show(ctx, mine[0].code)
        else:
            ctx.reply(texts.lookup_list([(t.code, STATUSES[t.status]) for t in mine]))
        return True
    return False
