"""CLI for residential groups, announcements and reports."""
from __future__ import annotations

import json
import sys

from sqlalchemy import select

from bot.cli.settings import add_ward_option, default_ward_only, load_ward, with_running_sandbox
from bot.cli.settings import load as load_settings


def cmd_groups(args) -> int:
    from storage.db import session_scope
    from storage.models import Resident, ResidentialGroup

    ward, _ = load_ward(args)
    with session_scope(ward.id) as s:
        if args.action in ("add", "set-leader") and not args.code:
            return _fail("Cần --code (mã tổ), ví dụ --code 5.")
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
        groups = list(s.scalars(select(ResidentialGroup).order_by(ResidentialGroup.code)))
        if not groups:
            print("Chưa có tổ dân phố nào. Thêm bằng `./dev groups add --code 5 --name \"Tổ dân phố 5\" "
                  "[--leader <Zalo id tổ trưởng MT>]`.")
        for g in groups:
            n = len(s.scalars(select(Resident.id).where(Resident.group_code == g.code)).all())
            print(f"{g.code:<6} {g.name:<28} tổ trưởng MT: {g.leader_zalo_id or '-':<20} "
                  f"nhóm OA: {g.oa_group_id or '-':<20} cư dân đăng ký: {n}")
    return 0


def _zalo_settings(ward, settings):
    """Settings that reach Zalo from this process: the ward's real OA (another ward's token pair
    is in the database, stored by `wards add`), or the running sandbox's fake."""
    if settings.zalo_configured or not ward.is_default:
        return settings
    from bot.sandbox import setup as sandbox

    return sandbox.attach(settings)


NO_ZALO = ("Chưa cấu hình Zalo OA (ZALO_* trong .env) và không thấy chế độ thử đang chạy: "
           "chạy `./dev serve` ở một cửa sổ khác rồi chạy lại lệnh này.")


def _image_link(ward, settings, link: str | None) -> str | None:
    """--link as stored: an http(s) address as it is; a picture on this machine uploaded to
    Zalo (residents get the picture, never a path). Anything else: ValueError (Vietnamese)."""
    from pathlib import Path

    from handlers.announcements import UPLOADED_IMAGE

    if not link or link.startswith(("http://", "https://")):
        return link
    path = Path(link).expanduser()
    if not path.is_file():
        raise ValueError(f"--link «{link}» không phải địa chỉ http(s)://… và cũng không phải tệp có "
                         "trên máy này. Cư dân chỉ mở được địa chỉ web; ảnh trên máy thì ghi đường dẫn "
                         "tới tệp .jpg/.png để được tải lên Zalo.")
    if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".gif"):
        raise ValueError(f"Tệp «{link}» không phải ảnh .jpg, .png hoặc .gif: Zalo chỉ nhận ảnh. "
                         "Tài liệu khác: đưa lên trang web của phường rồi dùng địa chỉ http(s)://…")
    content = path.read_bytes()
    if not content or len(content) > 1024 * 1024:
        raise ValueError(f"Ảnh «{link}» nặng {len(content) // 1024} KB: Zalo nhận ảnh đến 1 MB. "
                         "Thu nhỏ ảnh rồi chạy lại.")
    zalo = _zalo_settings(ward, settings)
    if zalo is None:
        raise ValueError(f"Cần Zalo để tải ảnh «{link}» lên. " + NO_ZALO)
    from bot.runtime.clients import build_client
    from bot.zalo.client import ZaloError

    try:
        attachment_id = build_client(zalo, ward.id).upload_image(content, path.name)
    except ZaloError as exc:
        from bot.cli.wording import reason_label

        raise ValueError(f"Zalo không nhận ảnh «{link}»: {reason_label(exc.reason)}.") from exc
    print(f"Đã tải ảnh {path.name} lên Zalo; cư dân sẽ nhận ảnh kèm nội dung thông báo.")
    return UPLOADED_IMAGE + attachment_id


def _fail(message: str) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return 2


def cmd_announce(args) -> int:
    ward, settings = load_ward(args)
    actions = {"create": _announce_create, "list": _announce_list, "send-now": _announce_send_now,
               "reach": _announce_reach}
    return actions[args.action](args, ward, settings)


