"""The fake's state: the Zalo apps and OAs it hosts, and what they share.

One fake can host several apps, each with one or more OAs (a city's wards: one app for all, or
one each). The state itself is the first OA, so everything written for a one-OA fake
(`state.add_user`, `state.messages`, `state.access_token`, `state.fail` ...) keeps working;
`add_oa` adds another, and requests are told apart by their access token, as Zalo does.
"""
from __future__ import annotations

import itertools
import random
import threading
from datetime import datetime, timezone
from typing import Callable

from bot.sandbox.fake_zalo.echo import EchoPoster
from bot.sandbox.fake_zalo.facts import DEFAULT_RATE_LIMIT_PER_MINUTE
from bot.sandbox.fake_zalo.oa import FakeOA
from bot.sandbox.fake_zalo.records import FailRule, FakeApp, FakeGroup, FakeUser, SentMessage

__all__ = ["FakeZaloState", "FakeOA", "FakeApp", "FakeUser", "FakeGroup", "SentMessage", "FailRule"]

DEFAULT_APP_ID = "1234567890123456789"
DEFAULT_OA_ID = "388613280878808645"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class FakeZaloState(EchoPoster, FakeOA):
    """Everything the fake knows. The state is its first OA; `oas` lists them all."""

    def __init__(self, *, app_id: str = DEFAULT_APP_ID, app_secret: str = "fake-app-secret",
                 access_token: str | None = None, refresh_token: str | None = None,
                 clock: Callable[[], datetime] = _utcnow, oa_type: str = "normal",
                 latency_ms: int = 0, rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
                 seed: int | None = None, oa_id: str = DEFAULT_OA_ID):
        self._lock = threading.RLock()
        self._stopping = threading.Event()   # set on server stop: releases hung requests
        self._clock = clock
        self._rng = random.Random(seed)
        self._msg_seq = itertools.count(1)
        self._token_owner: dict[str, FakeOA] = {}   # every access token issued -> its OA
        # Photos residents send: Zalo hosts them on its CDN and the webhook carries the URL.
        self.media: dict[str, tuple[bytes, str]] = {}   # file name -> (bytes, mimetype)
        self.apps: dict[str, FakeApp] = {app_id: FakeApp(app_id, app_secret, rate_limit_per_minute)}
        self.oas: list[FakeOA] = [self]
        EchoPoster.__init__(self)
        FakeOA.__init__(self, self, self.apps[app_id], oa_id, access_token=access_token,
                        refresh_token=refresh_token, oa_type=oa_type, latency_ms=latency_ms)

    def add_oa(self, oa_id: str | None = None, *, app_id: str | None = None,
               app_secret: str = "fake-app-secret", access_token: str | None = None,
               refresh_token: str | None = None, oa_type: str = "normal",
               rate_limit_per_minute: int | None = None, latency_ms: int = 0) -> FakeOA:
        """Another OA on this fake. `app_id` of an app the fake already has links the OA to
        it (the same secret, one rate limit for both); a new `app_id` (default: a fresh one)
        is a new app."""
        with self._lock:
            oa_id = str(oa_id or self.new_numeric_id())
            if self.oa(oa_id) is not None:
                raise ValueError(f"OA {oa_id} is already on this fake")
            app_id = str(app_id or self.new_numeric_id())
            app = self.apps.get(app_id)
            if app is None:
                app = self.apps[app_id] = FakeApp(app_id, app_secret, rate_limit_per_minute
                                                  or DEFAULT_RATE_LIMIT_PER_MINUTE)
            elif app.app_secret != app_secret:
                raise ValueError(f"app {app_id} has another secret")
            elif rate_limit_per_minute is not None:
                app.rate_limit_per_minute = app.initial_rate_limit = rate_limit_per_minute
            oa = FakeOA(self, app, oa_id, access_token=access_token, refresh_token=refresh_token,
                        oa_type=oa_type, latency_ms=latency_ms)
            self.oas.append(oa)
            return oa

    def oa(self, oa_id: str | None) -> FakeOA | None:
        """The OA with this id (None: the first one, this state)."""
        if not oa_id:
            return self
        with self._lock:
            return next((o for o in self.oas if o.oa_id == str(oa_id)), None)

    def oa_for_token(self, access_token: str | None) -> FakeOA:
        """The OA an API request is for, from its access token (Zalo's way). An unknown token
        is the first OA's request, which answers it -216."""
        with self._lock:
            return self._token_owner.get(access_token or "", self)

    def oa_for_oauth(self, app_id: str | None, refresh_token: str | None,
                     code: str | None = None) -> FakeOA:
        """The OA an OAuth call is for: the OA of that app whose refresh token (or
        authorization code) it is; else the app's first OA (which refuses it), else the first."""
        with self._lock:
            of_app = [o for o in self.oas if o.app_id == app_id]
            return next((o for o in of_app if (refresh_token and o.refresh_token == refresh_token)
                         or (code and code in o._auth_codes)), of_app[0] if of_app else self)

    def reset(self, *, tokens: bool = False) -> None:
        """Forget every OA's users, messages, failures, counters and config, and the photos.
        The OAs and their tokens survive unless asked: a client that already rotated them keeps
        working after a test resets the data."""
        with self._lock:
            self.media.clear()
            for oa in self.oas:
                oa.reset_oa(tokens=tokens)

    def stats(self, *, all_oas: bool = False) -> dict:
        """The first OA's figures (as a one-OA fake always said), with every OA's when asked."""
        figures = FakeOA.stats(self)
        if all_oas:
            with self._lock:
                figures["oas"] = [FakeOA.stats(o) for o in self.oas]
        return figures
