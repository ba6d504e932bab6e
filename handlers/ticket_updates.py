"""What residents hear when officers work their ticket, and what they can say back:
a message on each status change or answer, a 1–5 rating once per ticket, "chưa xong" to
reopen within 7 days, and the information an officer asked for."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from handlers import states, texts
from handlers.context import Context
from intents.normalize import fold, normalize
from intents.replies import read as read_reply
from storage import outbox, residents, tickets
from storage.messages import Inbound, Reply
from storage.models import Officer, OutboundMessage, Resident, Ticket, TicketEvent

REOPEN_WINDOW = timedelta(days=7)
RATE_STATUSES = ("resolved", "answered")
RATING_ANSWERS = ("rating", "cancel", "no", "skip", "yes")
_NOT_DONE = ("chua xong", "chua giai quyet", "chua duoc giai quyet", "chua sua", "van chua", "chua het")


def _dedupe(ticket: Ticket, what: str) -> str:
    digest = hashlib.sha256(what.encode()).hexdigest()[:16]
    return f"upd:{ticket.id}:{digest}"


def _queue(session, ticket: Ticket, resident: Resident, message: dict, purpose: str, what: str) -> None:
    key = _dedupe(ticket, what)
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return  # a replayed sync: already queued once
    outbox.enqueue(session, resident.zalo_user_id, message, purpose=purpose, ticket_id=ticket.id,
                   dedupe_key=key)


def on_ticket_changed(session, settings, ticket: Ticket, changes: dict, actor: str) -> None:
    """Tell the resident (Zalo tickets only) about a status change or a new answer."""
    if ticket.channel != "zalo" or ticket.resident_id is None:
        if "status" in changes or ("answer" in changes and ticket.answer):
            # Form tickets: no Zalo conversation to write to; say so in the audit trail.
            tickets.audit(session, ticket, "system", "resident_notified", None, "no",
                          note=f"kênh {ticket.channel}: không gửi tin Zalo")
        return
    resident = session.get(Resident, ticket.resident_id)
    if resident is None or not resident.zalo_user_id:
        return
    status_changed = "status" in changes
    if status_changed and changes["status"][0] == "waiting_resident":
        resume_clock(session, settings, ticket, actor)
    answer_changed = "answer" in changes and ticket.answer
    if not status_changed and not answer_changed:
        return
    if status_changed:
        text = texts.status_update(ticket.code, ticket.status, ticket.answer, ticket.forwarded_to)
    else:
        text = texts.answer_update(ticket.code, ticket.answer)
    what = f"{ticket.status}|{ticket.answer or ''}|{ticket.updated_at.isoformat()}"
    _queue(session, ticket, resident, Reply(text).payload(), "status_update", what)
    conversation = residents.conversation_for(session, resident)
    if status_changed and ticket.status == "waiting_resident":
        residents.set_state(conversation, states.SUPPLEMENT, {"ticket_id": ticket.id})
    if status_changed and ticket.status in RATE_STATUSES and not _rating_requested(session, ticket):
        tickets.audit(session, ticket, "system", "rating_requested", None, "1")
        _queue(session, ticket, resident, texts.ask_rating(ticket.code).payload(), "rating", "rating")
        residents.set_state(conversation, states.RATING, {"ticket_id": ticket.id})


def resume_clock(session, settings, ticket: Ticket, actor: str) -> None:
    """Time spent waiting for the resident does not count against the deadline."""
    from handlers.deadlines import extend_for_pause, holidays

    paused_at = session.scalar(select(TicketEvent.at).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.field == "status",
        TicketEvent.new_value == "waiting_resident").order_by(TicketEvent.id.desc()).limit(1))
    if paused_at is None:
        return
    new_due = extend_for_pause(ticket.due_date, tickets.to_local(paused_at).date(),
                               tickets.local_now().date(), holidays(settings.holidays_file))
    tickets.change(session, ticket, actor, due_date=new_due)


def _rating_requested(session, ticket: Ticket) -> bool:
    return session.scalar(select(TicketEvent.id).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.field == "rating_requested")) is not None


def _finished_at(session, ticket: Ticket):
    return session.scalar(select(TicketEvent.at).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.field == "status",
        TicketEvent.new_value.in_(RATE_STATUSES)).order_by(TicketEvent.id.desc()).limit(1))


def parse_stars(text: str) -> int | None:
    """1–5 however typed: "5", "5*", "5 ⭐", "bác cho 5 sao", "năm sao", "rất hài lòng"."""
    answer = read_reply(text, ("rating",))
    return answer.value if answer.kind == "rating" else None


def is_not_done(text: str) -> bool:
    folded = fold(text)
    return any(phrase in folded for phrase in _NOT_DONE)


def assignee_zalo_ids(session, settings, ticket: Ticket) -> list[str]:
    """Who to tell about a ticket: its assignee (from the Cán bộ tab), else the duty officers."""
    if ticket.assignee:
        zalo_id = session.scalar(select(Officer.zalo_user_id).where(Officer.name == ticket.assignee))
        if zalo_id:
            return [zalo_id]
    return list(settings.officer_zalo_ids)


def reopen(ctx: Context, ticket: Ticket, text: str) -> None:
    finished = _finished_at(ctx.session, ticket) or ticket.updated_at
    if ctx.now - finished > REOPEN_WINDOW:
        ctx.reply(texts.reopen_too_late(ticket.code), ticket_id=ticket.id)
        return
    actor = f"resident:{ctx.resident.id}"
    tickets.change(ctx.session, ticket, actor, status="in_progress",
                   reopened_count=ticket.reopened_count + 1)
    ctx.reply(texts.reopened(ticket.code), ticket_id=ticket.id)
    for officer in assignee_zalo_ids(ctx.session, ctx.settings, ticket):
        ctx.notify(officer, texts.officer_reopened(ticket.code, normalize(text)),
                   purpose="officer_alert", ticket_id=ticket.id)


def on_rating(event: Inbound, ctx: Context) -> bool:
    """Conversation state RATING: stars (tapped or typed), "chưa xong", or "không"."""
    data = dict(ctx.conversation.data)
    ticket = ctx.session.get(Ticket, data.get("ticket_id"))
    if ticket is None or event.kind != "text":
        residents.set_state(ctx.conversation, states.IDLE)
        return False
    if is_not_done(event.text):
        residents.set_state(ctx.conversation, states.IDLE)
        reopen(ctx, ticket, event.text)
        return True
    answer = read_reply(event.text, RATING_ANSWERS)
    if answer.kind == "rating":
        residents.set_state(ctx.conversation, states.IDLE)
        if ticket.rating is not None:
            ctx.reply(texts.rating_already(ticket.code), ticket_id=ticket.id)
        else:
            tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}", rating=answer.value)
            ctx.reply(texts.rating_thanks(answer.value), ticket_id=ticket.id)
        return True
    if answer.kind == "yes" and data.get("unclear_n", 0) == 0:
        # "dạ", "ok": the request was seen, not answered. Say once how to rate, then let it be.
        data["unclear_n"] = 1
        residents.set_state(ctx.conversation, states.RATING, data)
        ctx.reply(texts.rating_reask(), ticket_id=ticket.id)
        return True
    residents.set_state(ctx.conversation, states.IDLE)
    if answer:  # "không", "thôi", "khỏi", a second "dạ": no rating, and that is fine
        ctx.reply(texts.stopped(), ticket_id=ticket.id)
        return True
    return False


def _latest_finished(ctx: Context) -> Ticket | None:
    return ctx.session.scalar(
        select(Ticket).where(Ticket.resident_id == ctx.resident.id, Ticket.status.in_(RATE_STATUSES))
        .order_by(Ticket.updated_at.desc()).limit(1))


def on_not_done(event: Inbound, ctx: Context) -> bool:
    """Idle follow-ups on a finished ticket: "chưa xong" reopens the resident's most recently
    finished ticket; a star button tapped again ("5 ⭐", "4 sao") after the rating state ended
    is answered (a late first rating is stored, a second one politely refused)."""
    if event.kind != "text" or len(event.text) > 200:
        return False
    if is_not_done(event.text):
        ticket = _latest_finished(ctx)
        if ticket is None:
            return False
        reopen(ctx, ticket, event.text)
        return True
    folded = fold(event.text)
    stars = parse_stars(event.text) if ("sao" in folded or "⭐" in event.text or "*" in event.text) else None
    if stars is None:
        return False
    ticket = _latest_finished(ctx)
    if ticket is None or not _rating_requested(ctx.session, ticket):
        return False
    finished = _finished_at(ctx.session, ticket) or ticket.updated_at
    if ctx.now - finished > REOPEN_WINDOW:
        return False
    if ticket.rating is not None:
        ctx.reply(texts.rating_already(ticket.code), ticket_id=ticket.id)
    else:
        tickets.change(ctx.session, ticket, f"resident:{ctx.resident.id}", rating=stars)
        ctx.reply(texts.rating_thanks(stars), ticket_id=ticket.id)
    return True


SUPPLEMENT_ANSWERS = ("dont_know", "no", "yes")


def on_supplement(event: Inbound, ctx: Context) -> bool:
    """Conversation state SUPPLEMENT: the officer asked for more; this message is it.

    "ko bt", "không có" is an answer too (noted on the ticket for the officer, in the desk's
    words, not the resident's); a bare "dạ" is not the information, so it is asked for once."""
    data = dict(ctx.conversation.data)
    ticket = ctx.session.get(Ticket, data.get("ticket_id"))
    residents.set_state(ctx.conversation, states.IDLE)
    if ticket is None or ticket.status != "waiting_resident":
        return False
    actor = f"resident:{ctx.resident.id}"
    attachments = [a.as_dict() for a in event.attachments if a.type != "sticker"]
    answer = read_reply(event.text, SUPPLEMENT_ANSWERS) if event.text.strip() else None
    if answer and answer.kind == "yes" and not attachments:
        if data.get("unclear_n", 0) == 0:
            residents.set_state(ctx.conversation, states.SUPPLEMENT, {**data, "unclear_n": 1})
            ctx.reply(texts.supplement_reask(ticket.code), ticket_id=ticket.id)
        else:
            ctx.reply(texts.stopped(), ticket_id=ticket.id)
        return True
    if attachments:
        tickets.add_attachments(ctx.session, ticket, attachments)
    if answer and answer.kind in ("dont_know", "no"):
        tickets.change(ctx.session, ticket, actor, text=f"{ticket.text}\n[Bổ sung] {texts.SUPPLEMENT_NONE}")
    elif event.text.strip():
        addition = normalize(event.text)[:2000]
        tickets.change(ctx.session, ticket, actor, text=f"{ticket.text}\n[Bổ sung] {addition}")
    if not attachments and not event.text.strip():
        return False
    tickets.change(ctx.session, ticket, actor, status="in_progress")
    resume_clock(ctx.session, ctx.settings, ticket, actor)
    nothing_more = bool(answer and answer.kind in ("dont_know", "no") and not attachments)
    if nothing_more:
        ctx.reply(texts.supplement_none(ticket.code), ticket_id=ticket.id)
    else:
        ctx.reply(texts.supplement_received(ticket.code), ticket_id=ticket.id)
    what = "người dân trả lời không có thêm thông tin" if nothing_more else "người dân đã gửi thêm thông tin"
    for officer in assignee_zalo_ids(ctx.session, ctx.settings, ticket):
        ctx.notify(officer, f"[BỔ SUNG] {ticket.code}: {what}", purpose="officer_alert", ticket_id=ticket.id)
    return True


def undeliverable_counts(session) -> dict[str, int]:
    """Status updates Zalo refused (window closed, not a follower...), by reason."""
    from sqlalchemy import func

    rows = session.execute(
        select(OutboundMessage.reason, func.count())
        .where(OutboundMessage.purpose.in_(("status_update", "rating")),
               OutboundMessage.status == "failed")
        .group_by(OutboundMessage.reason))
    return {reason or "unknown": n for reason, n in rows}
