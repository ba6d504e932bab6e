"""Each ward's Zalo client, and a rate limit per Zalo app.

Wards keep their own OA and token pair; wards that share one Zalo app share its ~4,000
requests a minute, so the limiter belongs to the app, not to the ward.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from requests.adapters import HTTPAdapter

from bot.wards import WardSettings
from bot.zalo.client import ZaloClient
from storage.base import DEFAULT_WARD_ID


class RateLimiter:
    """At most `per_minute` sends in any 60 seconds, shared by the sender's threads: the same
    sliding window Zalo counts in (~4,000 requests a minute per app, -32 beyond). Replies are
    never slowed until a broadcast has used up the minute. One per Zalo app: a -32 pauses
    that app's wards only."""

    WINDOW = 60.0

    def __init__(self, per_minute: int):
        self.limit = max(1, per_minute)
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()
        self._paused_until = float("-inf")   # time.monotonic()

    def pause(self, seconds: float) -> None:
        """Zalo answered -32 for this app: no permit for `seconds` (our count and Zalo's
        disagree, e.g. another deployment or a script uses the same app)."""
        with self.lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def reserve(self, n: int) -> int:
        """Take up to `n` permits now, without waiting; returns how many were granted. The
        sender claims only as many rows as it got permits for, so a send's deadline never
        runs while it waits for the limiter."""
        with self.lock:
            now = time.monotonic()
            if now < self._paused_until:
                return 0
            while self.sent and now - self.sent[0] >= self.WINDOW:
                self.sent.popleft()
            k = max(0, min(n, self.limit - len(self.sent)))
            self.sent.extend([now] * k)
            return k

    def release(self, n: int) -> None:
        """Give back permits reserved for rows that were not there to claim."""
        with self.lock:
            for _ in range(min(n, len(self.sent))):
                self.sent.pop()


    def full(self) -> bool:
        """No permit now: the minute is used up, or Zalo's -32 paused the app."""
        with self.lock:
            now = time.monotonic()
            if now < self._paused_until:
                return True
            return sum(1 for t in self.sent if now - t < self.WINDOW) >= self.limit


def _mount_pool(client: ZaloClient, n: int) -> None:
    session = getattr(client, "session", None)
    if session is not None:
        adapter = HTTPAdapter(pool_maxsize=n)
        session.mount("https://", adapter)
        session.mount("http://", adapter)


def build_client(settings, ward_id: int = DEFAULT_WARD_ID) -> ZaloClient:
    """A ward's client (`settings` as Settings.for_ward gives them): its app, its token pair
    (stored encrypted; the environment's pair seeds the default ward only)."""
    from bot.at_rest import token_cipher
    from storage.tokens import DbFlagStore, DbTokenStore

    tokens = DbTokenStore(settings.zalo_access_token, settings.zalo_refresh_token,
                          cipher=token_cipher(settings), ward_id=ward_id)
    tokens.seal()  # a pair stored in plain text (or under the previous key) is encrypted now
    return ZaloClient(
        api_base=settings.zalo_api_base,
        oauth_base=settings.zalo_oauth_base,
        app_id=settings.zalo_app_id,
        app_secret=settings.zalo_app_secret,
        tokens=tokens,
        flags=DbFlagStore(ward_id),
    )


class ZaloClients:
    """Clients by ward, built on first use; limiters by app."""

    def __init__(self, ward_settings: WardSettings, *, per_minute: int,
                 default: ZaloClient | None = None):
        self.ward_settings = ward_settings
        self.per_minute = per_minute
        self._clients: dict[int, ZaloClient] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()
        self._pool_size = 0
        if default is not None:
            self._clients[DEFAULT_WARD_ID] = default

    def keep_connections(self, n: int) -> None:
        """One kept-alive HTTP connection per send thread for every client, built or to come:
        requests keeps 10 per host, and beyond that opened a new connection for every send
        (and logged a warning for each)."""
        self._pool_size = n
        for client in self.built().values():
            _mount_pool(client, n)

    def for_ward(self, ward_id: int) -> ZaloClient:
        with self._lock:
            client = self._clients.get(ward_id)
        if client is None:
            client = build_client(self.ward_settings(ward_id), ward_id)
            if self._pool_size:
                _mount_pool(client, self._pool_size)
            with self._lock:
                client = self._clients.setdefault(ward_id, client)
        return client

    def built(self) -> dict[int, ZaloClient]:
        with self._lock:
            return dict(self._clients)

    def limiter_for(self, ward_id: int, session=None) -> RateLimiter:
        """`session`: the caller's open transaction, if any (storage.wards.WardDirectory)."""
        app = self.ward_settings(ward_id, session).zalo_app_id
        with self._lock:
            limiter = self._limiters.get(app)
            if limiter is None:
                limiter = self._limiters[app] = RateLimiter(self.per_minute)
            return limiter

    def wards_at_limit(self, session=None) -> list[int]:
        """Wards whose app has used up its minute (the sender skips their rows for now)."""
        with self._lock:
            full_apps = {app for app, limiter in self._limiters.items() if limiter.full()}
        if not full_apps:
            return []
        return [w.id for w in self.ward_settings.directory.all(session) if w.zalo_app_id in full_apps]
