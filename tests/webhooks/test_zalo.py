"""POST /webhooks/zalo: signatures over raw bytes, persistence, status codes."""
from __future__ import annotations

import json

from sqlalchemy import select

from storage.db import session_scope
from storage.models import InboundEvent
from tests.conftest import count
from tests.support import APP_ID, OA_SECRET, follow_event, post_event, post_raw, signed, text_event, zalo_event

USER = "246845883529197922"


def test_signed_event_is_stored_raw_and_answered_200(client):
    body = text_event(USER, "Đèn đường tổ 5 bị hỏng", msg_id="96d3cdf3af150460909")
    raw, headers = signed(body)
    resp = post_raw(client, raw, headers)
    assert resp.status_code == 200
    with session_scope() as s:
        row = s.scalar(select(InboundEvent))
        assert row.event_key == "zalo:msg:96d3cdf3af150460909"
        assert row.payload.encode() == raw  # the exact bytes, for audit and re-parsing
        assert row.user_key == USER and row.status == "pending"


def test_signature_is_checked_over_exact_bytes(client):
    body = text_event(USER, "xin chào")
    raw, headers = signed(body)
    reserialised = json.dumps(json.loads(raw), indent=1).encode()  # same JSON, other bytes
    resp = post_raw(client, reserialised, headers=headers)
    assert resp.status_code == 401
    assert count("inbound_events") == 0


def test_forged_signature_is_refused_and_nothing_stored(client):
    body = text_event(USER, "hello")
    raw, headers = signed(body, secret="not-the-secret")
    assert post_raw(client, raw, headers).status_code == 401
    raw, _ = signed(body)
    assert post_raw(client, raw, headers={"Content-Type": "application/json"}).status_code == 401
    assert count("inbound_events") == 0


def test_other_app_id_is_refused(client):
    body = text_event(USER, "hello")
    body["app_id"] = "999"
    raw, headers = signed(body)
    assert post_raw(client, raw, headers).status_code == 401


def test_app_secret_can_be_the_signing_secret(settings):
    from bot.app import create_app

    app = create_app(settings.with_overrides(zalo_signature_secret="app_secret"))
    c = app.test_client()
    body = text_event(USER, "hello")
    assert post_event(c, body, secret=settings.zalo_app_secret).status_code == 200
    assert post_event(c, text_event(USER, "x"), secret=OA_SECRET).status_code == 401


def test_unsigned_console_ping_without_resident_gets_200_and_is_dropped(client):
    ping = json.dumps({"app_id": APP_ID, "event_name": "test", "timestamp": "1"}).encode()
    resp = post_raw(client, ping, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200
    assert count("inbound_events") == 0


def test_malformed_json_is_400(client):
    resp = post_raw(client, b'{"event_name": "user_send_text",',
                       headers={"X-ZEvent-Signature": "mac=00"})
    assert resp.status_code == 400
    assert post_raw(client, b"[1,2]").status_code == 400
    assert post_raw(client, b"\xff\xfe").status_code == 400


def test_body_over_one_mib_is_413(client):
    body = text_event(USER, "x" * (1024 * 1024))
    raw, headers = signed(body)
    assert post_raw(client, raw, headers).status_code == 413
    assert count("inbound_events") == 0


def test_repeated_delivery_is_stored_once(client):
    body = text_event(USER, "Rác đầu ngõ 8", msg_id="dup-1")
    first = post_event(client, body)
    second = post_event(client, body)
    assert first.status_code == second.status_code == 200
    assert count("inbound_events") == 1


def test_events_without_msg_id_are_keyed_by_name_user_and_time(client):
    body = follow_event(USER)
    post_event(client, body)
    post_event(client, body)
    assert count("inbound_events") == 1
    with session_scope() as s:
        key = s.scalar(select(InboundEvent.event_key))
    assert key == f"zalo:follow:{USER}:{body['timestamp']}"


def test_unknown_events_and_echoes_are_stored_but_ignored(client):
    post_event(client, zalo_event("user_did_something_new", USER, {"weird": True}))
    echo = zalo_event("oa_send_text", "388613280878808645", {"msg_id": "echo-1", "text": "Dạ"},
                      recipient={"id": USER})
    post_event(client, echo)
    with session_scope() as s:
        statuses = sorted(s.scalars(select(InboundEvent.status)))
    assert statuses == ["ignored", "ignored"]


def test_healthz_reports_database_and_queue_depth(client):
    post_event(client, text_event(USER, "một"))
    post_event(client, text_event(USER, "hai"))
    data = client.get("/healthz").get_json()
    assert data["database"] == "ok" and data["queue_depth"] == 2


def test_zalo_domain_verification_file_and_meta(settings):
    from bot.app import create_app

    c = create_app(settings.with_overrides(zalo_site_verification="ABC123")).test_client()
    resp = c.get("/zalo_verifierABC123.html")
    assert resp.status_code == 200 and b'content="ABC123"' in resp.data
    assert c.get("/zalo_verifierOTHER.html").status_code == 404
    assert b"zalo-platform-site-verification" in c.get("/").data
