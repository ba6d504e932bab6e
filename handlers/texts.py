"""Every resident-facing sentence, in one place, so officers can review the bot's voice.

Style: polite ("Dạ", "ạ"), short, one question at a time, buttons where a choice is expected.
Residents are addressed as "bác" (respectful to elders; the ward's usage). Button titles are
also their payloads: a tapped button comes back as the same text a resident could type.
"""
from __future__ import annotations

from storage.messages import Reply

YOU = "bác"
You = "Bác"


# Button titles (≤ 5 per message). Kept here so intents/commands.py recognises the same words.
BTN_REPORT = "Phản ánh"
BTN_SUGGEST = "Kiến nghị"
BTN_ASK = "Hỏi đáp"
BTN_LOOKUP = "Tra cứu"
BTN_NO_PHOTO = "Không có ảnh"
BTN_SKIP_LOCATION = "Bỏ qua"
BTN_SUBMIT_REPORT = "Gửi phản ánh"
BTN_SUBMIT_SUGGESTION = "Gửi kiến nghị"
BTN_SUBMIT_QUESTION = "Gửi câu hỏi"
BTN_EDIT = "Sửa lại"
BTN_CANCEL = "Hủy"
BTN_TO_OFFICER = "Chuyển cán bộ"
BTN_NO_THANKS = "Không cần"
MENU = (BTN_REPORT, BTN_SUGGEST, BTN_ASK, BTN_LOOKUP)

KIND_WORDS = {"complaint": "phản ánh", "suggestion": "kiến nghị", "question": "câu hỏi"}
SUBMIT_BUTTON = {
    "complaint": BTN_SUBMIT_REPORT,
    "suggestion": BTN_SUBMIT_SUGGESTION,
    "question": BTN_SUBMIT_QUESTION,
}


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


def ask_content(kind: str) -> Reply:
    if kind == "suggestion":
        return Reply(f"Dạ, {YOU} muốn kiến nghị điều gì ạ? {You} nhắn ngắn gọn giúp phường.")
    if kind == "question":
        return Reply(f"Dạ, {YOU} cần hỏi điều gì ạ?")
    return Reply(
        f"Dạ, {YOU} gặp việc gì cần phản ánh ạ? {You} nhắn ngắn gọn sự việc giúp phường, "
        "ví dụ: \"Rác đổ bừa bãi đầu ngõ 8\"."
    )


def ask_location(summary: str) -> Reply:
    return Reply(
        f"Dạ, phường đã ghi nhận: {summary}. Việc này ở đâu ạ? {You} nhắn số nhà, ngõ hoặc "
        f"tổ dân phố, hoặc bấm dấu + rồi chọn \"Vị trí\" để gửi vị trí.",
        (BTN_SKIP_LOCATION,),
    )


def ask_photo(summary: str) -> Reply:
    return Reply(
        f"Dạ, phường đã ghi nhận: {summary}. {You} có thể gửi một tấm ảnh để cán bộ tìm đến "
        f"nhanh hơn không ạ? (bấm dấu + rồi chọn \"Ảnh\")",
        (BTN_NO_PHOTO,),
    )


def photo_received() -> str:
    return "Dạ, phường đã nhận ảnh."


def confirm(kind: str, text: str, location: str | None, photos: int) -> Reply:
    lines = [f"Dạ. {You} xác nhận gửi {KIND_WORDS[kind]} này đến Mặt trận phường nhé?", f"\"{text}\""]
    if location:
        lines.append(f"Địa điểm: {location}")
    if photos:
        lines.append(f"Kèm {photos} ảnh/tệp.")
    return Reply("\n".join(lines), (SUBMIT_BUTTON[kind], BTN_EDIT, BTN_CANCEL))


def ask_edit() -> Reply:
    return Reply(f"Dạ, {YOU} nhắn lại nội dung đúng giúp phường ạ.")


def cancelled() -> Reply:
    return Reply(f"Dạ, phường đã hủy, chưa gửi gì đi ạ. Khi cần, {YOU} cứ nhắn lại.", MENU)


def nothing_to_cancel() -> Reply:
    return Reply("Dạ, hiện không có việc gì đang làm dở để hủy ạ.", MENU)


