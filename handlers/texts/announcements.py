"""Tổ groups and announcements, and the officers' deadline reminders."""
from __future__ import annotations

from handlers.texts.words import BTN_FORWARDED, YOU, You
from storage.messages import Reply


def announcement(title: str, content: str, link: str | None) -> str:
    text = f"📢 {title}\n{content}"
    return text + (f"\n{link}" if link else "")


def announcement_for_leader(title: str, content: str, link: str | None, group_name: str) -> Reply:
    return Reply(
        f"Dạ, nhờ {YOU} chuyển thông báo này vào nhóm Zalo của {group_name}, rồi bấm "
        f"\"{BTN_FORWARDED}\" để phường ghi nhận ạ.\n\n" + announcement(title, content, link),
        (BTN_FORWARDED,))


def forwarded_thanks(group_name: str) -> Reply:
    return Reply(f"Dạ, phường ghi nhận {YOU} đã chuyển thông báo vào nhóm {group_name}. Cảm ơn {YOU} ạ.")


def forwarded_nothing() -> Reply:
    return Reply("Dạ, hiện không có thông báo nào đang chờ chuyển vào nhóm tổ ạ.")


def group_saved(name: str) -> Reply:
    return Reply(f"Dạ, phường đã ghi nhận {YOU} thuộc {name}. {You} sẽ nhận thông báo của tổ qua đây ạ.")


def group_unknown(code: str, known: list[str]) -> Reply:
    listed = ", ".join(known[:15])
    return Reply(f"Dạ, phường chưa có tổ {code} trong danh sách. Các tổ hiện có: {listed}. "
                 f"{You} nhắn lại, ví dụ \"tổ {known[0] if known else '5'}\" ạ.")


def reminder(name: str, overdue: list[str], soon: list[str]) -> str:
    lines = [f"Chào {name}, phiếu cần xử lý:"]
    if overdue:
        lines.append("Quá hạn: " + ", ".join(overdue[:20]))
    if soon:
        lines.append("Sắp đến hạn: " + ", ".join(soon[:20]))
    return "\n".join(lines)
