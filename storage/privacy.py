"""Residents' data rights (Luật Bảo vệ dữ liệu cá nhân 2025, Nghị định 13/2023/NĐ-CP) and
retention: what is kept about one person, erasing it, and purging old raw data.

Erasure removes the person (name, phone, e-mail, Zalo id, address, photos and locations, the
raw messages they sent and the bodies of the messages sent to them) and keeps their tickets,
anonymised, for the statistics. The officers' sheet follows by itself: an anonymised ticket
differs from its last pushed row, so the next sync cycle rewrites it (sheets_sync/push.py).

Rows that exactly-once depends on (inbound event keys, outbox rows and their dedupe keys) are
never deleted: only their contents are emptied.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import (
    IDLE,
    AuditLog,
    Conversation,
    InboundEvent,
    LearnedExample,
    OutboundMessage,
    Referral,
    Resident,
    ResidentialGroup,
    Ticket,
    TicketEvent,
    utcnow,
)

REDACTED = "[đã xóa]"
# A phone number written in a message: 9 to 12 digits, possibly split by spaces, dots or dashes.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?\d[\s.\-]?){8,11}\d(?!\d)")
FINISHED_OUTBOX = ("sent", "failed")


# --- who ------------------------------------------------------------------------------------

def phone_key(phone: str | None) -> str:
    """Digits only, +84/84 written as 0: "+84 912.345.678" and "0912345678" are one phone."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@dataclass
class Subject:
    """One person's records: their resident rows (Zalo) and tickets (Zalo or Google Form)."""
    residents: list[Resident] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.residents or self.tickets)

    def reference(self) -> str:
        """For the audit trail: internal ids and ticket codes only, no personal data."""
        parts = [f"resident #{r.id}" for r in self.residents] + [t.code for t in self.tickets]
        return ", ".join(parts) or "-"


def find_subject(session: Session, ref: str) -> Subject:
    """A Zalo id, a phone number or a ticket code (what an officer is given in person)."""
    ref = (ref or "").strip()
    residents: dict[int, Resident] = {}
    tickets: dict[int, Ticket] = {}
    if not ref:
        return Subject()
    by_code = session.scalar(select(Ticket).where(Ticket.code == ref.upper()))
    phones: set[str] = set()
    if by_code is not None:
        tickets[by_code.id] = by_code
        if by_code.resident_id is not None:
            r = session.get(Resident, by_code.resident_id)
            residents[r.id] = r
        if by_code.reporter_phone:
            phones.add(phone_key(by_code.reporter_phone))
    else:
        r = session.scalar(select(Resident).where(Resident.zalo_user_id == ref))
        if r is not None:
            residents[r.id] = r
        elif len(phone_key(ref)) >= 9:
            phones.add(phone_key(ref))
    if phones:
        for r in session.scalars(select(Resident).where(Resident.phone.is_not(None))):
            if phone_key(r.phone) in phones:
                residents[r.id] = r
        for t in session.scalars(select(Ticket).where(Ticket.reporter_phone.is_not(None))):
            if phone_key(t.reporter_phone) in phones:
                tickets[t.id] = t
    if residents:
        for t in session.scalars(select(Ticket).where(Ticket.resident_id.in_(list(residents)))):
            tickets[t.id] = t
    return Subject(sorted(residents.values(), key=lambda r: r.id),
                   sorted(tickets.values(), key=lambda t: t.id))


# --- what -----------------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def group_name(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    group = session.scalar(select(ResidentialGroup).where(ResidentialGroup.code == code))
    return group.name if group else f"Tổ {code}"


def export(session: Session, subject: Subject) -> dict:
    """Everything kept about the subject, as plain JSON-ready data (the `privacy export` file)."""
    out = {"exported_at": _iso(utcnow()), "residents": [], "tickets": [], "referrals": []}
    for r in subject.residents:
        conv = session.scalar(select(Conversation).where(Conversation.resident_id == r.id))
        out["residents"].append({
            "zalo_user_id": r.zalo_user_id, "name": r.display_name, "phone": r.phone,
            "address": r.address, "group": group_name(session, r.group_code),
            "is_follower": r.is_follower, "first_seen": _iso(r.created_at),
            "last_message": _iso(r.last_interaction_at),
            "privacy_notice_version": r.privacy_notice_version,
            "privacy_notice_at": _iso(r.privacy_notice_at),
            "conversation": {"state": conv.state, "data": conv.data} if conv else None,
            "messages_kept": session.query(InboundEvent).filter(
                InboundEvent.user_key == r.zalo_user_id, InboundEvent.payload != "").count()
            if r.zalo_user_id else 0,
        })
        for ref in session.scalars(select(Referral).where(Referral.resident_id == r.id)):
            out["referrals"].append({"kind": ref.kind, "text": ref.text, "at": _iso(ref.created_at)})
    for t in subject.tickets:
        out["tickets"].append({
            "code": t.code, "kind": t.kind, "topic": t.topic, "status": t.status,
            "channel": t.channel, "text": t.text, "location": t.location_text,
            "latitude": t.latitude, "longitude": t.longitude, "group": t.group_code,
            "reporter_name": t.reporter_name, "reporter_phone": t.reporter_phone,
            "reporter_email": t.reporter_email, "answer": t.answer,
            "created_at": _iso(t.created_at), "closed_at": _iso(t.closed_at),
            "attachments": [{"kind": a.kind, "url": a.url, "name": a.name} for a in t.attachments],
        })
    return out


