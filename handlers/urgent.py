"""Urgent reports: officers are alerted first, and the resident is told only what happened.

The worker calls `alert_first` before anything else of an event runs, and commits what it
queued at once: a bug, a value the database refuses or a crash later in the same event can no
longer take the officers' alert back. The intake handler then makes the ticket and gives the
alert its code (`alert_officers`). Only an alert actually queued to at least one officer lets a
reply say "phường đã báo cán bộ trực"; with nobody to alert the resident gets the emergency
numbers and when officers will see the report, and production says so in the log, in
`status` and in /healthz.

Duty officers: OFFICER_ZALO_IDS; when it is empty, every officer on the sheet's "Cán bộ" tab
with a Zalo user id (so a ward that keeps its officers on the sheet is covered too).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, func, select, update

from handlers import states, texts
from intents.location import extract_location
from intents.normalize import normalize
from storage import outbox
from storage.messages import Reply
from storage.models import Conversation, Officer, OutboundMessage, Resident, Ticket

log = logging.getLogger(__name__)

PURPOSE = "officer_alert"
# The urgent_location handler adds the place to the ticket and tells officers itself.
NO_PREALERT_STATES = (states.URGENT_LOCATION,)
# Office hours assumed when telling a resident when officers will read a report (Nghị định
# về chế độ làm việc: 8 hours a day, Monday to Friday; most wards open 7:30 and close 17:00).
OFFICE_OPENS = time(7, 30)
OFFICE_CLOSES = time(17, 0)
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def duty_officer_ids(session, settings) -> list[str]:
    """Who is alerted of an urgent report: OFFICER_ZALO_IDS, else the Cán bộ tab's Zalo ids."""
    if settings.officer_zalo_ids:
        return list(dict.fromkeys(settings.officer_zalo_ids))
    ids = session.scalars(select(Officer.zalo_user_id).where(Officer.zalo_user_id.is_not(None))
                          .order_by(Officer.id))
    return list(dict.fromkeys(i for i in ids if i))


def _topic_label(topic: str | None) -> str:
    from intents.taxonomy import TOPICS

    return TOPICS.get(topic or "", "chưa phân loại")


def _event_alerts(session, event_id: int | None, officers: list[str]) -> list[OutboundMessage]:
    if event_id is None or not officers:
        return []
    # Filtered by recipient so the (recipient, status, id) index serves it.
    return list(session.scalars(select(OutboundMessage).where(
        OutboundMessage.recipient_id.in_(officers), OutboundMessage.event_id == event_id,
        OutboundMessage.purpose == PURPOSE).order_by(OutboundMessage.id)
        # The sender may have moved them on since this session last looked (worker's commit).
        .execution_options(populate_existing=True)))


@dataclass(frozen=True)
class Stage:
    """What `alert_first` found: an urgent message, how many officers hold an alert for it,
    and whether rows were queued just now (the caller commits them before going on)."""
    urgent: bool = False
    alerted: int = 0
    queued: bool = False


def _conversation_state(session, user_id: str) -> str | None:
    return session.scalar(select(Conversation.state).join(Resident, Resident.id == Conversation.resident_id)
                          .where(Resident.zalo_user_id == user_id))


def alert_first(session, settings, nlu, event, event_id: int | None) -> Stage:
    """Before the event's handlers run: an urgent message gets its officer alert queued now.

    Needs nothing but the text and the duty list, so it holds when the ticket cannot be made.
    Idempotent per event: a retried event finds its alert and queues nothing again."""
    text = (event.text or "").strip() if event.kind in ("text", "media") else ""
    if not event.actionable or not text:
        return Stage()
    c = nlu.classify(text)
    if not c.urgent or _conversation_state(session, event.user_id) in NO_PREALERT_STATES:
        return Stage()
    officers = duty_officer_ids(session, settings)
    done = _event_alerts(session, event_id, officers)
    if done:
        return Stage(urgent=True, alerted=len({r.recipient_id for r in done}))
    if not officers:
        return Stage(urgent=True)
    alert = texts.officer_urgent_prealert(_topic_label(c.topic), normalize(text), extract_location(text))
    for officer in officers:
        outbox.enqueue(session, officer, Reply(alert).payload(), purpose=PURPOSE,
                       event_id=event_id)
    return Stage(urgent=True, alerted=len(officers), queued=True)


def failure_reply(stage: Stage) -> Reply | None:
    """What a resident whose urgent message could not be processed is told (None: not urgent)."""
    if not stage.urgent:
        return None
    return texts.urgent_failed_alerted() if stage.alerted else texts.urgent_failed_no_officer()


def alert_officers(session, settings, ticket: Ticket, event_id: int | None = None) -> int:
    """Alert every duty officer of an urgent ticket; returns how many hold an alert for it.

    An alert `alert_first` queued for this event carries the code too: rewritten while it
    still waits in the outbox; once delivered, followed by a short message with the code; if
    its send failed or was cut (a crash mid-send), the full alert goes again."""
    officers = duty_officer_ids(session, settings)
    label = _topic_label(ticket.topic)
    full = Reply(texts.officer_urgent_alert(ticket.code, label, ticket.text, ticket.location_text)).payload()
    early = {r.recipient_id: r for r in _event_alerts(session, event_id, officers) if r.ticket_id is None}
    for officer in officers:
        row = early.get(officer)
        if row is not None and _rewrite_if_waiting(session, row.id, full, ticket.id):
            continue
        delivered = row is not None and row.status == "sent"
        message = Reply(texts.officer_urgent_code(ticket.code, label)).payload() if delivered else full
        outbox.enqueue(session, officer, message, purpose=PURPOSE, ticket_id=ticket.id, event_id=event_id)
    if not officers:
        # The ticket code only: no resident's words or ids in the log.
        log.log(logging.ERROR if settings.is_production else logging.WARNING,
                "Phiếu khẩn %s: không có cán bộ trực nào để báo (OFFICER_ZALO_IDS trống, tab "
                "Cán bộ không có Zalo user id); người dân được hướng dẫn gọi 114/113/115.", ticket.code)
    return len(officers)


