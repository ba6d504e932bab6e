"""The fake Zalo hosting several OAs (a city's wards): each OA its own tokens, followers,
messages and webhook; each app its own rate limit; requests told apart by their token."""
from __future__ import annotations

import json
import threading

import pytest
import requests
from flask import Flask, request

from bot.bench.live import LiveServer
from bot.sandbox.fake_zalo.server import FakeZaloServer
from bot.sandbox.fake_zalo.state import FakeZaloState
from bot.zalo.client import MemoryFlagStore, MemoryTokenStore, ZaloClient, ZaloError
from bot.zalo.messages import text_message
from webhooks.signature import verify_zalo

USER = "246845883529197922"  # the same Zalo user id in both OAs (ids are per OA on Zalo)


@pytest.fixture
def city():
    """A fake with the first OA (app A) and a second OA on its own app B."""
    state = FakeZaloState(app_id="100", app_secret="secret-a", oa_id="1001", seed=3)
    b = state.add_oa("2001", app_id="200", app_secret="secret-b")
    with FakeZaloServer(state) as server:
        yield server, state, b


def _client(server, oa) -> ZaloClient:
    return ZaloClient(server.base_url, server.base_url, oa.app_id, oa.app_secret,
                      MemoryTokenStore(oa.access_token, oa.refresh_token), MemoryFlagStore(),
                      timeout=(2, 5))


def test_each_request_is_for_the_oa_whose_token_it_carries(city):
    server, a, b = city
    a.add_user(USER)
    b.add_user(USER)
    _client(server, a).send_message(USER, text_message("phường A"))
    _client(server, b).send_message(USER, text_message("phường B"))
    assert [m.message["text"] for m in a.messages(USER)] == ["phường A"]
    assert [(m.message["text"], m.oa_id) for m in b.messages(USER)] == [("phường B", "2001")]
    assert a.requests["/v3.0/oa/message/cs"] == 1 and b.requests["/v3.0/oa/message/cs"] == 1


def test_followers_and_reply_windows_are_per_oa(city):
    server, a, b = city
    a.add_user(USER)                          # wrote to A only
    with pytest.raises(ZaloError) as refused:
        _client(server, b).send_message(USER, text_message("x"))
    assert refused.value.code == -213 and b.messages() == []
    b.add_user(USER, last_interaction=None)   # follows B, never wrote: B's window is closed
    with pytest.raises(ZaloError) as closed:
        _client(server, b).send_message(USER, text_message("x"))
    assert closed.value.code == -230


def test_refresh_tokens_are_single_use_per_oa(city):
    server, a, b = city
    a_pair = (a.access_token, a.refresh_token)
    old_b_refresh = b.refresh_token
    client_b = _client(server, b)
    fresh = client_b.refresh_tokens_via_oauth(old_b_refresh)
    assert (b.access_token, b.refresh_token) == (fresh.access_token, fresh.refresh_token)
    assert (a.access_token, a.refresh_token) == a_pair and a.counters["token_refreshes"] == 0
    with pytest.raises(ZaloError):            # B's old refresh token: used up
        client_b.refresh_tokens_via_oauth(old_b_refresh)
    with pytest.raises(ZaloError):            # A's refresh token under B's app
        client_b.refresh_tokens_via_oauth(a.refresh_token)
    assert a.check_access(a_pair[0]) == 0 and a.refresh_token == a_pair[1]


def test_the_rate_limit_is_per_app_and_shared_by_its_oas(city):
    server, a, b = city
    c = a.hub.add_oa("1002", app_id="100", app_secret="secret-a")   # a second OA on app A
    a.rate_limit_per_minute = 2
    for oa in (a, b, c):
        oa.add_user(USER)
    _client(server, a).send_message(USER, text_message("1"))
    _client(server, c).send_message(USER, text_message("2"))
    for oa in (a, c):                         # app A's minute is used up, by either OA
        with pytest.raises(ZaloError) as limited:
            _client(server, oa).send_message(USER, text_message("3"))
        assert limited.value.code == -32
    _client(server, b).send_message(USER, text_message("B"))       # app B: not slowed at all
    assert (a.counters["rate_limited"], c.counters["rate_limited"], b.counters["rate_limited"]) == (1, 1, 0)
    with pytest.raises(ValueError):           # one app, one secret
        a.hub.add_oa("1003", app_id="100", app_secret="another")


