"""Urgent situations a ward sees beyond fire and accidents: gas leaks, drowning, lost children.
(Found missing by the second held-out set; these phrasings are not that set's sentences.)"""
import pytest

from intents.classify import classify


@pytest.mark.parametrize("text", [
    "nhà bên cạnh bị rò rỉ khí gas, mùi nồng lắm",
    "bep nha so 3 xi gas ra ngoai",
    "có em nhỏ bị đuối nước ở hồ điều hòa",
    "thang be ngã xuống ao sau nhà",
    "con toi di lac o cho tu sang",
    "bé 5 tuổi mất tích từ trưa chưa về",
])
def test_urgent(text):
    assert classify(text).urgent


@pytest.mark.parametrize("text", [
    "cho hỏi thủ tục đăng ký tạm trú cho con",
    "đề nghị rào hồ điều hòa cho an toàn",
])
def test_not_urgent(text):
    assert not classify(text).urgent
