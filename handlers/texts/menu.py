"""Outside a conversation: the welcome, the menu, small talk, what the bot does not handle,
and what it says when the system itself fails."""
from __future__ import annotations

from handlers.texts.words import BTN_ASK, BTN_REPORT, MENU, YOU, You
from storage.messages import Reply

# Version of the privacy paragraph in welcome() below (Nghị định 13/2023/NĐ-CP: consent must be
# shown to be given to a known notice). Bump it whenever that paragraph changes; each resident
# records the version first shown to them.
PRIVACY_NOTICE_VERSION = "2026-12-07"


def welcome(ward: str) -> Reply:
    return Reply(
        f"Dạ, Ủy ban MTTQ {ward} kính chào {YOU}! Đây là Hộp thư số của Mặt trận {ward}: "
        f"{YOU} có thể gửi phản ánh, kiến nghị, hỏi thủ tục và tra cứu kết quả xử lý ngay tại đây.\n"
        f"Về thông tin cá nhân: phường chỉ lưu nội dung {YOU} gửi và số điện thoại, địa chỉ khi {YOU} "
        f"cung cấp, để cán bộ xử lý và trả lời. Chỉ cán bộ phụ trách được xem; khi chuyển cơ quan khác, "
        f"danh tính của {YOU} được giữ kín. {You} nhắn \"dữ liệu của tôi\" để xem, "
        f"\"xóa dữ liệu của tôi\" để xóa.\n"
        f"Để nhận thông báo của tổ dân phố, {YOU} nhắn số tổ, ví dụ \"tổ 5\".\n"
        f"{You} cần gì ạ?",
        MENU,
    )


def menu_prompt() -> Reply:
    return Reply(f"Dạ, {YOU} cần phường hỗ trợ việc gì ạ?", MENU)


def fallback() -> Reply:
    return Reply(
        f"Dạ, phường chưa hiểu rõ ý {YOU}. {You} chọn một mục bên dưới, hoặc nhắn ngắn gọn "
        f"việc cần phản ánh, ví dụ: \"Đèn đường ngõ 12 tổ 5 bị hỏng\".",
        MENU,
    )


def goodbye_thanks() -> Reply:
    return Reply(f"Dạ, phường cảm ơn {YOU}! Khi cần, {YOU} cứ nhắn vào đây ạ.", MENU)




def thanks_reply() -> Reply:
    return goodbye_thanks()


def info_received() -> Reply:
    return Reply(f"Dạ, phường đã nhận thông tin liên hệ của {YOU}. Cảm ơn {YOU} ạ.")


def sticker_reply() -> Reply:
    return menu_prompt()




def out_of_scope() -> Reply:
    return Reply(
        f"Dạ, việc này nằm ngoài phạm vi phường hỗ trợ qua Hộp thư số nên phường xin phép không trả "
        f"lời ạ. {You} cần phản ánh, kiến nghị hay hỏi thủ tục ở phường thì chọn bên dưới ạ.",
        MENU,
    )


def referral(kind: str) -> Reply:
    # Khiếu nại / tố cáo follow the Luật Khiếu nại 2011 and Luật Tố cáo 2018 procedures,
    # which the Front's feedback desk does not handle. Say where they go; do not invent details.
    return Reply(
        f"Dạ, nội dung {YOU} gửi có tính chất khiếu nại hoặc tố cáo. Việc này được giải quyết theo "
        "Luật Khiếu nại và Luật Tố cáo, nên Hộp thư số không tiếp nhận thành phiếu ạ.\n"
        f"• Khiếu nại: {YOU} gửi đơn đến chính cơ quan hoặc người đã ra quyết định, có hành vi "
        "hành chính bị khiếu nại (ví dụ UBND phường).\n"
        f"• Tố cáo: {YOU} gửi đơn hoặc đến trình bày trực tiếp tại cơ quan có thẩm quyền quản lý "
        "người bị tố cáo; nơi tiếp công dân của UBND phường sẽ hướng dẫn.\n"
        f"Nếu {YOU} chỉ muốn phản ánh một sự việc để phường xử lý, {YOU} bấm \"Phản ánh\" ạ.",
        (BTN_REPORT, BTN_ASK),
    )


def system_error(officers_told: bool) -> Reply:
    """Only a true promise: officers hear of failed messages only when duty officers exist
    (bot.runtime.jobs.alert_dead_letters)."""
    if officers_told:
        return Reply(
            f"Dạ, hệ thống đang gặp trục trặc khi xử lý tin nhắn của {YOU}. Cán bộ đã được báo và sẽ "
            f"xem tin nhắn này; {YOU} thông cảm giúp phường ạ."
        )
    return Reply(
        f"Dạ, hệ thống đang gặp trục trặc khi xử lý tin nhắn của {YOU}. Phường đã lưu tin nhắn để "
        f"cán bộ kỹ thuật kiểm tra; {YOU} vui lòng nhắn lại sau ít phút ạ. Nếu việc gấp, {YOU} gọi "
        f"114 (cháy nổ), 113 (công an) hoặc 115 (cấp cứu)."
    )


def officer_dead_letters(count: int, reasons: list[str]) -> str:
    """To duty officers: tin không xử lý được, đã để riêng ("thư chết"). Only reason codes and
    error kinds, never what residents wrote (that stays in the database)."""
    listed = "; ".join(reasons[:3])
    return (f"[HỆ THỐNG] {count} tin/sự kiện không xử lý được đã được để riêng, các tin khác vẫn "
            f"chạy bình thường. Cán bộ kỹ thuật xem bằng lệnh: python -m bot status. Lỗi: {listed}")
