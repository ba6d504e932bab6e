"""What the command line prints for the ward's officers: Vietnamese words for the codes the
database stores (statuses, failure reasons, repeat rules), and the few tables built from them.

Pure: no database, no HTTP. Codes without a label here are shown as they are, after the
Vietnamese text, so a new code is never hidden — only left untranslated until added.
"""
from __future__ import annotations

EVENT_STATUSES = {"pending": "đang chờ xử lý", "done": "đã xử lý", "ignored": "bỏ qua (không cần xử lý)",
                  "failed": "xử lý lỗi"}
OUTBOX_STATUSES = {"pending": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi", "failed": "không gửi được"}
ANNOUNCEMENT_STATES = {"scheduled": "đã hẹn giờ", "done": "đã gửi xong", "cancelled": "đã hủy"}

REASONS = {
    "no_interaction_7d": "người nhận không nhắn OA quá 7 ngày (Zalo chặn)",
    "window_closed": "ngoài cửa sổ 7 ngày của Zalo (không gửi)",
    "not_follower": "người nhận chưa quan tâm OA",
    "user_inactive": "tài khoản người nhận không hoạt động",
    "interaction_expired": "hết hạn tương tác",
    "user_restricted": "người nhận chặn loại tin này",
    "night_ban": "giờ cấm gửi ban đêm (22:00–06:00)",
    "out_of_quota": "hết hạn mức tin của OA",
    "quota_exceeded": "vượt hạn mức loại tin này",
    "app_not_approved": "ứng dụng Zalo chưa được duyệt",
    "api_not_registered": "OA chưa đăng ký API này",
    "setup_permission": "ứng dụng chưa được cấp quyền",
    "group_package_expired": "gói nhóm chat của OA hết hạn",
    "oa_not_in_group": "OA không ở trong nhóm (hoặc không phải OA lập nhóm)",
    "invalid_parameter": "tin sai định dạng (lỗi phần mềm, báo nhóm phát triển)",
    "token_invalid": "token Zalo không hợp lệ",
    "token_expired": "token Zalo hết hạn",
    "rate_limited": "vượt giới hạn tốc độ của Zalo",
    "timeout": "Zalo không trả lời kịp",
    "connection_error": "không kết nối được Zalo",
    "transport_error": "lỗi đường truyền",
    "server_error": "máy chủ Zalo lỗi",
    "bad_response": "Zalo trả lời không đọc được",
    "http_error": "lỗi HTTP",
    "oauth_error": "làm mới token thất bại (cần cấp quyền lại)",
    "oauth_bad_response": "làm mới token: Zalo trả lời thiếu token",
    "interrupted_during_send": "máy tắt đúng lúc đang gửi (không gửi lại để tránh trùng)",
    "unknown_error": "lỗi không rõ",
    "unknown": "không rõ lý do",
}

DAYS_VI = {"mon": "thứ Hai", "tue": "thứ Ba", "wed": "thứ Tư", "thu": "thứ Năm", "fri": "thứ Sáu",
           "sat": "thứ Bảy", "sun": "Chủ nhật"}


def label(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return "-"
    return table.get(code, code)


def reason_label(reason: str | None) -> str:
    """"retries_exhausted:timeout" -> "đã thử lại nhiều lần: Zalo không trả lời kịp"."""
    if not reason:
        return REASONS["unknown"]
    if reason.startswith("retries_exhausted:"):
        return "đã thử lại nhiều lần: " + reason_label(reason.split(":", 1)[1])
    return REASONS.get(reason, reason)


def repeat_label(rule: str | None) -> str:
    """"monthly:15:08:00" -> "ngày 15 hằng tháng, 08:00" (the stored rule is English-coded)."""
    if not rule:
        return "một lần"
    parts = rule.lower().split(":")
    try:
        if parts[0] == "monthly":
            return f"ngày {int(parts[1])} hằng tháng, {int(parts[2]):02d}:{int(parts[3]):02d}"
        if parts[0] == "weekly":
            return f"{DAYS_VI[parts[1]]} hằng tuần, {int(parts[2]):02d}:{int(parts[3]):02d}"
        if parts[0] == "daily":
            return f"hằng ngày, {int(parts[1]):02d}:{int(parts[2]):02d}"
    except (IndexError, KeyError, ValueError):
        pass
    return rule


def counts_line(counts: dict[str, int], table: dict[str, str]) -> str:
    if not counts:
        return "chưa có"
    return ", ".join(f"{label(table, k)}: {n}" for k, n in sorted(counts.items()))


def reasons_lines(reasons: dict[str, int], indent: str = "  ") -> list[str]:
    return [f"{indent}{n:>6}  {reason_label(r)}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])]


def status_lines(report: dict) -> list[str]:
    """`status` for a person: the same numbers as `status --json`."""
    lines = []
    if "ok" in report:
        lines.append("Tình trạng: bình thường" if report["ok"] else
                     "Tình trạng: CÓ VẤN ĐỀ — " + "; ".join(
                         HEALTH_REASONS.get(r, r) for r in report.get("reasons", [])))
    for problem in report.get("problems") or []:
        lines.append(f"Vấn đề: {problem.get('message', problem.get('code'))}")
    lines += [f"Sự kiện Zalo nhận được: {counts_line(report.get('inbox', {}), EVENT_STATUSES)}",
             f"Tin gửi đi (outbox): {counts_line(report.get('outbox', {}), OUTBOX_STATUSES)}"]
    failed = report.get("outbox_failed_reasons") or {}
    if failed:
        lines.append("Tin không gửi được, theo lý do:")
        lines += reasons_lines(failed)
    dead = report.get("dead_letters") or {}
    if dead.get("total"):
        lines.append(f"Thư chết (không xử lý được, đã bỏ qua để các tin sau chạy tiếp): {dead['total']} — "
                     + ", ".join(f"{DEAD_LETTER_SOURCES.get(k, k)}: {v}"
                                 for k, v in dead.items() if k != "total"))
    elif "dead_letters" in report:
        lines.append("Thư chết: không có")
    echo = report.get("echo")
    if echo:
        lines.append("Tin xác nhận oa_send_* của Zalo gần nhất: " + (echo["last_echo_at"] or "chưa từng nhận"))
    if report.get("oldest_pending_seconds"):
        lines.append(f"Sự kiện chờ lâu nhất: {report['oldest_pending_seconds']:.0f} giây")
    spool = report.get("spool")
    if spool:
        lines.append(f"Tệp spool ({spool['directory']}): {spool['files']} tệp, {spool['bytes']} byte "
                     "chưa chuyển vào CSDL" if spool["bytes"] else
                     f"Tệp spool ({spool['directory']}): trống")
    # Numbers added to the report later are shown too, under their own key, never dropped.
    import json

    for key, value in report.items():
        if key not in ("ok", "reasons", "problems", "dead_letters", "oldest_pending_seconds", "echo",
                       "inbox", "outbox", "outbox_failed_reasons", "spool", "wards"):
            lines.append(f"{STATUS_KEYS.get(key, key)}: "
                         f"{value if isinstance(value, (int, str)) else json.dumps(value, ensure_ascii=False)}")
    return lines + ward_status_lines(report.get("wards") or [])


def ward_status_lines(wards: list[dict]) -> list[str]:
    """`status` of a deployment with several wards: one line per ward."""
    if not wards:
        return []
    lines = [f"Theo phường ({len(wards)}):"]
    for w in wards:
        gaps = w["faq_gaps"]
        lines.append(f"  {w['ward']}: sự kiện chờ xử lý {w['events_pending']}, tin chờ gửi "
                     f"{w['outbox_pending']}, phiếu khẩn chưa báo cán bộ {w['urgent_not_alerted']}, "
                     f"cán bộ trực {w['duty_officers']} (nhắn tới được {w['duty_officers_reachable']}), "
                     f"câu hỏi đáp thiếu thông tin {gaps}")
    return lines


# Why /healthz and `status` say the service is not well (codes shared with monitoring).
HEALTH_REASONS = {
    "events_not_processed": "có sự kiện chờ xử lý quá lâu (worker có đang chạy?)",
    "spool_not_draining": "tệp spool không chuyển được vào CSDL",
}
DEAD_LETTER_SOURCES = {"spool": "bản ghi spool", "inbox": "sự kiện", "worker": "xử lý sự kiện"}

# Labels for `status` numbers other features add to its report (key -> Vietnamese).
STATUS_KEYS: dict[str, str] = {
    "urgent_not_alerted": "Phiếu khẩn chưa báo được cán bộ trực",
    "duty_officers": "Cán bộ trực đã cấu hình",
    "duty_officers_reachable": "Cán bộ trực Zalo nhắn tới được (đã nhắn OA trong 7 ngày)",
    "faq_gaps": "Câu hỏi đáp còn thiếu thông tin của phường (chưa trả lời cho cư dân; xem ./dev faq check)",
}


def reach_lines(r: dict) -> list[str]:
    """`announce reach`: who an announcement reached, and why the others were not."""
    if not r.get("runs"):
        return ["Chưa có lần gửi nào khớp điều kiện."]
    lines = [f"Số lần gửi:                         {r['runs']}",
             f"Cư dân nhận trực tiếp:              {r['residents_reached']}",
             f"Bài đăng vào nhóm chat do OA lập:   {r['group_chat_posts']}",
             f"Tổ trưởng đã xác nhận chuyển nhóm:  {r['leaders_confirmed']}",
             f"Thành viên các nhóm tổ đã xác nhận: {r['members_via_confirmed_groups']}",
             f"Đang chờ gửi:                       {r['pending']}"]
    if r.get("failures"):
        lines.append("Không gửi được, theo lý do:")
        lines += reasons_lines(r["failures"])
    return lines


def trigger_label(trigger) -> str:
    """An APScheduler trigger in words: "mỗi 30 giây", "thứ Sáu hằng tuần, 15:30"."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        if seconds % 3600 == 0:
            return f"mỗi {seconds // 3600} giờ"
        if seconds % 60 == 0:
            return f"mỗi {seconds // 60} phút"
        return f"mỗi {seconds} giây"
    if isinstance(trigger, CronTrigger):
        fields = {f.name: str(f) for f in trigger.fields}
        at = f"{int(fields['hour']):02d}:{int(fields['minute']):02d}" \
            if fields["hour"].isdigit() and fields["minute"].isdigit() else f"{fields['hour']}:{fields['minute']}"
        day = fields.get("day_of_week", "*")
        if day == "*":
            return f"hằng ngày, {at}"
        return f"{DAYS_VI.get(day, day)} hằng tuần, {at}"
    return str(trigger)


# argparse's own words (headings, errors), for the Python versions this runs on. argparse looks
# up every message through its module-level `_` / `ngettext` at the moment it prints, so
# replacing those two names translates usage, headings and errors alike without a .mo file.
ARGPARSE_VI = {
    "usage: ": "cách dùng: ",
    "positional arguments": "tham số",
    "options": "tùy chọn",
    "optional arguments": "tùy chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "subcommands": "lệnh",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "tham số %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "không hiểu tham số: %s",
    "the following arguments are required: %s": "thiếu tham số bắt buộc: %s",
    "one of the arguments %s is required": "cần một trong các tham số %s",
    "expected one argument": "cần một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "invalid %(type)s value: %(value)r": "giá trị %(value)r không hợp lệ (cần %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)": "không có lựa chọn %(value)r (chọn một trong: %(choices)s)",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn %(option)s chưa rõ: có thể là %(matches)s",
    "not allowed with argument %s": "không dùng cùng tham số %s",
    "ignored explicit argument %r": "bỏ qua giá trị %r",
    "unexpected option string: %s": "tùy chọn không mong đợi: %s",
    "can't open '%(filename)s': %(error)s": "không mở được '%(filename)s': %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "không có lệnh %(parser_name)r (các lệnh: %(choices)s)",
}
_ARGPARSE_PLURAL_VI = {"expected %s argument": "cần %s giá trị", "expected %s arguments": "cần %s giá trị",
                       "conflicting option string: %s": "tùy chọn trùng: %s",
                       "conflicting option strings: %s": "tùy chọn trùng: %s"}
_TYPE_NAMES_VI = {"int": "số nguyên", "float": "số"}


def vietnamese_argparse() -> None:
    import argparse

    def gettext(message):
        return ARGPARSE_VI.get(message, message)

    def ngettext(singular, plural, n):
        chosen = singular if n == 1 else plural
        return _ARGPARSE_PLURAL_VI.get(chosen, chosen)

    argparse._ = gettext
    argparse.ngettext = ngettext
    if not getattr(argparse.ArgumentParser, "_hts_type_names", False):
        original = argparse.ArgumentParser._get_value

        def _get_value(self, action, arg_string):
            try:
                return original(self, action, arg_string)
            except argparse.ArgumentError as exc:
                for en, vi in _TYPE_NAMES_VI.items():
                    exc.message = exc.message.replace(f"(cần {en})", f"(cần {vi})")
                raise
        argparse.ArgumentParser._get_value = _get_value
        argparse.ArgumentParser._hts_type_names = True
