"""Sending through the real client to the fake over HTTP."""
from __future__ import annotations

import logging
import unicodedata
from datetime import timedelta

import pytest

from bot.zalo.client import FLAG_CS_API_VERSION, PATH_CS_V3, PATH_MESSAGE_V2, ZaloError
from bot.zalo.messages import image_message, text_message


def test_send_text_with_buttons_is_recorded_exactly(fake, zalo_client):
    user = fake.state.add_user(display_name="Bác Hùng")
    message = text_message("Dạ, phường đã ghi nhận ạ.", [("Gửi phản ánh", "#confirm"), ("Hủy", "#cancel")])

    data = zalo_client.send_message(user, message)

    assert data["message_id"].isdigit() and len(data["message_id"]) >= 17
    assert data["user_id"] == user
    assert data["quota"]["quota_type"] == "reply" and data["quota"]["total"] == 8
    [sent] = fake.state.messages()
    assert (sent.path, sent.api_version, sent.user_id) == (PATH_CS_V3, "v3", user)
    assert sent.message == {
        "text": "Dạ, phường đã ghi nhận ạ.",
        "attachment": {"type": "template", "payload": {"buttons": [
            {"title": "Gửi phản ánh", "type": "oa.query.show", "payload": "#confirm"},
            {"title": "Hủy", "type": "oa.query.show", "payload": "#cancel"}]}},
    }
    assert sent.message_id == data["message_id"] and not sent.billed


def test_between_48h_and_7_days_delivers_but_is_billed(fake, zalo_client):
    user = fake.state.add_user(last_interaction=fake.state.clock() - timedelta(days=3))
    zalo_client.send_message(user, text_message("Cập nhật tiến độ"))
    assert fake.state.messages()[0].billed


def test_government_oa_falls_back_to_v2_and_remembers(fake, zalo_client, flags):
    fake.state.oa_type = "government"
    user = fake.state.add_user()

    first = zalo_client.send_message(user, text_message("một"))
    second = zalo_client.send_message(user, text_message("hai"))

    assert first["message_id"] and second["message_id"]
    assert flags.get(FLAG_CS_API_VERSION) == "v2"
    assert [m.path for m in fake.state.messages()] == [PATH_MESSAGE_V2, PATH_MESSAGE_V2]
    assert fake.state.stats()["requests"] == {PATH_CS_V3: 1, PATH_MESSAGE_V2: 2}


@pytest.mark.parametrize("setup, reason", [
    (dict(last_interaction="days8"), "no_interaction_7d"),
    (dict(is_follower=False), "not_follower"),
    (dict(last_interaction=None), "no_interaction_7d"),
])
def test_undeliverable_is_raised_without_retry(fake, zalo_client, setup, reason):
    if setup.get("last_interaction") == "days8":
        setup["last_interaction"] = fake.state.clock() - timedelta(days=8)
    user = fake.state.add_user(**setup)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, text_message("xin chào"))
    assert (info.value.category, info.value.reason) == ("undeliverable", reason)
    assert fake.state.stats()["requests"] == {PATH_CS_V3: 1}
    assert fake.state.messages() == []


def test_unknown_user_is_not_follower(fake, zalo_client):
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message("1234567890123456789", text_message("xin chào"))
    assert info.value.code == -213


def test_long_text_is_truncated_by_builder_and_accepted(fake, zalo_client):
    user = fake.state.add_user()
    message = text_message("Đèn đường tổ 5 hỏng. " * 200)
    assert 1950 < len(message["text"]) <= 2000 and message["text"].endswith("…")
    zalo_client.send_message(user, message)
    assert fake.state.messages()[0].message["text"] == message["text"]


def test_raw_text_over_2000_is_rejected_as_invalid(fake, zalo_client):
    user = fake.state.add_user()
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, {"text": "a" * 2001})
    assert (info.value.code, info.value.category) == (-201, "invalid")


def test_text_length_is_counted_after_nfc(fake, zalo_client):
    user = fake.state.add_user()
    decomposed = unicodedata.normalize("NFD", "ệ" * 2000)
    assert len(decomposed) > 2000
    zalo_client.send_message(user, {"text": decomposed})  # 2000 characters once composed


def test_image_by_upload_and_by_url(fake, zalo_client):
    user = fake.state.add_user()
    attachment_id = zalo_client.upload_image(b"\x89PNG" + b"0" * 1000, "anh.png")
    zalo_client.send_message(user, image_message(attachment_id, "Ảnh hiện trường"))
    zalo_client.send_message(user, image_message("https://example.org/a.jpg"))
    first, second = fake.state.messages()
    assert first.message["attachment"]["payload"]["elements"] == [
        {"media_type": "image", "attachment_id": attachment_id}]
    assert first.message["text"] == "Ảnh hiện trường"
    assert second.message["attachment"]["payload"]["elements"][0]["url"] == "https://example.org/a.jpg"


def test_upload_over_1mb_is_invalid(zalo_client):
    with pytest.raises(ZaloError) as info:
        zalo_client.upload_image(b"0" * (1024 * 1024 + 1), "big.jpg")
    assert info.value.category == "invalid"


def test_unknown_attachment_id_is_rejected(fake, zalo_client):
    user = fake.state.add_user()
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, image_message("att-never-uploaded"))
    assert info.value.code == -201


def test_group_message_and_setup_errors(fake, zalo_client):
    group = fake.state.add_group()
    data = zalo_client.send_group_message(group, text_message("Thông báo họp tổ dân phố"))
    assert fake.state.messages()[0].group_id == group and data["message_id"]

    with pytest.raises(ZaloError) as info:
        zalo_client.send_group_message("999999999999999999", text_message("x"))
    assert (info.value.code, info.value.category, info.value.reason) == (-403, "setup", "oa_not_in_group")

    expired = fake.state.add_group(package_expired=True)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_group_message(expired, text_message("x"))
    assert (info.value.code, info.value.category) == (-237, "setup")


def test_personal_data_never_logged_at_info(fake, zalo_client, caplog):
    user = fake.state.add_user()
    fake.state.fail(PATH_CS_V3, code=-216)
    with caplog.at_level(logging.INFO, logger="bot.zalo.client"):
        zalo_client.send_message(user, text_message("SĐT của tôi 0901234567"))
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "0901234567" not in logged
    assert fake.state.access_token not in logged and fake.state.refresh_token not in logged