def test_each_oa_echoes_to_its_own_webhook_signed_with_its_key(city):
    server, a, b = city
    received: list[tuple[str, dict, bool]] = []
    done = threading.Event()
    hooks = Flask("hooks")

    @hooks.post("/<ward>")
    def hook(ward):
        raw = request.get_data()
        body = json.loads(raw)
        key = {"a": "key-a", "b": "key-b"}[ward]
        ok = verify_zalo(request.headers.get("X-ZEvent-Signature"), body["app_id"], raw,
                         body["timestamp"], key)
        received.append((ward, body, ok))
        if len(received) == 2:
            done.set()
        return "ok"

    with LiveServer(hooks) as live:
        a.configure_webhook(live.url + "/a", "key-a")
        b.configure_webhook(live.url + "/b", "key-b")
        a.add_user(USER)
        b.add_user(USER)
        _client(server, b).send_message(USER, text_message("từ B"))
        _client(server, a).send_message(USER, text_message("từ A"))
        assert done.wait(10)
    by_ward = {ward: (body, ok) for ward, body, ok in received}
    assert by_ward["a"][1] and by_ward["b"][1]
    assert (by_ward["a"][0]["sender"]["id"], by_ward["a"][0]["app_id"]) == ("1001", "100")
    assert (by_ward["b"][0]["sender"]["id"], by_ward["b"][0]["oa_id"]) == ("2001", "2001")
    assert by_ward["b"][0]["message"]["text"] == "từ B"


def test_control_endpoints_name_the_oa(city):
    server, a, b = city
    base = server.base_url
    added = requests.post(base + "/_fake/oa", json={"oa_id": "3001", "app_id": "300",
                                                    "app_secret": "secret-c"}, timeout=5).json()
    assert added["ok"] and added["access_token"]
    c = a.hub.oa("3001")
    assert c.access_token == added["access_token"]
    assert requests.post(base + "/_fake/oa", json={"oa_id": "3001"}, timeout=5).status_code == 400
    oas = requests.get(base + "/_fake/oas", timeout=5).json()
    assert [o["oa_id"] for o in oas] == ["1001", "2001", "3001"]

    requests.post(base + "/_fake/interaction", json={"user_id": USER, "oa_id": "3001"}, timeout=5)
    assert USER in c.users and USER not in a.users
    _client(server, c).send_message(USER, text_message("C"))
    msgs = requests.get(base + "/_fake/messages", params={"oa_id": "3001"}, timeout=5).json()
    assert [m["message"]["text"] for m in msgs] == ["C"]
    assert requests.get(base + "/_fake/messages", timeout=5).json() == []     # the first OA's
    tokens = requests.get(base + "/_fake/tokens", params={"oa_id": "2001"}, timeout=5).json()
    assert tokens["access_token"] == b.access_token and tokens["app_id"] == "200"
    requests.post(base + "/_fake/config", json={"oa_id": "2001", "rate_limit_per_minute": 7}, timeout=5)
    assert (b.rate_limit_per_minute, a.rate_limit_per_minute) == (7, 4000)
    stats = requests.get(base + "/_fake/stats", timeout=5).json()
    assert [s["oa_id"] for s in stats["oas"]] == ["1001", "2001", "3001"]
    assert requests.get(base + "/_fake/messages", params={"oa_id": "9"}, timeout=5).status_code == 404


def test_reset_keeps_every_oa_and_its_tokens(city):
    server, a, b = city
    b.add_user(USER)
    _client(server, b).send_message(USER, text_message("x"))
    a.hub.reset()
    assert b.messages() == [] and b.users == {} and b.check_access(b.access_token) == 0
    assert a.hub.oa("2001") is b


def test_an_expired_token_of_one_oa_leaves_the_other_working(city):
    server, a, b = city
    a.add_user(USER)
    b.add_user(USER)
    b.expire_access_tokens(-220)
    client_b = _client(server, b)
    client_b.send_message(USER, text_message("sau khi làm mới"))   # refreshes B's pair once
    assert b.counters["token_refreshes"] == 1 and a.counters["token_refreshes"] == 0
    _client(server, a).send_message(USER, text_message("A vẫn chạy"))   # A's token untouched
    assert [m.message["text"] for m in a.messages()] == ["A vẫn chạy"]
    assert a.counters["auth_failures"] == 0 and b.counters["auth_failures"] == 1
