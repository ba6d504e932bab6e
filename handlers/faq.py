"""Questions: answer from the officers' knowledge base, or offer to pass the question on.

Below the matcher's confidence threshold the bot says it is not sure rather than answer a
legal question wrongly, and offers to turn the question into a ticket for an officer.
"""
from __future__ import annotations

from handlers import filing, states, texts, ward_profile
from handlers.context import Context
from intents import slots
from intents.classify import declines_unanswered
from intents.commands import parse as parse_command
from intents.normalize import normalize
from intents.replies import read as read_reply
from storage import residents
from storage.messages import Inbound


def answer(ctx: Context, question: str, *, chosen: bool) -> None:
    """`chosen`: the resident said it is a question (the "Hỏi đáp" button, or that choice typed):
    then an unanswered question is always offered to an officer. Otherwise a question the
    knowledge base cannot answer and that is none of the ward's business ("giá vàng hôm nay bao
    nhiêu") is declined with the menu, as other out-of-scope messages are."""
    match = ctx.nlu.ask_faq(question)
    if match is None and not chosen and declines_unanswered(ctx.nlu.classify(question)):
        residents.set_state(ctx.conversation, states.IDLE)
        ctx.reply(texts.out_of_scope())
        return
    state = {"question": normalize(question)[:4000]}
    if match is None:
        ctx.reply(texts.faq_unsure())
    else:
        state["matched"] = match.question
        answer_text, source, missing = slots.fill_answer(
            match.answer, match.source, ward_profile.load(ctx.settings.ward_profile_file))
        # An answer with a gap the ward has not filled is never sent: an officer answers instead.
        ctx.reply(texts.faq_not_ready() if missing else texts.faq_answer(answer_text, source))
    residents.set_state(ctx.conversation, states.FAQ_OFFER, state)


def on_question(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text" or ctx.classification.kind != "question":
        return False
    answer(ctx, event.text, chosen=False)
    return True


def on_waiting_question(event: Inbound, ctx: Context) -> bool:
    """After the "Hỏi đáp" button: the next text is the question, whatever it looks like,
    except a bare "dạ"/"vâng" (asked once for the question) or "không"/"thôi" (nothing to ask)."""
    if event.kind != "text" or not event.text.strip():
        residents.set_state(ctx.conversation, states.IDLE)
        return False
    reply = read_reply(event.text, ("cancel", "no", "yes", "dont_know"))
    data = ctx.conversation.data
    if reply.kind in ("yes", "dont_know") and not data.get("unclear_n"):
        residents.set_state(ctx.conversation, states.FAQ_WAIT, {"unclear_n": 1})
        ctx.reply(texts.question_reask())
        return True
    if reply:
        residents.set_state(ctx.conversation, states.IDLE)
        ctx.reply(texts.stopped())
        return True
    answer(ctx, event.text, chosen=True)
    return True


def on_offer(event: Inbound, ctx: Context) -> bool:
    """After an answer: [Chuyển cán bộ] makes a question ticket, [Không cần] ends it.

    A typed "có"/"ok" means yes to "chuyển cán bộ không ạ?" when the bot was unsure, and is a
    plain acknowledgement after a real answer (it asked nothing then)."""
    answer = read_reply(event.text, ("cancel", "to_officer", "no", "yes")) if event.kind == "text" else None
    data = ctx.conversation.data
    question = data.get("question", "")
    kind = answer.kind if answer else None
    if kind == "yes":
        kind = "no" if data.get("matched") else "to_officer"
    if kind == "to_officer" and question:
        filing.submit(ctx, {"kind": "question", "text": question, "attachments": [],
                            "topic": ctx.nlu.classify(question).topic})
        return True
    if kind in ("no", "cancel"):
        residents.set_state(ctx.conversation, states.IDLE)
        ctx.reply(texts.faq_declined_officer())
        return True
    residents.set_state(ctx.conversation, states.IDLE)
    return False  # a new message: let the other handlers take it


def on_menu_ask(event: Inbound, ctx: Context) -> bool:
    command = parse_command(event.text) if event.kind == "text" else None
    if not command or command.name != "menu_ask":
        return False
    residents.set_state(ctx.conversation, states.FAQ_WAIT)
    ctx.reply(texts.ask_content("question"))
    return True