# --- erase ----------------------------------------------------------------------------------

@dataclass
class Erasure:
    residents: int = 0
    codes: list[str] = field(default_factory=list)
    photos: int = 0          # attachments removed (photos, files, locations...)
    messages: int = 0        # raw inbound bodies emptied
    replies: int = 0         # outbox bodies emptied
    referrals: int = 0

    def as_dict(self) -> dict:
        return {"residents": self.residents, "tickets": len(self.codes), "codes": self.codes,
                "attachments": self.photos, "messages": self.messages, "replies": self.replies,
                "referrals": self.referrals}


def redact(text: str | None, personal: list[str]) -> str | None:
    """`text` without phone numbers and without the given strings (name, address)."""
    if not text:
        return text
    text = _PHONE_IN_TEXT.sub(REDACTED, text)
    for value in personal:
        if value and len(value.strip()) >= 4:
            text = re.sub(re.escape(value.strip()), REDACTED, text, flags=re.IGNORECASE)
    return text


def erase(session: Session, subject: Subject, actor: str, *, keep_event_ids: tuple[int, ...] = ()) -> Erasure:
    """Erase the subject's personal data in the caller's transaction (see module doc).

    Messages still waiting to be sent (such as the confirmation of this erasure) are left to
    go out; finished ones lose their body and recipient. Inbound events still pending (other
    than `keep_event_ids`, which the caller has already read) keep theirs, to be handled as
    coming from a new resident."""
    now = utcnow()
    report = Erasure(residents=len(subject.residents))
    personal: list[str] = []
    for r in subject.residents:
        personal += [r.display_name or "", r.address or ""]
    for t in subject.tickets:
        personal += [t.reporter_name or "", t.reporter_email or ""]
    zalo_ids = [r.zalo_user_id for r in subject.residents if r.zalo_user_id]
    ticket_ids = [t.id for t in subject.tickets]

    _anonymise_tickets(session, subject, personal, actor, now, report)
    if ticket_ids:
        _redact_ticket_traces(session, ticket_ids, personal, report)
    if zalo_ids:
        _clear_zalo_traffic(session, zalo_ids, keep_event_ids, report)
    _delete_residents(session, subject, personal, report)
    session.flush()
    return report


def _anonymise_tickets(session: Session, subject: Subject, personal: list[str], actor: str,
                       now: datetime, report: Erasure) -> None:
    """Tickets stay for the statistics, without who sent them, where, or their photos."""
    for t in subject.tickets:
        personal_here = personal + [t.location_text or ""]
        for a in list(t.attachments):
            report.photos += 1
            session.delete(a)
        t.text = redact(t.text, personal_here) or ""
        t.reporter_name = t.reporter_phone = t.reporter_email = None
        t.location_text = None
        t.latitude = t.longitude = None
        t.resident_id = None
        t.anonymised_at = now
        t.updated_at = now  # the sheet row differs from what was pushed: the next sync rewrites it
        session.add(TicketEvent(ticket_id=t.id, actor=actor[:200], field="privacy",
                                note="Đã xóa thông tin cá nhân của người gửi theo yêu cầu", at=now))
        report.codes.append(t.code)


def _redact_ticket_traces(session: Session, ticket_ids: list[int], personal: list[str],
                          report: Erasure) -> None:
    # Earlier versions of the text (audit trail of a "[Bổ sung]") and examples learned from it.
    for ev in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(ticket_ids))):
        ev.old_value, ev.new_value = redact(ev.old_value, personal), redact(ev.new_value, personal)
        if ev.actor.startswith("resident:"):
            ev.actor = "resident"
    for ex in session.scalars(select(LearnedExample).where(LearnedExample.ticket_id.in_(ticket_ids))):
        ex.text = redact(ex.text, personal) or ""
    # Alerts to officers quoted the resident's text and location.
    report.replies += session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.ticket_id.in_(ticket_ids),
               OutboundMessage.status.in_(FINISHED_OUTBOX), OutboundMessage.recipient_id != "")
        .values(message={}, recipient_id="")
        .execution_options(synchronize_session=False)).rowcount


