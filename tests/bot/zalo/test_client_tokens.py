"""Token refresh: once per token error, single-use refresh tokens, concurrent clients."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.zalo.client import PATH_CS_V3, MemoryTokenStore, ZaloError
from bot.zalo.messages import text_message
from storage.tokens import Tokens


@pytest.mark.parametrize("code", [-216, -220])
def test_token_error_mid_run_refreshes_exactly_once(fake, zalo_client, store, code):
    user = fake.state.add_user()
    zalo_client.send_message(user, text_message("một"))
    old = store.current()

    fake.state.expire_access_tokens(code)
    zalo_client.send_message(user, text_message("hai"))

    new = store.current()
    assert store.refresh_count == 1 and fake.state.stats()["token_refreshes"] == 1
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    assert (new.access_token, new.refresh_token) == (fake.state.access_token, fake.state.refresh_token)
    assert new.expires_at is not None and new.expires_at - datetime.now(timezone.utc) > timedelta(hours=24)
    assert [m.message["text"] for m in fake.state.messages()] == ["một", "hai"]

    with pytest.raises(ZaloError) as info:  # the old refresh token is dead
        zalo_client.refresh_tokens_via_oauth(old.refresh_token)
    assert info.value.category == "oauth" and info.value.code == -14014


def test_second_token_error_after_refresh_raises(fake, zalo_client, store):
    user = fake.state.add_user()
    fake.state.fail(PATH_CS_V3, code=-216, times=2)
    with pytest.raises(ZaloError) as info:
        zalo_client.send_message(user, text_message("x"))
    assert info.value.category == "refresh"
    assert store.refresh_count == 1


def test_two_concurrent_clients_refresh_only_once(fake, make_client, store):
    user = fake.state.add_user()
    fake.state.latency_ms = 100  # both calls are in flight with the old token together
    fake.state.expire_access_tokens()
    clients = [make_client(), make_client()]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(c):
        barrier.wait()
        try:
            results.append(c.send_message(user, text_message("đồng thời")))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert errors == [] and len(results) == 2
    assert store.refresh_count == 1 and fake.state.stats()["token_refreshes"] == 1
    assert len(fake.state.messages()) == 2


def test_memory_store_skips_refresh_when_someone_else_did():
    store = MemoryTokenStore("at-1", "rt-1")
    calls = []

    def do_refresh(rt):
        calls.append(rt)
        return Tokens("at-2", "rt-2", None)

    assert store.refresh("at-1", do_refresh).access_token == "at-2"
    assert store.refresh("at-1", do_refresh).access_token == "at-2"  # stale caller: no new call
    assert calls == ["rt-1"]


def test_wrong_secret_is_an_oauth_error(fake, make_client, store):
    client = make_client(app_secret="not-the-secret")
    with pytest.raises(ZaloError) as info:
        client.refresh_tokens_via_oauth(store.current().refresh_token)
    assert info.value.category == "oauth" and info.value.code == -14002
    assert fake.state.stats().get("token_refreshes", 0) == 0


def test_wrong_secret_during_send_surfaces_as_oauth(fake, make_client):
    user = fake.state.add_user()
    fake.state.expire_access_tokens()
    with pytest.raises(ZaloError) as info:
        make_client(app_secret="wrong").send_message(user, text_message("x"))
    assert info.value.category == "oauth"


def test_refresh_if_expiring(fake, make_client):
    soon = datetime.now(timezone.utc) + timedelta(minutes=30)
    store = MemoryTokenStore(fake.state.access_token, fake.state.refresh_token, soon)
    client = make_client(tokens=store)
    assert client.refresh_if_expiring(timedelta(hours=2)) is True
    assert client.refresh_if_expiring(timedelta(hours=2)) is False
    assert store.refresh_count == 1


def test_authorization_code_grant(fake):
    import requests
    code = fake.state.new_authorization_code()
    form = {"app_id": fake.state.app_id, "grant_type": "authorization_code", "code": code,
            "code_verifier": "v"}
    headers = {"secret_key": fake.state.app_secret}
    ok = requests.post(fake.base_url + "/v4/oa/access_token", data=form, headers=headers, timeout=5).json()
    assert ok["access_token"] == fake.state.access_token and ok["expires_in"] == "90000"
    again = requests.post(fake.base_url + "/v4/oa/access_token", data=form, headers=headers, timeout=5).json()
    assert again["error"] < -14000


def test_refresh_if_expiring_with_the_pair_stored_in_the_database(fake, make_client, clean_db):
    """The database keeps naive UTC; the client's clock is aware: the job compares them."""
    from sqlalchemy import select, update

    from storage.db import session_scope
    from storage.models import OAToken, utcnow
    from storage.tokens import DbTokenStore

    env = (fake.state.access_token, fake.state.refresh_token)
    store = DbTokenStore(*env)
    store.current()
    with session_scope() as s:
        s.execute(update(OAToken).values(expires_at=utcnow() + timedelta(minutes=30)))
    store.reload()
    assert make_client(tokens=store).refresh_if_expiring(timedelta(hours=2)) is True
    restarted = DbTokenStore(*env)  # another process, started with the same .env
    assert make_client(tokens=restarted).refresh_if_expiring(timedelta(hours=2)) is False
    with session_scope() as s:
        stored = s.scalar(select(OAToken.expires_at))
    assert stored.tzinfo is None and timedelta(hours=24) < stored - utcnow() < timedelta(hours=26)
