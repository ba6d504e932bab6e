"""Residents who type and never tap, after filing: rating, supplement, the FAQ offer, clarify,
the urgent location, a redirect, waiting for a question (the filing steps are in
tests/handlers/test_intake_steps_typed.py, whose helpers these share).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import texts as bot_texts
from handlers.ticket_updates import on_ticket_changed
from storage import residents, tickets as ticket_store
from storage.db import session_scope
from storage.models import Referral, Ticket
from tests.handlers.test_intake_steps_typed import CODE, all_tickets, buttons_of, state, text_of


def put_in_state(bot, name: str, data: dict) -> None:
    with session_scope() as s:
        resident = residents.get_or_create(s, bot.user_id)
        residents.set_state(residents.conversation_for(s, resident), name, data)


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