def _announce_create(args, ward, settings) -> int:
    from bot.cli.wording import repeat_label
    from handlers.announcements import next_run, parse_repeat, to_local, to_utc
    from intents.when import WhenError, parse_when
    from storage.db import session_scope
    from storage.models import Announcement, ResidentialGroup, utcnow
    from storage.tickets import local_now

    now_local = local_now().replace(tzinfo=None, second=0, microsecond=0)
    if not args.title or not args.content:
        return _fail("Cần --title (tiêu đề) và --content (nội dung) của thông báo.")
    try:
        parse_repeat(args.repeat)  # refuse a bad rule now, not at send time
    except ValueError as exc:
        return _fail(f"--repeat: {exc}")
    try:
        at = parse_when(args.at, now_local) if args.at else None
    except WhenError as exc:
        return _fail(f"--at: {exc}")
    if at is not None and at < now_local:
        return _fail(f"--at: {at:%H:%M %d/%m/%Y} đã qua (bây giờ là {now_local:%H:%M %d/%m/%Y}, "
                     "giờ Việt Nam). Bỏ --at để gửi ngay.")
    codes = [t.strip().upper() for t in args.groups.split(",") if t.strip()] if args.groups else ["*"]
    with session_scope(ward.id) as s:
        known = list(s.scalars(select(ResidentialGroup.code).order_by(ResidentialGroup.code)))
    unknown = [c for c in codes if c != "*" and c not in {k.upper() for k in known}]
    if unknown:
        have = ", ".join(known) if known else "chưa có tổ nào"
        return _fail(f"Không có tổ {', '.join(unknown)}. Các tổ đã có: {have}. "
                     "Thêm tổ bằng `./dev groups add --code <mã> --name \"Tổ dân phố …\"`.")
    try:
        link = _image_link(ward, settings, args.link)
    except ValueError as exc:
        return _fail(str(exc))
    first = to_utc(at) if at else (to_utc(next_run(args.repeat, now_local)) if args.repeat else utcnow())
    with session_scope(ward.id) as s:
        ann = Announcement(title=args.title, content=args.content, link=link, targets=codes,
                           next_run_at=first, repeat=args.repeat, status="scheduled", created_by="cli")
        s.add(ann)
        s.flush()
        print(f"Đã tạo thông báo #{ann.id}, gửi lúc {to_local(first):%d/%m/%Y %H:%M} (giờ Việt Nam)"
              f"{', ' + repeat_label(args.repeat) if args.repeat else ''}.")
    return 0


def _announce_list(args, ward, settings) -> int:
    from bot.cli.wording import ANNOUNCEMENT_STATES, label, repeat_label
    from handlers.announcements import to_local
    from storage.db import session_scope
    from storage.models import Announcement

    with session_scope(ward.id) as s:
        rows = list(s.scalars(select(Announcement).order_by(Announcement.id)))
        if not rows:
            print("Chưa có thông báo nào. Tạo bằng `./dev announce create --title … --content … "
                  "[--at \"thứ 6 15h30\"]`.")
            return 0
        print(f"{'số':<5} {'trạng thái':<13} {'lần gửi tới (giờ VN)':<21} {'lặp lại':<28} "
              f"{'tổ':<10} tiêu đề")
        for a in rows:
            when = f"{to_local(a.next_run_at):%d/%m/%Y %H:%M}" if a.next_run_at else "-"
            targets = "tất cả" if "*" in (a.targets or ["*"]) else ",".join(a.targets)
            print(f"#{a.id:<4} {label(ANNOUNCEMENT_STATES, a.status):<13} {when:<21} "
                  f"{repeat_label(a.repeat):<28} {targets:<10} {a.title}")
    return 0


def _announce_send_now(args, ward, settings) -> int:
    from handlers.announcements import run_due
    from storage.db import session_scope
    from storage.models import Announcement, utcnow

    with session_scope(ward.id) as s:
        ann = s.get(Announcement, args.id) if args.id else None
        if ann is None:
            return _fail("Cần --id của một thông báo có trong `./dev announce list`.")
        ann.next_run_at, ann.status = utcnow(), "scheduled"
        s.flush()
        planned = run_due(s)
        print(f"Đã lập danh sách gửi cho thông báo #{ann.id} ({len(planned)} lượt gửi); "
              "tiến trình serve/worker gửi đi ngay.")
    return 0


def _announce_reach(args, ward, settings) -> int:
    from bot.cli.wording import reach_lines
    from handlers.announcements import reach, runs_of
    from storage.db import session_scope

    with session_scope(ward.id) as s:
        try:
            runs = runs_of(s, args.id, args.month)
        except ValueError:
            return _fail(f"--month «{args.month}»: gõ năm-tháng, ví dụ 2026-12.")
        result = reach(s, runs)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print("\n".join(reach_lines(result)))
    return 0


