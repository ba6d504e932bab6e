"""Every handler, registered explicitly and in order, in this one place.

A handler is a plain function (event, ctx) -> bool: True means "handled, stop here".
A resident in the middle of a guided conversation is routed by the conversation's state
(python-telegram-bot's ConversationHandler: states, entry points, fallbacks): the state's
handler reads the message first; anything it declines falls through to the entry points below
it, so a resident can always change their mind. What a state does when the resident goes quiet
is its timeout hook, also registered here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from handlers import (
    faq,
    groups,
    intake,
    intake_steps,
    lookup,
    menu,
    privacy,
    referral,
    states,
    ticket_updates,
    welcome,
)
from handlers.context import Context
from storage import residents
from storage.messages import Inbound
from storage.models import Conversation, Ticket

Handler = Callable[[Inbound, Context], bool]
TimeoutHook = Callable[..., Ticket | None]

# The states table: each state -> the handler that reads the resident's next message in it.
STATES: dict[str, Handler] = {
    states.INTAKE_CONTENT: intake_steps.on_content,
    states.INTAKE_LOCATION: intake_steps.on_location,
    states.INTAKE_PHOTO: intake_steps.on_photo,
    states.INTAKE_CONFIRM: intake_steps.on_confirm,
    states.URGENT_LOCATION: intake_steps.on_urgent_location,
    states.CLARIFY_KIND: intake_steps.on_clarify,
    states.FAQ_WAIT: faq.on_waiting_question,
    states.FAQ_OFFER: faq.on_offer,
    states.RATING: ticket_updates.on_rating,
    states.SUPPLEMENT: ticket_updates.on_supplement,
    states.PRIVACY_ERASE: privacy.on_erase_answer,
}
# States read before "cancel" and the other states' place in the order: "hủy" there is the
# state's own answer ("không xóa"), and its words are never the content of a report.
EARLY_STATES = (states.PRIVACY_ERASE,)

# What happens to a conversation that went quiet for conversation_timeout_minutes, before it
# goes back to idle: (session, settings, conversation) -> the draft ticket kept, if any.
# A state without a hook just ends.
ON_TIMEOUT: dict[str, TimeoutHook] = {state: intake.keep_stalled_draft for state in states.INTAKE_STATES}


def in_state(table: Mapping[str, Handler], entry: Handler | None = None) -> Handler:
    """At its place in the order: the handler of the conversation's state when the state is in
    `table`, otherwise the entry point (if any)."""

    def run(event: Inbound, ctx: Context) -> bool:
        handler = table.get(ctx.conversation.state, entry)
        return handler(event, ctx) if handler else False

    return run


def expire(session, settings, conversation: Conversation) -> Ticket | None:
    """The runtime's timeout call: run the state's hook, then end the conversation."""
    hook = ON_TIMEOUT.get(conversation.state)
    ticket = hook(session, settings, conversation) if hook else None
    residents.set_state(conversation, states.IDLE)
    return ticket


# Heard first, whatever the state.
FIRST = (
    ("follow", welcome.on_follow),
    ("unfollow", welcome.on_unfollow),
    ("submit_info", welcome.on_submit_info),
    # Before "cancel" and the states: its own "hủy", never a report.
    ("privacy", in_state({s: STATES[s] for s in EARLY_STATES}, entry=privacy.on_request)),
    ("cancel", intake.on_cancel),
    ("lookup", lookup.on_lookup),
)
# Start something new (after the state's handler declined, or from idle).
ENTRY_POINTS = (
    ("menu", menu.on_menu),
    ("menu_ask", faq.on_menu_ask),
    ("resume_draft", intake.on_submit_draft),
    ("group_choice", groups.on_group_choice),
    ("forwarded", groups.on_forwarded),
    ("not_done", ticket_updates.on_not_done),
    ("denunciation", referral.on_denunciation),
    ("late_photo", intake.on_late_photo),
    ("report", intake.on_new_report),
    ("question", faq.on_question),
)
# Nothing else took it.
FALLBACKS = (
    ("greeting", welcome.on_greeting),
    ("out_of_scope", welcome.on_out_of_scope),
    ("fallback", welcome.on_anything),
)

HANDLERS = (
    *FIRST,
    ("conversation", in_state({s: h for s, h in STATES.items() if s not in EARLY_STATES})),
    *ENTRY_POINTS,
    *FALLBACKS,
)
