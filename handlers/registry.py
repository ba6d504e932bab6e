"""Every handler, registered explicitly and in order, in this one place.

A handler is a plain function (event, ctx) -> bool: True means "handled, stop here".
A resident in the middle of a guided conversation is routed by the conversation's state
first (python-telegram-bot's states table); anything a state handler declines falls through
to the entry points below it, so a resident can always change their mind.
"""
from __future__ import annotations

from handlers import faq, groups, intake, lookup, menu, privacy, referral, ticket_updates, welcome
from handlers.context import Context
from storage.messages import Inbound

STATE_HANDLERS = {
    "intake_content": intake.on_content,
    "intake_location": intake.on_location,
    "intake_photo": intake.on_photo,
    "intake_confirm": intake.on_confirm,
    "urgent_location": intake.on_urgent_location,
    "clarify_kind": intake.on_clarify,
    "faq_wait": faq.on_waiting_question,
    "faq_offer": faq.on_offer,
    "rating": ticket_updates.on_rating,
    "supplement": ticket_updates.on_supplement,
}


def on_conversation_state(event: Inbound, ctx: Context) -> bool:
    handler = STATE_HANDLERS.get(ctx.conversation.state)
    return handler(event, ctx) if handler else False


HANDLERS = (
    ("follow", welcome.on_follow),
    ("unfollow", welcome.on_unfollow),
    ("submit_info", welcome.on_submit_info),
    ("privacy", privacy.on_privacy),  # before "cancel" and the states: its own "hủy", never a report
    ("cancel", intake.on_cancel),
    ("lookup", lookup.on_lookup),
    ("conversation", on_conversation_state),
    ("menu", menu.on_menu),
    ("menu_ask", faq.on_menu_ask),
    ("resume_draft", intake.on_submit_draft),
    ("group_choice", groups.on_group_choice),
    ("forwarded", groups.on_forwarded),
    ("not_done", ticket_updates.on_not_done),
    ("denunciation", referral.on_denunciation),
    ("report", intake.on_new_report),
    ("question", faq.on_question),
    ("greeting", welcome.on_greeting),
    ("out_of_scope", welcome.on_out_of_scope),
    ("fallback", welcome.on_anything),
)
