"""Guided intake of a report (phản ánh) or suggestion (kiến nghị) into a ticket.

Steps: what happened -> where -> optional photo -> confirm. A step is skipped when the first
message already answered it ("never ask again for what the first message already said").
Urgent reports (fire, fallen live wire...) skip the questions: the ticket is made at once and
officers are alerted. State lives in the conversation row (state + data), never in memory.
"""
from __future__ import annotations

from datetime import timedelta

from handlers import faq, filing, texts, urgent
from handlers.context import Context
from intents.commands import parse as parse_command
from intents.location import extract_group, extract_location
from intents.normalize import normalize
from intents.replies import answer_tokens
from intents.replies import read as read_reply
from storage import residents, tickets
from storage.messages import Inbound
from storage.models import Resident, Ticket

INTAKE_STATES = ("intake_content", "intake_location", "intake_photo", "intake_confirm")
SUMMARY_CHARS = 160
MEDIA_TYPES = ("image", "file", "video", "audio", "gif", "link")
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


def _summary(data: dict) -> str:
    text = data["text"]
    quoted = text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"
    where = data.get("location")
    if where and where not in quoted:
        return f"\"{quoted}\" tại {where}"
    return f"\"{quoted}\""


def _location_known(data: dict) -> bool:
    return bool(data.get("location") or data.get("lat") is not None or data.get("location_skipped"))


def _media_count(data: dict) -> int:
    return sum(1 for a in data.get("attachments", []) if a.get("type") in MEDIA_TYPES)


def _add_attachments(data: dict, event: Inbound) -> None:
    atts = list(data.get("attachments", []))
    for att in event.attachments:
        if att.type == "location":
            if att.latitude is not None and att.longitude is not None:
                data["lat"], data["lng"] = att.latitude, att.longitude
        elif att.type != "sticker":
            atts.append(att.as_dict())
    data["attachments"] = atts


def _set_text(ctx: Context, data: dict, text: str) -> None:
    data["text"] = normalize(text)[:4000]
    if not data.get("location"):
        data["location"] = extract_location(text)
    if not data.get("group_code"):
        data["group_code"] = extract_group(text) or ctx.resident.group_code
    c = ctx.nlu.classify(text)
    data["topic"] = c.topic
    data["urgent"] = bool(data.get("urgent") or c.urgent)
    data["confidence"] = c.confidence


def unclear(data: dict, state: str) -> int:
    """Count answers the bot could not read at this step: the first gets a re-ask with the
    buttons and typed words, the second another way forward (never the same message twice)."""
    n = data.get("unclear_n", 0) + 1 if data.get("unclear_at") == state else 1
    data["unclear_at"], data["unclear_n"] = state, n
    return n


def _add_facts(ctx: Context, data: dict, text: str) -> None:
    """New facts the resident added (an edit, or a long message that is no answer)."""
    old = data.get("text", "").rstrip()
    joined = f"{old}{'' if not old or old[-1] in '.!?' else '.'} {text}" if old else text
    _set_text(ctx, data, joined)


def _edit(ctx: Context, data: dict, rest: str) -> None:
    if rest:
        _add_facts(ctx, data, rest)
        advance(ctx, data)
        return
    # Keep the old text: if no new one comes, the resident gets their report back, not nothing.
    data["previous_text"], data["text"] = data.get("text", ""), ""
    residents.set_state(ctx.conversation, "intake_content", data)
    ctx.reply(texts.ask_edit())


def _cancel(ctx: Context) -> None:
    residents.set_state(ctx.conversation, "idle")
    ctx.reply(texts.cancelled())


def advance(ctx: Context, data: dict) -> None:
    """Ask the next missing thing, or for confirmation when nothing is missing."""
    kind = data["kind"]
    data.pop("unclear_at", None)
    data.pop("unclear_n", None)
    if not data.get("text"):
        residents.set_state(ctx.conversation, "intake_content", data)
        ctx.reply(texts.ask_content(kind))
        return
    if data.get("urgent") and kind == "complaint":
        _create_urgent(ctx, data)
        return
    if kind == "complaint" and not _location_known(data):
        residents.set_state(ctx.conversation, "intake_location", data)
        ctx.reply(texts.ask_location(_summary(data)))
        return
    if kind == "complaint" and not _media_count(data) and not data.get("photo_skipped"):
        residents.set_state(ctx.conversation, "intake_photo", data)
        ctx.reply(texts.ask_photo(_summary(data)))
        return
    residents.set_state(ctx.conversation, "intake_confirm", data)
    ctx.reply(texts.confirm(kind, data["text"], _where(data), _media_count(data)))


