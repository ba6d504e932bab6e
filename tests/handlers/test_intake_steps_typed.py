"""Residents who type and never tap: the filing steps × the answers people type (the states
after filing are in tests/e2e/conversations/test_typed_followups.py).

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
from storage.db import session_scope
from storage.models import Conversation, Resident, Ticket
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