def ticket_created(kind: str, code: str, working_days: int, due=None) -> Reply:
    what = {"complaint": "phản ánh", "suggestion": "kiến nghị", "question": "câu hỏi"}[kind]
    by = f" (trước ngày {due:%d/%m/%Y})" if due else ""
    return Reply(
        f"Dạ, phường đã tiếp nhận {what} của {YOU}, mã {code}. Cán bộ sẽ xem xét và trả lời "
        f"{YOU} trong {working_days} ngày làm việc{by}. {You} nhắn \"tra cứu {code}\" để xem tiến độ "
        "bất cứ lúc nào ạ."
    )


def urgent_created(code: str, location_known: bool) -> Reply:
    text = (
        f"Dạ, phường đã báo ngay cán bộ trực, mã {code}. Nếu có người gặp nguy hiểm, {YOU} gọi "
        "ngay 114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu) ạ."
    )
    if not location_known:
        text += f"\n{You} nhắn giúp địa điểm cụ thể (số nhà, ngõ, tổ) hoặc gửi vị trí ạ."
    return Reply(text)


def urgent_location_saved(code: str) -> Reply:
    return Reply(f"Dạ, phường đã bổ sung địa điểm vào phiếu {code} và báo cán bộ trực ạ.")


def officer_urgent_alert(code: str, topic_label: str, text: str, location: str | None) -> str:
    where = f" — {location}" if location else ""
    return f"[KHẨN] {code} ({topic_label}){where}: {text[:500]}"


def clarify_kind(candidates: tuple[str, ...]) -> Reply:
    labels = {"complaint": BTN_REPORT, "suggestion": BTN_SUGGEST, "question": BTN_ASK}
    buttons = tuple(labels[c] for c in candidates if c in labels) or (BTN_REPORT, BTN_SUGGEST, BTN_ASK)
    return Reply(
        f"Dạ, {YOU} muốn gửi phản ánh (báo sự việc cần xử lý), kiến nghị (đề xuất với phường) "
        "hay hỏi thông tin ạ?",
        buttons,
    )


def lookup_ask_code() -> Reply:
    return Reply(f"Dạ, {YOU} nhắn mã phiếu cần tra cứu, ví dụ: \"tra cứu PA-2026-0001\" ạ.")


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


def faq_answer(answer: str, source: str | None) -> Reply:
    text = f"Dạ, phường xin trả lời:\n{answer}"
    if source:
        source = source.strip()
        if source.lower().startswith("nguồn:"):
            source = source[len("nguồn:"):].strip()
        text += f"\n(Nguồn: {source})"
    return Reply(text, (BTN_TO_OFFICER, BTN_NO_THANKS))


def faq_unsure() -> Reply:
    return Reply(
        f"Dạ, câu này phường chưa chắc chắn để trả lời ngay. {You} có muốn chuyển câu hỏi đến "
        "cán bộ để được trả lời chính xác không ạ?",
        (BTN_TO_OFFICER, BTN_NO_THANKS),
    )


def faq_declined_officer() -> Reply:
    return Reply(f"Dạ vâng. Khi cần, {YOU} cứ nhắn phường ạ.", MENU)


def greeting_reply() -> Reply:
    return Reply(f"Dạ, phường chào {YOU}! {You} cần phường hỗ trợ việc gì ạ?", MENU)


def thanks_reply() -> Reply:
    return goodbye_thanks()


def info_received() -> Reply:
    return Reply(f"Dạ, phường đã nhận thông tin liên hệ của {YOU}. Cảm ơn {YOU} ạ.")


def sticker_reply() -> Reply:
    return menu_prompt()


