"""Composition root for the worker side: the Zalo client, NLU, event worker, outbox sender,
and the threads that run them. `serve` runs all of it inside the web process; `worker` runs it
alone. Any number of them may run, on any number of machines: each may become the one that
runs the scheduler (leadership.py), unless started with `--no-scheduler`."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from bot.runtime.nlu import NluService
from bot.runtime.sender import OutboxSender
from bot.settings import Settings
from bot.runtime.worker import EventWorker
from bot.runtime.clients import ZaloClients, build_client
from bot.wards import WardSettings
from bot.zalo.client import ZaloClient

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.1  # a separate web process cannot wake us; an indexed poll is cheap


class _DeferredNlu:
    """The NLU, built on first use (the event thread's first `refresh()`, outside any
    transaction): loading it takes seconds, and a restarted worker's sender thread sends the
    replies already queued meanwhile instead of waiting for it."""

    def __init__(self, build):
        self._build = build
        self._nlu = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._nlu is None:
                self._nlu = self._build()
            return self._nlu

    def __getattr__(self, name):
        return getattr(self._get(), name)


class Runtime:
    """Threads: event consumer(s), outbox sender, maintenance. Stop with stop()."""

    def __init__(self, settings: Settings, *, client: ZaloClient | None = None, nlu=None,
                 scheduler: bool = True):
        self.settings = settings
        self.ward_settings = WardSettings(settings)
        self.client = client or build_client(settings)  # the default ward's
        self.clients = ZaloClients(self.ward_settings, per_minute=settings.zalo_rate_limit_per_minute,
                                   default=self.client)
        self.nlu = nlu or _DeferredNlu(lambda: NluService(settings))
        self.sender = OutboxSender(self.clients, max_attempts=settings.outbox_max_attempts,
                                   stale_after=timedelta(seconds=settings.outbox_stale_seconds),
                                   echo_window=timedelta(seconds=settings.outbox_echo_window_seconds),
                                   unknown_max_sends=settings.outbox_unknown_max_sends)
        self.event_wakeup = threading.Event()
        self.worker = EventWorker(settings, self.nlu, on_reply=self.sender.wakeup.set,
                                  ward_settings=self.ward_settings)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._with_scheduler = scheduler
        self.leadership = None

    def wake(self) -> None:
        self.event_wakeup.set()

    @property
    def scheduler(self):
        """This process's running scheduler, or None (not the holder of the leader lock)."""
        return self.leadership.scheduler if self.leadership is not None else None

    def sync_now(self) -> None:
        """Run the sheet sync job as soon as possible (an officer just edited the sheet). In a
        process that does not run the scheduler, the next cycle (30 s) picks the edit up.
        From a thread of its own: the sheet's webhook does not wait while the scheduler is busy
        with a daily or weekly job (those run in its thread and hold its job store)."""
        scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            from datetime import datetime

            threading.Thread(target=scheduler.modify_job, name="sync-now", daemon=True,
                             args=("sheet_sync",),
                             kwargs={"next_run_time": datetime.now(scheduler.timezone)}).start()

    def start(self) -> "Runtime":
        from bot.at_rest import secure_files

        secure_files(self.settings)
        self._startup_checks()
        for i in range(max(1, self.settings.worker_threads if not self.settings.is_sqlite else 1)):
            self._spawn(f"events-{i}", self._consume)
        self._spawn("sender", self._send)
        if self.settings.spool_directory is not None:
            self._spawn("spool-recovery", self._recover_spools)
        log.info("worker đã chạy (%s)", "sẵn sàng chạy lịch định kỳ"
                 if self._with_scheduler else "không chạy lịch định kỳ: --no-scheduler")
        if self._with_scheduler:
            self.leadership = self._leadership()
            self._spawn("scheduler-leader", self.leadership.run)
        return self

    def _leadership(self):
        from bot.runtime.leadership import SchedulerLeadership
        from bot.runtime.scheduler import build_scheduler
        from storage.leader import leader_lock

        def start_scheduler(still_leader):
            scheduler = build_scheduler(self, still_leader=still_leader)
            scheduler.resume()
            return scheduler

        poll = self.settings.scheduler_poll_seconds
        return SchedulerLeadership(leader_lock(self.settings.database_url, poll), poll, start_scheduler)

    def _startup_checks(self) -> None:
        """Once per process, in Vietnamese: what would make the bot promise what it cannot keep."""
        from handlers import urgent
        from storage.db import session_scope

        try:
            wards = self.ward_settings.directory.all()
            warnings = []
            for ward in wards:  # each ward's own duty officers (its env or its sheet's tab)
                with session_scope(ward.id) as session:
                    found = urgent.startup_warnings(session, self.ward_settings(ward.id, session))
                warnings += [f"Phường {ward.code}: {w}" if len(wards) > 1 else w for w in found]
        except Exception as exc:  # a database not migrated yet: the commands say so themselves
            log.warning("không kiểm tra được cấu hình cán bộ trực (%s)", type(exc).__name__)
            warnings = []
        for warning in warnings:
            log.warning(warning)
        if self.settings.is_production:
            from bot.ward_profile import faq_gaps

            entries = getattr(getattr(self.nlu, "faq", None), "entries", None)
            gaps = faq_gaps(self.settings, entries)
            log.log(logging.WARNING if gaps else logging.INFO,
                    "Hỏi đáp: %s câu trả lời còn chỗ trống (không gửi cho người dân, đề nghị chuyển "
                    "cán bộ); xem bằng lệnh `faq check`.", len(gaps))

    def _spawn(self, name: str, target) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _consume(self) -> None:
        while not self._stop.is_set():
            try:
                if self.worker.process_next():
                    continue
            except Exception:  # database down, etc.: log, wait, carry on
                log.exception("lỗi vòng xử lý sự kiện")
                time.sleep(1)
            self.event_wakeup.wait(IDLE_POLL_SECONDS)
            self.event_wakeup.clear()

    def _recover_spools(self) -> None:
        """Events a web process acknowledged from its spool file and could not move to the
        database before it died: the worker takes them over even while no web process runs."""
        from storage import db
        from storage.spool import SCAN_SECONDS, recover_orphans

        directory = self.settings.spool_directory
        while not self._stop.is_set():
            try:
                if recover_orphans(directory, db.get_engine):
                    self.wake()
            except Exception:
                log.exception("lỗi khi thu hồi tệp spool")
            self._stop.wait(SCAN_SECONDS)

    def _send(self) -> None:
        while not self._stop.is_set():
            try:
                if self.sender.pump():  # never waits for a send: a slow one holds no one up
                    continue
            except Exception:
                log.exception("lỗi vòng gửi tin (outbox)")
                time.sleep(1)
            self.sender.wakeup.wait(self.sender.next_wait(IDLE_POLL_SECONDS))
            self.sender.wakeup.clear()

    def stop(self) -> None:
        self._stop.set()
        self.event_wakeup.set()
        self.sender.wakeup.set()
        if self.leadership is not None:
            self.leadership.stop()  # its thread stops the scheduler, then frees the lock
        for t in self._threads:
            t.join(timeout=15)
        self.sender.close()

    def run_forever(self) -> None:
        import signal

        self.start()
        done = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: done.set())
        done.wait()
        log.info("worker đang dừng")
        self.stop()
