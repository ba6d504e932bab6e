"""Guided intake of a report (phản ánh) or suggestion (kiến nghị) into a ticket.

Steps: what happened -> where -> optional photo -> confirm; each step's answer is read in
handlers/intake_steps.py. A step is skipped when the first message already answered it
("never ask again for what the first message already said").
Urgent reports (fire, fallen live wire...) skip the questions: the ticket is made at once and
officers are alerted. State lives in the conversation row (state + data), never in memory.
"""
from __future__ import annotations

from datetime import timedelta

from handlers import filing, states, texts, urgent
from handlers.context import Context
from intents.commands import parse as parse_command
from intents.location import extract_group, extract_location
from intents.normalize import normalize
from intents.replies import answer_tokens
from intents.replies import read as read_reply
from storage import residents, tickets
from storage.messages import Inbound
from storage.models import Resident, Ticket

SUMMARY_CHARS = 160
MEDIA_TYPES = ("image", "file", "video", "audio", "gif", "link")


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


def add_attachments(data: dict, event: Inbound) -> None:
    atts = list(data.get("attachments", []))
    for att in event.attachments:
        if att.type == "location":
            if att.latitude is not None and att.longitude is not None:
                data["lat"], data["lng"] = att.latitude, att.longitude
        elif att.type != "sticker":
            atts.append(att.as_dict())
    data["attachments"] = atts


def set_text(ctx: Context, data: dict, text: str) -> None:
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


def add_facts(ctx: Context, data: dict, text: str) -> None:
    """New facts the resident added (an edit, or a long message that is no answer)."""
    old = data.get("text", "").rstrip()
    joined = f"{old}{'' if not old or old[-1] in '.!?' else '.'} {text}" if old else text
    set_text(ctx, data, joined)


def edit(ctx: Context, data: dict, rest: str) -> None:
    if rest:
        add_facts(ctx, data, rest)
        advance(ctx, data)
        return
    # Keep the old text: if no new one comes, the resident gets their report back, not nothing.
    data["previous_text"], data["text"] = data.get("text", ""), ""
    residents.set_state(ctx.conversation, states.INTAKE_CONTENT, data)
    ctx.reply(texts.ask_edit())


def cancel(ctx: Context) -> None:
    residents.set_state(ctx.conversation, states.IDLE)
    ctx.reply(texts.cancelled())


def advance(ctx: Context, data: dict) -> None:
    """Ask the next missing thing, or for confirmation when nothing is missing."""
    kind = data["kind"]
    data.pop("unclear_at", None)
    data.pop("unclear_n", None)
    if not data.get("text"):
        residents.set_state(ctx.conversation, states.INTAKE_CONTENT, data)
        ctx.reply(texts.ask_content(kind))
        return
    if data.get("urgent") and kind == "complaint":
        _create_urgent(ctx, data)
        return
    if kind == "complaint" and not _location_known(data):
        residents.set_state(ctx.conversation, states.INTAKE_LOCATION, data)
        ctx.reply(texts.ask_location(_summary(data)))
        return
    if kind == "complaint" and not _media_count(data) and not data.get("photo_skipped"):
        residents.set_state(ctx.conversation, states.INTAKE_PHOTO, data)
        ctx.reply(texts.ask_photo(_summary(data)))
        return
    residents.set_state(ctx.conversation, states.INTAKE_CONFIRM, data)
    ctx.reply(texts.confirm(kind, data["text"], _where(data), _media_count(data)))


def _where(data: dict) -> str | None:
    if data.get("location"):
        return data["location"]
    if data.get("lat") is not None:
        return f"vị trí đã chia sẻ ({data['lat']:.5f}, {data['lng']:.5f})"
    return None


def start(ctx: Context, kind: str, event: Inbound | None = None, text: str = "") -> None:
    data: dict = {"kind": kind, "text": "", "attachments": []}
    if event is not None:
        add_attachments(data, event)
    if text:
        set_text(ctx, data, text)
    advance(ctx, data)


