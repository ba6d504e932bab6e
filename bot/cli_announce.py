"""CLI for residential groups, announcements and reports."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select


def _db():
    from bot.cli_desk import _settings

    return _settings()


def cmd_groups(args) -> int:
    from storage.db import session_scope
    from storage.models import Resident, ResidentialGroup

    _db()
    with session_scope() as s:
        if args.action in ("add", "set-leader") and not args.code:
            print("Cần --code (mã tổ)")
            return 2
        if args.action == "add":
            group = s.scalar(select(ResidentialGroup).where(ResidentialGroup.code == args.code.upper()))
            group = group or ResidentialGroup(code=args.code.upper(), name=args.name or f"Tổ dân phố {args.code}")
            if args.name:
                group.name = args.name
            group.leader_zalo_id = args.leader or group.leader_zalo_id
            group.oa_group_id = args.oa_group or group.oa_group_id
            group.member_count = args.members or group.member_count
            s.add(group)
            print(f"Đã lưu tổ {group.code}: {group.name}")
            return 0
        if args.action == "set-leader":
            if not args.leader:
                print("Cần --leader (Zalo user id của tổ trưởng Mặt trận)")
                return 2
            group = s.scalar(select(ResidentialGroup).where(ResidentialGroup.code == args.code.upper()))
            if group is None:
                print(f"Chưa có tổ {args.code.upper()}: thêm bằng `groups add --code {args.code}`")
                return 1
            group.leader_zalo_id = args.leader
            print(f"Đã đặt tổ trưởng Mặt trận cho tổ {group.code}")
            return 0
        for g in s.scalars(select(ResidentialGroup).order_by(ResidentialGroup.code)):
            n = len(s.scalars(select(Resident.id).where(Resident.group_code == g.code)).all())
            print(f"{g.code:<6} {g.name:<28} tổ trưởng MT: {g.leader_zalo_id or '-':<20} "
                  f"nhóm OA: {g.oa_group_id or '-':<20} cư dân đăng ký: {n}")
    return 0


def cmd_announce(args) -> int:
    from bot.announcements import next_run, parse_repeat, reach, run_due, runs_of, to_local, to_utc
    from storage.db import session_scope
    from storage.models import Announcement, utcnow

    _db()
    with session_scope() as s:
        if args.action == "create":
            parse_repeat(args.repeat)  # refuse a bad rule now, not at send time
            at = datetime.strptime(args.at, "%d/%m/%Y %H:%M") if args.at else None
            first = to_utc(at) if at else (to_utc(next_run(args.repeat, datetime.now())) if args.repeat else utcnow())
            ann = Announcement(title=args.title, content=args.content, link=args.link,
                               targets=[t.strip() for t in args.groups.split(",")] if args.groups else ["*"],
                               next_run_at=first, repeat=args.repeat, status="scheduled", created_by="cli")
            s.add(ann)
            s.flush()
            print(f"Đã tạo thông báo #{ann.id}, gửi lúc {to_local(first):%d/%m/%Y %H:%M} (giờ Việt Nam)")
        elif args.action == "list":
            for a in s.scalars(select(Announcement).order_by(Announcement.id)):
                print(f"#{a.id:<4} {a.status:<10} {a.next_run_at or '-'!s:<20} {a.repeat or '-':<18} "
                      f"{','.join(a.targets or ['*']):<10} {a.title}")
        elif args.action == "send-now":
            ann = s.get(Announcement, args.id)
            ann.next_run_at, ann.status = utcnow(), "scheduled"
            s.flush()
            print(f"Đã lập danh sách gửi: {run_due(s)}")
        elif args.action == "reach":
            runs = runs_of(s, args.id, args.month)
            print(json.dumps(reach(s, runs), ensure_ascii=False))
    return 0


def cmd_report(args) -> int:
    from bot.reports import chart_png, send_weekly, weekly
    from storage.db import session_scope

    settings = _db()
    end = datetime.strptime(args.date, "%d/%m/%Y").date() if args.date else None
    if args.send:
        from bot.runtime import build_client

        rep = send_weekly(settings, build_client(settings) if settings.zalo_configured else None, end,
                          force=True)
    else:
        with session_scope() as s:
            rep = weekly(s, end)
    print(rep.summary())
    if args.png:
        with open(args.png, "wb") as fh:
            fh.write(chart_png(rep))
        print(f"Biểu đồ: {args.png}")
    return 0


def cmd_bench_broadcast(args) -> int:
    from bot.bench.broadcast import main

    return main(args)


def register(sub) -> None:
    p = sub.add_parser("groups", help="tổ dân phố: list | add | set-leader")
    p.add_argument("action", choices=("list", "add", "set-leader"))
    p.add_argument("--code")
    p.add_argument("--name")
    p.add_argument("--leader", help="Zalo user id của tổ trưởng Mặt trận")
    p.add_argument("--oa-group", help="group_id nhóm do OA tạo (nếu có)")
    p.add_argument("--members", type=int, help="số thành viên nhóm Zalo của tổ")
    p.set_defaults(func=cmd_groups)
    p = sub.add_parser("announce", help="thông báo: create | list | send-now | reach")
    p.add_argument("action", choices=("create", "list", "send-now", "reach"))
    p.add_argument("--title")
    p.add_argument("--content")
    p.add_argument("--link", help="đường dẫn; ảnh (.jpg, .png...) được gửi thành hình kèm nội dung")
    p.add_argument("--groups", help="mã tổ, cách nhau bởi dấu phẩy; trống = tất cả")
    p.add_argument("--at", help="dd/mm/yyyy HH:MM giờ Việt Nam")
    p.add_argument("--repeat", help="monthly:15:08:00 | weekly:fri:09:00 | daily:07:30")
    p.add_argument("--id", type=int)
    p.add_argument("--month", help="YYYY-MM")
    p.set_defaults(func=cmd_announce)
    p = sub.add_parser("report", help="báo cáo tuần (in ra; --send gửi cán bộ và ghi bảng tính)")
    p.add_argument("period", choices=("weekly",))
    p.add_argument("--date", help="ngày cuối kỳ dd/mm/yyyy (mặc định hôm nay)")
    p.add_argument("--send", action="store_true")
    p.add_argument("--png", help="lưu biểu đồ ra tệp PNG")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("bench-broadcast", help="đo gửi thông báo tới 10.000 cư dân")
    from bot.bench.broadcast import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_bench_broadcast)
