"""Residents pick their tổ dân phố; a tổ leader confirms forwarding an announcement."""
from __future__ import annotations

from sqlalchemy import select

from handlers import texts
from handlers.announcements import confirm_forwarded
from handlers.context import Context
from intents.location import parse_group_choice
from intents.normalize import fold
from storage import outbox
from storage.messages import Inbound
from storage.models import ResidentialGroup


def tag_name(code: str) -> str:
    return f"to_{code}"


def on_group_choice(event: Inbound, ctx: Context) -> bool:
    code = parse_group_choice(event.text) if event.kind == "text" else None
    if code is None:
        return False
    groups = list(ctx.session.scalars(select(ResidentialGroup).order_by(ResidentialGroup.code)))
    group = next((g for g in groups if g.code.upper() == code), None)
    if groups and group is None:
        ctx.reply(texts.group_unknown(code, [g.code for g in groups]))
        return True
    old = ctx.resident.group_code
    ctx.resident.group_code = code
    # Mirrored as a Zalo tag through the outbox, so a slow or failing Zalo never blocks the chat.
    if old and old != code:
        outbox.enqueue(ctx.session, ctx.resident.zalo_user_id, {"tag_name": tag_name(old), "remove": True},
                       purpose="tag", channel="zalo_untag", event_id=ctx.event_id)
    outbox.enqueue(ctx.session, ctx.resident.zalo_user_id, {"tag_name": tag_name(code)},
                   purpose="tag", channel="zalo_tag", event_id=ctx.event_id)
    ctx.reply(texts.group_saved(group.name if group else f"tổ {code}"))
    return True


def on_forwarded(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text" or fold(event.text).strip(" .!") != fold(texts.BTN_FORWARDED):
        return False
    group = confirm_forwarded(ctx.session, ctx.resident.zalo_user_id)
    ctx.reply(texts.forwarded_thanks(group.name) if group else texts.forwarded_nothing())
    return True
