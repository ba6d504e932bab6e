"""A resident's data: what the ward keeps, and erasing it."""
from __future__ import annotations

from handlers.texts.words import BTN_ERASE, BTN_ERASE_NO, BTN_ERASE_YES, MENU, YOU, You
from storage.messages import Reply


def privacy_summary(name: str | None, phone: str | None, address: str | None,
                    codes: list[str], group: str | None, notice_at: str | None) -> Reply:
    lines = [f"Dạ, phường đang lưu về {YOU}:"]
    lines.append(f"• Tên: {name or 'không có'}")
    lines.append(f"• Số điện thoại: {phone or 'không có'}")
    lines.append(f"• Địa chỉ {YOU} cung cấp: {address or 'không có'}")
    if codes:
        shown = ", ".join(codes[:10]) + (f" và {len(codes) - 10} phiếu khác" if len(codes) > 10 else "")
        lines.append(f"• {len(codes)} phiếu: {shown} (nội dung, vị trí và ảnh {YOU} gửi kèm)")
    else:
        lines.append("• Phiếu: chưa có")
    lines.append(f"• Nhận thông báo của: {group or 'chưa đăng ký tổ nào'}")
    lines.append(f"• Ngày {YOU} được thông báo về việc lưu thông tin: {notice_at or 'chưa ghi nhận'}")
    lines.append(f"Chỉ cán bộ phụ trách được xem. Muốn xóa, {YOU} bấm \"{BTN_ERASE}\" ạ.")
    return Reply("\n".join(lines), (BTN_ERASE,))


def erase_confirm(tickets: int) -> Reply:
    kept = (f" {tickets} phiếu của {YOU} vẫn được giữ để thống kê nhưng không còn gắn với {YOU}, "
            f"và {YOU} sẽ không nhận tin cập nhật của các phiếu đó nữa." if tickets else "")
    return Reply(
        f"Dạ, phường sẽ xóa tên, số điện thoại, Zalo, địa chỉ và ảnh của {YOU} khỏi hệ thống và "
        f"bảng theo dõi của cán bộ.{kept} Việc này không hoàn tác được. {You} đồng ý xóa không ạ?",
        (BTN_ERASE_YES, BTN_ERASE_NO),
    )


def erase_confirm_again() -> Reply:
    return Reply(f"Dạ, {YOU} bấm \"{BTN_ERASE_YES}\" để xóa, hoặc \"{BTN_ERASE_NO}\" để giữ nguyên ạ.",
                 (BTN_ERASE_YES, BTN_ERASE_NO))


def erase_cancelled() -> Reply:
    return Reply(f"Dạ, phường giữ nguyên, chưa xóa gì ạ. Khi cần, {YOU} cứ nhắn lại.", MENU)


def erased(codes: list[str], photos: int, retention_days: int) -> Reply:
    done = [f"tên, số điện thoại, Zalo và địa chỉ của {YOU}"]
    if photos:
        done.append(f"{photos} ảnh/tệp và vị trí {YOU} gửi")
    lines = [f"Dạ, phường đã xóa {', '.join(done)} khỏi hệ thống, cùng các tin nhắn {YOU} đã gửi."]
    if codes:
        lines.append(f"{len(codes)} phiếu ({', '.join(codes[:10])}{'…' if len(codes) > 10 else ''}) "
                     "được giữ lại không kèm tên, số điện thoại, địa chỉ, ảnh để thống kê; bảng theo dõi "
                     "của cán bộ cũng được cập nhật như vậy.")
    lines.append(f"Tin này là tin cuối cùng gắn với {YOU}; dấu vết gửi tin tự xóa sau {retention_days} "
                 f"ngày. Nếu nhắn tiếp, {YOU} được coi như người mới ạ.")
    return Reply("\n".join(lines))
