"""The leader lock itself (storage/leader.py): one holder, released by the holder's death.

PostgreSQL's advisory lock is tested on PostgreSQL; the SQLite variant (an flock beside the
database file) needs no database and runs on both suites."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.leader import FileLeaderLock, PostgresLeaderLock, leader_lock

ROOT = Path(__file__).resolve().parents[2]
NOT_POSTGRES = "advisory locks and the server's session timers are PostgreSQL's; on SQLite the " \
               "flock variant is what runs (the test_file_lock_* tests)"


@pytest.fixture()
def pg_url(clean_db, database_url):
    if not database_url.startswith("postgres"):
        pytest.skip(NOT_POSTGRES)
    return database_url


@pytest.fixture()
def pg_locks(pg_url):
    made = []

    def make(poll_seconds: int = 10) -> PostgresLeaderLock:
        made.append(PostgresLeaderLock(pg_url, poll_seconds))
        return made[-1]

    yield make
    for lock in made:
        lock.release()


def test_second_postgres_acquirer_fails_until_the_holder_releases(pg_locks):
    first, second = pg_locks(), pg_locks()
    assert first.try_acquire() and first.confirm()
    assert not second.try_acquire()
    assert not second.confirm()
    assert f"pid {os.getpid()}" in second.holder()
    first.release()
    assert not first.confirm()
    assert second.try_acquire()


def test_postgres_lock_is_freed_when_the_holders_session_dies(pg_locks, pg_url):
    """What the server does when the holder's process dies or the server itself drops it."""
    import psycopg

    holder, standby = pg_locks(), pg_locks()
    assert holder.try_acquire()
    backend = holder._conn.info.backend_pid
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone()[0]
    deadline = time.monotonic() + 10
    while not standby.try_acquire():
        assert time.monotonic() < deadline, "the lock outlived its session"
        time.sleep(0.1)
    assert not holder.confirm()  # the old holder learns it at its next confirmation


def test_a_silent_holder_loses_the_lock_after_three_polls(pg_locks):
    """A lost machine sends nothing: the server's idle timer (3 x poll) ends its session."""
    holder, standby = pg_locks(poll_seconds=1), pg_locks(poll_seconds=1)
    assert holder.try_acquire()
    started = time.monotonic()
    while not standby.try_acquire():
        assert time.monotonic() - started < 15, "a silent holder kept the lock"
        time.sleep(0.2)
    silent_for = time.monotonic() - started
    assert 2.5 <= silent_for < 15  # 3 s, and whatever a loaded machine adds
    assert not holder.confirm()


def test_postgres_lock_session_carries_the_dead_machine_timers(pg_locks):
    lock = pg_locks(poll_seconds=10)
    assert lock.try_acquire()
    show = {name: lock._conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("idle_session_timeout", "tcp_keepalives_idle", "tcp_keepalives_interval",
                         "tcp_keepalives_count")}
    assert show == {"idle_session_timeout": "30s", "tcp_keepalives_idle": "10",
                    "tcp_keepalives_interval": "10", "tcp_keepalives_count": "2"}


def test_file_lock_second_acquirer_fails_until_release(tmp_path):
    first, second = FileLeaderLock(tmp_path / "db.scheduler.lock"), FileLeaderLock(tmp_path / "db.scheduler.lock")
    assert first.try_acquire() and first.confirm()
    assert not second.try_acquire()
    assert second.holder() == f"hopthuso-lich {os.uname().nodename[:30]} pid {os.getpid()}"
    first.release()
    assert second.holder() is None
    assert second.try_acquire()
    assert (tmp_path / "db.scheduler.lock").stat().st_mode & 0o777 == 0o600
    second.release()


def test_file_lock_is_freed_when_its_holder_is_killed(tmp_path):
    path = tmp_path / "db.scheduler.lock"
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from storage.leader import FileLeaderLock; "
         f"assert FileLeaderLock({str(path)!r}).try_acquire(); print('held', flush=True); time.sleep(60)"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        mine = FileLeaderLock(path)
        assert not mine.try_acquire()
        assert f"pid {child.pid}" in mine.holder()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert mine.try_acquire()
        mine.release()
    finally:
        child.kill()
        child.wait()


def test_file_lock_holder_stops_confirming_when_its_file_is_replaced(tmp_path):
    """Deleting the file would let another process lock a new one: the holder must notice."""
    lock = FileLeaderLock(tmp_path / "db.scheduler.lock")
    assert lock.try_acquire()
    (tmp_path / "db.scheduler.lock").unlink()
    assert not lock.confirm()
    assert lock.try_acquire()  # on the new file, released cleanly
    lock.release()


def test_the_lock_fits_the_database(tmp_path):
    assert isinstance(leader_lock(f"sqlite:///{tmp_path}/x.db", 10), FileLeaderLock)
    assert leader_lock(f"sqlite:///{tmp_path}/x.db", 10).path == Path(f"{tmp_path}/x.db.scheduler.lock")
    assert leader_lock("sqlite://", 10).try_acquire()  # in memory: no other process can share it
    assert isinstance(leader_lock("postgresql://u@127.0.0.1/x", 10), PostgresLeaderLock)
