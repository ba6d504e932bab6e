"""Follow, unfollow, greetings, thanks, shared contact info."""
from __future__ import annotations

from handlers import texts
from handlers.context import Context
from intents.normalize import fold, normalize
from storage.messages import Inbound
from storage.privacy import record_notice



def on_follow(event: Inbound, ctx: Context) -> bool:
    if event.kind != "follow":
        return False
    ctx.resident.is_follower = True
    _welcome(ctx)
    return True


def _welcome(ctx: Context) -> None:
    """The welcome carries the privacy notice: record its version the first time it is shown."""
    ctx.reply(texts.welcome(ctx.settings.ward_name))
    record_notice(ctx.resident, texts.PRIVACY_NOTICE_VERSION, ctx.now)


def on_unfollow(event: Inbound, ctx: Context) -> bool:
    if event.kind != "unfollow":
        return False
    ctx.resident.is_follower = False  # no reply: Zalo would refuse it anyway
    return True


def on_submit_info(event: Inbound, ctx: Context) -> bool:
    if event.kind != "submit_info":
        return False
    info = {k.lower(): v for k, v in event.info.items() if v}
    name = info.get("name") or info.get("display_name")
    phone = info.get("phone") or info.get("phone_number")
    address = info.get("address")
    if name:
        ctx.resident.display_name = normalize(name)[:200]
    if phone:
        ctx.resident.phone = "".join(ch for ch in phone if ch.isdigit() or ch == "+")[:32]
    if address:
        ctx.resident.address = normalize(address)[:500]
    ctx.reply(texts.info_received())
    return True


# How residents end a chat (intents/classify.py reads them as greetings too).
CLOSINGS = ("cam on", "camon", "thank", "tks", "thx", "merci", " bye", " bai ", "tam biet", "hen gap",
            "see you", " se you", "ngu ngon", "good night", "nice day")


def on_greeting(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text" or ctx.classification.kind != "greeting":
        return False
    folded = f" {fold(event.text)} "
    if any(word in folded for word in CLOSINGS):
        # thanks and goodbyes end the chat: a short farewell, not the welcome again
        ctx.reply(texts.thanks_reply())
    else:
        _welcome(ctx)
    return True


def on_out_of_scope(event: Inbound, ctx: Context) -> bool:
    """Gold prices, the weather, football: nothing of the ward's. Declined politely, with no
    ticket and no offer to an officer, who could not help either (issue 11)."""
    if event.kind != "text" or not ctx.classification.out_of_scope:
        return False
    ctx.reply(texts.out_of_scope())
    return True


def on_anything(event: Inbound, ctx: Context) -> bool:
    """Never silence: whatever got here gets a short, helpful answer with the menu."""
    if event.kind == "media" and all(a.type == "sticker" for a in event.attachments):
        ctx.reply(texts.sticker_reply())
    else:
        ctx.reply(texts.fallback())
    return True