def _create_urgent(ctx: Context, data: dict) -> None:
    ticket, alerted = filing.create_ticket(ctx, data)
    located = bool(data.get("location") or data.get("lat") is not None)
    ctx.reply(urgent.urgent_reply(ctx.settings, ticket, alerted, located), ticket_id=ticket.id)
    if located:
        residents.set_state(ctx.conversation, states.IDLE)
    else:
        residents.set_state(ctx.conversation, states.URGENT_LOCATION, {"ticket_id": ticket.id})


def keep_draft(ctx: Context, data: dict) -> Ticket:
    """Keep what was collected as a draft officers can see; "gửi" later still sends it."""
    ticket, _ = filing.create_ticket(ctx, data, status="draft")
    residents.set_state(ctx.conversation, states.IDLE)
    ctx.reply(texts.draft_kept(data["kind"]), ticket_id=ticket.id)
    return ticket


# --- entry points ------------------------------------------------------------------------

# States where something is being put together and "hủy" drops it unsent. Elsewhere (a rating,
# an urgent ticket's place, an officer's question) the ticket already exists: "hủy" just ends
# the follow-up, and "phường đã hủy, chưa gửi gì đi" would be false.
CANCELLABLE = (*states.INTAKE_STATES, states.CLARIFY_KIND, states.FAQ_WAIT)


def on_cancel(event: Inbound, ctx: Context) -> bool:
    if event.kind != "text":
        return False
    state = ctx.conversation.state
    if state == states.IDLE:
        command = parse_command(event.text)
        if not command or command.name != "cancel":
            return False
        ctx.reply(texts.nothing_to_cancel())
        return True
    if read_reply(event.text, ("cancel",)).kind != "cancel":
        return False
    residents.set_state(ctx.conversation, states.IDLE)
    ctx.reply(texts.cancelled() if state in CANCELLABLE else texts.stopped())
    return True


def on_submit_draft(event: Inbound, ctx: Context) -> bool:
    """A resident comes back after a timeout and taps the old "Gửi phản ánh" button."""
    if event.kind != "text" or ctx.conversation.state != states.IDLE:
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


# A photo that follows a report it belongs to: residents send the text, get the code, then
# remember the picture.
LATE_PHOTO_MINUTES = 30


def on_late_photo(event: Inbound, ctx: Context) -> bool:
    """Pictures sent in idle within LATE_PHOTO_MINUTES of a report: added to that ticket, not
    the start of a new report (the reply says how to start one if it was another matter)."""
    if event.kind != "media" or ctx.conversation.state != states.IDLE:
        return False
    pictures = [a.as_dict() for a in event.attachments if a.type == "image"]
    if not pictures or event.text.strip():
        return False
    ticket = tickets.latest_sent(ctx.session, ctx.resident.id, ctx.now - timedelta(minutes=LATE_PHOTO_MINUTES))
    if ticket is None:
        return False
    tickets.add_attachments(ctx.session, ticket, pictures)
    tickets.audit(ctx.session, ticket, f"resident:{ctx.resident.id}", "attachments", None, str(len(pictures)))
    ctx.reply(texts.photo_added(ticket.code, len(pictures)), ticket_id=ticket.id)
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
            residents.set_state(ctx.conversation, states.CLARIFY_KIND, {"text": normalize(event.text)[:4000]})
            ctx.reply(texts.clarify_kind(c.candidates))
            return True
    if c.kind not in ("complaint", "suggestion"):
        return False
    start(ctx, c.kind, text=event.text)
    return True


def keep_stalled_draft(session, settings, conversation) -> Ticket | None:
    """Timeout hook of the intake states: a report that went quiet is kept as a draft officers
    can see (when it says what happened); the registry then ends the conversation."""
    data = dict(conversation.data or {})
    if not data.get("text"):
        return None
    resident = session.get(Resident, conversation.resident_id)
    ticket, _ = filing.file_ticket(session, settings, filing.conversation_fields(resident, data),
                                   actor="system:timeout", status="draft")
    return ticket
