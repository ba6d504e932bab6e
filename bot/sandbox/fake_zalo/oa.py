"""One OA on the fake: its token pair, followers and their reply windows, groups, uploads, the
messages it sent, failures injected for it, and its webhook for the oa_send_* echoes.

Zalo tells OAs apart by the access token a request carries, so each OA has its own pair (the
refresh token single use, per OA); the app an OA is linked to holds the rate limit.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from bot.sandbox.fake_zalo.echo import Echoes
from bot.sandbox.fake_zalo.facts import ACCESS_TOKEN_LIFETIME_S, NIGHT_END_HOUR, NIGHT_START_HOUR
from bot.sandbox.fake_zalo.records import FailRule, FakeApp, FakeGroup, FakeUser, SentMessage
from intents.when import LOCAL_TZ


class FakeOA(Echoes):
    """Everything one OA has. `hub` is the fake (state.FakeZaloState) whose lock, clock and
    random ids its OAs share: every read and write of mutable state holds `self.lock`."""

    def __init__(self, hub, app: FakeApp, oa_id: str, *,
                 access_token: str | None = None, refresh_token: str | None = None,
                 oa_type: str = "normal", latency_ms: int = 0):
        self.hub = hub
        self.app = app
        self.oa_id = oa_id
        self._initial = dict(oa_type=oa_type, latency_ms=latency_ms)
        # Access token -> (expires_at, revoked_code or None). Old access tokens stay valid
        # until they expire after a refresh [check]; only the refresh token is single use.
        self._access: dict[str, tuple[datetime, int | None]] = {}
        self.refresh_token = ""
        self.expired_token_code = -216        # what a naturally expired token gets
        self._auth_codes: set[str] = set()
        self.access_token = self._issue_access(access_token)
        self.refresh_token = refresh_token or self._token("rt")
        # Echo delivery: set webhook_url (and the OA secret key the webhook checks) to turn on.
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self._reset_data()

    # -- what the fake shares: its lock, clock, random ids, stop signal; the app's figures --
    @property
    def lock(self):
        return self.hub._lock

    @property
    def stopping(self):
        return self.hub._stopping

    def clock(self) -> datetime:
        return self.hub._clock()

    @property
    def app_id(self) -> str:
        return self.app.app_id

    @property
    def app_secret(self) -> str:
        return self.app.app_secret

    @property
    def rate_limit_per_minute(self) -> int:
        return self.app.rate_limit_per_minute

    @rate_limit_per_minute.setter
    def rate_limit_per_minute(self, value: int) -> None:
        with self.lock:
            self.app.rate_limit_per_minute = value

    def new_numeric_id(self) -> str:
        return str(self.hub._rng.randrange(10**17, 10**19))

    def _token(self, prefix: str) -> str:
        return f"{prefix}-" + "".join(self.hub._rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=40))

    def _issue_access(self, token: str | None = None) -> str:
        token = token or self._token("at")
        self._access[token] = (self.clock() + timedelta(seconds=ACCESS_TOKEN_LIFETIME_S), None)
        self.hub._token_owner[token] = self   # how a request finds its OA (state.oa_for_token)
        return token

    def _reset_data(self) -> None:
        self.oa_type = self._initial["oa_type"]
        self.latency_ms = self._initial["latency_ms"]
        self.group_package_expired = False
        self.users: dict[str, FakeUser] = {}
        self.tags: set[str] = set()
        self.groups: dict[str, FakeGroup] = {}
        self.uploads: dict[str, int] = {}      # attachment_id -> size
        self.sent: list[SentMessage] = []
        self.failures: list[FailRule] = []
        self.requests: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()   # refreshes, rate_limited, auth_failures ...
        self.echoes = True             # False: an OA whose webhook is not subscribed to oa_send_*
        self.echo_delay_ms = 0

    def reset_oa(self, *, tokens: bool = False) -> None:
        """Forget this OA's users, messages, failures, counters and config (and its app's rate
        limit). Its tokens survive unless asked."""
        with self.lock:
            self._reset_data()
            self.app.reset()
            if tokens:
                for token in self._access:
                    self.hub._token_owner.pop(token, None)
                self._access.clear()
                self.access_token = self._issue_access()
                self.refresh_token = self._token("rt")

    # -- users, groups --
    def add_user(self, user_id: str | None = None, display_name: str = "", *,
                 is_follower: bool = True, last_interaction: datetime | None | str = "now",
                 tags: tuple[str, ...] | list[str] = (), shared_info: dict | None = None) -> str:
        """Add or replace a user. last_interaction="now" (default), a datetime, or None (never)."""
        with self.lock:
            user_id = str(user_id or self.new_numeric_id())
            when = self.clock() if last_interaction == "now" else last_interaction
            self.users[user_id] = FakeUser(user_id, display_name or f"Cư dân {user_id[-4:]}",
                                           is_follower, when, set(tags), shared_info)
            self.tags.update(tags)
            return user_id

    def touch_interaction(self, user_id: str, display_name: str | None = None) -> FakeUser:
        """The user wrote to the OA just now (real Zalo learns this from their message)."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                self.add_user(user_id, display_name or "")
                user = self.users[user_id]
            user.is_follower = True
            user.last_interaction = self.clock()
            user.replies_since_interaction = 0
            if display_name:
                user.display_name = display_name
            return user

    def add_group(self, group_id: str | None = None, *, oa_in_group: bool = True,
                  package_expired: bool = False) -> str:
        with self.lock:
            group_id = str(group_id or self.new_numeric_id())
            self.groups[group_id] = FakeGroup(group_id, oa_in_group, package_expired)
            return group_id

    # -- tokens --
    def expire_access_tokens(self, code: int = -216) -> None:
        """Make every access token issued so far fail with `code` (-216 or -220)."""
        with self.lock:
            for token, (expires_at, _) in list(self._access.items()):
                self._access[token] = (expires_at, code)

    def check_access(self, token: str | None) -> int:
        """0 if the token is good, else the error code Zalo would answer."""
        with self.lock:
            entry = self._access.get(token or "")
            if entry is None:
                return -216
            expires_at, revoked = entry
            if revoked:
                return revoked
            if self.clock() >= expires_at:
                return self.expired_token_code
            return 0

    def rotate_tokens(self) -> tuple[str, str]:
        with self.lock:
            self.access_token = self._issue_access()
            self.refresh_token = self._token("rt")
            self.counters["token_refreshes"] += 1
            return self.access_token, self.refresh_token

    def new_authorization_code(self) -> str:
        """For the optional grant_type=authorization_code exchange."""
        with self.lock:
            code = self._token("code")
            self._auth_codes.add(code)
            return code

    # -- failure injection, rate limit --
    def fail(self, path: str, *, code: int | None = None, http_status: int | None = None,
             hang_seconds: float | None = None, times: int = 1, after_delivery: bool = False,
             drop: bool = False, recipient: str | None = None) -> None:
        """Inject a failure into this OA's requests. Before delivery (default): a Zalo error
        `code`, an `http_status`, or a hang (then carry on). after_delivery=True: deliver, then
        hang past the client's timeout, answer `http_status`, or `drop` the connection."""
        if (code, http_status, hang_seconds, drop or None).count(None) != 3:
            raise ValueError("give exactly one of code, http_status, hang_seconds, drop")
        if after_delivery and code is not None:
            raise ValueError("after_delivery takes http_status, hang_seconds or drop")
        if drop and not after_delivery:
            raise ValueError("drop is an after_delivery failure")
        with self.lock:
            self.failures.append(FailRule(path, code, http_status, hang_seconds, times,
                                          after_delivery, drop, recipient))

    def take_failure(self, path: str, after_delivery: bool = False,
                     recipient: str | None = None) -> FailRule | None:
        with self.lock:
            for rule in self.failures:
                if (rule.path in (path, "*") and rule.after_delivery == after_delivery
                        and rule.recipient in (None, recipient)):
                    rule.times -= 1
                    if rule.times <= 0:
                        self.failures.remove(rule)
                    return rule
            return None

    def admit(self) -> bool:
        """One API call of this OA against its app's per-minute limit."""
        with self.lock:
            if self.app.admit():
                return True
            self.counters["rate_limited"] += 1
            return False

    # -- recording --
    def record(self, path: str, message: dict, *, user_id: str | None = None,
               group_id: str | None = None, billed: bool = False) -> SentMessage:
        with self.lock:
            sent = SentMessage(next(self.hub._msg_seq), path, path.split("/")[1][:2], user_id,
                               group_id, message, self.clock(), self.new_numeric_id(), billed,
                               self.oa_id)
            self.sent.append(sent)
        self.echo(sent.group_id or sent.user_id, message, sent.message_id, group=bool(group_id))
        return sent

    def messages(self, user_id: str | None = None, after_id: int = 0) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.sent
                    if m.id > after_id and (user_id is None or user_id in (m.user_id, m.group_id))]

    def stats(self) -> dict:
        with self.lock:
            return {"oa_id": self.oa_id, "app_id": self.app_id, "requests": dict(self.requests),
                    "messages_sent": len(self.sent), **{k: v for k, v in self.counters.items()},
                    "oa_type": self.oa_type, "latency_ms": self.latency_ms,
                    "rate_limit_per_minute": self.rate_limit_per_minute,
                    "pending_failures": len(self.failures)}

    def is_night(self) -> bool:
        hour = self.clock().astimezone(LOCAL_TZ).hour
        return hour >= NIGHT_START_HOUR or hour < NIGHT_END_HOUR
