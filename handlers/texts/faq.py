"""Questions: the answer from the ward's FAQ, and the offer to pass the question to an officer."""
from __future__ import annotations

from handlers.texts.words import BTN_CANCEL, BTN_NO_THANKS, BTN_TO_OFFICER, MENU, YOU, You
from storage.messages import Reply


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


def faq_not_ready() -> Reply:
    """A known question whose answer still needs the ward's own facts (intents/slots.py)."""
    return Reply(
        f"Dạ, câu này cần thông tin riêng của phường mà Hộp thư số chưa cập nhật. {You} có muốn "
        "chuyển câu hỏi đến cán bộ để được trả lời chính xác không ạ?",
        (BTN_TO_OFFICER, BTN_NO_THANKS),
    )


def faq_declined_officer() -> Reply:
    return Reply(f"Dạ vâng. Khi cần, {YOU} cứ nhắn phường ạ.", MENU)


def stopped() -> Reply:
    """A resident ends a follow-up (rating, officer offer) that needs nothing more."""
    return faq_declined_officer()


def question_reask() -> Reply:
    return Reply(
        f"Dạ, {YOU} nhắn câu hỏi giúp phường, ví dụ: \"Làm căn cước cho con cần giấy tờ gì?\". "
        f"Nếu không hỏi nữa, {YOU} nhắn \"hủy\" ạ.",
        (BTN_CANCEL,),
    )
