"""The steps of a guided intake: each conversation state's handler reads the resident's answer
to that step's question, and hands the draft back to handlers/intake.py to ask the next one.
"""
from __future__ import annotations

from handlers import faq, filing, intake, states, texts, urgent
from handlers.context import Context
from intents.commands import parse as parse_command
from intents.location import extract_group
from intents.normalize import normalize
from intents.replies import Answer, answer_tokens
from intents.replies import read as read_reply
from storage import residents, tickets
from storage.messages import Inbound
from storage.models import Ticket

# What each step's question can be answered with, in the step's priority (intents/replies.py).
CONTENT_ANSWERS = ("cancel", "yes", "no", "skip", "dont_know")
LOCATION_ANSWERS = ("cancel", "edit", "skip", "dont_know", "no", "yes", "group")
PHOTO_ANSWERS = ("cancel", "edit", "no", "skip", "dont_know", "yes")
CONFIRM_ANSWERS = ("cancel", "edit", "yes", "no")
CLARIFY_ANSWERS = ("cancel", "report", "suggest", "ask", "yes", "no", "dont_know")
URGENT_LOCATION_ANSWERS = ("dont_know", "skip", "no", "yes")
# A message that is not an answer and says this much (words other than politeness) is new
# facts about the report, not a garbled answer.
FACT_WORDS = 4
# "ko có ảnh" typed after the summary is the photo question answered late, not "don't send".
PHOTO_WORDS = frozenset({"anh", "hinh", "photo"})


