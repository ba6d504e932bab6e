"""Filing a report, suggestion or question: the steps, the confirmation, and the re-asks.

Typed answers (intents/replies.py): a re-ask names the buttons AND the words that work when
typed; a second unreadable answer gets a different way forward, never the same message.
"""
from __future__ import annotations

from handlers.texts.words import (
    BTN_ASK, BTN_CANCEL, BTN_EDIT, BTN_NO_PHOTO, BTN_NO_THANKS, BTN_REPORT, BTN_SKIP_LOCATION,
    BTN_SUBMIT_QUESTION, BTN_SUBMIT_REPORT, BTN_SUBMIT_SUGGESTION, BTN_SUGGEST, BTN_TO_OFFICER, MENU,
    YOU, You,
)
from storage.messages import Reply

KIND_WORDS = {"complaint": "phản ánh", "suggestion": "kiến nghị", "question": "câu hỏi"}
SUBMIT_BUTTON = {
    "complaint": BTN_SUBMIT_REPORT,
    "suggestion": BTN_SUBMIT_SUGGESTION,
    "question": BTN_SUBMIT_QUESTION,
}

# Officer-facing note on a ticket (the Sheet's address column).
LOCATION_UNKNOWN = "(người dân không nhớ địa chỉ)"


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


def clarify_kind(candidates: tuple[str, ...]) -> Reply:
    labels = {"complaint": BTN_REPORT, "suggestion": BTN_SUGGEST, "question": BTN_ASK}
    buttons = tuple(labels[c] for c in candidates if c in labels) or (BTN_REPORT, BTN_SUGGEST, BTN_ASK)
    return Reply(
        f"Dạ, {YOU} muốn gửi phản ánh (báo sự việc cần xử lý), kiến nghị (đề xuất với phường) "
        "hay hỏi thông tin ạ?",
        buttons,
    )


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
