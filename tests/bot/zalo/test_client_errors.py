"""Error categories: retry, setup, night, invalid, transport."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from bot.sandbox.fake_zalo.server import FakeZaloServer
from bot.sandbox.fake_zalo.state import FakeZaloState
from bot.zalo.client import (ERROR_TABLE, PATH_CS_V3, PATH_PROMOTION, MemoryFlagStore,
                             MemoryTokenStore, ZaloClient, ZaloError)
from bot.zalo.messages import text_message


def test_rate_limit_is_retry(fake, zalo_client):
    user = fake.state.add_user()
    fake.state.rate_limit_per_minute = 1
    zalo_client.send_message(user, text_message("một"))
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, text_message("hai"))
    assert (info.value.code, info.value.category, info.value.reason) == (-32, "retry", "rate_limited")


def test_http_500_is_retry(fake, zalo_client):
    user = fake.state.add_user()
    fake.state.fail(PATH_CS_V3, http_status=500)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, text_message("x"))
    assert (info.value.category, info.value.reason, info.value.http_status) == ("retry", "server_error", 500)
    zalo_client.send_message(user, text_message("x"))  # the failure was one-shot


def test_hang_is_a_timeout_and_retry(fake, make_client):
    user = fake.state.add_user()
    fake.state.fail(PATH_CS_V3, hang_seconds=3)
    started = time.monotonic()
    with pytest.raises(ZaloError) as info:
        make_client(timeout=(1, 0.3)).send_message(user, text_message("x"))
    assert (info.value.category, info.value.reason) == ("retry", "timeout")
    assert info.value.outcome_unknown  # Zalo may still deliver it: the outbox waits for the echo
    assert time.monotonic() - started < 2


def test_connection_refused_is_retry(store, flags):
    client = ZaloClient("http://127.0.0.1:9", "http://127.0.0.1:9", "1", "s", store, flags, timeout=(1, 1))
    with pytest.raises(ZaloError) as info:
        client.get_tags()
    assert (info.value.category, info.value.reason) == ("retry", "connection_error")
    assert not info.value.outcome_unknown  # never connected: known not delivered


@pytest.mark.parametrize("code", [-209, -212, -223])
def test_setup_codes(fake, zalo_client, code):
    fake.state.fail(PATH_CS_V3, code=code)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(fake.state.add_user(), text_message("x"))
    assert info.value.category == "setup" and not info.value.retryable


@pytest.mark.parametrize("code, category", [(-227, "undeliverable"), (-232, "undeliverable"),
                                            (-244, "undeliverable"), (-211, "quota"),
                                            (-218, "quota"), (-999, "invalid")])
def test_other_codes(fake, zalo_client, code, category):
    fake.state.fail(PATH_CS_V3, code=code)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(fake.state.add_user(), text_message("x"))
    assert info.value.category == category and info.value.code == code


def test_every_table_entry_has_a_known_category():
    allowed = {"refresh", "fallback_v2", "retry", "undeliverable", "night", "quota", "setup", "invalid"}
    assert {category for category, _ in ERROR_TABLE.values()} <= allowed


@pytest.mark.parametrize("utc_hour, night", [(16, True), (22, True), (23, False), (3, False), (14, False)])
def test_promotion_night_ban_uses_vietnam_time(utc_hour, night):
    # 16:00 UTC = 23:00 in Hà Nội; 22:00 UTC = 05:00; 23:00 UTC = 06:00; 03:00 UTC = 10:00.
    clock = lambda: datetime(2026, 3, 10, utc_hour, 0, tzinfo=timezone.utc)  # noqa: E731
    state = FakeZaloState(clock=clock)
    user = state.add_user(last_interaction=None)  # promotions ignore the 7-day window
    with FakeZaloServer(state) as fake:
        client = ZaloClient(fake.base_url, fake.base_url, state.app_id, state.app_secret,
                            MemoryTokenStore(state.access_token, state.refresh_token), MemoryFlagStore())
        if night:
            with pytest.raises(ZaloError) as info:
                client.send_promotion(user, text_message("Tuyên truyền"))
            assert (info.value.code, info.value.category) == (-234, "night")
        else:
            client.send_promotion(user, text_message("Tuyên truyền"))
            assert state.messages()[0].path == PATH_PROMOTION


def test_access_token_expires_with_the_injected_clock():
    now = [datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)]
    state = FakeZaloState(clock=lambda: now[0])
    user = state.add_user()
    with FakeZaloServer(state) as fake:
        store = MemoryTokenStore(state.access_token, state.refresh_token)
        client = ZaloClient(fake.base_url, fake.base_url, state.app_id, state.app_secret,
                            store, MemoryFlagStore())
        now[0] = now[0].replace(day=11, hour=3)  # 26 h later: the 25 h token is dead
        state.touch_interaction(user)
        client.send_message(user, text_message("x"))
        assert store.refresh_count == 1
