"""What a typhoon run did, from the database and the fake Zalo's log: latency from the webhook
POST to the reply reaching Zalo, drain time, rates, and the checks (none lost, none doubled,
each resident's replies in the order the resident wrote)."""
from __future__ import annotations

from collections import defaultdict
from datetime import timezone

from sqlalchemy import func, select

from bot.bench.typhoon_plan import Planned
from storage.models import InboundEvent, OutboundMessage, Ticket

EVENT_KEY = "zalo:msg:{}"
_ON_THE_WAY = ("pending", "sending", "unknown")


def _unix(naive_utc) -> float:
    return naive_utc.replace(tzinfo=timezone.utc).timestamp()


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else None


def load(session, planned: list[Planned]) -> dict:
    """The run's rows: its events by msg_id, every outbox row, the ticket count."""
    keys = {EVENT_KEY.format(p.msg_id): p.msg_id for p in planned}
    events = {}
    for row in session.execute(select(InboundEvent.id, InboundEvent.event_key, InboundEvent.status,
                                      InboundEvent.processed_at)
                               .where(InboundEvent.event_name.notlike("oa_send%"))):
        if row.event_key in keys:
            events[keys[row.event_key]] = row
    outbox = list(session.execute(select(OutboundMessage.id, OutboundMessage.event_id,
                                         OutboundMessage.recipient_id, OutboundMessage.status,
                                         OutboundMessage.zalo_message_id, OutboundMessage.purpose)))
    tickets = session.scalar(select(func.count()).select_from(Ticket))
    return {"events": events, "outbox": outbox, "tickets": tickets}


def unfinished(session, officers: set[str]) -> tuple[int, int]:
    """Events pending, residents' messages on their way. The duty officers' alerts are left
    out: Zalo gets one message per recipient at a time, so a storm's hundreds of alerts to one
    officer trail behind the replies (alerts_waiting tells how many)."""
    events = session.scalar(select(func.count()).where(InboundEvent.status == "pending"))
    out = session.scalar(select(func.count()).where(
        OutboundMessage.status.in_(_ON_THE_WAY), OutboundMessage.recipient_id.not_in(officers)))
    return events, out


def alerts_waiting(session, officers: set[str]) -> int:
    return session.scalar(select(func.count()).where(
        OutboundMessage.status.in_(_ON_THE_WAY), OutboundMessage.recipient_id.in_(officers))) or 0


def figures(planned: list[Planned], sent_at: list[float], statuses: list[int], rows: dict,
            messages: list[tuple], expected_tickets: int) -> dict:
    """Latency, drain and the checks of the burst (`planned`, posted at `sent_at`)."""
    events, outbox = rows["events"], rows["outbox"]
    step_of = {}
    for p in planned:
        if p.msg_id in events:
            step_of[events[p.msg_id].id] = p.step
    by_message_id = {r.zalo_message_id: r for r in outbox if r.zalo_message_id}
    residents = {p.user for p in planned}
    first_reply: dict[int, float] = {}
    per_user: dict[str, list[tuple[int, int]]] = defaultdict(list)  # (fake id, event id)
    delivered_to_residents = 0
    for fake_id, user, message_id, at in messages:
        row = by_message_id.get(message_id)
        if user not in residents:
            continue
        delivered_to_residents += 1
        if row is not None and row.event_id in step_of:
            first_reply[row.event_id] = min(at, first_reply.get(row.event_id, at))
            per_user[user].append((fake_id, row.event_id))
    sent_rows = sum(1 for r in outbox if r.recipient_id in residents and r.status == "sent")
    latencies = [first_reply[events[p.msg_id].id] - sent_at[i] for i, p in enumerate(planned)
                 if p.msg_id in events and events[p.msg_id].id in first_reply]
    out_of_order = sum(1 for pairs in per_user.values()
                       if [step_of[e] for _, e in sorted(pairs)] != sorted(step_of[e] for _, e in pairs))
    accepted = sum(1 for s in statuses if s == 200)
    return {
        "events": len(planned), "accepted": accepted,
        "lost_events": accepted - len(events),
        "not_done": sum(1 for e in events.values() if e.status != "done"),
        "unreplied": len(events) - len(first_reply),
        "doubled_replies": delivered_to_residents - sent_rows,
        "tickets": rows["tickets"], "tickets_expected": expected_tickets,
        "residents_out_of_order": out_of_order,
        "residents_with_several_messages": sum(1 for pairs in per_user.values() if len(pairs) > 1),
        "p50_s": percentile(latencies, 0.50), "p99_s": percentile(latencies, 0.99),
        "drain_s": (max(first_reply.values()) - min(sent_at)) if first_reply else None,
    }


def capacity(planned: list[Planned], rows: dict, since: float, messages: list[tuple]) -> dict:
    """Events/s and sends/s while the backlog was full: events handled and messages Zalo took
    after `since` (the backlog all posted), over the time until the last of them."""
    done = [_unix(rows["events"][p.msg_id].processed_at) for p in planned
            if p.msg_id in rows["events"] and rows["events"][p.msg_id].processed_at is not None]
    after = [t for t in done if t >= since]
    sends = [at for _, _, _, at in messages if at >= since]
    return {
        "backlog": len(planned), "handled": len(done),
        "events_per_s": len(after) / (max(after) - since) if len(after) > 1 else None,
        "sends_per_s": len(sends) / (max(sends) - since) if len(sends) > 1 else None,
    }
