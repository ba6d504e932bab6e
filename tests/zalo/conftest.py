"""Fixtures for the Zalo edge: a real fake server per test, and a network guard."""
from __future__ import annotations

import socket

import pytest

from bot.sandbox.fake_zalo.server import FakeZaloServer
from bot.sandbox.fake_zalo.state import FakeZaloState
from bot.zalo.client import MemoryFlagStore, MemoryTokenStore, ZaloClient

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Any connection or DNS lookup beyond this machine fails the test at once."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(address):
        if isinstance(address, tuple) and address[0] not in LOCAL_HOSTS:
            raise NetworkBlocked(f"test tried to reach {address[0]}:{address[1]}")

    def connect(self, address):
        _check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL_HOSTS and host is not None:
            raise NetworkBlocked(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


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
def client(make_client):
    return make_client()