def _where(data: dict) -> str | None:
    if data.get("location"):
        return data["location"]
    if data.get("lat") is not None:
        return f"vị trí đã chia sẻ ({data['lat']:.5f}, {data['lng']:.5f})"
    return None


def _create_urgent(ctx: Context, data: dict) -> None:
    ticket, alerted = filing.create_ticket(ctx, data)
    located = bool(data.get("location") or data.get("lat") is not None)
    ctx.reply(urgent.urgent_reply(ctx.settings, ticket, alerted, located), ticket_id=ticket.id)
    if located:
        residents.set_state(ctx.conversation, "idle")
    else:
        residents.set_state(ctx.conversation, "urgent_location", {"ticket_id": ticket.id})


def start(ctx: Context, kind: str, event: Inbound | None = None, text: str = "") -> None:
    data: dict = {"kind": kind, "text": "", "attachments": []}
    if event is not None:
        _add_attachments(data, event)
    if text:
        _set_text(ctx, data, text)
    advance(ctx, data)


# --- conversation states -------------------------------------------------------------------

def on_content(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    command = parse_command(event.text) if event.kind == "text" else None
    if command and command.name in ("menu_report", "menu_suggest"):
        # The resident changed their mind about what they are sending: start over as that.
        start(ctx, "complaint" if command.name == "menu_report" else "suggestion")
        return True
    answer = read_reply(event.text, CONTENT_ANSWERS) if event.kind == "text" else None
    if answer and data.get("previous_text") and answer.kind in ("cancel", "no", "skip"):
        # "Sửa lại", then "thôi"/"không": keep the report as it was.
        data["text"] = data.pop("previous_text")
        advance(ctx, data)
        return True
    if answer and answer.kind in ("cancel", "no", "skip"):
        _cancel(ctx)
        return True
    if answer:  # "dạ", "vâng", "không biết": an answer, not the report
        if unclear(data, "intake_content") == 1:
            residents.set_state(ctx.conversation, "intake_content", data)
            ctx.reply(texts.content_reask(data["kind"]))
        elif data.get("previous_text"):
            data["text"] = data.pop("previous_text")
            advance(ctx, data)
        else:
            residents.set_state(ctx.conversation, "idle")
            ctx.reply(texts.content_missing())
        return True
    _add_attachments(data, event)
    if event.text.strip():  # the report, or a caption on a photo
        data.pop("previous_text", None)
        _set_text(ctx, data, event.text)
    advance(ctx, data)
    return True


def on_location(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    _add_attachments(data, event)
    answer = read_reply(event.text, LOCATION_ANSWERS) if event.kind == "text" else None
    if answer is None or data.get("lat") is not None:
        pass
    elif answer.kind == "cancel":
        _cancel(ctx)
        return True
    elif answer.kind == "edit":
        _edit(ctx, data, answer.rest)
        return True
    elif answer.kind == "skip":
        data["location_skipped"] = True
    elif answer.kind in ("dont_know", "no"):
        # "ko bt", "không nhớ": a skip, and the officer sees that the resident did not know.
        data["location_skipped"] = data["location_unknown"] = True
    elif answer.kind == "yes":
        # "dạ", "vâng": the question was acknowledged, not answered. Re-ask once, then go on.
        if unclear(data, "intake_location") == 1:
            residents.set_state(ctx.conversation, "intake_location", data)
            ctx.reply(texts.location_reask())
            return True
        data["location_skipped"] = data["location_unknown"] = True
    elif event.text.strip():
        # Any other text is the place, as the resident wrote it: "gần chợ Hàn", "đầu kiệt 45".
        data["location"] = normalize(event.text)[:300]
        data["group_code"] = data.get("group_code") or extract_group(event.text)
    advance(ctx, data)
    return True


def on_photo(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    _add_attachments(data, event)
    if event.kind == "text":
        answer = read_reply(event.text, PHOTO_ANSWERS)
        if answer.kind == "cancel":
            _cancel(ctx)
            return True
        if answer.kind == "edit":
            _edit(ctx, data, answer.rest)
            return True
        if answer.kind in ("no", "skip", "dont_know"):
            data["photo_skipped"] = True
        elif answer.kind == "none" and answer.words >= FACT_WORDS:
            # More details instead of a photo: keep them (the summary shows them), and don't
            # ask for the photo again.
            _add_facts(ctx, data, event.text)
            data["photo_skipped"] = True
        elif event.text.strip():
            # "có", "ok", or words the bot cannot read: say how to send a photo once, then go on.
            if unclear(data, "intake_photo") == 1:
                residents.set_state(ctx.conversation, "intake_photo", data)
                ctx.reply(texts.photo_reask())
                return True
            data["photo_skipped"] = True
    advance(ctx, data)
    return True


def keep_draft(ctx: Context, data: dict) -> Ticket:
    """Keep what was collected as a draft officers can see; "gửi" later still sends it."""
    ticket, _ = filing.create_ticket(ctx, data, status="draft")
    residents.set_state(ctx.conversation, "idle")
    ctx.reply(texts.draft_kept(data["kind"]), ticket_id=ticket.id)
    return ticket


def on_confirm(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    if event.kind == "media":
        # Extra photos after the summary: attach quietly, the buttons are already on screen.
        _add_attachments(data, event)
        residents.set_state(ctx.conversation, "intake_confirm", data)
        return True
    answer = read_reply(event.text, CONFIRM_ANSWERS)
    if answer.kind == "yes":
        filing.submit(ctx, data)
    elif answer.kind in ("no", "cancel"):
        _cancel(ctx)
    elif answer.kind == "edit":
        _edit(ctx, data, answer.rest)
    elif answer.words >= FACT_WORDS:
        # Clearly not an answer: new facts. Added, and the new summary is shown before sending.
        _add_facts(ctx, data, event.text)
        advance(ctx, data)
    elif unclear(data, "intake_confirm") == 1:
        residents.set_state(ctx.conversation, "intake_confirm", data)
        ctx.reply(texts.confirm_reask(data["kind"]))
    else:
        keep_draft(ctx, data)
    return True


def on_urgent_location(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    ticket = ctx.session.get(Ticket, data.get("ticket_id"))
    if ticket is None:
        residents.set_state(ctx.conversation, "idle")
        return False
    got: dict = {"attachments": []}
    _add_attachments(got, event)
    changes = {}
    answer = read_reply(event.text, URGENT_LOCATION_ANSWERS) if event.kind == "text" else None
    if got.get("lat") is not None:
        changes.update(latitude=got["lat"], longitude=got["lng"])
    elif answer and answer.kind == "yes" and unclear(data, "urgent_location") == 1:
        # "dạ", "ok": the resident acknowledged the urgent reply; the place is still missing.
        residents.set_state(ctx.conversation, "urgent_location", data)
        ctx.reply(texts.urgent_location_reask(), ticket_id=ticket.id)
        return True
    elif answer:
        # "ko bt", "không nhớ" (or a second "dạ"): noted for the officers, not stored as a place.
        if not ticket.location_text:
            tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}",
                           location_text=texts.LOCATION_UNKNOWN)
        residents.set_state(ctx.conversation, "idle")
        ctx.reply(texts.urgent_location_unknown(), ticket_id=ticket.id)
        return True
    elif event.kind == "text" and event.text.strip() and not parse_command(event.text):
        changes["location_text"] = normalize(event.text)[:300]
    if got["attachments"]:
        tickets.add_attachments(ctx.session, ticket, got["attachments"])
    if not changes and not got["attachments"]:
        residents.set_state(ctx.conversation, "idle")
        return False  # something else entirely: let the other handlers take it
    tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}", **changes)
    residents.set_state(ctx.conversation, "idle")
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
        start(ctx, "complaint", text=pending_text)
        return True
    if kind == "suggest":
        start(ctx, "suggestion", text=pending_text)
        return True
    if kind == "ask" and data.get("from") == "referral":
        # After a khiếu nại/tố cáo redirect "Hỏi đáp" means a new question, not that text.
        residents.set_state(ctx.conversation, "faq_wait")
        ctx.reply(texts.ask_content("question"))
        return True
    if kind == "ask":
        residents.set_state(ctx.conversation, "idle")
        faq.answer(ctx, pending_text, chosen=True)
        return True
    if kind in ("yes", "no", "dont_know"):
        candidates = tuple(data.get("candidates") or ("complaint", "suggestion", "question"))
        if unclear(data, "clarify_kind") == 1:
            residents.set_state(ctx.conversation, "clarify_kind", data)
            ctx.reply(texts.clarify_reask(candidates))
        elif data.get("from") == "referral":
            residents.set_state(ctx.conversation, "idle")
            ctx.reply(texts.menu_prompt())
        else:
            # Still unclear: offer to let an officer read it rather than guess the kind.
            residents.set_state(ctx.conversation, "faq_offer", {"question": pending_text})
            ctx.reply(texts.clarify_to_officer())
        return True
    residents.set_state(ctx.conversation, "idle")
    return False


# --- entry points ------------------------------------------------------------------------

# States where something is being put together and "hủy" drops it unsent. Elsewhere (a rating,
# an urgent ticket's place, an officer's question) the ticket already exists: "hủy" just ends
# the follow-up, and "phường đã hủy, chưa gửi gì đi" would be false.
CANCELLABLE = (*INTAKE_STATES, "clarify_kind", "faq_wait")


def on_cancel(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text":
        return False
    state = ctx.conversation.state
    if state == "idle":
        command = parse_command(event.text)
        if not command or command.name != "cancel":
            return False
        ctx.reply(texts.nothing_to_cancel())
        return True
    if read_reply(event.text, ("cancel",)).kind != "cancel":
        return False
    residents.set_state(ctx.conversation, "idle")
    ctx.reply(texts.cancelled() if state in CANCELLABLE else texts.stopped())
    return True


def on_submit_draft(event: Inbound, ctx: Context) -> bool:
    """A resident comes back after a timeout and taps the old "Gửi phản ánh" button."""
    if event.kind != "text" or ctx.conversation.state != "idle":
        return False
    command = parse_command(event.text)
    # "gửi giúp bác nhé" sends it too; a bare "ok" or "dạ" in idle may be about anything else.
    typed_send = read_reply(event.text, ("yes",)).kind == "yes" and "gui" in answer_tokens(event.text)
    if not typed_send and (not command or command.name != "submit"):
        return False
    draft = tickets.latest_draft(ctx.session, ctx.resident.id, ctx.now - timedelta(days=1))
    if draft is None:
        return False
    tickets.change(ctx.session, draft, f"resident:{ctx.resident.id}", status="new")
    ctx.reply(filing.created_reply(ctx.settings, draft), ticket_id=draft.id)
    return True


def on_new_report(event: Inbound, ctx: Context) -> bool:
    """Free text that reads as a report or suggestion, or a photo/location out of the blue."""
    if event.kind == "media":
        if all(a.type == "sticker" for a in event.attachments) or not event.attachments:
            return False
        start(ctx, "complaint", event=event, text=event.text)
        return True
    c = ctx.classification
    if c.needs_clarification and set(c.candidates) & {"complaint", "suggestion", "question"}:
        if c.kind in ("complaint", "suggestion", "question") or c.kind == "other":
            residents.set_state(ctx.conversation, "clarify_kind", {"text": normalize(event.text)[:4000]})
            ctx.reply(texts.clarify_kind(c.candidates))
            return True
    if c.kind not in ("complaint", "suggestion"):
        return False
    start(ctx, c.kind, text=event.text)
    return True


def save_stalled_as_draft(session, settings, conversation) -> Ticket | None:
    """A conversation that went quiet: keep what was collected as a draft officers can see."""
    data = dict(conversation.data or {})
    ticket = None
    if conversation.state in INTAKE_STATES and data.get("text"):
        resident = session.get(Resident, conversation.resident_id)
        ticket, _ = filing.file_ticket(session, settings, filing.conversation_fields(resident, data),
                                       actor="system:timeout", status="draft")
    residents.set_state(conversation, "idle")
    return ticket
