"""Khiếu nại and tố cáo are outside the desk's scope by law: say where they go, record the
contact, and do not turn them into tickets."""
from __future__ import annotations

from bot import texts
from handlers.context import Context
from intents.normalize import normalize
from storage.models import Referral, utcnow
from webhooks.events import Inbound


def on_denunciation(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text" or ctx.classification.kind != "denunciation":
        return False
    ctx.session.add(Referral(resident_id=ctx.resident.id, kind="denunciation",
                             text=normalize(event.text)[:4000], created_at=utcnow()))
    ctx.reply(texts.referral("denunciation"))
    return True
