"""One character, one long answer: the same outcome on SQLite and PostgreSQL.

An urgent report with a NUL (PostgreSQL) or a lone surrogate (both) used to fail three times:
no ticket, no officer alert. A Google Form answer longer than its column (or with a NUL) was a
500 on PostgreSQL and lost after the Apps Script's 4 tries."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Resident, Ticket
from tests.support import OA_SECRET, FormsClient, message_text, post_raw, text_event
from webhooks.signature import hmac_sha256, zalo_header

USER = "246845883529197922"
FORMS_SECRET = "forms-secret"


@pytest.mark.parametrize("odd", ["\u0000", "\ud800", "\udfff\u0000\ufeff\u202e"])
def test_an_urgent_report_with_an_odd_character_still_alerts_officers(bot, settings, odd):
    said = f"Cháy nhà số 3 ngõ 7 tổ 4 {odd} khói rất nhiều, có người mắc kẹt"
    body = text_event(USER, said)
    raw = json.dumps(body, ensure_ascii=True).encode()  # "\u0000", "\ud800" as JSON escapes
    bot.fake.state.touch_interaction(USER)
    headers = {"X-ZEvent-Signature": zalo_header(body["app_id"], raw, body["timestamp"], OA_SECRET)}
    assert post_raw(bot.client, raw, headers).status_code == 200
    bot.run_until_idle()
    replies = [message_text(m) for m in bot.new_messages()]
    with session_scope() as s:
        event = s.scalar(select(InboundEvent))
        [ticket] = s.scalars(select(Ticket)).all()
        alerts = list(s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert")))
        assert event.status == "done", event.last_error
    assert ticket.urgent and "mắc kẹt" in ticket.text and odd not in ticket.text
    assert [a.recipient_id for a in alerts] == list(settings.officer_zalo_ids)
    assert replies and not any("trục trặc" in r for r in replies)
    assert any(ticket.code in r for r in replies)


@pytest.fixture()
def forms_client(settings, runtime):
    from bot.app import create_app

    return FormsClient(create_app(settings.with_overrides(forms_shared_secret=FORMS_SECRET)), runtime.nlu)


def post_form(client, body: dict, ascii_json: bool = False):
    raw = json.dumps(body, ensure_ascii=ascii_json).encode()
    stamp = str(int(time.time()))
    return client.post("/webhooks/forms", data=raw, headers={
        "Content-Type": "application/json", "X-Hts-Timestamp": stamp,
        "X-Hts-Signature": hmac_sha256(FORMS_SECRET, stamp.encode(), b".", raw)})


def form(rid: str, **answers) -> dict:
    base = {"Họ và tên": "Trần Thị Lan", "Số điện thoại": "0912345678", "Địa chỉ": "Số 8 ngõ 12",
            "Nội dung phản ánh, kiến nghị": "Cống thoát nước bị tắc, nước bẩn tràn ra đường"}
    return {"response_id": rid, "email": "lan@example.com", "answers": {**base, **answers}}


def test_form_answers_longer_than_their_columns_are_kept_cut_with_a_mark(forms_client):
    long_phone = "0912 345 678 / 0987 654 321 (gọi giờ hành chính)"
    long_name = "Trần Thị " + "Lan " * 60
    long_address = "Số 8 ngõ 12 " + "đường Nguyễn Trãi, " * 40
    resp = post_form(forms_client, form("long-1", **{"Số điện thoại": long_phone, "Họ và tên": long_name,
                                                      "Địa chỉ": long_address}))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with session_scope() as s:
        ticket = s.scalar(select(Ticket))
        payload = s.scalar(select(InboundEvent.payload))
    assert len(ticket.reporter_phone) == 32 and ticket.reporter_phone.endswith("…")
    assert len(ticket.reporter_name) == 200 and ticket.reporter_name.endswith("…")
    assert len(ticket.location_text) == 500 and ticket.location_text.endswith("…")
    assert long_phone in payload  # the whole answer is kept in the stored submission


def test_form_answers_with_nul_and_odd_characters_are_stored_cleaned(forms_client):
    body = form("nul-1", **{"Họ và tên": "Trần\u0000 Thị\u202e Lan", "Số điện thoại": "0912\u0000345678",
                            "Nội dung phản ánh, kiến nghị": "Cống\ud800 bị tắc\ufeff, nước tràn"})
    resp = post_form(forms_client, body, ascii_json=True)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with session_scope() as s:
        ticket = s.scalar(select(Ticket))
    assert (ticket.reporter_name, ticket.reporter_phone) == ("Trần Thị Lan", "0912345678")
    assert ticket.text == "Cống bị tắc, nước tràn"


def test_every_string_column_fits_on_both_databases(session):
    """The ORM guard (storage.db): what any code writes fits its column or is cut with "…"."""
    session.add(Resident(zalo_user_id="1" * 70, display_name="Bác\u0000 " + "A" * 300,
                         phone="0" * 40, address="x" * 600))
    session.flush()
    r = session.scalar(select(Resident))
    assert len(r.zalo_user_id) == 64 and r.display_name.startswith("Bác A") and len(r.display_name) == 200
    assert r.phone.endswith("…") and len(r.address) == 500