def media_without_conversation() -> Reply:
    return Reply(
        f"Dạ, phường đã nhận. {You} nhắn ngắn gọn sự việc cần phản ánh giúp phường ạ.",
        (BTN_CANCEL,),
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


# --- Ticket updates, ratings (issue 4) ------------------------------------------------------

RATING_BUTTONS = ("1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐")


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


# --- Groups, announcements, reminders, reports (issue 5) ------------------------------------

BTN_FORWARDED = "Đã chuyển vào nhóm tổ"


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


# --- edge ---

def officer_dead_letters(count: int, reasons: list[str]) -> str:
    """To duty officers: tin không xử lý được, đã để riêng ("thư chết"). Only reason codes and
    error kinds, never what residents wrote (that stays in the database)."""
    listed = "; ".join(reasons[:3])
    return (f"[HỆ THỐNG] {count} tin/sự kiện không xử lý được đã được để riêng, các tin khác vẫn "
            f"chạy bình thường. Cán bộ kỹ thuật xem bằng lệnh: python -m bot status. Lỗi: {listed}")


# --- privacy ---
# Version of the privacy paragraph in welcome() above (Nghị định 13/2023/NĐ-CP: consent must be
# shown to be given to a known notice). Bump it whenever that paragraph changes; each resident
# records the version first shown to them.
PRIVACY_NOTICE_VERSION = "2026-12-07"

BTN_MY_DATA = "Dữ liệu của tôi"
BTN_ERASE = "Xóa dữ liệu của tôi"
BTN_ERASE_YES = "Đồng ý xóa"
BTN_ERASE_NO = "Không xóa"


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


# --- promises ---
# An urgent report: "đã báo cán bộ trực" only when an alert was queued to an officer
# (handlers/urgent.py); otherwise the emergency numbers and when officers will see it.

EMERGENCY_NUMBERS = "114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu)"


def urgent_recorded_no_officer(code: str, location_known: bool, when: str) -> Reply:
    text = (
        f"Dạ, phường đã ghi nhận tin báo khẩn của {YOU}, mã {code}. Nếu có người gặp nguy hiểm "
        f"hoặc cần xử lý ngay, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ. Cán bộ phường sẽ xem phiếu "
        f"này trong giờ làm việc {when}."
    )
    if not location_known:
        text += f"\n{You} nhắn giúp địa điểm cụ thể (số nhà, ngõ, tổ) hoặc gửi vị trí ạ."
    return Reply(text)


def urgent_location_saved_only(code: str) -> Reply:
    return Reply(f"Dạ, phường đã bổ sung địa điểm vào phiếu {code} ạ.")


def urgent_failed_alerted() -> Reply:
    return Reply(
        f"Dạ, phường đã báo ngay cán bộ trực về tin báo khẩn của {YOU}. Nếu có người gặp nguy "
        f"hiểm, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ. Hệ thống đang trục trặc nên chưa gửi được "
        f"mã phiếu cho {YOU}."
    )


def urgent_failed_no_officer() -> Reply:
    return Reply(
        f"Dạ, hệ thống đang trục trặc nên chưa ghi nhận được tin báo khẩn của {YOU}. Nếu có người "
        f"gặp nguy hiểm hoặc cần xử lý ngay, {YOU} gọi ngay {EMERGENCY_NUMBERS} ạ."
    )


def officer_urgent_prealert(topic_label: str, text: str, location: str | None) -> str:
    where = f" — {location}" if location else ""
    return f"[KHẨN] Tin báo khẩn của người dân ({topic_label}){where}: {text[:500]}"


def officer_urgent_code(code: str, topic_label: str) -> str:
    return f"[KHẨN] Tin báo khẩn vừa gửi ({topic_label}) đã có mã phiếu {code}."


def faq_not_ready() -> Reply:
    """A known question whose answer still needs the ward's own facts (intents/slots.py)."""
    return Reply(
        f"Dạ, câu này cần thông tin riêng của phường mà Hộp thư số chưa cập nhật. {You} có muốn "
        "chuyển câu hỏi đến cán bộ để được trả lời chính xác không ạ?",
        (BTN_TO_OFFICER, BTN_NO_THANKS),
    )


# --- convo ---
# Typed answers (intents/replies.py). A re-ask names the buttons AND the words that work when
# typed; a second unreadable answer gets a different way forward, never the same message.

# Officer-facing notes on a ticket (the Sheet's address column, the [Bổ sung] line).
LOCATION_UNKNOWN = "(người dân không nhớ địa chỉ)"
SUPPLEMENT_NONE = "(người dân không có thêm thông tin)"


def confirm_reask(kind: str) -> Reply:
    return Reply(
        f"Dạ, phường chưa rõ ý {YOU}. {You} bấm \"{SUBMIT_BUTTON[kind]}\" hoặc nhắn \"gửi\" để gửi, "
        f"\"sửa\" để sửa nội dung, \"hủy\" nếu không gửi nữa ạ.",
        (SUBMIT_BUTTON[kind], BTN_EDIT, BTN_CANCEL),
    )


def draft_kept(kind: str) -> Reply:
    return Reply(
        f"Dạ, phường chưa gửi {KIND_WORDS[kind]} này mà giữ lại ở dạng bản nháp. Khi muốn gửi, "
        f"{YOU} bấm \"{SUBMIT_BUTTON[kind]}\" hoặc nhắn \"gửi\" ạ; cần việc khác, {YOU} chọn bên dưới.",
        (SUBMIT_BUTTON[kind], *MENU),
    )


def photo_reask() -> Reply:
    return Reply(
        f"Dạ, có ảnh thì {YOU} bấm dấu + rồi chọn \"Ảnh\" để gửi; không có ảnh thì {YOU} bấm "
        f"\"{BTN_NO_PHOTO}\" hoặc nhắn \"không\" ạ.",
        (BTN_NO_PHOTO,),
    )


def location_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn giúp địa điểm: số nhà, ngõ, tổ hoặc một chỗ dễ nhận ra (ví dụ \"gần chợ\", "
        f"\"đầu ngõ 8\"). Nếu không nhớ, {YOU} nhắn \"không nhớ\" hoặc bấm \"{BTN_SKIP_LOCATION}\" ạ.",
        (BTN_SKIP_LOCATION,),
    )


def content_reask(kind: str) -> Reply:
    what = {"suggestion": "điều muốn kiến nghị", "question": "điều cần hỏi"}.get(kind, "sự việc cần phản ánh")
    return Reply(
        f"Dạ, {YOU} nhắn ngắn gọn {what} giúp phường, ví dụ: \"Đèn đường ngõ 12 bị hỏng\". "
        f"Nếu không gửi nữa, {YOU} nhắn \"hủy\" ạ.",
        (BTN_CANCEL,),
    )


def content_missing() -> Reply:
    return Reply(f"Dạ, phường chưa nhận được nội dung nên chưa tạo phiếu ạ. Khi cần, {YOU} chọn "
                 "một mục bên dưới.", MENU)


def clarify_reask(candidates: tuple[str, ...]) -> Reply:
    labels = {"complaint": "phản ánh", "suggestion": "kiến nghị", "question": "hỏi"}
    words = " hay ".join(f"\"{labels[c]}\"" for c in candidates if c in labels) or \
        "\"phản ánh\", \"kiến nghị\" hay \"hỏi\""
    return Reply(f"Dạ, {YOU} bấm một nút bên dưới, hoặc nhắn {words} ạ.", clarify_kind(candidates).buttons)


def clarify_to_officer() -> Reply:
    return Reply(
        f"Dạ, phường chưa rõ {YOU} muốn phản ánh, kiến nghị hay hỏi. {You} có muốn chuyển nguyên "
        "nội dung cho cán bộ xem và trả lời không ạ?",
        (BTN_TO_OFFICER, BTN_NO_THANKS),
    )


def rating_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} bấm số sao bên dưới hoặc nhắn, ví dụ \"5 sao\"; nếu việc chưa xong, {YOU} nhắn "
        "\"chưa xong\" ạ.",
        RATING_BUTTONS,
    )


