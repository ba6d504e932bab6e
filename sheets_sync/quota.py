"""The deployment's Google Sheets request budget: every HTTP request to the Sheets API from
this process, for every ward, passes here first.

Google's quota for one service account (one "user") is 60 read and 60 write requests per
minute, inside a project's 300 + 300. A city runs one service account for all its wards, so
the wards share those 60 + 60. The budget (SHEETS_REQUESTS_PER_MINUTE, default 50, reads and
writes together) is a sliding window: at most `per_minute` requests in ANY `minute` seconds,
so Google's per-minute accounting, however it cuts its minutes, never sees more. A request
that finds the window full waits for a slot (bounded by the caller's time budget).

A 429 anyway (another program on the same project, a lowered quota) pauses the whole
deployment, not just the ward that met it: for the Retry-After the answer gave, else for a
back-off that doubles with each 429 in a row (1, 2, 4 … 64 s, Google's advice), reset by the
next success. So a 429 is followed by silence, never by a storm of retries from 100 wards.

One budget per service account per process (`budget_for`); the process that runs the
scheduler is the one that talks to Google, so its budget is the deployment's. A one-off CLI
command (`sheets sync`) in another process has its own; the default 50 of 60 leaves it room.
"""
from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import deque

MAX_BACKOFF = 64.0
# A slot frees a little after its minute is over: a request slowed on its way to Google
# still lands inside the minute the budget counted it in. 2 % of a minute (1.2 s), and never
# less than 0.1 s, the delay being in real seconds even on a scaled clock.
LANDING_MARGIN, LANDING_MIN = 0.02, 0.1


class RequestBudget:
    def __init__(self, per_minute: int = 50, *, minute: float = 60.0, clock=time.monotonic,
                 sleep=time.sleep):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.minute = minute            # seconds a quota minute lasts (shorter on a scaled clock)
        self._span = minute + max(minute * LANDING_MARGIN, LANDING_MIN)
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._paused_until = float("-inf")
        self._strikes = 0               # 429s in a row, for the back-off
        self.sent = 0                   # requests let through
        self.throttled = 0              # 429s met
        self.waits = 0                  # requests that had to wait for a slot

    def _prune(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self._span:
            self._sent.popleft()

    def free(self) -> int:
        """Requests that may go out right now (0 while paused by a 429)."""
        with self._lock:
            now = self.clock()
            if now < self._paused_until:
                return 0
            self._prune(now)
            return self.per_minute - len(self._sent)

    def used(self) -> int:
        with self._lock:
            self._prune(self.clock())
            return len(self._sent)

    def paused_for(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - self.clock())

    def acquire(self, timeout: float) -> bool:
        """Take one slot, waiting up to `timeout` seconds for it. False: no slot in time."""
        deadline = self.clock() + timeout
        waited = False
        while True:
            with self._lock:
                now = self.clock()
                self._prune(now)
                if now >= self._paused_until and len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    self.sent += 1
                    self.waits += waited
                    return True
                ready = max(self._paused_until,
                            self._sent[0] + self._span if len(self._sent) >= self.per_minute else now)
            if ready > deadline:
                return False
            waited = True
            self.sleep(min(max(ready - now, 0.001), 1.0))

    def back_off(self, retry_after: float | None = None) -> float:
        """A 429: pause every request of the deployment. Returns the pause in seconds."""
        with self._lock:
            self._strikes += 1
            self.throttled += 1
            if retry_after is not None:
                pause = retry_after
            else:
                base = min(MAX_BACKOFF, 2.0 ** (self._strikes - 1)) * self.minute / 60.0
                pause = base * (1.0 + 0.2 * random.random())
            self._paused_until = max(self._paused_until, self.clock() + pause)
            return pause

    def succeeded(self) -> None:
        if self._strikes:
            with self._lock:
                self._strikes = 0


_budgets: dict[tuple, RequestBudget] = {}
_budgets_lock = threading.Lock()


def account_of(settings) -> str:
    """Who Google counts the quota against: the service account (or the fake's address)."""
    if settings.google_sheets_api_base:
        return "api:" + settings.google_sheets_api_base
    if settings.google_service_account_json:
        return "json:" + hashlib.sha256(settings.google_service_account_json.encode()).hexdigest()
    return "file:" + settings.google_service_account_file


def budget_for(settings) -> RequestBudget | None:
    """This process's budget for the settings' service account (None: the budget is off,
    SHEETS_REQUESTS_PER_MINUTE=0)."""
    per_minute = settings.sheets_requests_per_minute
    if per_minute <= 0:
        return None
    key = (account_of(settings), per_minute)
    with _budgets_lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = RequestBudget(per_minute)
        return budget


def install(settings, budget: RequestBudget) -> RequestBudget:
    """Use `budget` for the settings' account from now on (the benchmark's scaled minute)."""
    with _budgets_lock:
        _budgets[(account_of(settings), settings.sheets_requests_per_minute)] = budget
    return budget
