"""Fixtures for the Zalo API client (tests/bot/zalo/) and the fake Zalo (tests/bot/sandbox/):
a real fake server per test and our client pointed at it (the network guard is the root
conftest's). Named `zalo_client`, not `client`: that is the root's Flask test client."""
from __future__ import annotations

import pytest

from bot.sandbox.fake_zalo.server import FakeZaloServer
from bot.sandbox.fake_zalo.state import FakeZaloState
from bot.zalo.client import MemoryFlagStore, MemoryTokenStore, ZaloClient


@pytest.fixture
def fake():
    with FakeZaloServer(FakeZaloState(seed=7)) as server:
        yield server


@pytest.fixture
def store(fake):
    return MemoryTokenStore(fake.state.access_token, fake.state.refresh_token)


@pytest.fixture
def flags():
    return MemoryFlagStore()


@pytest.fixture
def make_client(fake, store, flags):
    def _make(**overrides) -> ZaloClient:
        kwargs = dict(api_base=fake.base_url, oauth_base=fake.base_url, app_id=fake.state.app_id,
                      app_secret=fake.state.app_secret, tokens=store, flags=flags, timeout=(2, 5))
        kwargs.update(overrides)
        return ZaloClient(**kwargs)
    return _make


@pytest.fixture
def zalo_client(make_client):
    """A bot.zalo.client.ZaloClient talking to `fake`, with in-memory tokens and flags."""
    return make_client()