def supplement_reask(code: str) -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn thông tin cần bổ sung cho phiếu {code} ngay tại đây, hoặc gửi ảnh ạ. Nếu "
        f"không có thêm thông tin, {YOU} nhắn \"không có\".")


def supplement_none(code: str) -> Reply:
    return Reply(f"Dạ, phường đã ghi vào phiếu {code} là {YOU} không có thêm thông tin và báo cán bộ ạ.")


def urgent_location_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn giúp địa điểm (số nhà, ngõ, tổ hoặc một chỗ dễ nhận ra), hoặc bấm dấu + "
        f"rồi chọn \"Vị trí\"; nếu không rõ, {YOU} nhắn \"không biết\" ạ.")


def urgent_location_unknown() -> Reply:
    return Reply(
        f"Dạ vâng, phường đã ghi là chưa rõ địa điểm ạ. Nếu có người gặp nguy hiểm, {YOU} gọi ngay "
        "114 (cháy nổ, cứu nạn), 113 (công an) hoặc 115 (cấp cứu).")


def stopped() -> Reply:
    """A resident ends a follow-up (rating, officer offer) that needs nothing more."""
    return faq_declined_officer()


def question_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn câu hỏi giúp phường, ví dụ: \"Làm căn cước cho con cần giấy tờ gì?\". "
        f"Nếu không hỏi nữa, {YOU} nhắn \"hủy\" ạ.",
        (BTN_CANCEL,),
    )


# --- lead ---

def out_of_scope() -> Reply:
    return Reply(
        f"Dạ, việc này nằm ngoài phạm vi phường hỗ trợ qua Hộp thư số nên phường xin phép không trả "
        f"lời ạ. {You} cần phản ánh, kiến nghị hay hỏi thủ tục ở phường thì chọn bên dưới ạ.",
        MENU,
    )
