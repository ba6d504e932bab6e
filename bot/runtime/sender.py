"""Drains the outbox to Zalo. Each row ends `sent` or `failed` with a named reason.

What happens on each kind of Zalo answer (categories from bot.zalo.client):
- retry (-32 rate limit, HTTP 5xx, timeouts): bounded exponential back-off, then
  `failed/retries_exhausted`;
- outcome unknown (a read timeout, a connection cut after the request went out, HTTP 5xx, a
  send past its deadline, a crash mid-send): Zalo may have delivered it. The row waits in
  `unknown` for Zalo's oa_send_* echo (storage.outbox.settle_unknown): an echo means sent; no
  echo within the window means send again, at most `unknown_max_sends` times, then
  `failed/failed_unknown_outcome`. Tags are idempotent and have no echo: they just retry;
- undeliverable (-230, -213, -227, -232, -244): `failed` with the reason, never retried;
- night (-234): held until 06:00 Asia/Ho_Chi_Minh;
- setup (-209, -212, -223, -237, -403): `failed`, logged at ERROR: an operator must act;
- refresh: the client already refreshed once and retried; a second token error backs off.

Rows hold neutral payloads (storage.messages); zalo_message() gives them Zalo's shape at send
time.

Each send has its own deadline and never holds up the others: rows are claimed as threads come
free, not in waves, and a send past its deadline is let go (its row goes `unknown`, its thread
finishes in the background without counting against the concurrency).
"""
from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runtime import failpoints
from bot.runtime.clients import ZaloClients
from bot.zalo.client import ZaloError
from bot.zalo.messages import image_message, text_message
from storage import outbox
from storage.db import session_scope
from storage.messages import Picture, outgoing
from storage.models import DEFAULT_WARD_ID, utcnow
from storage.scoping import ALL_WARDS
from storage.tickets import LOCAL_TZ

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
RECOVERY_INTERVAL_SECONDS = 10.0
ECHO_CHECK_SECONDS = 0.5      # how often unknown rows look for their echo
# Results are recorded, and rows claimed, a few at a time: every transaction takes SQLite's
# write lock, and one per send halved the broadcast rate. A result waits at most this long.
COALESCE_SECONDS = 0.02
RATE_LIMITED_PAUSE_SECONDS = 5.0  # after Zalo's -32, the app's wards wait this long
# Channels Zalo echoes as oa_send_* events; the others (tags) are idempotent and simply retried.
ECHOED_CHANNELS = ("zalo_cs", "zalo_group")


@dataclass(frozen=True)
class _Job:
    id: int
    ward_id: int
    channel: str
    recipient_id: str
    message: dict
    attempts: int


@dataclass
class _Flight:
    job: _Job
    started: float               # time.monotonic()
    deadline: float
    abandoned: bool = False      # past its deadline: row declared unknown, thread let go
    finished: float | None = None  # set by the sending thread when its answer is in


def zalo_message(payload: dict) -> dict:
    """Zalo's message JSON for an outbox payload (Reply.payload(), Picture.payload()). A row
    queued by a version before neutral payloads holds Zalo's JSON itself (neither "buttons"
    nor "image"): it is sent as stored."""
    if "buttons" not in payload and "image" not in payload:
        return payload
    message = outgoing(payload)
    if isinstance(message, Picture):
        return image_message(message.source, message.caption)
    return text_message(message.text, [(b, b) for b in message.buttons] or None)


def backoff(attempts: int) -> timedelta:
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))


def next_morning(now_utc: datetime) -> datetime:
    local = now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ)
    morning = local.replace(hour=6, minute=5, second=0, microsecond=0)
    if local >= morning:
        morning += timedelta(days=1)
    return morning.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