def _rewrite_if_waiting(session, row_id: int, message: dict, ticket_id: int) -> bool:
    """Give a queued alert the ticket's code, unless the sender has already taken it."""
    result = session.execute(update(OutboundMessage).where(
        OutboundMessage.id == row_id, OutboundMessage.status == "pending",
    ).values(message=message, ticket_id=ticket_id).execution_options(synchronize_session=False))
    return result.rowcount == 1


def next_working_hours(now: datetime, holidays=frozenset()) -> str:
    """When officers will next be at their desks, as a resident reads it: "hôm nay",
    "sáng nay", or "thứ Hai 07/12" (weekends and public holidays skipped)."""
    def working(d: date) -> bool:
        return d.weekday() < 5 and d not in holidays

    today = now.date()
    if working(today) and now.time() < OFFICE_CLOSES:
        return "sáng nay" if now.time() < OFFICE_OPENS else "hôm nay"
    day = today + timedelta(days=1)
    while not working(day):
        day += timedelta(days=1)
    return "sáng mai" if day == today + timedelta(days=1) else f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"


def urgent_reply(settings, ticket: Ticket, alerted: int, located: bool) -> Reply:
    if alerted:
        return texts.urgent_created(ticket.code, located)
    from handlers.deadlines import holidays
    from storage.tickets import local_now

    when = next_working_hours(local_now().replace(tzinfo=None), holidays(settings.holidays_file))
    return texts.urgent_recorded_no_officer(ticket.code, located, when)


# --- for `status`, /healthz and start-up -------------------------------------------------------

def not_alerted_count(session) -> int:
    """Urgent tickets no officer was alerted about and nobody has touched yet."""
    alerted = exists().where(OutboundMessage.ticket_id == Ticket.id, OutboundMessage.purpose == PURPOSE)
    return session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.urgent.is_(True), Ticket.status == "new", ~alerted)) or 0


NO_DUTY_OFFICER = ("Chưa có cán bộ trực nhận cảnh báo phiếu khẩn: OFFICER_ZALO_IDS trống và tab "
                   "\"Cán bộ\" không có ai có Zalo user id. Tin báo khẩn (cháy, điện giật...) sẽ chỉ "
                   "được ghi thành phiếu; người dân được hướng dẫn gọi 114/113/115.")


# Zalo delivers an OA's message only to someone who wrote to the OA in the last 7 days (-230).
REPLY_WINDOW = timedelta(days=7)
OFFICERS_SILENT = ("Không cán bộ trực nào nhắn cho OA trong 7 ngày qua: Zalo không cho OA nhắn tin "
                   "cho họ (lỗi -230), nên cảnh báo tin khẩn sẽ không tới. Mỗi cán bộ trực nhắn một "
                   "tin bất kỳ cho OA ít nhất mỗi tuần.")


def reachable_count(session, officers: list[str]) -> int:
    """Duty officers the OA can message now: they wrote to it within Zalo's 7-day window."""
    if not officers:
        return 0
    from storage.models import utcnow

    return session.scalar(select(func.count()).select_from(Resident).where(
        Resident.zalo_user_id.in_(officers), Resident.last_interaction_at >= utcnow() - REPLY_WINDOW)) or 0


def health(session, settings) -> dict:
    """Figures and named problems for /healthz and `status`. Problems are raised in production
    only: in development and the sandbox nobody is on duty, and that is expected."""
    count = not_alerted_count(session)
    officers = duty_officer_ids(session, settings)
    reachable = reachable_count(session, officers)
    problems = []
    if settings.is_production:
        if count:
            problems.append({"code": "urgent_not_alerted", "count": count,
                             "message": f"{count} phiếu khẩn chưa báo được cán bộ trực nào và chưa ai xử lý"})
        if not officers:
            problems.append({"code": "no_duty_officer", "message": NO_DUTY_OFFICER})
        elif not reachable:
            problems.append({"code": "duty_officers_silent", "message": OFFICERS_SILENT})
    return {"urgent_not_alerted": count, "duty_officers": len(officers),
            "duty_officers_reachable": reachable, "problems": problems}


def health_of_wards(wards) -> dict:
    """`health` for every ward, each in its own ward's session: `wards` is (code, ward id, that
    ward's settings) for each. One ward: its figures as they are. Several: the totals, and each
    problem names its ward (an urgent report in ward 57 must turn /healthz as red as one in
    the default ward)."""
    from storage.db import session_scope

    per_ward = []
    for code, ward_id, settings in wards:
        with session_scope(ward_id) as session:
            per_ward.append((code, health(session, settings)))
    if len(per_ward) == 1:
        return per_ward[0][1]
    totals = {key: sum(h[key] for _, h in per_ward)
              for key in ("urgent_not_alerted", "duty_officers", "duty_officers_reachable")}
    problems = [{**p, "ward": code, "message": f"Phường {code}: {p['message']}"}
                for code, h in per_ward for p in h["problems"]]
    return {**totals, "problems": problems}


def startup_warnings(session, settings) -> list[str]:
    officers = duty_officer_ids(session, settings)
    if not officers:
        return [NO_DUTY_OFFICER]
    return [] if reachable_count(session, officers) else [OFFICERS_SILENT]
