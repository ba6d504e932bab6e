"""The weekly report (Friday 15:30 by default, and on demand) and the daily reminder.

Numbers: tickets received, resolved and overdue by topic, channel and tổ; on-time rate;
average rating; announcements and reach. Written to the sheet's "Báo cáo tuần" tab and sent
to the officers on Zalo as a short summary plus a PNG chart of the week (bot/runtime/jobs.send_weekly,
which needs the sheet and the Zalo upload).
"""
from __future__ import annotations

import io
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from handlers import texts
from handlers.announcements import reach, to_utc
from intents.taxonomy import TOPICS
from storage.models import AnnouncementRun, Officer, Ticket, TicketEvent
from storage.tickets import local_now
from storage.vocab import CHANNELS, OPEN_STATUSES

log = logging.getLogger(__name__)
REPORT_TAB = "Báo cáo tuần"


@dataclass
class WeeklyReport:
    start: date
    end: date  # inclusive
    received: int = 0
    resolved: int = 0
    overdue: int = 0
    on_time_rate: float | None = None
    average_rating: float | None = None
    by_topic: dict = field(default_factory=dict)    # topic -> {received, resolved, overdue}
    by_channel: dict = field(default_factory=dict)
    by_group: dict = field(default_factory=dict)
    daily_received: list = field(default_factory=list)
    announcements: int = 0
    reach: dict = field(default_factory=dict)
    # Set by send_weekly: outbox rows queued for officers, whether the sheet tab is owed (a
    # sheet is configured) and, when written at once, whether it was (None: not tried), whether
    # the week is now marked sent.
    queued: list = field(default_factory=list)
    sheet_owed: bool = False
    sheet_written: bool | None = None
    marked_sent: bool = False

    def summary(self) -> str:
        rate = f"{self.on_time_rate:.0%}" if self.on_time_rate is not None else "—"
        rating = f"{self.average_rating:.1f}/5" if self.average_rating is not None else "—"
        top = sorted(self.by_topic.items(), key=lambda kv: -kv[1]["received"])[:3]
        tops = ", ".join(f"{TOPICS.get(k, 'Chưa phân loại')} {v['received']}" for k, v in top)
        return (f"BÁO CÁO TUẦN {self.start:%d/%m}–{self.end:%d/%m/%Y}\n"
                f"Tiếp nhận {self.received} phiếu, đã giải quyết/trả lời {self.resolved}, quá hạn {self.overdue}.\n"
                f"Đúng hạn: {rate}. Hài lòng trung bình: {rating}.\n"
                f"Nhiều nhất: {tops or '—'}.\n"
                f"Thông báo đã gửi: {self.announcements}; cư dân nhận trực tiếp: "
                f"{self.reach.get('residents_reached', 0)}, qua nhóm tổ đã xác nhận: "
                f"{self.reach.get('members_via_confirmed_groups', 0)}.")


def _finished_at(session, ticket_ids: list[int]) -> dict[int, datetime]:
    rows = session.execute(select(TicketEvent.ticket_id, TicketEvent.at).where(
        TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.field == "status",
        TicketEvent.new_value.in_(("resolved", "answered"))).order_by(TicketEvent.id))
    first: dict[int, datetime] = {}
    for tid, at in rows:
        first.setdefault(tid, at)
    return first


def weekly(session, end_day: date | None = None) -> WeeklyReport:
    end_day = end_day or local_now().date()
    start_day = end_day - timedelta(days=end_day.weekday())  # Monday of that week
    start, end = to_utc(datetime.combine(start_day, datetime.min.time())), \
        to_utc(datetime.combine(end_day + timedelta(days=1), datetime.min.time()))
    rep = WeeklyReport(start_day, end_day)
    rows = list(session.scalars(select(Ticket).where(Ticket.status != "draft")))
    finished = _finished_at(session, [t.id for t in rows])
    topic, channel, group = Counter(), Counter(), Counter()
    resolved_t, overdue_t = Counter(), Counter()
    daily = Counter()
    on_time = late = 0
    ratings = []
    for t in rows:
        done = finished.get(t.id)
        key = t.topic or "unknown"
        if start <= t.created_at < end:
            rep.received += 1
            topic[key] += 1
            channel[CHANNELS.get(t.channel, t.channel)] += 1
            group[t.group_code or "—"] += 1
            daily[(t.created_at + timedelta(hours=7)).date()] += 1
        if done is not None and start <= done < end:
            rep.resolved += 1
            resolved_t[key] += 1
            if t.due_date is not None:
                if done.date() <= t.due_date.date():
                    on_time += 1
                else:
                    late += 1
        if t.status in OPEN_STATUSES and t.due_date is not None and t.due_date.date() < end_day:
            rep.overdue += 1
            overdue_t[key] += 1
        if t.rating and t.updated_at >= start - timedelta(days=7):
            ratings.append(t.rating)
    rep.on_time_rate = on_time / (on_time + late) if on_time + late else None
    rep.average_rating = sum(ratings) / len(ratings) if ratings else None
    for k in set(topic) | set(resolved_t) | set(overdue_t):
        rep.by_topic[k] = {"received": topic[k], "resolved": resolved_t[k], "overdue": overdue_t[k]}
    rep.by_channel, rep.by_group = dict(channel), dict(group)
    rep.daily_received = [daily[start_day + timedelta(days=i)] for i in range(7)]
    run_ids = list(session.scalars(select(AnnouncementRun.id).where(
        AnnouncementRun.run_at >= start, AnnouncementRun.run_at < end)))
    rep.announcements = len(run_ids)
    rep.reach = reach(session, run_ids)
    return rep