def cmd_report(args) -> int:
    from bot.runtime.jobs import send_weekly
    from handlers.reports import chart_png, weekly
    from storage.db import session_scope

    from intents.when import WhenError, parse_day
    from storage.tickets import local_now

    try:
        end = parse_day(args.date, local_now().date()) if args.date else None
    except WhenError as exc:
        return _fail(f"--date: {exc}")
    if getattr(args, "city", False):  # every ward: no --ward to choose
        return _city_report(with_running_sandbox(load_settings()), end, args.png)
    ward, settings = load_ward(args)
    if args.send:
        default_ward_only(ward, "Gửi báo cáo tuần (--send)")
        zalo = _zalo_settings(ward, settings)
        if zalo is None:
            return _fail(NO_ZALO)
        if not zalo.officer_zalo_ids:
            return _fail("Chưa có cán bộ nhận báo cáo: đặt OFFICER_ZALO_IDS (Zalo user id, cách nhau "
                         "bởi dấu phẩy) trong .env rồi chạy lại. Tuần này chưa được đánh dấu đã gửi.")
        from bot.runtime.clients import build_client

        rep = send_weekly(zalo, build_client(zalo, ward.id), end, force=True, write_now=True)
        print(rep.summary())
        print(_delivery(rep, zalo, ward.id))
        if not rep.marked_sent:
            return 1
    else:
        with session_scope(ward.id) as s:
            rep = weekly(s, end)
        print(rep.summary())
    if args.png:
        with open(args.png, "wb") as fh:
            fh.write(chart_png(rep))
        print(f"Biểu đồ: {args.png}")
    return 0


def _city_report(settings, end, png: str | None) -> int:
    """`report weekly --city`: every ward's week, printed and written to the city's sheet."""
    from bot.runtime.sheets import publish_city_week
    from handlers.reports import city_chart_png
    from sheets_sync.city import TAB, week_key
    from sheets_sync.client import SheetsUnavailable

    try:
        weeks, sent = publish_city_week(settings, end)
    except SheetsUnavailable as exc:
        return _fail(f"Google Sheets không phản hồi: {exc}. Chạy lại lệnh sau ít phút.")
    first = weeks[0].report if weeks else None
    print(f"TỔNG HỢP THÀNH PHỐ, tuần {week_key(first.end)} ({first.start:%d/%m}–{first.end:%d/%m/%Y}), "
          f"{len(weeks)} phường" if first else "Chưa có phường nào.")
    for w in weeks:
        r = w.report
        rate = f"{r.on_time_rate:.0%}" if r.on_time_rate is not None else "—"
        print(f"{w.code}  {w.name}: tiếp nhận {r.received}, giải quyết {r.resolved}, quá hạn {r.overdue}, "
              f"đúng hạn {rate}, cư dân nhận thông báo {r.reach.get('residents_reached', 0)}")
    print(f"Đã ghi tab «{TAB}» của bảng tính thành phố ({sent} lần gọi API)." if sent is not None else
          "Chưa đặt CITY_SHEET_ID (và tài khoản Google): chỉ in ra, chưa ghi bảng tính thành phố.")
    if png and first:
        with open(png, "wb") as fh:
            fh.write(city_chart_png(f"Phiếu theo phường, tuần {week_key(first.end)}", [
                (w.name, w.report.received, w.report.resolved, w.report.overdue) for w in weeks]))
        print(f"Biểu đồ: {png}")
    return 0


def _delivery(rep, settings, ward_id: int, wait_seconds: float = 15.0) -> str:
    """Where the report went: the sheet tab, and the officers' messages once Zalo took them
    (the running serve/worker sends the outbox; waits a little to say which were sent)."""
    import time

    from handlers.reports import REPORT_TAB
    from storage.db import session_scope
    from storage.models import OutboundMessage

    lines = []
    if rep.sheet_written:
        lines.append(f"Đã ghi vào tab «{REPORT_TAB}» của bảng tính.")
    elif rep.sheet_written is False:
        lines.append(f"Chưa ghi được tab «{REPORT_TAB}» (xem log); bộ lập lịch của `./dev serve` hoặc "
                     "worker sẽ ghi khi Google cho phép.")
    deadline = time.monotonic() + wait_seconds
    while True:
        with session_scope(ward_id) as s:
            statuses = [m.status for m in s.scalars(select(OutboundMessage).where(
                OutboundMessage.id.in_(rep.queued)))]
        if all(st in ("sent", "failed") for st in statuses) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    sent, failed = statuses.count("sent"), statuses.count("failed")
    waiting = len(statuses) - sent - failed
    line = f"Tin Zalo cho {len(settings.officer_zalo_ids)} cán bộ: {sent} đã gửi"
    if failed:
        line += f", {failed} không gửi được (xem `./dev status`)"
    if waiting:
        line += f", {waiting} còn trong hàng đợi (gửi khi `./dev serve` hoặc worker chạy)"
    lines.append(line + ".")
    if rep.marked_sent:
        lines.append("Đã đánh dấu báo cáo tuần này là đã gửi (lịch thứ Sáu sẽ không gửi lại).")
    return "\n".join(lines)


