"""A ticket after filing: its code, lookups, status updates, ratings, reopening, supplements."""
from __future__ import annotations

from handlers.texts.words import BTN_REPORT, MENU, RATING_BUTTONS, YOU, You
from storage.messages import Reply

# Officer-facing note on a ticket (the [Bổ sung] line).
SUPPLEMENT_NONE = "(người dân không có thêm thông tin)"


def ticket_created(kind: str, code: str, working_days: int, due=None) -> Reply:
    what = {"complaint": "phản ánh", "suggestion": "kiến nghị", "question": "câu hỏi"}[kind]
    by = f" (trước ngày {due:%d/%m/%Y})" if due else ""
    return Reply(
        f"Dạ, phường đã tiếp nhận {what} của {YOU}, mã {code}. Cán bộ sẽ xem xét và trả lời "
        f"{YOU} trong {working_days} ngày làm việc{by}. {You} nhắn \"tra cứu {code}\" để xem tiến độ "
        "bất cứ lúc nào ạ."
    )




def lookup_none() -> Reply:
    return Reply(f"Dạ, {YOU} chưa gửi phản ánh, kiến nghị nào qua Hộp thư số ạ.", MENU)


def lookup_not_found(code: str) -> Reply:
    return Reply(
        f"Dạ, phường không tìm thấy phiếu {code} trong các phiếu {YOU} đã gửi. {You} kiểm tra "
        "lại mã giúp phường ạ."
    )


def lookup_result(code: str, status_label: str, updated: str, answer: str | None,
                  assignee_known: bool, due: str | None) -> Reply:
    lines = [f"Dạ, phiếu {code}: {status_label} (cập nhật {updated})."]
    if assignee_known:
        lines.append("Đã có cán bộ phụ trách.")
    if due:
        lines.append(f"Hạn xử lý: {due}.")
    if answer:
        lines.append(f"Trả lời của phường: {answer}")
    return Reply("\n".join(lines))


def lookup_list(items: list[tuple[str, str]]) -> Reply:
    lines = [f"Dạ, các phiếu gần đây của {YOU}:"]
    lines += [f"• {code}: {label}" for code, label in items]
    lines.append(f"{You} nhắn \"tra cứu\" kèm mã để xem chi tiết ạ.")
    return Reply("\n".join(lines))


def status_update(code: str, status: str, answer: str | None, forwarded_to: str | None) -> str:
    """Honest wording per status: forwarded is not rejected, closed is not fixed."""
    if status == "assigned":
        return f"Dạ, phiếu {code} của {YOU} đã có cán bộ phụ trách xử lý."
    if status == "in_progress":
        return f"Dạ, phiếu {code} của {YOU} đang được cán bộ xử lý."
    if status == "forwarded":
        where = forwarded_to or "cơ quan có thẩm quyền"
        return (f"Dạ, phường đã chuyển phiếu {code} đến {where} để giải quyết theo thẩm quyền. "
                f"Phường vẫn theo dõi và sẽ báo lại {YOU}; thông tin cá nhân của {YOU} được giữ kín.")
    if status == "waiting_resident":
        ask = answer or f"{You} nhắn thêm chi tiết (địa điểm cụ thể, thời gian, ảnh nếu có)"
        return (f"Dạ, để xử lý phiếu {code}, cán bộ cần {YOU} bổ sung: {ask}. "
                f"{You} trả lời ngay tại đây ạ.")
    if status == "resolved":
        text = f"Dạ, phiếu {code} đã được giải quyết."
        return text + (f"\nCán bộ trả lời: {answer}" if answer else "")
    if status == "answered":
        return f"Dạ, phường trả lời phiếu {code}: {answer or '(cán bộ đã trả lời)'}"
    if status == "rejected":
        reason = f" Lý do: {answer}" if answer else ""
        return f"Dạ, phiếu {code} không thuộc phạm vi tiếp nhận của Mặt trận phường.{reason}"
    if status == "closed":
        return f"Dạ, phiếu {code} đã được đóng." + (f"\nGhi chú: {answer}" if answer else "")
    return f"Dạ, phiếu {code} đã được cập nhật."


def answer_update(code: str, answer: str) -> str:
    return f"Dạ, cán bộ phường trả lời phiếu {code}: {answer}"


def ask_rating(code: str) -> Reply:
    return Reply(
        f"{You} chấm giúp phường mức hài lòng với việc xử lý phiếu {code} (1 đến 5 sao) ạ. "
        f"Nếu việc chưa được giải quyết xong, {YOU} nhắn \"chưa xong\".",
        RATING_BUTTONS,
    )


def rating_thanks(stars: int) -> Reply:
    return Reply(f"Dạ, phường cảm ơn {YOU} đã đánh giá {stars} sao ạ.")


def rating_already(code: str) -> Reply:
    return Reply(f"Dạ, {YOU} đã đánh giá phiếu {code} rồi ạ. Cảm ơn {YOU}.")


def rating_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} bấm số sao bên dưới hoặc nhắn, ví dụ \"5 sao\"; nếu việc chưa xong, {YOU} nhắn "
        "\"chưa xong\" ạ.",
        RATING_BUTTONS,
    )


def reopened(code: str) -> Reply:
    return Reply(f"Dạ, phường đã mở lại phiếu {code} và báo cán bộ phụ trách xử lý tiếp ạ.")


def reopen_too_late(code: str) -> Reply:
    return Reply(
        f"Dạ, phiếu {code} đã kết thúc quá 7 ngày nên không mở lại được. {You} bấm \"Phản ánh\" "
        "để gửi phản ánh mới, phường sẽ xử lý ạ.", (BTN_REPORT,))


def officer_reopened(code: str, text: str) -> str:
    return f"[MỞ LẠI] Người dân báo phiếu {code} chưa được giải quyết xong: {text[:300]}"


def supplement_received(code: str) -> Reply:
    return Reply(f"Dạ, phường đã bổ sung thông tin vào phiếu {code} và báo cán bộ ạ.")


def supplement_reask(code: str) -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn thông tin cần bổ sung cho phiếu {code} ngay tại đây, hoặc gửi ảnh ạ. Nếu "
        f"không có thêm thông tin, {YOU} nhắn \"không có\".")


def supplement_none(code: str) -> Reply:
    return Reply(f"Dạ, phường đã ghi vào phiếu {code} là {YOU} không có thêm thông tin và báo cán bộ ạ.")


def photo_added(code: str, count: int) -> Reply:
    what = "ảnh" if count == 1 else f"{count} ảnh"
    return Reply(f"Dạ, phường đã thêm {what} vào phiếu {code} {YOU} vừa gửi ạ. Nếu đây là việc khác, "
                 f"{YOU} bấm \"{BTN_REPORT}\" để gửi phản ánh mới ạ.", MENU)