class OutboxSender:
    # Sends at once. A send waits on Zalo's answer, not on this machine: the rate is about
    # concurrency / latency, so 8 capped a process at ~50 replies/s against a Zalo answering in
    # 50 ms (bench-typhoon: 10,000 replies in 2 minutes need ~85/s), and at 150 ms it could not
    # reach an app's own limit of ~4,000 a minute. The limiter, not this, keeps Zalo's limit.
    CONCURRENCY = 32

    def __init__(self, clients: ZaloClients, *, max_attempts: int = 6, concurrency: int = CONCURRENCY,
                 batch: int | None = None, stale_after: timedelta = timedelta(seconds=30),
                 echo_window: timedelta = timedelta(seconds=60),
                 unknown_max_sends: int = 3, max_slow: int = 24, slow_after: float = 0.5):
        self.clients = clients  # each ward's client; a rate limit per Zalo app
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.batch = batch or concurrency    # rows claimed per claim at most
        self.echo_window = echo_window
        self.unknown_max_sends = unknown_max_sends
        # Hung sends keep their thread until the client's timeout. A send slower than
        # `slow_after` (Zalo answers in a fraction of a second) stops counting against
        # `concurrency`, and `max_slow` extra threads let fresh sends go on meanwhile.
        self.slow_after = slow_after
        self._pool = ThreadPoolExecutor(max_workers=concurrency + max_slow, thread_name_prefix="send")
        self._pool_size = concurrency + max_slow
        clients.keep_connections(self._pool_size)  # one kept-alive connection per send thread
        self._inflight: dict[Future, _Flight] = {}  # touched only by the pumping thread
        self.wakeup = threading.Event()
        # A row `sending` for longer than stale_after belongs to a process that died. Every
        # sender checks, so no scheduler is needed; a live sender lets go of a send before
        # then (its deadline), so no live send is ever taken for a dead one.
        self.stale_after = stale_after
        send_timeout = getattr(clients.for_ward(DEFAULT_WARD_ID), "send_timeout", (3.05, 8))
        self.send_deadline = max(1.0, min(sum(send_timeout) + 2.0, stale_after.total_seconds() - 1.0))
        self._next_recovery = 0.0
        self._next_echo_check = 0.0

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:  # record what finished meanwhile (or never started); a send cut off is recovered as unknown
            self._collect()
        except Exception:
            log.exception("outbox: could not record the last sends at shutdown")

    # -- maintenance: crashed sends, echoes --
    def recover_interrupted(self) -> int:
        with session_scope(ALL_WARDS) as session:
            n = outbox.recover_interrupted(session, self.stale_after)
        if n:
            log.warning("outbox: %s tin đang gửi dở khi một tiến trình bị tắt; chờ tin xác nhận (echo) của Zalo "
                        "rồi mới gửi lại", n)
        return n

    def settle_unknown(self) -> int:
        with session_scope(ALL_WARDS) as session:
            done = outbox.settle_unknown(session, window=self.echo_window,
                                         max_sends=self.unknown_max_sends, as_sent=zalo_message)
        if done.resent:
            log.warning("outbox: %s tin chưa rõ kết quả không có sự kiện oa_send_* báo lại sau %s giây; "
                        "gửi lại (webhook của OA đã đăng ký các sự kiện oa_send_* chưa?)",
                        done.resent, int(self.echo_window.total_seconds()))
        if done.dead:
            log.error("outbox: %s tin lỗi %s: không có báo lại sau %s lần gửi", done.dead,
                      outbox.FAILED_UNKNOWN_OUTCOME, self.unknown_max_sends)
        return done.confirmed + done.resent + done.dead

    def _maintain(self, force_echo_check: bool = False) -> int:
        now = time.monotonic()
        if now >= self._next_recovery:
            self._next_recovery = now + RECOVERY_INTERVAL_SECONDS
            self.recover_interrupted()
        if force_echo_check or now >= self._next_echo_check:
            self._next_echo_check = now + ECHO_CHECK_SECONDS
            return self.settle_unknown()
        return 0

    # -- sending --
    def pump(self) -> int:
        """One non-blocking step for the runtime's sender thread: record finished sends, let go
        of overdue ones, claim due rows into free threads. Returns how much was done."""
        return self._maintain() + self._collect(coalesce=True) + self._dispatch(coalesce=True)

    def next_wait(self, idle: float) -> float:
        """How long the sender thread may sleep (a send's answer also wakes it)."""
        return COALESCE_SECONDS if self._inflight else idle

    def send_due(self) -> int:
        """Send what is due now and wait for those sends (each up to its deadline). Returns how
        many rows were attempted. For tests and one-shot use; the runtime calls pump()."""
        self._maintain(force_echo_check=True)
        n = self._dispatch()
        while True:
            waiting = [f for f, fl in self._inflight.items() if not fl.abandoned]
            if not waiting:
                break
            nearest = min(self._inflight[f].deadline for f in waiting)
            wait(waiting, timeout=max(0.0, nearest - time.monotonic()), return_when=FIRST_COMPLETED)
            self._collect()
        return n

    def _dispatch(self, coalesce: bool = False) -> int:
        now = time.monotonic()
        active = sum(1 for fl in self._inflight.values()
                     if not fl.abandoned and now - fl.started < self.slow_after)
        room = min(self.batch, self.concurrency - active, self._pool_size - len(self._inflight))
        if coalesce and active and room < max(1, self.batch // 2):
            return 0  # sends are under way: claim when a few threads are free, in one go
        if room <= 0:
            return 0
        with session_scope(ALL_WARDS) as session:  # one outbox for every ward
            # A row is claimed only with a permit of its app's rate limit; apps whose minute is
            # used up are not even looked at, so one ward's broadcast never holds up the others.
            rows = outbox.claim_due(
                session, room, utcnow(), skip_wards=self.clients.wards_at_limit(session),
                admit=lambda row: self.clients.limiter_for(row.ward_id, session).reserve(1) == 1)
            jobs = [_Job(r.id, r.ward_id, r.channel, r.recipient_id, r.message, r.attempts) for r in rows]
        for job in jobs:
            future = self._pool.submit(self._attempt, job)
            started = time.monotonic()
            flight = self._inflight[future] = _Flight(job, started, started + self.send_deadline)
            future.add_done_callback(lambda _f, fl=flight: self._finished(fl))
        return len(jobs)

    def _finished(self, flight: _Flight) -> None:
        flight.finished = time.monotonic()
        self.wakeup.set()

    def _collect(self, coalesce: bool = False) -> int:
        now = time.monotonic()
        finished = [f for f in self._inflight if f.done()]
        overdue = [f for f, fl in self._inflight.items()
                   if not fl.abandoned and not f.done() and now >= fl.deadline]
        if not finished and not overdue:
            return 0
        if coalesce and not overdue and len(finished) < len(self._inflight):
            oldest = min(self._inflight[f].finished or now for f in finished)
            if len(finished) * 2 < len(self._inflight) and now - oldest < COALESCE_SECONDS:
                return 0  # more answers are about to come: record them together
        # One transaction records them all: on SQLite every transaction takes the write lock,
        # and one per message cost more than the sends themselves.
        with session_scope(ALL_WARDS) as session:
            for future in finished:
                flight = self._inflight.pop(future)
                if future.cancelled():  # never started (close() while it waited for a thread)
                    outbox.schedule_retry(session, flight.job.id, utcnow(), "not_sent", None,
                                          "the process stopped before sending", flight.job.attempts)
                    continue
                _job, data, err = future.result()
                self._record(session, flight, data, err)
            for future in overdue:
                flight = self._inflight[future]
                flight.abandoned = True
                job = flight.job
                if job.channel in ECHOED_CHANNELS:
                    outbox.mark_unknown(session, job.id, job.attempts, "send_deadline", None,
                                        f"no answer within {self.send_deadline:.0f} s")
                else:
                    outbox.schedule_retry(session, job.id, utcnow() + backoff(job.attempts),
                                          "send_deadline", None, "no answer", job.attempts)
        if overdue:
            log.warning("outbox: %s lần gửi quá hạn %.0f giây; chờ Zalo báo lại (oa_send_*)",
                        len(overdue), self.send_deadline)
        return len(finished) + len(overdue)

    def _record(self, session, flight: _Flight, data, err) -> None:
        job = flight.job
        if err is None:
            message_id = str((data or {}).get("message_id") or "") or None
            outbox.mark_sent(session, job.id, message_id, job.attempts)
        elif flight.abandoned:
            pass  # already `unknown`: the echo, not this late error, says what happened
        elif isinstance(err, ZaloError):
            if err.outcome_unknown and job.channel in ECHOED_CHANNELS:
                outbox.mark_unknown(session, job.id, job.attempts, err.reason, err.code or None, str(err))
            else:
                self._record_error(session, job, err)
        else:  # a bug must not leave the row in `sending` forever
            outbox.mark_failed(session, job.id, "internal_error", None, repr(err), job.attempts)

    def _deliver(self, job: _Job) -> dict:
        client = self.clients.for_ward(job.ward_id)
        if job.channel == "zalo_group":
            return client.send_group_message(job.recipient_id, zalo_message(job.message))
        if job.channel == "zalo_tag":  # a resident's tổ mirrored as a Zalo tag
            return client.tag_follower(job.recipient_id, job.message["tag_name"])
        if job.channel == "zalo_untag":
            return client.untag_follower(job.recipient_id, job.message["tag_name"])
        return client.send_message(job.recipient_id, zalo_message(job.message))

    def _attempt(self, job: _Job):
        try:
            data = self._deliver(job)
            failpoints.hit("sender.after_send")  # the kill -9 tests: delivered, not yet recorded
            return job, data, None
        except ZaloError as err:
            return job, None, err
        except Exception as exc:
            log.exception("outbox: lỗi bất ngờ khi gửi tin %s", job.id)
            return job, None, exc

    def _record_error(self, session, job: _Job, err: ZaloError) -> None:
        now = utcnow()
        if err.category in ("retry", "refresh"):
            if err.code == -32:
                # Zalo's rate limit is per app: slow down every ward on this app, not just
                # this row; wards on other apps go on at full speed.
                self.clients.limiter_for(job.ward_id, session).pause(RATE_LIMITED_PAUSE_SECONDS)
            if job.attempts >= self.max_attempts:
                outbox.mark_failed(session, job.id, f"retries_exhausted:{err.reason}",
                                   err.code, str(err), job.attempts)
                log.error("outbox: tin %s bỏ cuộc sau %s lần thử (%s)",
                          job.id, job.attempts, err.reason)
            else:
                outbox.schedule_retry(session, job.id, now + backoff(job.attempts),
                                      err.reason, err.code, str(err), job.attempts)
        elif err.category == "night":
            outbox.schedule_retry(session, job.id, next_morning(now), err.reason, err.code, str(err),
                                  job.attempts)
        else:
            outbox.mark_failed(session, job.id, err.reason, err.code, str(err), job.attempts)
            # A dead refresh token or wrong app secret never fixes itself: an OA admin must
            # re-authorise, so say it loudly instead of retrying.
            level = logging.ERROR if err.category in ("setup", "oauth") else logging.INFO
            log.log(level, "outbox: tin %s không gửi được: %s (%s)", job.id, err.reason, err.code)
