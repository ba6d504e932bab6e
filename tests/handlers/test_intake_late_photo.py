"""A resident sends the report, gets the code, then remembers the picture: it joins that ticket
instead of starting a new report (issue 11, "tried as its users would")."""
from datetime import timedelta

from sqlalchemy import select, update

from storage.db import session_scope
from storage.models import Attachment, Ticket
from tests.conftest import count
from tests.support import buttons, image_event, texts


def _report(bot) -> str:
    bot.say("den duong ngo 12 to 5 hong 3 hom nay r")
    bot.say("ko co anh")
    assert "PA-" in texts(bot.say("gửi"))
    with session_scope() as s:
        return s.scalar(select(Ticket.code))


def test_a_photo_right_after_the_code_joins_that_ticket(bot):
    code = _report(bot)
    replies = bot.deliver(image_event(bot.user_id, "https://photo.example/den.jpg"))
    assert code in texts(replies) and "thêm ảnh" in texts(replies)
    assert buttons(replies)[0] == "Phản ánh"  # another matter: one tap starts it
    assert count("tickets") == 1
    with session_scope() as s:
        assert s.scalar(select(Attachment.url)) == "https://photo.example/den.jpg"


def test_a_photo_long_after_starts_a_new_report(bot):
    _report(bot)
    with session_scope() as s:  # the report was sent an hour ago
        s.execute(update(Ticket).values(created_at=Ticket.created_at - timedelta(hours=1)))
    replies = bot.deliver(image_event(bot.user_id, "https://photo.example/khac.jpg"))
    assert "thêm ảnh" not in texts(replies)
    with session_scope() as s:
        assert s.scalar(select(Attachment.url)) is None  # kept for the new report, not the old one


def test_no_photo_typed_after_the_summary_does_not_cancel_the_report(bot):
    """The resident answered the photo question with the place, then "ko co anh" at the summary:
    that is the photo answer, late; the report stays and "gửi" sends it."""
    bot.say("den duong ngo 12 to 5 hong 3 hom nay r")
    bot.say("ngõ 12 tổ 5")                      # taken as more facts; the summary comes
    again = texts(bot.say("ko co anh"))
    assert "hủy" not in again and "xác nhận" in again
    assert "PA-" in texts(bot.say("gửi"))