def on_content(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    command = parse_command(event.text) if event.kind == "text" else None
    if command and command.name in ("menu_report", "menu_suggest"):
        # The resident changed their mind about what they are sending: start over as that.
        intake.start(ctx, "complaint" if command.name == "menu_report" else "suggestion")
        return True
    answer = read_reply(event.text, CONTENT_ANSWERS) if event.kind == "text" else None
    if answer and data.get("previous_text") and answer.kind in ("cancel", "no", "skip"):
        # "Sửa lại", then "thôi"/"không": keep the report as it was.
        data["text"] = data.pop("previous_text")
        intake.advance(ctx, data)
        return True
    if answer and answer.kind in ("cancel", "no", "skip"):
        intake.cancel(ctx)
        return True
    if answer:  # "dạ", "vâng", "không biết": an answer, not the report
        if intake.unclear(data, states.INTAKE_CONTENT) == 1:
            residents.set_state(ctx.conversation, states.INTAKE_CONTENT, data)
            ctx.reply(texts.content_reask(data["kind"]))
        elif data.get("previous_text"):
            data["text"] = data.pop("previous_text")
            intake.advance(ctx, data)
        else:
            residents.set_state(ctx.conversation, states.IDLE)
            ctx.reply(texts.content_missing())
        return True
    intake.add_attachments(data, event)
    if event.text.strip():  # the report, or a caption on a photo
        data.pop("previous_text", None)
        intake.set_text(ctx, data, event.text)
    intake.advance(ctx, data)
    return True


def _cancel_or_edit(ctx: Context, data: dict, answer: Answer) -> bool:
    """"Hủy" drops the draft and "sửa lại ..." edits it, at the place and photo steps alike.
    True when the answer was one of those two and has been acted on."""
    if answer.kind == "cancel":
        intake.cancel(ctx)
    elif answer.kind == "edit":
        intake.edit(ctx, data, answer.rest)
    else:
        return False
    return True


def on_location(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    intake.add_attachments(data, event)
    answer = read_reply(event.text, LOCATION_ANSWERS) if event.kind == "text" else None
    if answer is None or data.get("lat") is not None:
        pass
    elif _cancel_or_edit(ctx, data, answer):
        return True
    elif answer.kind == "skip":
        data["location_skipped"] = True
    elif answer.kind in ("dont_know", "no"):
        # "ko bt", "không nhớ": a skip, and the officer sees that the resident did not know.
        data["location_skipped"] = data["location_unknown"] = True
    elif answer.kind == "yes":
        # "dạ", "vâng": the question was acknowledged, not answered. Re-ask once, then go on.
        if intake.unclear(data, states.INTAKE_LOCATION) == 1:
            residents.set_state(ctx.conversation, states.INTAKE_LOCATION, data)
            ctx.reply(texts.location_reask())
            return True
        data["location_skipped"] = data["location_unknown"] = True
    elif event.text.strip():
        # Any other text is the place, as the resident wrote it: "gần chợ Hàn", "đầu kiệt 45".
        data["location"] = normalize(event.text)[:300]
        data["group_code"] = data.get("group_code") or extract_group(event.text)
    intake.advance(ctx, data)
    return True


def on_photo(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    intake.add_attachments(data, event)
    if event.kind == "text":
        answer = read_reply(event.text, PHOTO_ANSWERS)
        if _cancel_or_edit(ctx, data, answer):
            return True
        if answer.kind in ("no", "skip", "dont_know"):
            data["photo_skipped"] = True
        elif answer.kind == "none" and answer.words >= FACT_WORDS:
            # More details instead of a photo: keep them (the summary shows them), and don't
            # ask for the photo again.
            intake.add_facts(ctx, data, event.text)
            data["photo_skipped"] = True
        elif event.text.strip():
            # "có", "ok", or words the bot cannot read: say how to send a photo once, then go on.
            if intake.unclear(data, states.INTAKE_PHOTO) == 1:
                residents.set_state(ctx.conversation, states.INTAKE_PHOTO, data)
                ctx.reply(texts.photo_reask())
                return True
            data["photo_skipped"] = True
    intake.advance(ctx, data)
    return True


def on_confirm(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    if event.kind == "media":
        # Extra photos after the summary: attach quietly, the buttons are already on screen.
        intake.add_attachments(data, event)
        residents.set_state(ctx.conversation, states.INTAKE_CONFIRM, data)
        return True
    answer = read_reply(event.text, CONFIRM_ANSWERS)
    if answer.kind == "yes":
        filing.submit(ctx, data)
    elif answer.kind == "no" and PHOTO_WORDS & set(answer_tokens(event.text)):
        intake.advance(ctx, data)  # the same summary and buttons again: nothing is cancelled
    elif answer.kind in ("no", "cancel"):
        intake.cancel(ctx)
    elif answer.kind == "edit":
        intake.edit(ctx, data, answer.rest)
    elif answer.words >= FACT_WORDS:
        # Clearly not an answer: new facts. Added, and the new summary is shown before sending.
        intake.add_facts(ctx, data, event.text)
        intake.advance(ctx, data)
    elif intake.unclear(data, states.INTAKE_CONFIRM) == 1:
        residents.set_state(ctx.conversation, states.INTAKE_CONFIRM, data)
        ctx.reply(texts.confirm_reask(data["kind"]))
    else:
        intake.keep_draft(ctx, data)
    return True


def on_urgent_location(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    ticket = ctx.session.get(Ticket, data.get("ticket_id"))
    if ticket is None:
        residents.set_state(ctx.conversation, states.IDLE)
        return False
    got: dict = {"attachments": []}
    intake.add_attachments(got, event)
    changes = {}
    answer = read_reply(event.text, URGENT_LOCATION_ANSWERS) if event.kind == "text" else None
    if got.get("lat") is not None:
        changes.update(latitude=got["lat"], longitude=got["lng"])
    elif answer and answer.kind == "yes" and intake.unclear(data, states.URGENT_LOCATION) == 1:
        # "dạ", "ok": the resident acknowledged the urgent reply; the place is still missing.
        residents.set_state(ctx.conversation, states.URGENT_LOCATION, data)
        ctx.reply(texts.urgent_location_reask(), ticket_id=ticket.id)
        return True
    elif answer:
        # "ko bt", "không nhớ" (or a second "dạ"): noted for the officers, not stored as a place.
        if not ticket.location_text:
            tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}",
                           location_text=texts.LOCATION_UNKNOWN)
        residents.set_state(ctx.conversation, states.IDLE)
        ctx.reply(texts.urgent_location_unknown(), ticket_id=ticket.id)
        return True
    elif event.kind == "text" and event.text.strip() and not parse_command(event.text):
        changes["location_text"] = normalize(event.text)[:300]
    if got["attachments"]:
        tickets.add_attachments(ctx.session, ticket, got["attachments"])
    if not changes and not got["attachments"]:
        residents.set_state(ctx.conversation, states.IDLE)
        return False  # something else entirely: let the other handlers take it
    tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}", **changes)
    residents.set_state(ctx.conversation, states.IDLE)
    officers = urgent.duty_officer_ids(ctx.session, ctx.settings)
    for officer in officers:
        ctx.notify(officer, f"[KHẨN] {ticket.code}: bổ sung địa điểm {ticket.location_text or ''}".strip(),
                   purpose="officer_alert", ticket_id=ticket.id)
    saved = texts.urgent_location_saved if officers else texts.urgent_location_saved_only
    ctx.reply(saved(ticket.code), ticket_id=ticket.id)
    return True


def on_clarify(event: Inbound, ctx: Context) -> bool:
    """The resident picked what kind of message it was (typed or tapped)."""
    data = dict(ctx.conversation.data)
    pending_text = data.get("text", "")
    answer = read_reply(event.text, CLARIFY_ANSWERS) if event.kind == "text" else None
    kind = answer.kind if answer else None
    if kind == "report":
        intake.start(ctx, "complaint", text=pending_text)
        return True
    if kind == "suggest":
        intake.start(ctx, "suggestion", text=pending_text)
        return True
    if kind == "ask" and data.get("from") == "referral":
        # After a khiếu nại/tố cáo redirect "Hỏi đáp" means a new question, not that text.
        residents.set_state(ctx.conversation, states.FAQ_WAIT)
        ctx.reply(texts.ask_content("question"))
        return True
    if kind == "ask":
        residents.set_state(ctx.conversation, states.IDLE)
        faq.answer(ctx, pending_text, chosen=True)
        return True
    if kind in ("yes", "no", "dont_know"):
        candidates = tuple(data.get("candidates") or ("complaint", "suggestion", "question"))
        if intake.unclear(data, states.CLARIFY_KIND) == 1:
            residents.set_state(ctx.conversation, states.CLARIFY_KIND, data)
            ctx.reply(texts.clarify_reask(candidates))
        elif data.get("from") == "referral":
            residents.set_state(ctx.conversation, states.IDLE)
            ctx.reply(texts.menu_prompt())
        else:
            # Still unclear: offer to let an officer read it rather than guess the kind.
            residents.set_state(ctx.conversation, states.FAQ_OFFER, {"question": pending_text})
            ctx.reply(texts.clarify_to_officer())
        return True
    residents.set_state(ctx.conversation, states.IDLE)
    return False
