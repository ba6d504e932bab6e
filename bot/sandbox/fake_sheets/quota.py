"""Google's per-minute Sheets quota, as the fake enforces it.

Google counts read requests (GET: spreadsheets.get, values.get, values.batchGet) and write
requests (everything else) apart, each per user (one service account) per minute and per
project per minute: by default 60 read + 60 write per user, 300 read + 300 write per project.
Past a limit the request is refused with 429 and Google's envelope (status RESOURCE_EXHAUSTED,
an ErrorInfo detail with reason RATE_LIMIT_EXCEEDED naming the quota). Refused requests are not
counted against the quota.

A sliding window of `window` seconds models "per minute": stricter than Google's own
accounting (at most N in ANY 60 s means at most N in every calendar minute too), so a client
that never sees a 429 here never would there. The benchmark shrinks `window` (a scaled clock:
one "minute" lasts a few seconds). Google does not promise a Retry-After header on a 429; the
fake sends one only when `retry_after` is set, so clients are tested both ways.
"""
from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque

READ, WRITE = "read", "write"
LIMIT_NAMES = {
    ("user", READ): ("Read requests", "Read requests per minute per user", "ReadRequestsPerMinutePerUser"),
    ("user", WRITE): ("Write requests", "Write requests per minute per user", "WriteRequestsPerMinutePerUser"),
    ("project", READ): ("Read requests", "Read requests per minute", "ReadRequestsPerMinutePerProject"),
    ("project", WRITE): ("Write requests", "Write requests per minute", "WriteRequestsPerMinutePerProject"),
}


class GoogleQuota:
    def __init__(self, *, read_per_user: int = 60, write_per_user: int = 60,
                 read_per_project: int = 300, write_per_project: int = 300,
                 window: float = 60.0, retry_after: bool = False, clock=time.monotonic):
        self.limits = {("user", READ): read_per_user, ("user", WRITE): write_per_user,
                       ("project", READ): read_per_project, ("project", WRITE): write_per_project}
        self.window = window
        self.retry_after = retry_after
        self.clock = clock
        self.lock = threading.Lock()
        self._sent: dict[tuple, deque] = {}       # (scope, bucket, user or "") -> times
        self._all_by_user: dict[str, deque] = {}  # reads + writes together, for `peak_per_user`
        self.exhausted: Counter[str] = Counter()  # 429s answered, by limit
        self.peak_per_user = 0                    # most requests (reads + writes) of one user in a window

    @classmethod
    def google(cls, *, window: float = 60.0, retry_after: bool = False) -> "GoogleQuota":
        """Google's published defaults for the Sheets API."""
        return cls(window=window, retry_after=retry_after)

    def _window_of(self, key: tuple, now: float) -> deque:
        sent = self._sent.setdefault(key, deque())
        while sent and now - sent[0] >= self.window:
            sent.popleft()
        return sent

    def admit(self, user: str, bucket: str) -> dict | None:
        """Count a request, or say which limit refuses it: {"limit": ..., "retry_after": s}."""
        with self.lock:
            now = self.clock()
            keys = (("user", bucket, user), ("project", bucket, ""))
            for scope, _, who in keys:
                sent = self._window_of((scope, bucket, who), now)
                if len(sent) >= self.limits[(scope, bucket)]:
                    self.exhausted[LIMIT_NAMES[(scope, bucket)][2]] += 1
                    wait = max(0.0, sent[0] + self.window - now)
                    return {"scope": scope, "bucket": bucket, "retry_after": wait}
            for key in keys:
                self._sent[key].append(now)
            mine = self._all_by_user.setdefault(user, deque())
            while mine and now - mine[0] >= self.window:
                mine.popleft()
            mine.append(now)
            self.peak_per_user = max(self.peak_per_user, len(mine))
            return None

    def refused(self) -> int:
        return sum(self.exhausted.values())

    def envelope(self, refusal: dict) -> tuple[dict, dict]:
        """Google's 429 body for a refusal, and the headers to send with it."""
        metric, limit, limit_id = LIMIT_NAMES[(refusal["scope"], refusal["bucket"])]
        body = {"error": {
            "code": 429,
            "message": f"Quota exceeded for quota metric '{metric}' and limit '{limit}' of service "
                       "'sheets.googleapis.com' for consumer 'project_number:0'.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                 "domain": "googleapis.com",
                 "metadata": {"service": "sheets.googleapis.com", "consumer": "projects/0",
                              "quota_metric": f"sheets.googleapis.com/{refusal['bucket']}_requests",
                              "quota_limit": limit_id,
                              "quota_limit_value": str(self.limits[(refusal['scope'], refusal['bucket'])])}},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quotas/help/request_increase"}]},
            ]}}
        headers = {"Retry-After": str(max(1, math.ceil(refusal["retry_after"])))} if self.retry_after else {}
        return body, headers
