"""Drains the outbox to Zalo. Each row ends `sent` or `failed` with a named reason.

What happens on each kind of Zalo answer (categories from bot.zalo_client):
- retry (-32 rate limit, HTTP 5xx, timeouts): bounded exponential back-off, then
  `failed/retries_exhausted`;
- undeliverable (-230, -213, -227, -232, -244): `failed` with the reason, never retried;
- night (-234): held until 06:00 Asia/Ho_Chi_Minh;
- setup (-209, -212, -223, -237, -403): `failed`, logged at ERROR: an operator must act;
- refresh: the client already refreshed once and retried; a second token error backs off.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.zalo_client import ZaloClient, ZaloError
from storage import outbox
from storage.db import session_scope
from storage.models import utcnow
from storage.tickets import LOCAL_TZ

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
RECOVERY_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class _Job:
    id: int
    channel: str
    recipient_id: str
    message: dict
    attempts: int


def backoff(attempts: int) -> timedelta:
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))


def next_morning(now_utc: datetime) -> datetime:
    local = now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ)
    morning = local.replace(hour=6, minute=5, second=0, microsecond=0)
    if local >= morning:
        morning += timedelta(days=1)
    return morning.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


class RateLimiter:
    """At most `per_minute` sends in any 60 seconds, shared by the sender's threads: the same
    sliding window Zalo counts in (~4,000 requests a minute per app, -32 beyond). Replies are
    never slowed until a broadcast has used up the minute."""

    WINDOW = 60.0

    def __init__(self, per_minute: int):
        self.limit = max(1, per_minute)
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.sent and now - self.sent[0] >= self.WINDOW:
                    self.sent.popleft()
                if len(self.sent) < self.limit:
                    self.sent.append(now)
                    return
                wait = self.sent[0] + self.WINDOW - now
            time.sleep(min(wait, 1.0))


class OutboxSender:
    def __init__(self, client: ZaloClient, *, max_attempts: int = 6, concurrency: int = 8,
                 batch: int = 8, stale_after: timedelta = timedelta(seconds=30),
                 per_minute: int = 3600):
        self.client = client
        self.limiter = RateLimiter(per_minute)
        self.max_attempts = max_attempts
        # One wave of sends per claim: a crash can then leave at most `batch` rows in flight
        # (ended `interrupted_during_send`, never resent).
        self.batch = batch
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="send")
        self.wakeup = threading.Event()
        self._pause_until: datetime | None = None
        # A send gives up after its connect+read timeouts (~13 s): a row `sending` for longer
        # belongs to a process that died. Every sender checks, so no scheduler is needed.
        self.stale_after = stale_after
        self._next_recovery = 0.0

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def recover_interrupted(self) -> int:
        with session_scope() as session:
            n = outbox.fail_interrupted(session, self.stale_after)
        if n:
            log.error("outbox: %s tin đang gửi dở khi một tiến trình bị tắt; ghi là không gửi được (%s), không gửi lại",
                      n, outbox.INTERRUPTED)
        return n

    def send_due(self) -> int:
        """Send one batch of due rows. Returns how many rows were attempted."""
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + RECOVERY_INTERVAL_SECONDS
            self.recover_interrupted()
        now = utcnow()
        if self._pause_until and now < self._pause_until:
            return 0
        with session_scope() as session:
            rows = outbox.claim_due(session, self.batch, now)
            jobs = [_Job(r.id, r.channel, r.recipient_id, r.message, r.attempts) for r in rows]
        if not jobs:
            return 0
        outcomes = list(self._pool.map(self._attempt, jobs))
        # One transaction records the whole batch: on SQLite every transaction takes the
        # write lock, and one per message cost more than the sends themselves.
        with session_scope() as session:
            for job, data, err in outcomes:
                if err is None:
                    message_id = str((data or {}).get("message_id") or "") or None
                    outbox.mark_sent(session, job.id, message_id)
                elif isinstance(err, ZaloError):
                    self._record_error(session, job, err)
                else:  # a bug must not leave the row in `sending` forever
                    outbox.mark_failed(session, job.id, "internal_error", None, repr(err))
        return len(jobs)

    def _deliver(self, job: _Job) -> dict:
        self.limiter.acquire()
        if job.channel == "zalo_group":
            return self.client.send_group_message(job.recipient_id, job.message)
        if job.channel == "zalo_tag":  # a resident's tổ mirrored as a Zalo tag
            return self.client.tag_follower(job.recipient_id, job.message["tag_name"])
        if job.channel == "zalo_untag":
            return self.client.untag_follower(job.recipient_id, job.message["tag_name"])
        return self.client.send_message(job.recipient_id, job.message)

    def _attempt(self, job: _Job):
        try:
            return job, self._deliver(job), None
        except ZaloError as err:
            return job, None, err
        except Exception as exc:
            log.exception("outbox: lỗi bất ngờ khi gửi tin %s", job.id)
            return job, None, exc

    def _record_error(self, session, job: _Job, err: ZaloError) -> None:
        now = utcnow()
        if err.category in ("retry", "refresh"):
            if err.code == -32:
                # Zalo's per-app rate limit: slow everyone down, not just this row.
                self._pause_until = now + timedelta(seconds=5)
            if job.attempts >= self.max_attempts:
                outbox.mark_failed(session, job.id, f"retries_exhausted:{err.reason}",
                                   err.code, str(err))
                log.error("outbox: tin %s dừng sau %s lần thử (%s)",
                          job.id, job.attempts, err.reason)
            else:
                outbox.schedule_retry(session, job.id, now + backoff(job.attempts),
                                      err.reason, err.code, str(err))
        elif err.category == "night":
            outbox.schedule_retry(session, job.id, next_morning(now), err.reason, err.code, str(err))
        else:
            outbox.mark_failed(session, job.id, err.reason, err.code, str(err))
            # A dead refresh token or wrong app secret never fixes itself: an OA admin must
            # re-authorise, so say it loudly instead of retrying.
            level = logging.ERROR if err.category in ("setup", "oauth") else logging.INFO
            log.log(level, "outbox: tin %s không gửi được: %s (%s)", job.id, err.reason, err.code)
