"""Clean at the edge: hostile bodies get a 4xx before real work, odd numbers read as absent,
other encodings decode or 400, resident text is cleaned, log lines carry no raw values, and
personal data never reaches a log line or `last_error`."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Ticket
from tests.conftest import count
from tests.support import (APP_ID, OA_SECRET, message_text, post_raw, signed, text_event,
                           zalo_event)
from webhooks.signature import zalo_header

USER = "246845883529197922"


def sign_raw(raw: bytes, timestamp: str, app_id: str = APP_ID) -> dict:
    return {"X-ZEvent-Signature": zalo_header(app_id, raw, timestamp, OA_SECRET),
            "Content-Type": "application/json"}


def test_deeply_nested_unsigned_json_is_a_400_without_traceback(client, caplog):
    raw = b"[" * 10_000 + b"]" * 10_000
    nested_obj = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    with caplog.at_level(logging.DEBUG):
        for body in (raw, nested_obj):
            resp = post_raw(client, body, {"Content-Type": "application/json"})
            assert resp.status_code == 400
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text
    assert count("inbound_events") == 0


@pytest.mark.parametrize("odd", ["1e400", "-Infinity", "NaN", "Infinity", "9" * 5000, "-1e400"])
def test_odd_numbers_in_signed_timestamp_and_size_read_as_absent(bot, odd):
    """Signed by Zalo (so redelivered forever on a 500): the event is stored and handled."""
    raw = (
        '{"app_id":"%s","event_name":"user_send_file","timestamp":%s,"sender":{"id":"%s"},'
        '"recipient":{"id":"1"},"message":{"msg_id":"f-%s","text":"","attachments":[{"type":"file",'
        '"payload":{"url":"https://f.zdn.vn/a.pdf","name":"a.pdf","size":%s}}]}}'
        % (APP_ID, odd, USER, abs(hash(odd)), odd)
    ).encode()
    # The mac covers the timestamp as the body carries it; Zalo's own is a digit string.
    resp = post_raw(bot.client, raw, sign_raw(raw, odd))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    bot.run_until_idle()
    with session_scope() as s:
        event = s.scalar(select(InboundEvent))
        assert event.status == "done", event.last_error


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "utf-32"])
def test_other_unicode_encodings_are_decoded_correctly(bot, encoding):
    body = text_event(USER, "Đèn đường tổ 5 bị hỏng", msg_id=f"enc-{encoding}")
    raw = json.dumps(body, ensure_ascii=False).encode(encoding)
    bot.fake.state.touch_interaction(USER)
    resp = post_raw(bot.client, raw, sign_raw(raw, body["timestamp"]))
    assert resp.status_code == 200
    bot.run_until_idle()
    replies = [message_text(m) for m in bot.new_messages()]
    assert replies and not any("trục trặc" in r for r in replies)  # no system-error message
    with session_scope() as s:
        event = s.scalar(select(InboundEvent))
        assert event.status == "done" and "Đèn đường" in event.payload


def test_undecodable_body_is_a_400(client):
    raw = b'{"app_id": "1", "text": "\xff\xfe\xfa"}'
    assert post_raw(client, raw, sign_raw(raw, "")).status_code == 400
    assert count("inbound_events") == 0


def test_resident_text_is_cleaned():
    from storage.clean import clean_text

    dirty = "Cháy\u0000 nhà\ud800 \ufeffsố 3\u202e ngõ\u2066 5\u2069\u202a\u202b\u202c\u202d\u2067\u2068 \x07"
    assert clean_text(dirty) == "Cháy nhà số 3 ngõ 5 "
    assert clean_text("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"
    assert clean_text("\udcff\udc80") == ""  # bytes that were not UTF-8, decoded with surrogateescape


def test_cleaned_text_reaches_the_ticket(bot):
    body = text_event(USER, "Đèn\u202e đường\u0000 tổ 5 bị hỏng\ufeff, tối om cả ngõ")
    raw = json.dumps(body, ensure_ascii=True).encode()
    bot.fake.state.touch_interaction(USER)
    assert post_raw(bot.client, raw, sign_raw(raw, body["timestamp"])).status_code == 200
    bot.run_until_idle()
    bot.say("Phản ánh")
    with session_scope() as s:
        texts = [t.text for t in s.scalars(select(Ticket))] + [
            m.message.get("text", "") for m in s.scalars(select(OutboundMessage))]
    assert not any(ch in t for t in texts for ch in "\u202e\u0000\ufeff")


def test_a_newline_in_event_name_cannot_forge_a_log_line(client, caplog):
    body = text_event(USER, "x")
    body["event_name"] = "user_send_text\n2026-12-07 10:00:00 INFO bot: officer login ok"
    raw = json.dumps(body).encode()
    with caplog.at_level(logging.INFO):
        assert post_raw(client, raw, {"X-ZEvent-Signature": "mac=00"}).status_code == 401
    assert caplog.records, "the refusal is logged"
    for record in caplog.records:
        assert "\n" not in record.getMessage()


def test_personal_data_never_reaches_the_log_or_last_error(bot, monkeypatch, caplog):
    phone, name, said = "0912345678", "Nguyễn Văn Bí", "nhà tôi ở ngõ Bí Mật số 99"

    def clumsy(event, ctx):  # a handler bug: the same form reference twice
        for _ in range(2):
            ctx.session.add(Ticket(code=f"T{len(ctx.session.new)}-{phone}", kind="complaint", text=said,
                                   reporter_phone=phone, reporter_name=name, source_ref=f"ref-{phone}-{name}"))
        ctx.session.flush()

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("clumsy", clumsy),))
    with caplog.at_level(logging.DEBUG):
        bot.say(said)
    with session_scope() as s:
        event = s.scalar(select(InboundEvent))
    assert event.status == "failed" and event.last_error.startswith("IntegrityError")
    for secret in (phone, name, said, "Bí"):
        assert secret not in caplog.text
        assert secret not in event.last_error


def test_redact_error_keeps_kind_and_place_only():
    from storage.clean import redact_error

    try:
        raise ValueError("Key (reporter_phone)=(0912345678) violates 'Nguyễn Văn A'\nDETAIL: 0912345678")
    except ValueError as exc:
        text = redact_error(exc)
    assert text.startswith("ValueError: ") and "test_edge.py" in text
    assert "0912345678" not in text and "Nguyễn" not in text


def test_unsigned_bodies_of_every_kind_store_nothing(client):
    for raw in (b"", b"null", b"[]", b'"x"', b"{", b"\x00\x00", b'{"a":NaN}', "\ufeff{}".encode()):
        assert post_raw(client, raw, {"Content-Type": "text/plain"}).status_code in (200, 400, 401)
    body = zalo_event("user_send_text", USER, {"msg_id": "m", "text": "x"})
    raw, headers = signed(body)
    headers.pop("X-ZEvent-Signature")
    assert post_raw(client, raw, headers).status_code == 401
    assert count("inbound_events") == 0
