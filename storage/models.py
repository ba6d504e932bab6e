"""Database models. Times are naive UTC everywhere; display code converts to Asia/Ho_Chi_Minh.

Zalo ids are big numeric strings and stay strings (never ints) end to end.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import (  # noqa: F401  (Base, utcnow and the ward ids are imported from here too)
    DEFAULT_WARD_CODE,
    DEFAULT_WARD_ID,
    BigId,
    Base,
    Ward,
    WardScoped,
    utcnow,
)

class Resident(WardScoped, Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))  # per OA: unique per ward
    display_name: Mapped[str | None] = mapped_column(String(200))
    # Personal data: shown masked on the officers' sheet, never logged in plain text.
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    group_code: Mapped[str | None] = mapped_column(String(32))
    is_follower: Mapped[bool] = mapped_column(Boolean, default=False)
    last_interaction_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Consent: which version of the privacy notice (handlers/texts/menu.py) the resident was first shown, when.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(16))
    privacy_notice_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("ward_id", "zalo_user_id", name="uq_residents_ward_user"),)


# The state of a resident with no guided conversation going on. The other states belong to the
# handlers (handlers/states.py); this one is storage's too: the column default, the expiry and
# retention queries.
IDLE = "idle"


class Conversation(WardScoped, Base):
    """A resident's guided chat, as a state machine stored here and never in memory."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), unique=True)
    state: Mapped[str] = mapped_column(String(40), default=IDLE)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboundEvent(WardScoped, Base):
    """Durable inbox: every webhook delivery lands here before anything else happens."""

    __tablename__ = "inbound_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # zalo | form | sheet
    event_key: Mapped[str] = mapped_column(String(255))
    event_name: Mapped[str] = mapped_column(String(64))
    user_key: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the exact raw body as received
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|ignored|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_inbound_status_id", "status", "id"),
        Index("ix_inbound_user_status_id", "user_key", "status", "id"),
        UniqueConstraint("ward_id", "event_key", name="uq_inbound_ward_key"),
    )


class OutboundMessage(WardScoped, Base):
    """Outbox: every message to Zalo is a row that ends `sent` or `failed` with a reason."""

    __tablename__ = "outbound_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="zalo_cs")  # zalo_cs | zalo_group
    recipient_id: Mapped[str] = mapped_column(String(64))
    message: Mapped[dict] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(32), default="reply")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|unknown|sent|failed
    reason: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    zalo_message_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_events.id"))
    # Broadcasts: which announcement run and which route (group_chat | resident | leader).
    announcement_run_id: Mapped[int | None] = mapped_column(ForeignKey("announcement_runs.id"), index=True)
    route: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sending_since: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Sends whose outcome is unknown (a timeout after Zalo may have delivered, a crash mid-send)
    # wait in status `unknown` for Zalo's oa_send_* echo: echoes after `first_attempt_at` can be
    # this row's; `unknown_since` starts the echo window; `unknown_sends` bounds the resends.
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    unknown_since: Mapped[datetime | None] = mapped_column(DateTime)
    unknown_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_recipient_status_id", "recipient_id", "status", "id"),
        UniqueConstraint("ward_id", "dedupe_key", name="uq_outbox_ward_dedupe"),
    )


class Ticket(WardScoped, Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # counted per ward: unique per ward
    kind: Mapped[str] = mapped_column(String(16))  # complaint | suggestion | question
    topic: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default="new")
    channel: Mapped[str] = mapped_column(String(16), default="zalo")  # zalo | form
    text: Mapped[str] = mapped_column(Text, default="")
    location_text: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    group_code: Mapped[str | None] = mapped_column(String(32))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    answer: Mapped[str | None] = mapped_column(Text)
    forwarded_to: Mapped[str | None] = mapped_column(String(300))
    due_date: Mapped[datetime | None] = mapped_column(DateTime)
    confidence: Mapped[float | None] = mapped_column(Float)
    source_ref: Mapped[str | None] = mapped_column(String(255))  # e.g. form response id
    rating: Mapped[int | None] = mapped_column(Integer)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the reporter's personal data was erased at their request (the ticket stays for
    # the statistics; the sheet row is marked).
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime)

    attachments: Mapped[list["Attachment"]] = relationship(back_populates="ticket", order_by="Attachment.id")

    __table_args__ = (
        Index("ix_tickets_resident", "resident_id", "id"),
        Index("ix_tickets_updated", "updated_at"),
        UniqueConstraint("ward_id", "code", name="uq_tickets_ward_code"),
        UniqueConstraint("ward_id", "source_ref", name="uq_tickets_ward_source"),
    )


class Attachment(WardScoped, Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(16))  # image | file | location | video | audio | link
    url: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(300))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