def _font(size: int):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 "/usr/share/fonts/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # Pillow's own font: covers Vietnamese too


def chart_png(rep: WeeklyReport, width: int = 800, height: int = 450) -> bytes:
    """Bars: tickets received per day of the week; footer: the week's headline numbers."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    title, small = _font(22), _font(16)
    draw.text((20, 15), f"Phiếu tiếp nhận tuần {rep.start:%d/%m}–{rep.end:%d/%m/%Y}", fill="black", font=title)
    left, bottom, top = 60, height - 90, 70
    peak = max(rep.daily_received + [1])
    bar_w = (width - left - 40) // 7
    for i, n in enumerate(rep.daily_received):
        h = int((bottom - top) * n / peak)
        x = left + i * bar_w
        draw.rectangle([x + 8, bottom - h, x + bar_w - 8, bottom], fill=(46, 117, 182))
        draw.text((x + bar_w // 2 - 6, bottom - h - 22), str(n), fill="black", font=small)
        draw.text((x + bar_w // 2 - 12, bottom + 6), ("T2", "T3", "T4", "T5", "T6", "T7", "CN")[i],
                  fill="black", font=small)
    draw.line([left, bottom, width - 30, bottom], fill="black", width=2)
    rate = f"{rep.on_time_rate:.0%}" if rep.on_time_rate is not None else "—"
    draw.text((20, height - 50), f"Tiếp nhận {rep.received} · Giải quyết {rep.resolved} · "
                                 f"Quá hạn {rep.overdue} · Đúng hạn {rate}", fill="black", font=small)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def city_chart_png(title: str, wards: list[tuple[str, int, int, int]], height: int = 480) -> bytes:
    """The city's week: per ward (name, received, resolved, overdue), three bars side by side."""
    width = max(800, 120 + 36 * len(wards))
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    title_font, small = _font(22), _font(12)
    draw.text((20, 15), title, fill="black", font=title_font)
    colours = ((46, 117, 182), (84, 160, 84), (200, 70, 60))
    for i, (label, colour) in enumerate(zip(("Tiếp nhận", "Giải quyết", "Quá hạn"), colours)):
        draw.rectangle([20 + 130 * i, 50, 34 + 130 * i, 64], fill=colour)
        draw.text((40 + 130 * i, 50), label, fill="black", font=small)
    left, bottom, top = 60, height - 80, 90
    peak = max([max(r, d, o) for _, r, d, o in wards] + [1])
    slot = (width - left - 30) // max(1, len(wards))
    bar = max(2, (slot - 6) // 3)
    for i, (name, *numbers) in enumerate(wards):
        x = left + i * slot
        for k, (n, colour) in enumerate(zip(numbers, colours)):
            h = int((bottom - top) * n / peak)
            draw.rectangle([x + 3 + k * bar, bottom - h, x + 2 + (k + 1) * bar, bottom], fill=colour)
        draw.text((x + 2, bottom + 6 + 14 * (i % 3)), name[:14], fill="black", font=small)
    draw.line([left, bottom, width - 20, bottom], fill="black", width=2)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def sheet_rows(rep: WeeklyReport) -> list[list[str]]:
    rows = [[f"Tuần {rep.start:%d/%m}–{rep.end:%d/%m/%Y}", "Tiếp nhận", "Giải quyết", "Quá hạn"]]
    rows.append(["Tổng", str(rep.received), str(rep.resolved), str(rep.overdue)])
    for k, v in sorted(rep.by_topic.items()):
        rows.append([TOPICS.get(k, "Chưa phân loại"), str(v["received"]), str(v["resolved"]), str(v["overdue"])])
    for k, v in sorted(rep.by_channel.items()):
        rows.append([f"Kênh: {k}", str(v), "", ""])
    for k, v in sorted(rep.by_group.items()):
        rows.append([f"Tổ {k}", str(v), "", ""])
    rows.append(["Tỷ lệ đúng hạn", f"{rep.on_time_rate:.0%}" if rep.on_time_rate is not None else "—", "", ""])
    rows.append(["Hài lòng trung bình", f"{rep.average_rating:.1f}" if rep.average_rating else "—", "", ""])
    rows.append(["Thông báo / cư dân nhận", str(rep.announcements), str(rep.reach.get("residents_reached", 0)), ""])
    rows.append(["", "", "", ""])
    return rows


def reminders(session, settings, today: date | None = None) -> dict[str, str]:
    """Per officer Zalo id: what is overdue or due within a working day."""
    today = today or local_now().date()
    soon_limit = today + timedelta(days=1 if today.weekday() < 4 else 3)
    officers = {o.name: o.zalo_user_id for o in session.scalars(select(Officer)) if o.zalo_user_id}
    per: dict[str, tuple[list, list, str]] = {}
    for t in session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_date.is_not(None))):
        due = t.due_date.date()
        if due > soon_limit:
            continue
        targets = [officers[t.assignee]] if t.assignee in officers else list(settings.officer_zalo_ids)
        for zid in targets:
            name = t.assignee if t.assignee in officers else "cán bộ trực"
            overdue, soon, _ = per.setdefault(zid, ([], [], name))
            (overdue if due < today else soon).append(t.code)
    return {zid: texts.reminder(name, o, s) for zid, (o, s, name) in per.items() if o or s}
