"""Issue 11: "giá vàng hôm nay" was offered to an officer. Questions about nothing of the ward's
are declined politely: no ticket, no offer to pass them on, the menu to go on with."""
import pytest

from tests.foundation.test_dialogs import buttons, texts
from tests.conftest import count


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
