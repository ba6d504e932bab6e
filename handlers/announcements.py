"""Announcements to residential groups, through every route the OA permits.

Zalo lets the OA post only into group chats it created itself, message a resident only while
their reply window is open (7 days), and not send promotional content at night. So a run
plans, per target tổ: the OA-created group chat (if any); each registered resident whose
window is open (others are recorded as `window_closed`, counted, not sent); and the tổ's
Front committee leader, with a button to confirm forwarding into the residents' own group.
All rows of a run are inserted in one transaction with unique dedupe keys: a crash mid-
broadcast resumes from the outbox and nobody gets the same announcement twice.
"""
from __future__ import annotations

import calendar
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from handlers import texts
from storage import outbox
from storage.messages import Picture, Reply
from storage.scoping import use_ward, ward_of
from storage.models import (Announcement, AnnouncementRun, LeaderConfirmation, OutboundMessage,
                            Resident, ResidentialGroup, utcnow)
from storage.tickets import LOCAL_TZ

log = logging.getLogger(__name__)
UTC = ZoneInfo("UTC")
WINDOW = timedelta(days=7)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NIGHT_START, NIGHT_END = 22, 6


def to_utc(local: datetime) -> datetime:
    return local.replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def to_local(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def parse_repeat(rule: str | None) -> tuple | None:
    """"monthly:15:08:00", "weekly:fri:09:00", "daily:07:30" -> a tuple, or None (one-off)."""
    if not rule:
        return None
    parts = rule.strip().lower().split(":")
    try:
        if parts[0] == "monthly" and len(parts) == 4:
            day, hour, minute = int(parts[1]), int(parts[2]), int(parts[3])
            if 1 <= day <= 31 and 0 <= hour < 24 and 0 <= minute < 60:
                return ("monthly", day, hour, minute)
        if parts[0] == "weekly" and len(parts) == 4 and parts[1] in DAYS:
            return ("weekly", DAYS.index(parts[1]), int(parts[2]), int(parts[3]))
        if parts[0] == "daily" and len(parts) == 3:
            return ("daily", int(parts[1]), int(parts[2]))
    except ValueError:
        pass
    raise ValueError(f"quy tắc lặp không hợp lệ: {rule!r} (ví dụ monthly:15:08:00, weekly:fri:09:00)")


def next_run(rule: str | None, after_local: datetime) -> datetime | None:
    """The next local time strictly after `after_local` matching the rule."""
    spec = parse_repeat(rule)
    if spec is None:
        return None
    if spec[0] == "daily":
        cand = after_local.replace(hour=spec[1], minute=spec[2], second=0, microsecond=0)
        return cand if cand > after_local else cand + timedelta(days=1)
    if spec[0] == "weekly":
        cand = after_local.replace(hour=spec[2], minute=spec[3], second=0, microsecond=0)
        cand += timedelta(days=(spec[1] - cand.weekday()) % 7)
        return cand if cand > after_local else cand + timedelta(days=7)
    _, day, hour, minute = spec
    year, month = after_local.year, after_local.month
    for _ in range(13):
        last = calendar.monthrange(year, month)[1]
        cand = datetime(year, month, min(day, last), hour, minute)  # the 31st -> last day
        if cand > after_local:
            return cand
        month = 1 if month == 12 else month + 1
        year = year + 1 if month == 1 else year
    return None


def not_before(now_utc: datetime) -> datetime:
    """Nothing promotional between 22:00 and 06:00: hold it until 06:00."""
    local = to_local(now_utc)
    if NIGHT_END <= local.hour < NIGHT_START:
        return now_utc
    morning = local.replace(hour=NIGHT_END, minute=0, second=0, microsecond=0)
    if local.hour >= NIGHT_START:
        morning += timedelta(days=1)
    return to_utc(morning)


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def is_image_link(link: str | None) -> bool:
    """An http(s) link to a picture (by its file name), which Zalo can show inline."""
    if not link or not link.startswith(("http://", "https://")):
        return False
    path = link.split("?", 1)[0].split("#", 1)[0].lower()
    return path.endswith(IMAGE_SUFFIXES)


# An image uploaded to Zalo from the officer's machine (`announce create --link anh.png`) is
# stored as this prefix plus Zalo's attachment_id: residents get the picture, never a file path.
UPLOADED_IMAGE = "zalo-image:"


def image_source(link: str | None) -> str | None:
    """What a Picture should show for this link (a URL or an attachment_id), or None."""
    if link and link.startswith(UPLOADED_IMAGE):
        return link[len(UPLOADED_IMAGE):]
    return link if is_image_link(link) else None


def target_groups(session, ann: Announcement) -> list[ResidentialGroup]:
    groups = list(session.scalars(select(ResidentialGroup).order_by(ResidentialGroup.code)))
    if not ann.targets or "*" in ann.targets:
        return groups
    wanted = {str(t).strip().upper() for t in ann.targets}
    return [g for g in groups if g.code.upper() in wanted]


def plan_run(session, ann: Announcement, run_at: datetime, now: datetime | None = None) -> AnnouncementRun | None:
    """Insert every outbox row of one run. Returns None when this run was already planned."""
    now = now or utcnow()
    run = AnnouncementRun(announcement_id=ann.id, run_at=run_at, planned_at=now)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    hold = not_before(now)
    image = image_source(ann.link)
    # An uploaded picture has no link a person could open or forward: text without it.
    text_link = None if ann.link and ann.link.startswith(UPLOADED_IMAGE) else ann.link
    if image:
        # A poster is shown as a picture, the text as its caption (Zalo media template).
        plain = Picture(image, texts.announcement(ann.title, ann.content, None)).payload()
    else:
        plain = Reply(texts.announcement(ann.title, ann.content, ann.link)).payload()

    def add(route: str, recipient: str, message: dict, channel: str = "zalo_cs"):
        return outbox.enqueue(session, recipient, message, purpose="announcement", channel=channel,
                              dedupe_key=f"ann:{run.id}:{route}:{recipient}", not_before=hold,
                              announcement_run_id=run.id, route=route)

    for group in target_groups(session, ann):
        if group.oa_group_id:
            add("group_chat", group.oa_group_id, plain, channel="zalo_group")
        if group.leader_zalo_id:
            if image and not text_link:  # the picture itself, for the leader to forward
                add("leader_image", group.leader_zalo_id, Picture(image).payload())
            add("leader", group.leader_zalo_id,
                texts.announcement_for_leader(ann.title, ann.content, text_link, group.name).payload())
        members = session.scalars(select(Resident).where(Resident.group_code == group.code,
                                                         Resident.zalo_user_id.is_not(None)))
        for resident in members:
            if resident.zalo_user_id == group.leader_zalo_id:
                continue
            row = add("resident", resident.zalo_user_id, plain)
            if resident.is_follower is False and resident.last_interaction_at is None:
                row.status, row.reason = "failed", "not_follower"
            elif resident.last_interaction_at is None or now - resident.last_interaction_at > WINDOW:
                # Zalo would answer -230: record it per recipient instead of spending a request.
                row.status, row.reason = "failed", "window_closed"
    return run


def run_due(session, now: datetime | None = None, on_error=None) -> list[int]:
    """Plan every announcement whose time has come; schedule the next repeat.

    A session of one ward plans that ward's announcements; a session of ALL_WARDS (the
    scheduler) plans every ward's, each in its own ward (storage/scoping.py). With
    `on_error(ward_id, exc)`, each announcement is planned in its own savepoint and one that
    fails is handed to it while the others go on (it stays due and is tried again)."""
    now = now or utcnow()
    planned = []
    home = ward_of(session)
    due = list(session.scalars(select(Announcement).where(
        Announcement.status == "scheduled", Announcement.next_run_at <= now).with_for_update(skip_locked=True)))
    try:
        for ann in due:
            ward_id = ann.ward_id
            use_ward(session, ward_id)  # its groups, residents and outbox rows are its ward's
            if on_error is None:
                run = _run_once(session, ann, now)
            else:
                try:
                    with session.begin_nested():
                        run = _run_once(session, ann, now)
                except Exception as exc:
                    on_error(ward_id, exc)
                    continue
            if run is not None:
                planned.append(run.id)
    finally:
        use_ward(session, home)
    return planned


def _run_once(session, ann: Announcement, now: datetime) -> AnnouncementRun | None:
    run = plan_run(session, ann, ann.next_run_at, now)
    following = next_run(ann.repeat, to_local(ann.next_run_at))
    # A worker down for days does not send a backlog of repeats: the next one after now.
    while following is not None and to_utc(following) <= now:
        following = next_run(ann.repeat, following)
    ann.next_run_at = to_utc(following) if following else None
    ann.status = "scheduled" if following else "done"
    return run


def confirm_forwarded(session, leader_zalo_id: str) -> ResidentialGroup | None:
    """The leader tapped the button: the latest unconfirmed run sent to them is forwarded."""
    rows = session.execute(
        select(OutboundMessage.announcement_run_id)
        .where(OutboundMessage.route == "leader", OutboundMessage.recipient_id == leader_zalo_id,
               OutboundMessage.status == "sent")
        .order_by(OutboundMessage.id.desc()).limit(20)).scalars()
    group = session.scalar(select(ResidentialGroup).where(ResidentialGroup.leader_zalo_id == leader_zalo_id))
    if group is None:
        return None
    for run_id in rows:
        exists = session.scalar(select(LeaderConfirmation.id).where(
            LeaderConfirmation.run_id == run_id, LeaderConfirmation.group_code == group.code))
        if not exists:
            session.add(LeaderConfirmation(run_id=run_id, group_code=group.code,
                                           leader_zalo_id=leader_zalo_id, at=utcnow()))
            return group
    return None


def reach(session, run_ids: list[int]) -> dict:
    """Residents reached individually, group chat posts, leaders who confirmed, members of
    confirmed group posts, failures by reason."""
    if not run_ids:
        return {"runs": 0, "residents_reached": 0, "group_chat_posts": 0, "leaders_confirmed": 0,
                "members_via_confirmed_groups": 0, "failures": {}, "pending": 0}
    rows = session.execute(
        select(OutboundMessage.route, OutboundMessage.status, OutboundMessage.reason, func.count())
        .where(OutboundMessage.announcement_run_id.in_(run_ids))
        .group_by(OutboundMessage.route, OutboundMessage.status, OutboundMessage.reason)).all()
    out = {"runs": len(run_ids), "residents_reached": 0, "group_chat_posts": 0, "leaders_confirmed": 0,
           "members_via_confirmed_groups": 0, "failures": {}, "pending": 0}
    for route, status, reason, n in rows:
        if status == "sent" and route == "resident":
            out["residents_reached"] += n
        elif status == "sent" and route == "group_chat":
            out["group_chat_posts"] += n
        elif status == "failed":
            out["failures"][reason or "unknown"] = out["failures"].get(reason or "unknown", 0) + n
        elif status in ("pending", "sending", "unknown"):
            out["pending"] += n
    confirmations = session.execute(select(LeaderConfirmation.group_code).where(
        LeaderConfirmation.run_id.in_(run_ids))).scalars().all()
    out["leaders_confirmed"] = len(confirmations)
    for code in confirmations:
        group = session.scalar(select(ResidentialGroup).where(ResidentialGroup.code == code))
        registered = session.scalar(select(func.count()).where(Resident.group_code == code)) or 0
        out["members_via_confirmed_groups"] += (group.member_count if group and group.member_count else registered)
    return out


def runs_of(session, announcement_id: int | None = None, month: str | None = None) -> list[int]:
    stmt = select(AnnouncementRun.id)
    if announcement_id is not None:
        stmt = stmt.where(AnnouncementRun.announcement_id == announcement_id)
    if month:  # "2026-11", local time
        start = datetime.strptime(month + "-01", "%Y-%m-%d")
        end = (start + timedelta(days=32)).replace(day=1)
        stmt = stmt.where(AnnouncementRun.run_at >= to_utc(start), AnnouncementRun.run_at < to_utc(end))
    return list(session.scalars(stmt))