def cmd_bench_broadcast(args) -> int:
    from bot.bench.broadcast import main

    return main(args)


def register(sub) -> None:
    p = sub.add_parser("groups", help="tổ dân phố: list | add | set-leader")
    p.add_argument("action", choices=("list", "add", "set-leader"), help="việc cần làm")
    p.add_argument("--code", metavar="MÃ", help="mã tổ, ví dụ 5")
    p.add_argument("--name", metavar="TÊN", help="tên tổ, ví dụ \"Tổ dân phố 5\"")
    p.add_argument("--leader", metavar="ZALO_ID", help="Zalo user id của tổ trưởng Mặt trận")
    p.add_argument("--oa-group", metavar="GROUP_ID", help="group_id nhóm do OA tạo (nếu có)")
    p.add_argument("--members", type=int, metavar="SỐ", help="số thành viên nhóm Zalo của tổ")
    add_ward_option(p)
    p.set_defaults(func=cmd_groups)
    p = sub.add_parser("announce", help="thông báo: create | list | send-now | reach")
    p.add_argument("action", choices=("create", "list", "send-now", "reach"), help="việc cần làm")
    p.add_argument("--title", metavar="TIÊU_ĐỀ", help="tiêu đề thông báo")
    p.add_argument("--content", metavar="NỘI_DUNG", help="nội dung thông báo")
    p.add_argument("--link", metavar="ĐỊA_CHỈ_HOẶC_TỆP", help="địa chỉ http(s)://…, hoặc tệp ảnh .jpg/.png trên máy (được tải lên "
                                  "Zalo); ảnh được gửi thành hình, nội dung làm chú thích")
    p.add_argument("--groups", metavar="MÃ_TỔ", help="mã tổ, cách nhau bởi dấu phẩy; trống = tất cả")
    p.add_argument("--at", metavar="THỜI_ĐIỂM", help="giờ Việt Nam, ví dụ \"12/12/2026 19h\", \"19:00 12/12\", \"thứ 6 15h30\", "
                                "\"mai 7h30\"; trống = gửi ngay")
    p.add_argument("--repeat", metavar="QUY_TẮC", help="lặp lại: monthly:15:08:00 (ngày 15 hằng tháng, 8:00) | "
                                                      "weekly:fri:09:00 (thứ Sáu hằng tuần) | daily:07:30")
    p.add_argument("--id", type=int, metavar="SỐ", help="số thông báo (xem `announce list`)")
    p.add_argument("--month", metavar="THÁNG", help="năm-tháng, ví dụ 2026-12")
    p.add_argument("--json", action="store_true", help="reach: in dạng JSON (cho máy đọc)")
    add_ward_option(p)
    p.set_defaults(func=cmd_announce)
    p = sub.add_parser("report", help="báo cáo tuần (in ra; --send gửi cán bộ và ghi bảng tính)")
    p.add_argument("period", choices=("weekly",), help="kỳ báo cáo")
    p.add_argument("--date", metavar="NGÀY", help="ngày cuối kỳ, ví dụ 11/12/2026, 11/12, hôm qua "
                                                  "(mặc định hôm nay)")
    p.add_argument("--send", action="store_true", help="ghi vào tab «Báo cáo tuần» và gửi Zalo cho "
                                                       "cán bộ (OFFICER_ZALO_IDS)")
    p.add_argument("--png", metavar="TỆP", help="lưu biểu đồ ra tệp PNG")
    add_ward_option(p)
    p.add_argument("--city", action="store_true", help="tổng hợp mọi phường: in ra và ghi tab «Tổng hợp» "
                                                       "của bảng tính thành phố (CITY_SHEET_ID)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("bench-broadcast", help="đo gửi thông báo tới 10.000 cư dân")
    from bot.bench.broadcast import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_bench_broadcast)
