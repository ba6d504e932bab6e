"""Guided intake of a report (phản ánh) or suggestion (kiến nghị) into a ticket.

Steps: what happened -> where -> optional photo -> confirm. A step is skipped when the first
message already answered it ("never ask again for what the first message already said").
Urgent reports (fire, fallen live wire...) skip the questions: the ticket is made at once and
officers are alerted. State lives in the conversation row (state + data), never in memory.
"""
from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.deadlines import due_for, rules, working_days_for
from handlers import urgent
from handlers.context import Context
from intents.commands import parse as parse_command
from intents.location import extract_group, extract_location
from intents.normalize import normalize
from storage import residents, tickets
from storage.models import Resident, Ticket
from webhooks.events import Inbound

INTAKE_STATES = ("intake_content", "intake_location", "intake_photo", "intake_confirm")
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


def advance(ctx: Context, data: dict) -> None:
    """Ask the next missing thing, or for confirmation when nothing is missing."""
    kind = data["kind"]
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


def start(ctx: Context, kind: str, event: Inbound | None = None, text: str = "") -> None:
    data: dict = {"kind": kind, "text": "", "attachments": []}
    if event is not None:
        _add_attachments(data, event)
    if text:
        _set_text(ctx, data, text)
    advance(ctx, data)


def _ticket_fields(settings, resident, data: dict) -> dict:
    due = due_for(settings, tickets.local_now().date(), data.get("topic"), bool(data.get("urgent")))
    return dict(
        kind=data["kind"],
        text=data["text"],
        topic=data.get("topic"),
        urgent=bool(data.get("urgent")),
        channel="zalo",
        location_text=data.get("location"),
        latitude=data.get("lat"),
        longitude=data.get("lng"),
        group_code=data.get("group_code"),
        resident_id=resident.id,
        reporter_name=resident.display_name,
        reporter_phone=resident.phone,
        confidence=data.get("confidence"),
        due_date=due,
        attachments=data.get("attachments", []),
    )


def create_ticket(ctx: Context, data: dict, status: str = "new") -> Ticket:
    return tickets.create_ticket(ctx.session, actor=f"resident:{ctx.resident.id}", status=status,
                                 **_ticket_fields(ctx.settings, ctx.resident, data))


def alert_officers(session, settings, ticket: Ticket, event_id: int | None = None) -> int:
    """An urgent ticket: every duty officer gets a message at once (any channel's ticket).
    Returns how many officers hold an alert for it (handlers.urgent)."""
    return urgent.alert_officers(session, settings, ticket, event_id)


def _create_urgent(ctx: Context, data: dict) -> None:
    ticket = create_ticket(ctx, data)
    alerted = alert_officers(ctx.session, ctx.settings, ticket, ctx.event_id)
    located = bool(data.get("location") or data.get("lat") is not None)
    ctx.reply(urgent.urgent_reply(ctx.settings, ticket, alerted, located), ticket_id=ticket.id)
    if located:
        residents.set_state(ctx.conversation, "idle")
    else:
        residents.set_state(ctx.conversation, "urgent_location", {"ticket_id": ticket.id})


def created_reply(settings, ticket: Ticket) -> texts.Reply:
    days = working_days_for(ticket.topic, ticket.urgent, rules(settings.deadlines_file))
    return texts.ticket_created(ticket.kind, ticket.code, days, ticket.due_date)


def submit(ctx: Context, data: dict) -> None:
    ticket = create_ticket(ctx, data)
    if ticket.urgent:
        alert_officers(ctx.session, ctx.settings, ticket, ctx.event_id)
    residents.set_state(ctx.conversation, "idle")
    ctx.reply(created_reply(ctx.settings, ticket), ticket_id=ticket.id)


# --- conversation states -------------------------------------------------------------------

