"""Conversations, read as transcripts: what the resident says, what the bot answers."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from storage.db import session_scope
from storage.models import Attachment, Conversation, OutboundMessage, Referral, Ticket, utcnow
from tests.support import buttons, follow_event, image_event, location_event, message_buttons, message_text, texts

CODE = re.compile(r"\b([A-Z]{2}-\d{4}-\d{4,})\b")


def tickets():
    with session_scope() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def test_follow_gets_welcome_privacy_notice_and_menu(bot):
    replies = bot.deliver(follow_event(bot.user_id))
    assert "Hộp thư số" in texts(replies)
    assert "thông tin cá nhân" in texts(replies)
    assert buttons(replies) == ["Phản ánh", "Kiến nghị", "Hỏi đáp", "Tra cứu"]


def test_report_with_place_in_first_message_is_not_asked_again(bot):
    r1 = bot.say("den duong ngo 12 to 5 hong 3 hom nay r, toi di nguy hiem lam")
    assert "ngo 12 to 5" in texts(r1)          # restates what it understood
    assert "ảnh" in texts(r1) and "Việc này ở đâu" not in texts(r1)
    assert buttons(r1) == ["Không có ảnh"]
    r2 = bot.say("Không có ảnh")
    assert "xác nhận" in texts(r2)
    assert buttons(r2) == ["Gửi phản ánh", "Sửa lại", "Hủy"]
    r3 = bot.say("Gửi phản ánh")
    code = CODE.search(texts(r3)).group(1)
    assert code.startswith("PA-") and f"tra cứu {code}" in texts(r3)
    assert "ngày làm việc" in texts(r3)
    [ticket] = tickets()
    assert ticket.code == code and ticket.kind == "complaint" and ticket.status == "new"
    assert ticket.group_code == "5" and "ngo 12" in ticket.location_text
    assert ticket.due_date is not None


def test_guided_report_asks_one_thing_at_a_time_and_attaches_photo_and_location(bot):
    r1 = bot.say("Phản ánh")
    assert "việc gì" in texts(r1) and len(r1) == 1
    r2 = bot.say("Rác thải đổ trộm thành đống bốc mùi hôi thối")
    assert "ở đâu" in texts(r2)
    r3 = bot.deliver(location_event(bot.user_id, "21.0285", "105.8542"))
    assert "ảnh" in texts(r3)
    r4 = bot.deliver(image_event(bot.user_id, "https://photo.example/rac.jpg"))
    assert "Kèm 1 ảnh" in texts(r4)
    bot.deliver(image_event(bot.user_id, "https://photo.example/rac2.jpg"))  # quietly attached
    r5 = bot.say("gui")
    assert CODE.search(texts(r5))
    [ticket] = tickets()
    assert abs(ticket.latitude - 21.0285) < 1e-6 and abs(ticket.longitude - 105.8542) < 1e-6
    with session_scope() as s:
        urls = sorted(s.scalars(select(Attachment.url).where(Attachment.ticket_id == ticket.id)))
    assert urls == ["https://photo.example/rac.jpg", "https://photo.example/rac2.jpg"]


def test_suggestion_gets_kn_code(bot):
    bot.say("Đề nghị phường lắp camera an ninh ở đầu ngõ 12")
    replies = bot.say("Gửi kiến nghị")
    assert CODE.search(texts(replies)).group(1).startswith("KN-")
    assert tickets()[0].kind == "suggestion"


def test_cancel_at_any_step_creates_nothing(bot):
    bot.say("Phản ánh")
    bot.say("Cống thoát nước bị tắc gây ngập")
    replies = bot.say("hủy")
    assert "đã hủy" in texts(replies)
    assert tickets() == []
    assert "không có việc gì" in texts(bot.say("Huỷ")).lower()


def test_edit_replaces_the_content(bot):
    bot.say("Phản ánh")
    bot.say("Cây xanh đổ chắn đường ngõ 3 tổ 2")
    bot.say("Không có ảnh")
    assert "nhắn lại nội dung" in texts(bot.say("Sửa lại"))
    replies = bot.say("Cây xanh gãy cành chắn lối đi ngõ 3 tổ 2")
    assert "gãy cành" in texts(replies)
    bot.say("Gửi phản ánh")
    assert "gãy cành" in tickets()[0].text


def test_stalled_conversation_is_kept_as_a_draft_and_can_still_be_sent(bot, runtime):
    bot.say("Phản ánh")
    bot.say("Nước thải tràn ra đường ở ngõ 5 tổ 3")
    with session_scope() as s:
        s.execute(update(Conversation).values(updated_at=utcnow() - timedelta(hours=1)))
    assert runtime.worker.expire_stalled_conversations() == 1
    [draft] = tickets()
    assert draft.status == "draft" and "Nước thải" in draft.text
    replies = bot.say("Gửi phản ánh")   # the old button, tapped later
    assert draft.code in texts(replies)
    assert tickets()[0].status == "new"


def test_lookup_only_for_the_owner_any_spelling(bot):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    code = CODE.search(texts(bot.say("Gửi phản ánh"))).group(1)
    for spelling in (f"tra cứu {code}", f"TRA CUU {code.lower()}", f"tra cuu  {code.replace('-', ' ')}"):
        assert "Mới tiếp nhận" in texts(bot.say(spelling)), spelling
    stranger = type(bot)(bot.client, bot.runtime, bot.fake, user_id="111111111111111111")
    reply = texts(stranger.say(f"tra cứu {code}"))
    assert "không tìm thấy" in reply and "Mới tiếp nhận" not in reply


def test_denunciation_is_redirected_and_recorded_not_ticketed(bot):
    replies = bot.say("Tôi muốn tố cáo cán bộ phường nhận hối lộ khi làm sổ đỏ")
    assert "Luật Tố cáo" in texts(replies)
    assert tickets() == []
    with session_scope() as s:
        assert s.scalar(select(Referral.kind)) == "denunciation"


def test_anything_else_gets_help_and_the_menu(bot):
    replies = bot.say("asdfgh qwerty")
    assert buttons(replies) == ["Phản ánh", "Kiến nghị", "Hỏi đáp", "Tra cứu"]


def test_question_is_answered_from_the_knowledge_base_with_source(bot):
    replies = bot.say("cho e hoi dang ky dinh danh dien tu muc 2 o dau a")
    assert "Nguồn" in texts(replies) and "Nguồn: Nguồn" not in texts(replies)
    assert "Chuyển cán bộ" in buttons(replies)


def test_question_can_be_passed_to_an_officer_as_a_ticket(bot):
    bot.say("Hỏi đáp")
    bot.say("Nhà tôi có được hỗ trợ sửa mái tôn sau bão không ạ?")
    replies = bot.say("Chuyển cán bộ")
    assert CODE.search(texts(replies)).group(1).startswith("HD-")


def test_urgent_report_makes_a_ticket_at_once_and_alerts_officers(bot, settings):
    replies = bot.say("Cháy nhà ở ngõ 7 tổ 4, khói rất nhiều, có người mắc kẹt")
    assert "114" in texts(replies)
    [ticket] = tickets()
    assert ticket.urgent and ticket.status == "new"
    with session_scope() as s:
        alerts = list(s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert")))
    assert [a.recipient_id for a in alerts] == list(settings.officer_zalo_ids)
    assert ticket.code in alerts[0].message["text"]


def test_replies_are_short_and_polite(bot):
    for line in ("xin chào", "Phản ánh", "Cống thoát nước bị tắc ở ngõ 9", "Không có ảnh"):
        for message in bot.say(line):
            assert message_text(message).startswith("Dạ")
            assert len(message_text(message)) <= 700
            assert len(message_buttons(message)) <= 5
