"""Residents who type and never tap: every conversation state × the answers people type.

Driven through the real webhook, dispatcher, handlers and outbox (tests/support.Harness).
Each case checks the state the resident lands in, that the report text holds only what the
resident reported (never "dạ", "gửi đi", "ko co anh"), and that an answer the bot cannot
read never gets the same message twice.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handlers import texts as bot_texts
from handlers.ticket_updates import on_ticket_changed
from storage import residents, tickets as ticket_store
from storage.db import session_scope
from storage.models import Conversation, Referral, Resident, Ticket
from tests.support import message_buttons, message_text

CODE = re.compile(r"\b([A-Z]{2}-\d{4}-\d{4,})\b")
REPORT = "den duong ngo 12 to 5 hong 3 hom nay r"          # place given: photo asked next
NO_PLACE = "Rác thải đổ trộm thành đống bốc mùi hôi thối"    # no place: location asked next


def text_of(messages):
    return "\n".join(message_text(m) for m in messages)


def buttons_of(messages):
    return [b for m in messages for b in message_buttons(m)]


def all_tickets():
    with session_scope() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def state(bot):
    with session_scope() as s:
        resident = s.scalar(select(Resident).where(Resident.zalo_user_id == bot.user_id))
        conv = s.scalar(select(Conversation).where(Conversation.resident_id == resident.id))
        return conv.state, dict(conv.data or {})


def put_in_state(bot, name: str, data: dict) -> None:
    with session_scope() as s:
        resident = residents.get_or_create(s, bot.user_id)
        residents.set_state(residents.conversation_for(s, resident), name, data)


def at_photo_step(bot):
    replies = bot.say(REPORT)
    assert state(bot)[0] == "intake_photo", text_of(replies)


def at_location_step(bot):
    bot.say("Phản ánh")
    bot.say(NO_PLACE)
    assert state(bot)[0] == "intake_location"


def at_confirm(bot):
    at_photo_step(bot)
    bot.say("Không có ảnh")
    assert state(bot)[0] == "intake_confirm"


# --- the repro, end to end ------------------------------------------------------------

def test_repro_typed_only_gets_a_code_and_a_clean_ticket(bot):
    bot.say(REPORT)
    r2 = bot.say("ko co anh dau")
    assert "xác nhận" in text_of(r2)
    r3 = bot.say("dung roi gui di")
    code = CODE.search(text_of(r3)).group(1)
    [ticket] = all_tickets()
    assert ticket.code == code and ticket.status == "new"
    assert ticket.text == REPORT
    assert state(bot)[0] == "idle"


# --- confirm -----------------------------------------------------------------------------------

CONFIRM_YES = ("vâng", "dạ", "ok gửi đi", "uh gui lun", "gui giup bac nhe", "gửi giúp bác nhé",
               "dung roi gui di", "đúng rồi", "được", "dc", "oki", "okie", "um", "vâng ạ",
               "Gửi phản ánh", "gửi", "uh gửi lun", "đồng ý", "xác nhận", "có")


@pytest.mark.parametrize("phrase", CONFIRM_YES)
def test_confirm_typed_yes_submits_without_touching_the_text(bot, phrase):
    at_confirm(bot)
    replies = bot.say(phrase)
    assert CODE.search(text_of(replies)), text_of(replies)
    [ticket] = all_tickets()
    assert ticket.text == REPORT and ticket.status == "new"
    assert state(bot)[0] == "idle"


@pytest.mark.parametrize("phrase", ("không", "ko", "thôi không gửi nữa", "hủy giúp bác", "huy", "k gui nua"))
def test_confirm_typed_no_or_cancel_sends_nothing(bot, phrase):
    at_confirm(bot)
    replies = bot.say(phrase)
    assert "đã hủy" in text_of(replies)
    assert all_tickets() == [] and state(bot)[0] == "idle"


@pytest.mark.parametrize("phrase", ("sửa lại", "sua", "sai rồi", "không đúng", "ko dung"))
def test_confirm_typed_edit_asks_for_the_new_content(bot, phrase):
    at_confirm(bot)
    replies = bot.say(phrase)
    assert "nhắn lại nội dung" in text_of(replies)
    assert state(bot)[0] == "intake_content"
    bot.say("Đèn đường ngõ 14 tổ 5 bị hỏng")
    bot.say("gửi đi")
    [ticket] = all_tickets()
    assert ticket.text == "Đèn đường ngõ 14 tổ 5 bị hỏng"


def test_confirm_edit_that_carries_new_facts_adds_them_and_shows_the_summary(bot):
    at_confirm(bot)
    replies = bot.say("thêm: cột đèn còn bị nghiêng")
    assert "cột đèn còn bị nghiêng" in text_of(replies) and "xác nhận" in text_of(replies)
    assert state(bot)[0] == "intake_confirm" and all_tickets() == []
    bot.say("ok")
    [ticket] = all_tickets()
    assert ticket.text.startswith(REPORT) and "cột đèn còn bị nghiêng" in ticket.text
    assert "thêm" not in ticket.text


def test_confirm_long_new_facts_are_added_and_shown_before_sending(bot):
    at_confirm(bot)
    replies = bot.say("à quên, tối qua có xe máy bị ngã ở đó vì tối quá")
    assert "xe máy bị ngã" in text_of(replies) and "xác nhận" in text_of(replies)
    assert all_tickets() == []
    bot.say("vâng")
    assert "xe máy bị ngã" in all_tickets()[0].text


def test_confirm_unreadable_answer_reasks_once_then_keeps_a_draft(bot):
    at_confirm(bot)
    first = bot.say("hả")
    assert "\"gửi\"" in text_of(first) and "\"hủy\"" in text_of(first)
    assert buttons_of(first) == ["Gửi phản ánh", "Sửa lại", "Hủy"]
    assert state(bot)[0] == "intake_confirm"
    second = bot.say("là sao")
    assert text_of(second) != text_of(first)
    assert "nháp" in text_of(second)
    assert state(bot)[0] == "idle"
    [draft] = all_tickets()
    assert draft.status == "draft" and draft.text == REPORT
    done = bot.say("gui giup bac nhe")
    assert draft.code in text_of(done)
    assert all_tickets()[0].status == "new"


def test_confirm_never_sends_the_same_message_twice_in_a_row(bot):
    at_confirm(bot)
    seen = []
    for phrase in ("hả", "hả", "hả"):
        seen.append(text_of(bot.say(phrase)))
    assert len(set(seen[:2])) == 2
    assert seen[1] != seen[2]


# --- photo ------------------------------------------------------------------------------------

PHOTO_NO = ("k co hinh", "chưa có ảnh", "ko co hinh", "không có", "ko", "ko co anh dau",
            "Không có ảnh", "không có ảnh ạ", "hok co", "k", "dạ không", "bỏ qua", "không có đâu ạ")


@pytest.mark.parametrize("phrase", PHOTO_NO)
def test_photo_step_typed_no_goes_to_confirm_and_is_never_appended(bot, phrase):
    at_photo_step(bot)
    replies = bot.say(phrase)
    assert "xác nhận" in text_of(replies)
    assert f"\"{REPORT}\"" in text_of(replies)
    assert state(bot)[0] == "intake_confirm"
    assert state(bot)[1]["text"] == REPORT


@pytest.mark.parametrize("phrase", ("có", "dạ có", "ok", "hả"))
def test_photo_step_yes_or_unreadable_explains_once_then_moves_on(bot, phrase):
    at_photo_step(bot)
    first = bot.say(phrase)
    assert "Ảnh" in text_of(first) and "\"không\"" in text_of(first)
    assert state(bot)[0] == "intake_photo" and state(bot)[1]["text"] == REPORT
    second = bot.say(phrase)
    assert text_of(second) != text_of(first)
    assert "xác nhận" in text_of(second) and state(bot)[0] == "intake_confirm"
    assert state(bot)[1]["text"] == REPORT


def test_photo_step_long_details_are_added_and_shown(bot):
    at_photo_step(bot)
    replies = bot.say("cột đèn còn bị nghiêng sắp đổ ra đường")
    assert "cột đèn còn bị nghiêng" in text_of(replies) and "xác nhận" in text_of(replies)


# --- location ----------------------------------------------------------------------------------

@pytest.mark.parametrize("phrase", ("ko bt", "không nhớ", "k nho", "không biết", "ko nho dia chi",
                                    "khong biet a", "dạ bác không nhớ số nhà"))
def test_location_dont_know_is_a_skip_noted_on_the_ticket(bot, phrase):
    at_location_step(bot)
    replies = bot.say(phrase)
    assert "ảnh" in text_of(replies) and state(bot)[0] == "intake_photo"
    bot.say("ko")
    bot.say("gửi")
    [ticket] = all_tickets()
    assert ticket.location_text == bot_texts.LOCATION_UNKNOWN
    assert ticket.text == NO_PLACE


@pytest.mark.parametrize("phrase", ("gần chợ Hàn", "đầu kiệt 45", "truoc ngo 8", "cạnh trường Kim Đồng"))
def test_location_landmark_is_taken_as_typed(bot, phrase):
    at_location_step(bot)
    replies = bot.say(phrase)
    assert state(bot)[0] == "intake_photo", text_of(replies)
    bot.say("không có ảnh")
    bot.say("ok")
    [ticket] = all_tickets()
    assert ticket.location_text == phrase and ticket.text == NO_PLACE


def test_location_button_skip_leaves_no_note(bot):
    at_location_step(bot)
    bot.say("Bỏ qua")
    bot.say("ko")
    bot.say("gửi")
    assert all_tickets()[0].location_text is None


def test_location_tổ_sets_the_group(bot):
    at_location_step(bot)
    bot.say("tổ 7")
    bot.say("ko")
    bot.say("gửi")
    [ticket] = all_tickets()
    assert ticket.group_code == "7" and ticket.location_text == "tổ 7"


def test_location_reasks_at_most_once(bot):
    at_location_step(bot)
    first = bot.say("dạ")
    assert "không nhớ" in text_of(first) and state(bot)[0] == "intake_location"
    second = bot.say("vâng")
    assert text_of(second) != text_of(first)
    assert state(bot)[0] == "intake_photo"
    bot.say("ko")
    bot.say("gửi")
    [ticket] = all_tickets()
    assert ticket.text == NO_PLACE and ticket.location_text == bot_texts.LOCATION_UNKNOWN


# --- content ----------------------------------------------------------------------------------

def test_content_step_answer_words_are_not_a_report(bot):
    bot.say("Phản ánh")
    first = bot.say("dạ")
    assert "\"hủy\"" in text_of(first) and state(bot)[0] == "intake_content"
    second = bot.say("vâng")
    assert text_of(second) != text_of(first)
    assert state(bot)[0] == "idle" and all_tickets() == []
    assert buttons_of(second) == ["Phản ánh", "Kiến nghị", "Hỏi đáp", "Tra cứu"]


def test_content_step_no_cancels(bot):
    bot.say("Phản ánh")
    assert "đã hủy" in text_of(bot.say("ko"))
    assert state(bot)[0] == "idle"


def test_edit_then_unreadable_twice_keeps_the_old_text(bot):
    at_confirm(bot)
    bot.say("sửa lại")
    bot.say("dạ")
    replies = bot.say("dạ")
    assert f"\"{REPORT}\"" in text_of(replies) and state(bot)[0] == "intake_confirm"


# --- rating ----------------------------------------------------------------------------------

def _finished_ticket(bot, settings) -> str:
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    with session_scope() as s:
        t = s.scalar(select(Ticket))
        changed = ticket_store.change(s, t, "sheet:Nguyễn Văn An", status="resolved")
        on_ticket_changed(s, settings, t, changed, "sheet:Nguyễn Văn An")
        code = t.code
    bot.run_until_idle()
    bot.new_messages()
    assert state(bot)[0] == "rating"
    return code


@pytest.mark.parametrize("phrase,stars", [
    ("bác cho 5 sao", 5), ("năm sao", 5), ("cho 5 sao nha", 5), ("5*", 5), ("5 sao", 5),
    ("4 sao thôi", 4), ("5 ⭐", 5), ("rất hài lòng", 5), ("3", 3), ("hai sao", 2), ("bốn sao ạ", 4),
])
def test_rating_typed_in_words_or_stars_is_taken(bot, settings, phrase, stars):
    _finished_ticket(bot, settings)
    replies = bot.say(phrase)
    assert f"{stars} sao" in text_of(replies)
    assert all_tickets()[0].rating == stars and state(bot)[0] == "idle"


@pytest.mark.parametrize("phrase", ("không", "thôi", "khỏi", "ko can"))
def test_rating_declined_ends_politely(bot, settings, phrase):
    _finished_ticket(bot, settings)
    replies = bot.say(phrase)
    assert text_of(replies).startswith("Dạ vâng")
    assert "đã hủy" not in text_of(replies)
    assert all_tickets()[0].rating is None and state(bot)[0] == "idle"


def test_rating_yes_reasks_once_with_the_stars(bot, settings):
    _finished_ticket(bot, settings)
    first = bot.say("dạ")
    assert "\"5 sao\"" in text_of(first) and buttons_of(first) == list(bot_texts.RATING_BUTTONS)
    second = bot.say("ok")
    assert text_of(second) != text_of(first) and state(bot)[0] == "idle"
    assert all_tickets()[0].rating is None


# --- supplement ---------------------------------------------------------------------------------

def _waiting_ticket(bot, settings) -> str:
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    with session_scope() as s:
        t = s.scalar(select(Ticket))
        changed = ticket_store.change(s, t, "sheet:An", status="waiting_resident",
                                      answer="số nhà gần cột đèn")
        on_ticket_changed(s, settings, t, changed, "sheet:An")
    bot.run_until_idle()
    bot.new_messages()
    assert state(bot)[0] == "supplement"


def test_supplement_details_are_added(bot, settings):
    _waiting_ticket(bot, settings)
    bot.say("gần nhà số 8")
    [ticket] = all_tickets()
    assert "[Bổ sung] gần nhà số 8" in ticket.text and ticket.status == "in_progress"


@pytest.mark.parametrize("phrase", ("ko bt", "không nhớ", "không có"))
def test_supplement_dont_know_is_noted_not_appended(bot, settings, phrase):
    _waiting_ticket(bot, settings)
    replies = bot.say(phrase)
    assert "cán bộ" in text_of(replies)
    [ticket] = all_tickets()
    assert ticket.text == f"Đèn đường ngõ 12 tổ 5 bị hỏng\n[Bổ sung] {bot_texts.SUPPLEMENT_NONE}"
    assert ticket.status == "in_progress"


def test_supplement_yes_is_not_the_information(bot, settings):
    _waiting_ticket(bot, settings)
    first = bot.say("dạ")
    assert state(bot)[0] == "supplement" and "dạ" not in all_tickets()[0].text.lower()
    bot.say("gần nhà số 8")
    assert "[Bổ sung] gần nhà số 8" in all_tickets()[0].text
    assert "bổ sung" in text_of(first).lower()


# --- FAQ offer, clarify, urgent location, referral ---------------------------------------------

@pytest.mark.parametrize("phrase", ("có", "dạ có", "chuyen can bo", "Chuyển cán bộ", "ok chuyển giúp bác"))
def test_faq_unsure_yes_passes_the_question_to_an_officer(bot, phrase):
    put_in_state(bot, "faq_offer", {"question": "Nhà tôi có được hỗ trợ sửa mái tôn không?"})
    replies = bot.say(phrase)
    assert CODE.search(text_of(replies)).group(1).startswith("HD-")


@pytest.mark.parametrize("phrase", ("ko can", "không cần đâu ạ", "không", "thôi"))
def test_faq_offer_no_thanks(bot, phrase):
    put_in_state(bot, "faq_offer", {"question": "giờ làm việc?", "matched": "giờ làm việc"})
    replies = bot.say(phrase)
    assert text_of(replies).startswith("Dạ vâng") and all_tickets() == []
    assert state(bot)[0] == "idle"


def test_faq_answered_ok_is_an_acknowledgement_not_a_ticket(bot):
    put_in_state(bot, "faq_offer", {"question": "giờ làm việc?", "matched": "giờ làm việc"})
    replies = bot.say("ok")
    assert text_of(replies).startswith("Dạ vâng") and all_tickets() == []


CLARIFY_TEXT = "Cái cống ở đầu ngõ 9"


@pytest.mark.parametrize("phrase,kind", [("phan anh a", "complaint"), ("tôi muốn phản ánh", "complaint"),
                                         ("kien nghi", "suggestion"), ("góp ý ạ", "suggestion")])
def test_clarify_typed_choice_starts_from_the_text(bot, phrase, kind):
    put_in_state(bot, "clarify_kind", {"text": CLARIFY_TEXT, "candidates": ["complaint", "suggestion"]})
    bot.say(phrase)
    st, data = state(bot)
    assert st.startswith("intake_") and data["kind"] == kind and data["text"] == CLARIFY_TEXT


def test_clarify_yes_reasks_then_offers_an_officer(bot):
    put_in_state(bot, "clarify_kind", {"text": CLARIFY_TEXT, "candidates": ["complaint", "question"]})
    first = bot.say("dạ")
    assert "\"phản ánh\"" in text_of(first) and state(bot)[0] == "clarify_kind"
    second = bot.say("vâng")
    assert text_of(second) != text_of(first)
    assert "Chuyển cán bộ" in buttons_of(second) and state(bot)[0] == "faq_offer"
    replies = bot.say("có")
    assert CODE.search(text_of(replies)).group(1).startswith("HD-")
    assert all_tickets()[0].text == CLARIFY_TEXT


def _urgent(bot):
    bot.say("Cháy nhà, khói rất nhiều, có người mắc kẹt")
    assert state(bot)[0] == "urgent_location"


@pytest.mark.parametrize("phrase", ("ko bt", "không biết", "k nho"))
def test_urgent_location_dont_know_is_noted_not_stored_as_address(bot, phrase):
    _urgent(bot)
    replies = bot.say(phrase)
    assert "114" in text_of(replies)
    [ticket] = all_tickets()
    assert ticket.location_text == bot_texts.LOCATION_UNKNOWN and state(bot)[0] == "idle"


def test_urgent_location_landmark_and_yes(bot):
    _urgent(bot)
    first = bot.say("dạ")
    assert state(bot)[0] == "urgent_location" and all_tickets()[0].location_text is None
    bot.say("gần chợ Hàn")
    assert all_tickets()[0].location_text == "gần chợ Hàn" and state(bot)[0] == "idle"
    assert "không biết" in text_of(first)


def test_urgent_location_cancel_does_not_claim_nothing_was_sent(bot):
    _urgent(bot)
    replies = bot.say("hủy")
    assert "chưa gửi gì" not in text_of(replies)
    assert len(all_tickets()) == 1


DENUNCIATION = "Tôi muốn tố cáo cán bộ phường nhận hối lộ khi làm sổ đỏ"


@pytest.mark.parametrize("choice", ("Phản ánh", "phan anh a"))
def test_report_after_a_redirect_starts_from_what_was_written(bot, choice):
    assert "Luật Tố cáo" in text_of(bot.say(DENUNCIATION))
    replies = bot.say(choice)
    assert "việc gì cần phản ánh" not in text_of(replies)
    st, data = state(bot)
    assert st.startswith("intake_") and data["text"] == DENUNCIATION
    with session_scope() as s:
        assert s.scalar(select(Referral.kind)) == "denunciation"


def test_ask_after_a_redirect_waits_for_the_question(bot):
    bot.say(DENUNCIATION)
    replies = bot.say("Hỏi đáp")
    assert "cần hỏi điều gì" in text_of(replies) and state(bot)[0] == "faq_wait"


# --- waiting for a question ------------------------------------------------------------------

def test_waiting_question_yes_is_not_the_question(bot):
    bot.say("Hỏi đáp")
    first = bot.say("dạ")
    assert "\"hủy\"" in text_of(first) and state(bot)[0] == "faq_wait"
    second = bot.say("vâng")
    assert text_of(second) != text_of(first) and state(bot)[0] == "idle"
    assert all_tickets() == []


@pytest.mark.parametrize("phrase", ("không", "thôi", "ko"))
def test_waiting_question_no_ends_it(bot, phrase):
    bot.say("Hỏi đáp")
    replies = bot.say(phrase)
    assert text_of(replies).startswith("Dạ") and state(bot)[0] == "idle"
    assert "Nguồn" not in text_of(replies)


def test_waiting_question_takes_any_real_question(bot):
    bot.say("Hỏi đáp")
    replies = bot.say("lam cccd cho con can gi")
    assert state(bot)[0] == "faq_offer" and "Chuyển cán bộ" in buttons_of(replies)
