"""The leader lock: exactly one process at a time runs the scheduler, across processes and
machines, and a lost holder is replaced within a minute.

PostgreSQL: a session-level advisory lock, `pg_try_advisory_lock(SCHEDULER_LOCK_KEY)`, taken on
a connection opened for this alone (never one from the engine's pool, which recycles, pre-pings
and hands its connections to other threads). The lock lives as long as that session and no
longer. Advisory locks belong to one database, so two deployments (or two test runs) sharing a
server never see each other's lock. The connection must reach PostgreSQL directly: a pooler in
transaction mode (pgbouncer) would hand the session to someone else.

How the lock is released, with P = SCHEDULER_LOCK_POLL_SECONDS (default 10 s), the interval at
which the holder confirms its connection and a standby tries to take the lock:
- the holder's process dies (kill -9, crash, OOM): its kernel closes the socket, the server
  ends the session at once; a standby takes the lock at its next try, within P (10 s);
- the holder's machine is lost (power cut, network cable): nothing closes the socket, so the
  session carries its own dead-man timers, set by the holder on connecting. The holder runs a
  query every P s; the server ends a session silent for 3P (`idle_session_timeout`, PostgreSQL
  14+) and, independently (older servers too), probes a silent client with TCP keepalives:
  first probe after P s, then every P s, dead after 2 unanswered: P + 2P = 3P. The lock is
  free at most 3P (30 s) after the holder's last query, and a standby has it P later: at most
  4P = 40 s after the loss, inside the 60 s promise (P may go up to 15: 4 × 15 = 60);
- the holder is cut off from the database but alive: its next query (at most P after the last
  good one) gets no answer, and `tcp_user_timeout` = P fails it P later, so it stops its
  scheduler 2P (20 s) after its last confirmation, a full P before the server can free the
  lock for someone else (3P): never two schedulers.

SQLite (one machine, no network): an flock on `<database>.scheduler.lock`. The kernel releases
it when the holding process dies, however it dies. The file names its holder (host, pid).
"""
from __future__ import annotations

import fcntl
import os
import socket
import threading
from pathlib import Path

# "HTSSCHED" as a big-endian 64-bit integer: one constant for every worker of a deployment.
SCHEDULER_LOCK_KEY = int.from_bytes(b"HTSSCHED", "big")
SILENCE_FACTOR = 3  # the server frees the lock of a holder silent for 3 polls


def holder_name() -> str:
    """Which process holds the lock, as an IT officer reads it (ASCII: PostgreSQL's
    application_name keeps nothing else). A host name and a pid, no personal data."""
    return f"hopthuso-lich {socket.gethostname()[:30]} pid {os.getpid()}"


class PostgresLeaderLock:
    """pg_try_advisory_lock on a dedicated connection. A standby keeps its connection too (it
    tries every P s, so the server's idle timer never ends it while it is alive)."""

    def __init__(self, url: str, poll_seconds: int, key: int = SCHEDULER_LOCK_KEY):
        from sqlalchemy.engine import make_url

        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.poll_seconds = poll_seconds
        self.key = key
        self._conn = None
        self._held = False
        self._mutex = threading.Lock()  # the leadership thread and the scheduler's gate share it

    def _connect(self):
        import psycopg

        p = self.poll_seconds
        conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=max(2, p),
                               application_name=holder_name(),
                               # our side: a dead path fails our query instead of hanging on it
                               keepalives=1, keepalives_idle=p, keepalives_interval=p,
                               keepalives_count=2, tcp_user_timeout=p * 1000)
        # the server's side: a silent client (lost machine) loses its session after 3P
        settings = {"tcp_keepalives_idle": str(p), "tcp_keepalives_interval": str(p),
                    "tcp_keepalives_count": "2"}
        if conn.info.server_version >= 140000:
            settings["idle_session_timeout"] = f"{SILENCE_FACTOR * p}s"
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))
        return conn

    def try_acquire(self) -> bool:
        """True when this process now holds the lock. Raises when the database is unreachable."""
        import psycopg

        with self._mutex:
            if self._held:
                return True
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self._connect()
                self._held = bool(self._conn.execute("SELECT pg_try_advisory_lock(%s)",
                                                     (self.key,)).fetchone()[0])
            except psycopg.Error:
                self._close()
                raise
            return self._held

    def confirm(self) -> bool:
        """Still the holder? One round trip on the lock's own session: while that session lives
        the lock is ours (only its end, or an unlock we never send, frees it)."""
        import psycopg

        with self._mutex:
            if not self._held:
                return False
            try:
                self._conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                self._close()
                return False

    def release(self) -> None:
        """Unlocks and ends the session: the lock is free for a standby at its next try."""
        with self._mutex:
            if self._held:
                try:  # at once; the session's end would free it too, a moment later
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
                except Exception:  # noqa: BLE001 - a broken session has freed it already
                    pass
            self._close()

    def _close(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken socket: closed either way
                pass

    def holder(self) -> str | None:
        """Who holds the lock now (any process may ask), or None."""
        import psycopg

        with psycopg.connect(self._dsn, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND l.classid::bigint = %s AND l.objid::bigint = %s",
                (self.key >> 32, self.key & 0xFFFFFFFF)).fetchone()
        return row[0] if row else None


class FileLeaderLock:
    """flock on a file beside the SQLite database: one machine, so no timers are needed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._fd: int | None = None
        self._mutex = threading.Lock()

    def try_acquire(self) -> bool:
        from storage import files

        with self._mutex:
            if self._fd is not None:
                return True
            fd = files.open_private(self.path, os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            os.ftruncate(fd, 0)
            os.pwrite(fd, holder_name().encode(), 0)
            self._fd = fd
            return True

    def confirm(self) -> bool:
        """Still the holder? The lock is on our open file; it only stops guarding anything if the
        file was deleted or replaced (another process would then lock the new one)."""
        with self._mutex:
            if self._fd is None:
                return False
            try:
                if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                    return True
            except FileNotFoundError:
                pass
            self._close()
            return False

    def release(self) -> None:
        with self._mutex:
            self._close()

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the flock

    def holder(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: the holder wrote its name before anyone could read
                return os.pread(fd, 200, 0).decode(errors="replace") or None
            return None  # we could lock it: nobody holds it (our shared lock ends with the close)
        finally:
            os.close(fd)


class SoloLock:
    """An in-memory SQLite database: no other process can share it, so this one leads."""

    def try_acquire(self) -> bool:
        return True

    def confirm(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def holder(self) -> str | None:
        return holder_name()


def leader_lock(url: str, poll_seconds: int):
    """The lock that fits the database behind `url`."""
    from storage.files import sqlite_path

    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return FileLeaderLock(f"{path}.scheduler.lock") if path is not None else SoloLock()
    return PostgresLeaderLock(url, poll_seconds)
