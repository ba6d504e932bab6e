"""The "Tổ dân phố" and "Thông báo" tabs: officers manage residential groups and write
announcements in the sheet. Read in the same batchGet as the board, answered in the same
values batchUpdate, so the cycle's request count does not grow."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from handlers.announcements import parse_repeat, reach, runs_of, to_local, to_utc
from storage.models import Announcement, Resident, ResidentialGroup

GROUPS = "Tổ dân phố"
ANNOUNCEMENTS = "Thông báo"
GROUP_COLUMNS = ("Mã tổ", "Tên tổ", "Zalo id tổ trưởng MT", "Group id nhóm OA", "Số thành viên nhóm Zalo",
                 "Cư dân đã đăng ký (hệ thống)")
ANN_COLUMNS = ("Mã", "Tiêu đề", "Nội dung", "Ảnh hoặc liên kết", "Gửi đến (mã tổ; trống = tất cả)",
               "Thời gian gửi (dd/mm/yyyy HH:MM)", "Lặp lại (vd monthly:15:08:00)", "Trạng thái (hệ thống)",
               "Cư dân nhận / tổ trưởng xác nhận (hệ thống)")
GROUPS_RANGE = f"'{GROUPS}'!A1:F"
ANN_RANGE = f"'{ANNOUNCEMENTS}'!A1:I"


def _pad(row, n):
    return [str(c).strip() for c in row[:n]] + [""] * (n - len(row))


def headers() -> list[dict]:
    return [{"range": f"'{GROUPS}'!A1:F1", "values": [list(GROUP_COLUMNS)]},
            {"range": f"'{ANNOUNCEMENTS}'!A1:I1", "values": [list(ANN_COLUMNS)]}]


def sync_groups(session, rows: list[list[str]]) -> list[dict]:
    updates = []
    for i, raw in enumerate(rows[1:], start=2):
        code, name, leader, oa_group, members, shown = _pad(raw, 6)
        if not code:
            continue
        code = code.upper()
        group = session.scalar(select(ResidentialGroup).where(ResidentialGroup.code == code))
        group = group or ResidentialGroup(code=code, name=name or f"Tổ dân phố {code}")
        group.name = name or group.name
        group.leader_zalo_id = leader or None
        group.oa_group_id = oa_group or None
        group.member_count = int(members) if members.isdigit() else None
        session.add(group)
        registered = len(session.scalars(select(Resident.id).where(Resident.group_code == code)).all())
        if shown != str(registered):
            updates.append({"range": f"'{GROUPS}'!F{i}", "values": [[str(registered)]]})
    return updates


def sync_announcements(session, rows: list[list[str]]) -> list[dict]:
    updates = []
    for i, raw in enumerate(rows[1:], start=2):
        key, title, content, link, targets, when, repeat, shown_status, shown_reach = _pad(raw, 9)
        if not title or not content:
            continue
        ann = session.scalar(select(Announcement).where(Announcement.source_key == key)) if key else None
        status = ""
        try:
            parse_repeat(repeat or None)
            at = datetime.strptime(when, "%d/%m/%Y %H:%M") if when else None
        except ValueError as exc:
            status = f"Lỗi: {exc}" if "lặp" in str(exc) else "Lỗi: thời gian phải là dd/mm/yyyy HH:MM"
            at = None
        if not status:
            if ann is None:
                ann = Announcement(status="scheduled", created_by="sheet")
                session.add(ann)
            if ann.status == "scheduled" or ann.id is None:
                ann.title, ann.content, ann.link = title, content, link or None
                ann.targets = [t.strip() for t in targets.split(",") if t.strip()] or ["*"]
                ann.repeat = repeat or None
                if at is not None:
                    ann.next_run_at = to_utc(at)
                elif ann.next_run_at is None:
                    from storage.models import utcnow

                    ann.next_run_at = utcnow()
            session.flush()
            if not key:
                ann.source_key = key = f"TB-{ann.id}"
                updates.append({"range": f"'{ANNOUNCEMENTS}'!A{i}", "values": [[key]]})
            nxt = f", lần tới {to_local(ann.next_run_at):%d/%m/%Y %H:%M}" if ann.next_run_at else ""
            status = {"scheduled": "Đã lên lịch", "done": "Đã gửi", "cancelled": "Đã hủy"}[ann.status] + nxt
            r = reach(session, runs_of(session, ann.id))
            reach_text = f"{r['residents_reached']} / {r['leaders_confirmed']}" if r["runs"] else ""
            if reach_text != shown_reach:
                updates.append({"range": f"'{ANNOUNCEMENTS}'!I{i}", "values": [[reach_text]]})
        if status != shown_status:
            updates.append({"range": f"'{ANNOUNCEMENTS}'!H{i}", "values": [[status]]})
    return updates