def on_content(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    command = parse_command(event.text) if event.kind == "text" else None
    if command and command.name in ("menu_report", "menu_suggest"):
        # The resident changed their mind about what they are sending: start over as that.
        start(ctx, "complaint" if command.name == "menu_report" else "suggestion")
        return True
    _add_attachments(data, event)
    if event.kind == "text" and event.text.strip():
        _set_text(ctx, data, event.text)
    elif event.text.strip():  # a caption on a photo
        _set_text(ctx, data, event.text)
    advance(ctx, data)
    return True


def on_location(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    command = parse_command(event.text) if event.kind == "text" else None
    _add_attachments(data, event)
    if command and command.name in ("skip_location", "no_photo"):
        data["location_skipped"] = True
    elif event.kind == "text" and event.text.strip():
        data["location"] = normalize(event.text)[:300]
        data["group_code"] = data.get("group_code") or extract_group(event.text)
    advance(ctx, data)
    return True


def on_photo(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    _add_attachments(data, event)
    if event.kind == "text":
        command = parse_command(event.text)
        if command and command.name in ("no_photo", "skip_location", "submit"):
            data["photo_skipped"] = True
        elif event.text.strip():
            # More details instead of a photo: keep them, don't ask for the photo again.
            data["text"] = f"{data['text']} {normalize(event.text)}"[:4000]
            data["photo_skipped"] = True
    advance(ctx, data)
    return True


def on_confirm(event: Inbound, ctx: Context) -> bool:
    data = dict(ctx.conversation.data)
    if event.kind == "media":
        # Extra photos after the summary: attach quietly, the buttons are already on screen.
        _add_attachments(data, event)
        residents.set_state(ctx.conversation, "intake_confirm", data)
        return True
    command = parse_command(event.text)
    if command and command.name == "submit":
        submit(ctx, data)
    elif command and command.name == "edit":
        data["text"] = ""
        residents.set_state(ctx.conversation, "intake_content", data)
        ctx.reply(texts.ask_edit())
    elif len(event.text.strip()) >= 15 and not command:
        data["text"] = f"{data['text']} {normalize(event.text)}"[:4000]
        advance(ctx, data)
    else:
        ctx.reply(texts.confirm_again(data["kind"]))
    return True


def on_urgent_location(event: Inbound, ctx: Context) -> bool:
    ticket = ctx.session.get(Ticket, ctx.conversation.data.get("ticket_id"))
    data: dict = {"attachments": []}
    _add_attachments(data, event)
    if ticket is None:
        residents.set_state(ctx.conversation, "idle")
        return False
    changes = {}
    if data.get("lat") is not None:
        changes.update(latitude=data["lat"], longitude=data["lng"])
    elif event.kind == "text" and event.text.strip() and not parse_command(event.text):
        changes["location_text"] = normalize(event.text)[:300]
    if data["attachments"]:
        tickets.add_attachments(ctx.session, ticket, data["attachments"])
    if not changes and not data["attachments"]:
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
    """The resident picked what kind of message it was."""
    command = parse_command(event.text) if event.kind == "text" else None
    pending_text = ctx.conversation.data.get("text", "")
    if command and command.name == "menu_report":
        start(ctx, "complaint", text=pending_text)
        return True
    if command and command.name == "menu_suggest":
        start(ctx, "suggestion", text=pending_text)
        return True
    if command and command.name == "menu_ask":
        from handlers import faq

        residents.set_state(ctx.conversation, "idle")
        faq.answer(ctx, pending_text)
        return True
    residents.set_state(ctx.conversation, "idle")
    return False


# --- entry points ------------------------------------------------------------------------

def on_cancel(event: Inbound, ctx: Context) -> bool:
    command = parse_command(event.text) if event.kind == "text" else None
    if not command or command.name != "cancel":
        return False
    if ctx.conversation.state == "idle":
        ctx.reply(texts.nothing_to_cancel())
    else:
        residents.set_state(ctx.conversation, "idle")
        ctx.reply(texts.cancelled())
    return True


def on_submit_draft(event: Inbound, ctx: Context) -> bool:
    """A resident comes back after a timeout and taps the old "Gửi phản ánh" button."""
    command = parse_command(event.text) if event.kind == "text" else None
    if not command or command.name != "submit" or ctx.conversation.state != "idle":
        return False
    draft = tickets.latest_draft(ctx.session, ctx.resident.id, ctx.now - timedelta(days=1))
    if draft is None:
        return False
    tickets.change(ctx.session, draft, f"resident:{ctx.resident.id}", status="new")
    ctx.reply(created_reply(ctx.settings, draft), ticket_id=draft.id)
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
        ticket = tickets.create_ticket(session, actor="system:timeout", status="draft",
                                       **_ticket_fields(settings, resident, data))
    residents.set_state(conversation, "idle")
    return ticket
