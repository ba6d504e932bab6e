"""Message builders (pure)."""
from __future__ import annotations

import unicodedata

import pytest

from bot.zalo.client import parse_interaction_date
from bot.zalo.messages import fit_text, image_message, request_user_info_message, text_message


def test_plain_text_is_nfc():
    assert text_message(unicodedata.normalize("NFD", "Đèn đường"))["text"] == "Đèn đường"


def test_more_than_five_buttons_is_a_programming_error():
    with pytest.raises(ValueError):
        text_message("x", [(str(i), str(i)) for i in range(6)])


def test_full_button_dicts_pass_through():
    msg = text_message("Gọi phường", [{"title": "Gọi", "type": "oa.open.phone",
                                        "payload": {"phone_code": "02437000000"}}])
    assert msg["attachment"]["payload"]["buttons"][0]["type"] == "oa.open.phone"


def test_fit_text_cuts_on_a_word_and_keeps_limit():
    text = "phản ánh " * 400
    out = fit_text(text)
    assert len(out) <= 2000 and out.endswith("…") and not out[:-1].endswith(" ")
    assert out[:-1].split()[-1] in ("phản", "ánh")


def test_fit_text_never_leaves_a_dangling_combining_mark():
    text = "a" * 1998 + "e\u0323\u0302" * 5 + "\u20dd" * 10  # combining marks survive NFC
    out = fit_text(text)
    assert len(out) <= 2000 and not unicodedata.combining(out[-2])


def test_image_and_request_info_shapes():
    assert image_message("https://x/y.jpg")["attachment"]["payload"] == {
        "template_type": "media", "elements": [{"media_type": "image", "url": "https://x/y.jpg"}]}
    assert "text" not in image_message("att-1")
    info = request_user_info_message("Cho phường xin thông tin", "Họ tên, SĐT, địa chỉ",
                                     "https://x/logo.png")
    element = info["attachment"]["payload"]["elements"][0]
    assert info["attachment"]["payload"]["template_type"] == "request_user_info"
    assert element["title"] == "Cho phường xin thông tin"


def test_parse_interaction_date():
    assert parse_interaction_date("05/03/2026").isoformat() == "2026-03-05"
    assert parse_interaction_date("") is None and parse_interaction_date(None) is None
