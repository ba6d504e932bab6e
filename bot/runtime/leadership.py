"""Which worker runs the scheduler: the one holding the leader lock (storage/leader.py).

Every worker allowed to schedule (not `--no-scheduler`) runs a SchedulerLeadership thread. A
standby tries the lock every P seconds (SCHEDULER_LOCK_POLL_SECONDS); the one that gets it
starts the scheduler and, every P seconds, confirms the lock's connection is alive. When it is
not, the scheduler is stopped before anything else: a holder that lost its lock never keeps
scheduling beside the one that took it over. The scheduler also asks `still_leader` afresh
before every pass over due jobs (scheduler.py), which covers a holder frozen past the lock's
timers (a paused VM, SIGSTOP) whose scheduler thread wakes up before this one does.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class SchedulerLeadership:
    def __init__(self, lock, poll_seconds: int, start_scheduler):
        """`start_scheduler(still_leader)` builds and starts the scheduler, returns it."""
        self.lock = lock
        self.poll_seconds = poll_seconds
        self._start_scheduler = start_scheduler
        self.scheduler = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._standby_said = False
        self._error_said = False

    def run(self) -> None:
        """The thread's body, until stop(): try or confirm, then wait P seconds."""
        while not self._stopping.is_set():
            try:
                self._step()
                self._error_said = False
            except Exception as exc:  # the database unreachable: say so once, keep trying
                if not self._error_said:
                    log.warning("chưa kiểm tra được khóa chạy lịch (%s); thử lại mỗi %d giây",
                                type(exc).__name__, self.poll_seconds)
                    self._error_said = True
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
        self._step_down()

    def _step(self) -> None:
        if self.scheduler is not None:
            if not self._confirmed():
                log.error("mất khóa chạy lịch (kết nối giữ khóa tới CSDL đã đứt); worker này dừng lịch ngay, "
                          "worker khác sẽ thay")
                self._step_down()
            return
        if not self.lock.try_acquire():
            if not self._standby_said:
                log.info("worker khác đang chạy lịch; worker này chờ thay thế")
                self._standby_said = True
            return
        try:
            self.scheduler = self._start_scheduler(self.still_leader)
        except BaseException:
            self.lock.release()  # a standby may do better than a worker that cannot start it
            raise
        self._standby_said = False
        log.info("worker này chạy lịch định kỳ")

    def still_leader(self) -> bool:
        """Asked by the scheduler's thread before each pass over due jobs."""
        if self._confirmed():
            return True
        self._wake.set()  # the leadership thread stops the scheduler now, not at its next poll
        return False

    def _confirmed(self) -> bool:
        try:
            return self.lock.confirm()
        except Exception:  # noqa: BLE001 - not confirmed is not confirmed, whatever the cause
            return False

    def _step_down(self) -> None:
        """The scheduler first, then the lock: the next holder starts only after ours stopped.
        (A job already running finishes; only a process's death stops it, and each job's own
        guard makes a second run harmless: see jobs.py.)"""
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            try:
                scheduler.shutdown(wait=False)
            except Exception:  # noqa: BLE001 - already stopped
                pass
        self.lock.release()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
