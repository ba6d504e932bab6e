"""The outbox against the fake Zalo API: token refresh, -235 fallback, failures by reason."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.runtime.process import Runtime
from storage.db import session_scope
from storage.models import Flag, OAToken, OutboundMessage, utcnow
from storage import outbox
from bot.zalo.messages import text_message
from tests.support import message_text


def outbox_rows():
    with session_scope() as s:
        return list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def test_expired_token_mid_run_refreshes_once_persists_pair_and_loses_no_reply(bot, fake_zalo, settings):
    from bot.at_rest import token_cipher

    cipher = token_cipher(settings)
    assert bot.say("xin chào")
    fake_zalo.state.expire_access_tokens()
    replies = bot.say("Phản ánh")
    assert replies and message_text(replies[0]).startswith("Dạ")
    assert fake_zalo.state.stats().get("token_refreshes") == 1
    with session_scope() as s:
        row = s.scalar(select(OAToken).where(OAToken.ward_id == 1))  # the default ward's pair
        assert row.rotations == 1
        # Stored encrypted (issue 12): the pair reads back through the key.
        assert cipher.decrypt(row.access_token) == fake_zalo.state.access_token
        assert cipher.decrypt(row.refresh_token) == fake_zalo.state.refresh_token != "test-refresh-token"


def test_restart_after_rotation_uses_stored_tokens_not_the_environment(bot, fake_zalo, settings):
    bot.say("xin chào")
    fake_zalo.state.expire_access_tokens()
    bot.say("Phản ánh")
    # A new process: same .env (old pair), same database.
    restarted = Runtime(settings, scheduler=False)
    try:
        assert restarted.client.tokens.current().access_token == fake_zalo.state.access_token
        bot.runtime = restarted
        assert bot.say("hủy")
        assert fake_zalo.state.stats().get("token_refreshes") == 1  # no second refresh
    finally:
        restarted.sender.close()


def test_new_pair_in_environment_after_reauthorisation_replaces_stored_one(bot, fake_zalo, settings):
    bot.say("xin chào")
    fake_zalo.state.expire_access_tokens()
    bot.say("Phản ánh")
    fresh_access, fresh_refresh = fake_zalo.state.rotate_tokens()  # an admin re-authorised
    rt = Runtime(settings.with_overrides(zalo_access_token=fresh_access,
                                         zalo_refresh_token=fresh_refresh), scheduler=False)
    try:
        assert rt.client.tokens.current().refresh_token == fresh_refresh
    finally:
        rt.sender.close()


def test_government_oa_falls_back_to_v2_and_remembers(bot, fake_zalo):
    fake_zalo.state.oa_type = "government"
    assert bot.say("xin chào")
    assert bot.say("Phản ánh")
    requests = fake_zalo.state.stats()["requests"]
    assert requests.get("/v3.0/oa/message/cs") == 1       # tried once, then never again
    assert requests.get("/v2.0/oa/message") == 2
    with session_scope() as s:
        assert s.get(Flag, (1, "cs_api_version")).value == "v2"


def _queue(recipient="246845883529197922"):
    with session_scope() as s:
        return outbox.enqueue(s, recipient, text_message("Dạ, thử")).id


def test_outside_window_is_failed_with_reason_and_not_retried(runtime, fake_zalo):
    fake_zalo.state.add_user("246845883529197922", last_interaction=datetime.now(timezone.utc) - timedelta(days=8))
    _queue()
    runtime.sender.send_due()
    [row] = outbox_rows()
    assert (row.status, row.reason, row.last_error_code) == ("failed", "no_interaction_7d", -230)
    assert row.attempts == 1


def test_rate_limit_and_server_errors_back_off_then_deliver(runtime, fake_zalo, monkeypatch):
    monkeypatch.setattr("bot.runtime.sender.RATE_LIMITED_PAUSE_SECONDS", 0.5)
    fake_zalo.state.add_user("246845883529197922")
    fake_zalo.state.fail("/v3.0/oa/message/cs", code=-32)
    _queue()
    runtime.sender.send_due()
    [row] = outbox_rows()
    assert row.status == "pending" and row.reason == "rate_limited" and row.next_attempt_at > utcnow()
    with session_scope() as s:
        s.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
    assert runtime.sender.send_due() == 0          # Zalo said -32: the app waits a moment
    time.sleep(0.6)
    runtime.sender.send_due()
    assert outbox_rows()[0].status == "sent"


def test_retries_are_bounded(runtime, fake_zalo):
    fake_zalo.state.add_user("246845883529197922")
    # 429: a refusal, known not delivered (a 5xx may have delivered: it waits for the echo)
    fake_zalo.state.fail("/v3.0/oa/message/cs", http_status=429, times=100)
    _queue()
    for _ in range(runtime.sender.max_attempts):
        with session_scope() as s:
            s.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
        runtime.sender.send_due()
    [row] = outbox_rows()
    assert row.status == "failed" and row.reason.startswith("retries_exhausted")
    assert row.attempts == runtime.sender.max_attempts


def test_setup_errors_fail_loudly_without_retry(runtime, fake_zalo, caplog):
    fake_zalo.state.add_user("246845883529197922")
    fake_zalo.state.fail("/v3.0/oa/message/cs", code=-223)
    _queue()
    runtime.sender.send_due()
    [row] = outbox_rows()
    assert row.status == "failed" and row.last_error_code == -223
    assert any(r.levelname == "ERROR" for r in caplog.records)


def test_rows_left_sending_by_a_dead_process_wait_for_the_echo(runtime):
    _queue()
    with session_scope() as s:
        s.execute(update(OutboundMessage).values(status="sending", sending_since=utcnow() - timedelta(hours=1)))
    assert runtime.sender.recover_interrupted() == 1
    [row] = outbox_rows()
    assert (row.status, row.reason, row.unknown_sends) == ("unknown", "interrupted_during_send", 1)


def test_messages_to_one_resident_go_out_in_order(runtime, fake_zalo):
    fake_zalo.state.add_user("246845883529197922")
    for i in range(5):
        with session_scope() as s:
            outbox.enqueue(s, "246845883529197922", text_message(f"Dạ, tin {i}"))
    while runtime.sender.send_due():
        pass
    sent = [m.message["text"] for m in fake_zalo.state.messages("246845883529197922")]
    assert sent == [f"Dạ, tin {i}" for i in range(5)]