def _clear_zalo_traffic(session: Session, zalo_ids: list[str], keep_event_ids: tuple[int, ...],
                        report: Erasure) -> None:
    """What the resident sent and what was sent to them, once handled or delivered."""
    report.messages = session.execute(
        update(InboundEvent)
        .where(InboundEvent.user_key.in_(zalo_ids),
               (InboundEvent.status != "pending") | InboundEvent.id.in_(list(keep_event_ids) or [-1]))
        .values(payload="", user_key=None, last_error=None)
        .execution_options(synchronize_session=False)).rowcount
    report.replies += session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.recipient_id.in_(zalo_ids),
               OutboundMessage.status.in_(FINISHED_OUTBOX))
        .values(message={}, recipient_id="")
        .execution_options(synchronize_session=False)).rowcount


def _delete_residents(session: Session, subject: Subject, personal: list[str], report: Erasure) -> None:
    """Referrals lose the link to the resident and their words; conversations and the resident go."""
    for r in subject.residents:
        for ref in session.scalars(select(Referral).where(Referral.resident_id == r.id)):
            ref.resident_id = None
            ref.text = redact(ref.text, personal) or ""
            report.referrals += 1
        for conv in session.scalars(select(Conversation).where(Conversation.resident_id == r.id)):
            session.delete(conv)
        session.flush()  # tickets and referrals let go of the resident before it is deleted
        session.delete(r)


# --- retention ------------------------------------------------------------------------------

PURGE_BATCH = 2000  # rows per transaction: SQLite's write lock is held ~30 ms, not seconds


def purge(session: Session, *, inbound_days: int, outbox_days: int, conversation_days: int,
          now: datetime | None = None, batch: int | None = None) -> dict:
    """Empty what is older than its retention: raw webhook bodies of handled events, bodies
    and recipients of finished outbox messages; delete idle conversations. A setting of 0 or
    less keeps that kind for ever. With `batch`, at most that many rows of each kind (the
    caller commits and calls again while any count equals `batch`)."""
    now = now or utcnow()

    def ids(model, *where):
        query = select(model.id).where(*where)
        return model.id.in_(query.limit(batch).scalar_subquery() if batch else query.scalar_subquery())

    counts = {"inbound_payloads": 0, "outbox_payloads": 0, "conversations": 0}
    if inbound_days > 0:
        counts["inbound_payloads"] = session.execute(
            update(InboundEvent)
            .where(ids(InboundEvent, InboundEvent.received_at < now - timedelta(days=inbound_days),
                       InboundEvent.status != "pending", InboundEvent.payload != ""))
            .values(payload="", last_error=None)
            .execution_options(synchronize_session=False)).rowcount
    if outbox_days > 0:
        counts["outbox_payloads"] = session.execute(
            update(OutboundMessage)
            .where(ids(OutboundMessage, OutboundMessage.created_at < now - timedelta(days=outbox_days),
                       OutboundMessage.status.in_(FINISHED_OUTBOX), OutboundMessage.recipient_id != ""))
            .values(message={}, recipient_id="")
            .execution_options(synchronize_session=False)).rowcount
    if conversation_days > 0:
        counts["conversations"] = session.execute(
            delete(Conversation)
            .where(ids(Conversation, Conversation.state == IDLE,
                       Conversation.updated_at < now - timedelta(days=conversation_days)))
            .execution_options(synchronize_session=False)).rowcount
    return counts


def purge_ward(ward_id: int, *, inbound_days: int, outbox_days: int, conversation_days: int,
               actor: str, now: datetime | None = None) -> dict:
    """One ward's retention purge, in short transactions of its own (a first run after a year
    may empty hundreds of thousands of rows), written to that ward's audit trail if it did
    anything. The scheduler runs it for every ward."""
    from storage.db import session_scope

    total = {"inbound_payloads": 0, "outbox_payloads": 0, "conversations": 0}
    while True:
        with session_scope(ward_id) as session:
            counts = purge(session, inbound_days=inbound_days, outbox_days=outbox_days,
                           conversation_days=conversation_days, now=now, batch=PURGE_BATCH)
        for kind, n in counts.items():
            total[kind] += n
        if max(counts.values()) < PURGE_BATCH:
            break
    if any(total.values()):
        with session_scope(ward_id) as session:
            audit(session, actor, "privacy_purge", None, total)
    return total


# --- consent and audit ----------------------------------------------------------------------

def record_notice(resident: Resident, version: str, at: datetime) -> bool:
    """The resident has just been shown privacy notice `version`: remember the first time."""
    if resident.privacy_notice_version == version:
        return False
    resident.privacy_notice_version = version
    resident.privacy_notice_at = at
    return True


def audit(session: Session, actor: str, action: str, subject: str | None, details: dict | None = None) -> None:
    session.add(AuditLog(at=utcnow(), actor=actor[:200], action=action, subject=subject,
                         details=details or {}))
