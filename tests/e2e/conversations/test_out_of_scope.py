"""Issue 11: "giá vàng hôm nay" was offered to an officer. Questions about nothing of the ward's
are declined politely: no ticket, no offer to pass them on, the menu to go on with."""
import pytest

from tests.conftest import count
from tests.support import buttons, texts


@pytest.mark.parametrize("text", ["giá vàng hôm nay", "gia vang hom nay bao nhieu",
                                  "kết quả bóng đá tối qua"])
def test_out_of_scope_is_declined_without_a_ticket_or_an_officer(bot, text):
    replies = bot.say(text)
    said = texts(replies)
    assert "ngoài phạm vi" in said
    assert "Chuyển cán bộ" not in buttons(replies) and "cán bộ" not in said
    assert buttons(replies) == ["Phản ánh", "Kiến nghị", "Hỏi đáp", "Tra cứu"]
    assert count("tickets") == 0


def test_an_unrecognised_ward_message_is_not_declined(bot):
    assert "ngoài phạm vi" not in texts(bot.say("ngõ 5 tổ 3 nhà bác Hùng"))


# A question the knowledge base cannot answer goes to the scope vote (intents/classify.py):
# before it, every such question was offered to an officer.
def test_an_unanswerable_question_of_nothing_of_the_wards_is_declined(bot):
    replies = bot.say("quán cà phê nào view đẹp ở Đà Lạt?")
    assert "ngoài phạm vi" in texts(replies)
    assert "Chuyển cán bộ" not in buttons(replies)
    assert count("tickets") == 0


def test_a_question_the_resident_chose_to_ask_is_never_declined(bot):
    """The decline shows the menu; a resident who taps "Hỏi đáp" and asks again is heard."""
    bot.say("quán cà phê nào view đẹp ở Đà Lạt?")
    bot.say("Hỏi đáp")
    replies = bot.say("quán cà phê nào view đẹp ở Đà Lạt?")
    assert "ngoài phạm vi" not in texts(replies)
    assert "Chuyển cán bộ" in buttons(replies)


def test_a_question_close_to_a_labelled_ward_question_stays_in_scope(bot):
    # "ở đâu gần đây" is in many declined queries; the closest labelled message is a health one
    replies = bot.say("tiêm phòng dại sau khi bị chó cắn thì tiêm ở đâu gần đây ạ")
    assert "ngoài phạm vi" not in texts(replies)


@pytest.mark.parametrize("text", ["bye nhé", "tạm biệt", "cảm ơn nhiều", "see you later", "chúc bác ngủ ngon"])
def test_a_goodbye_gets_a_short_farewell_not_the_welcome_again(bot, text):
    said = texts(bot.say(text))
    assert "cảm ơn" in said and "Về thông tin cá nhân" not in said


def test_a_hello_still_gets_the_welcome(bot):
    assert "Về thông tin cá nhân" in texts(bot.say("alo"))
