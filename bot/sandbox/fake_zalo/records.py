"""What the fake records: users, groups, messages sent, injected failures, and the Zalo apps
(an app's id, secret and rate limit, shared by the OAs linked to it)."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FakeUser:
    user_id: str
    display_name: str
    is_follower: bool = True
    last_interaction: datetime | None = None
    tags: set[str] = field(default_factory=set)
    shared_info: dict | None = None
    replies_since_interaction: int = 0


@dataclass
class FakeGroup:
    group_id: str
    oa_in_group: bool = True
    package_expired: bool = False


@dataclass
class SentMessage:
    id: int                    # recording order (across every OA of the fake), for ?after_id=
    path: str
    api_version: str           # "v2" | "v3"
    user_id: str | None
    group_id: str | None
    message: dict              # the `message` object exactly as received
    timestamp: datetime
    message_id: str
    billed: bool = False       # sent between 48 h and 7 days after the user's last message
    oa_id: str = ""            # the OA that sent it

    def to_json(self) -> dict:
        return {
            "id": self.id, "path": self.path, "api_version": self.api_version,
            "user_id": self.user_id, "group_id": self.group_id, "message": self.message,
            "timestamp": self.timestamp.isoformat(), "message_id": self.message_id,
            "billed": self.billed, "oa_id": self.oa_id,
        }


@dataclass
class FailRule:
    path: str                  # exact path, or "*" for every path, the OAuth one included
    code: int | None = None
    http_status: int | None = None
    hang_seconds: float | None = None
    times: int = 1
    # after_delivery: the message is delivered (recorded, echoed) and THEN the answer hangs,
    # is a 5xx, or the connection is dropped ("drop"): the client cannot know it went out.
    after_delivery: bool = False
    drop: bool = False
    recipient: str | None = None   # only sends to this user or group id


class FakeApp:
    """One Zalo app: its id and secret (the OAuth call checks them) and its rate limit, which
    Zalo counts per app, so OAs linked to one app share it. The caller holds the fake's lock."""

    def __init__(self, app_id: str, app_secret: str, rate_limit_per_minute: int):
        self.app_id = app_id
        self.app_secret = app_secret
        self.initial_rate_limit = rate_limit_per_minute
        self.rate_limit_per_minute = rate_limit_per_minute
        self._window: deque[float] = deque()   # monotonic times of recent API calls

    def reset(self) -> None:
        self.rate_limit_per_minute = self.initial_rate_limit
        self._window.clear()

    def admit(self) -> bool:
        """Sliding one-minute window over the app's API calls (real time, not the fake's
        injectable clock)."""
        now = time.monotonic()
        while self._window and self._window[0] <= now - 60:
            self._window.popleft()
        if len(self._window) >= self.rate_limit_per_minute:
            return False
        self._window.append(now)
        return True