class TicketEvent(WardScoped, Base):
    """Audit trail: who changed what on a ticket, when, from what to what."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TicketSequence(WardScoped, Base):
    __tablename__ = "ticket_sequences"
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), primary_key=True,
                                         server_default=str(DEFAULT_WARD_ID))
    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Referral(WardScoped, Base):
    """Contacts that are out of the desk's scope (khiếu nại, tố cáo): recorded, redirected."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OAToken(WardScoped, Base):
    """The OA's token pair. The refresh token is single use: this row is the only copy."""

    __tablename__ = "oa_tokens"
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), unique=True,
                                         server_default=str(DEFAULT_WARD_ID))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Hash of the environment's refresh token this row was seeded from: a new pair put in .env
    # after a re-authorisation replaces the stored one, an old one does not.
    seeded_from: Mapped[str | None] = mapped_column(String(64))
    rotations: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Flag(WardScoped, Base):
    """Small facts the service learns at run time (e.g. this OA must use the v2 send API)."""

    __tablename__ = "flags"
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), primary_key=True,
                                         server_default=str(DEFAULT_WARD_ID))
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LearnedExample(Base):
    """An officer's correction, kept as a labelled example the classifier learns from."""

    __tablename__ = "learned_examples"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32), default="cli")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- The officers' Google Sheet desk (issue 4) ---------------------------------------------

class SheetRow(WardScoped, Base):
    """What the service last wrote to a ticket's row: an officer's edit is a cell that differs
    from it, a service change is a ticket that differs from it."""

    __tablename__ = "sheet_rows"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    values: Mapped[list] = mapped_column(JSON)
    pushed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Officer(WardScoped, Base):
    """Mirrors the sheet's "Cán bộ" tab: who can be assigned, and where to reach them on Zalo."""

    __tablename__ = "officers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))
    topics: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("ward_id", "name", name="uq_officers_ward_name"),)


# --- Residential groups, announcements (issue 5) -------------------------------------------

class ResidentialGroup(WardScoped, Base):
    """A tổ dân phố: its Front committee leader, and the OA-created group chat if there is one."""

    __tablename__ = "residential_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    leader_zalo_id: Mapped[str | None] = mapped_column(String(64))
    oa_group_id: Mapped[str | None] = mapped_column(String(64))
    member_count: Mapped[int | None] = mapped_column(Integer)  # households/residents in the tổ's own group

    __table_args__ = (UniqueConstraint("ward_id", "code", name="uq_groups_ward_code"),)


class Announcement(WardScoped, Base):
    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[list] = mapped_column(JSON, default=list)  # group codes, or ["*"] for all
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC; None = finished
    repeat: Mapped[str | None] = mapped_column(String(64))  # e.g. "monthly:15:08:00"
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled|done|cancelled
    source_key: Mapped[str | None] = mapped_column(String(64))  # sheet row id
    created_by: Mapped[str] = mapped_column(String(200), default="cli")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("ward_id", "source_key", name="uq_announcements_ward_source"),)


class AnnouncementRun(WardScoped, Base):
    """One sending of an announcement. Planned in one transaction: every recipient's outbox row
    exists, or none does, so a crash mid-broadcast resumes and never sends twice."""

    __tablename__ = "announcement_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"))
    run_at: Mapped[datetime] = mapped_column(DateTime)
    planned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("announcement_id", "run_at", name="uq_announcement_run"),)


class LeaderConfirmation(WardScoped, Base):
    """A tổ leader tapped "Đã chuyển vào nhóm tổ": the announcement reached the tổ's own group."""

    __tablename__ = "leader_confirmations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("announcement_runs.id"))
    group_code: Mapped[str] = mapped_column(String(32))
    leader_zalo_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "group_code", name="uq_confirmation"),)


# --- Dead letters (issue 12) ----------------------------------------------------------------

class DeadLetter(Base):
    """What could not be handled after bounded tries: a spool record or an event row the
    database refused, or an inbound event whose handling kept failing. Kept with its reason so
    everything behind it flows on, and an officer is told (bot.runtime.jobs.dead_letter_alert)."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # spool | inbox | worker
    reason: Mapped[str] = mapped_column(String(300))  # storage.clean.redact_error(), never raw values
    event_key: Mapped[str | None] = mapped_column(String(255))
    # The record as received, ASCII-escaped (a NUL or lone surrogate is what made it fail).
    payload: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)  # draining twice: one row
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- Residents' data rights (issue 12) -----------------------------------------------------

class AuditLog(WardScoped, Base):
    """Who exported or erased whose data, when. `subject` is the internal reference (resident
    #id, ticket codes), never the name, phone or Zalo id being exported or erased."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))  # privacy_export | privacy_erase | privacy_purge
    subject: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
