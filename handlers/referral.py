"""Khiếu nại and tố cáo are outside the desk's scope by law: say where they go, record the
contact, and do not turn them into tickets."""
from __future__ import annotations

from handlers import states, texts
from handlers.context import Context
from intents.normalize import normalize
from storage import residents
from storage.messages import Inbound
from storage.models import Referral, utcnow


def on_denunciation(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text" or ctx.classification.kind != "denunciation":
        return False
    text = normalize(event.text)[:4000]
    ctx.session.add(Referral(resident_id=ctx.resident.id, kind="denunciation", text=text,
                             created_at=utcnow()))
    # Kept in the conversation: if the resident then taps "Phản ánh", the report starts from
    # what they already wrote (handlers/intake_steps.on_clarify), not from "bác gặp việc gì?".
    residents.set_state(ctx.conversation, states.CLARIFY_KIND,
                        {"text": text, "candidates": ["complaint", "question"], "from": "referral"})
    ctx.reply(texts.referral("denunciation"))
    return True
