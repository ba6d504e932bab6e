"""The fake's own contract: validation, users, tags, control endpoints, start/stop."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
import requests

from bot.sandbox.fake_zalo.server import FakeZaloServer
from bot.zalo.client import ZaloError, parse_interaction_date
from bot.zalo.messages import text_message


def _get(fake, path, data=None, token=None):
    params = {"data": data if isinstance(data, str) else json.dumps(data)} if data is not None else None
    headers = {"access_token": token if token is not None else fake.state.access_token}
    return requests.get(fake.base_url + path, params=params, headers=headers, timeout=5)


def test_starts_fast_and_stops_cleanly():
    started = time.monotonic()
    server = FakeZaloServer().start()
    assert time.monotonic() - started < 0.5
    url = server.base_url + "/_fake/stats"
    assert requests.get(url, timeout=5).ok
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_stop_releases_a_hung_request():
    server = FakeZaloServer().start()
    server.state.fail("*", hang_seconds=30)
    t = threading.Thread(target=lambda: requests.get(server.base_url + "/v2.0/oa/tag/gettagsofoa",
                                                     timeout=60))
    t.start()
    time.sleep(0.2)  # let the request reach the hang
    started = time.monotonic()
    server.stop()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - started < 2


def test_http_200_error_envelope_and_token_header(fake):
    for token in ("", "at-unknown"):
        resp = _get(fake, "/v2.0/oa/tag/gettagsofoa", token=token)
        assert resp.status_code == 200 and resp.json()["error"] == -216
    resp = _get(fake, "/v2.0/oa/tag/gettagsofoa")
    assert resp.json() == {"error": 0, "message": "Success", "data": []}


@pytest.mark.parametrize("data", [{"offset": 0, "count": 51}, {"offset": 9952, "count": 10},
                                  {"offset": 0, "count": 0}, "not json", "[1,2]"])
def test_getlist_validation(fake, data):
    assert _get(fake, "/v3.0/oa/user/getlist", data).json()["error"] == -201


def test_user_detail_bad_data_param(fake):
    assert _get(fake, "/v3.0/oa/user/detail", "{user_id:1}").json()["error"] == -201
    assert _get(fake, "/v3.0/oa/user/detail").json()["error"] == -201


def test_six_buttons_rejected(fake):
    user = fake.state.add_user()
    buttons = [{"title": f"b{i}", "type": "oa.query.show", "payload": f"#{i}"} for i in range(6)]
    body = {"recipient": {"user_id": user},
            "message": {"text": "x", "attachment": {"type": "template", "payload": {"buttons": buttons}}}}
    resp = requests.post(fake.base_url + "/v3.0/oa/message/cs", json=body,
                         headers={"access_token": fake.state.access_token}, timeout=5)
    assert resp.json()["error"] == -201


def test_user_detail_and_followers(fake, zalo_client):
    state = fake.state
    user = state.add_user(display_name="Nguyễn Thị Lan", tags=["to-5"],
                          last_interaction=state.clock() - timedelta(days=2),
                          shared_info={"name": "Nguyễn Thị Lan", "phone": "84901234567"})
    detail = zalo_client.get_user_detail(user)
    assert detail["display_name"] == "Nguyễn Thị Lan" and detail["user_is_follower"] is True
    assert detail["tags_and_notes_info"]["tag_names"] == ["to-5"]
    assert detail["shared_info"]["phone"] == "84901234567"
    assert parse_interaction_date(detail["user_last_interaction_date"]) is not None

    for i in range(120):
        state.add_user(tags=["to-7"] if i % 2 else [])
    state.add_user(is_follower=False, tags=["to-7"])
    tagged = list(zalo_client.iter_followers("to-7"))
    assert len(tagged) == 60 and len(set(tagged)) == 60
    assert len(list(zalo_client.iter_followers())) == 121
    page = zalo_client.get_followers(offset=100, count=50)
    assert (page["total"], page["count"], page["offset"]) == (121, 21, 100)


def test_tags_round_trip(fake, zalo_client):
    user = fake.state.add_user()
    zalo_client.tag_follower(user, "to-dan-pho-5")
    assert zalo_client.get_tags() == ["to-dan-pho-5"]
    assert list(zalo_client.iter_followers("to-dan-pho-5")) == [user]
    zalo_client.untag_follower(user, "to-dan-pho-5")
    assert list(zalo_client.iter_followers("to-dan-pho-5")) == []
    with pytest.raises(ZaloError):
        zalo_client.tag_follower("123456789012345678", "x")


def test_quota(fake, zalo_client):
    user = fake.state.add_user()
    zalo_client.send_message(user, text_message("x"))
    quota = zalo_client.get_quota(user)
    assert (quota["quota_type"], quota["remain"], quota["total"]) == ("reply", 7, 8)


def test_control_endpoints_over_http(fake, zalo_client):
    base = fake.base_url
    made = requests.post(base + "/_fake/interaction", json={"display_name": "Cô Mai"}, timeout=5).json()
    user = made["user_id"]
    assert user.isdigit()
    zalo_client.send_message(user, text_message("một"))
    zalo_client.send_message(user, text_message("hai"))
    msgs = requests.get(base + "/_fake/messages", params={"user_id": user}, timeout=5).json()
    assert [m["message"]["text"] for m in msgs] == ["một", "hai"]
    later = requests.get(base + "/_fake/messages", params={"user_id": user, "after_id": msgs[0]["id"]},
                         timeout=5).json()
    assert [m["message"]["text"] for m in later] == ["hai"]

    requests.post(base + "/_fake/fail", json={"path": "/v3.0/oa/message/cs", "code": -230}, timeout=5)
    with pytest.raises(ZaloError):
        zalo_client.send_message(user, text_message("ba"))

    requests.post(base + "/_fake/config", json={"oa_type": "government", "latency_ms": 0}, timeout=5)
    zalo_client.send_message(user, text_message("bốn"))
    assert fake.state.messages()[-1].api_version == "v2"

    requests.post(base + "/_fake/expire_token", json={"code": -220}, timeout=5)
    zalo_client.send_message(user, text_message("năm"))

    stats = requests.get(base + "/_fake/stats", timeout=5).json()
    assert stats["messages_sent"] == 4 and stats["token_refreshes"] == 1

    requests.post(base + "/_fake/reset", json={}, timeout=5)
    assert requests.get(base + "/_fake/messages", timeout=5).json() == []
    assert fake.state.check_access(fake.state.access_token) == 0  # tokens survive a reset

    user2 = requests.post(base + "/_fake/user", json={"last_interaction_hours_ago": 200},
                          timeout=5).json()["user_id"]
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user2, text_message("x"))
    assert info.value.code == -230


def test_bad_fail_rule_is_400(fake):
    resp = requests.post(fake.base_url + "/_fake/fail", json={"path": "*", "code": -32, "http_status": 500},
                         timeout=5)
    assert resp.status_code == 400
