"""The inbox spool: acknowledge a webhook once its event is in a local append-only file.

Why: on SQLite every webhook otherwise waits for a database commit, and all web processes take
turns on SQLite's single write lock; under load that wait, not the work, bounds throughput.
Here a request appends one line to its process's spool file (one `write()` on an O_APPEND
file descriptor, a few microseconds) and answers 200. A drainer thread in the same process moves
spooled events into `inbound_events` in large batches (INSERT ... ON CONFLICT DO NOTHING, so a
repeat is stored once) and then wakes the worker.

Durability is the same as SQLite's in WAL mode with synchronous=NORMAL, which the embedded
default runs: a killed process loses nothing (the kernel has the bytes), a power cut may lose
the last moments. Recovery: every process holds an flock on its own spool file; a file whose
lock can be taken belongs to a dead process, and the next web or worker process to scan the
directory (at start and every few seconds) drains it into the database and deletes it.
Draining twice is harmless: the event key is unique.

Used by default with SQLite (INBOX_SPOOL=auto). With PostgreSQL the commit itself is cheap
and durable, and web and worker may run on different machines, so the spool is off there.
"""
from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from storage.files import open_private, private_dir
from storage.inbox import InboxUnavailable, store_rows

log = logging.getLogger(__name__)

SUFFIX = ".spool"
ROTATE_BYTES = 8 * 1024 * 1024   # start a new file once this one is drained past this size
READ_CHUNK = 1024 * 1024
SCAN_SECONDS = 5.0               # how often orphans of dead processes are looked for


def _open_locked(directory: Path) -> tuple[int, Path]:
    """A new spool file, locked before it gets its visible name (so no scanner ever sees it
    unlocked and mistakes it for an orphan)."""
    private_dir(directory)  # raw webhook bodies: names, phones, messages
    stem = f"inbox-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    tmp = directory / f"{stem}.new"
    fd = open_private(tmp, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL)
    fcntl.flock(fd, fcntl.LOCK_EX)
    path = directory / f"{stem}{SUFFIX}"
    os.rename(tmp, path)
    return fd, path


def encode(row: dict) -> bytes:
    """One record, one line: the small fields as JSON, a tab, then the raw payload as it came
    (re-escaping a whole webhook body as a JSON string costs more than the write itself). A
    payload with a line break of its own goes inside the JSON instead."""
    payload = row["payload"]
    if "\n" in payload:
        return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\t\n"
    body = payload.encode("utf-8")
    meta = {k: v for k, v in row.items() if k != "payload"}
    meta["n"] = len(body)  # a record cut short is recognised, not stored truncated
    return json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\t" + body + b"\n"


def decode(line: bytes) -> dict | None:
    """The row of one record, or None if the line is not one (a write cut short)."""
    head, tab, rest = line.partition(b"\t")
    if not tab:
        return None
    try:
        row = json.loads(head)
        if isinstance(row, dict) and "payload" not in row:
            if row.pop("n", None) != len(rest):
                return None
            row["payload"] = rest.decode("utf-8")
    except ValueError:  # includes UnicodeDecodeError
        return None
    if not isinstance(row, dict) or not row.get("event_key") or not isinstance(row.get("payload"), str):
        return None
    return row


def parse_lines(data: bytes) -> tuple[list[dict], int, list[bytes]]:
    """Complete lines of `data` as rows. Returns (rows, bytes consumed, unreadable lines).

    A line that is not a record (a write cut short by a full disk, which the request answered
    with 503) is returned apart, for the dead letters; a trailing line without its newline is
    left for the next read."""
    rows: list[dict] = []
    bad: list[bytes] = []
    end = data.rfind(b"\n") + 1
    for line in data[:end].split(b"\n")[:-1]:
        row = decode(line)
        if row is not None:
            rows.append(row)
        elif line.strip():
            bad.append(line)
    return rows, end, bad


def drain_file(path: Path, engine_getter, start: int = 0) -> tuple[int, int]:
    """Insert every complete record of `path` from `start`. Returns (records, end offset).

    A record is as long as the webhook allowed (a 1 MiB body plus its header, more if its
    payload had to be escaped): the read grows until the record's line ends. A record the
    database refuses, or a line that is no record, becomes a dead letter and the records behind
    it flow on; only an outage raises (the file stays and is drained again later)."""
    from storage import deadletters

    total = 0
    offset = start
    chunk = READ_CHUNK
    with open(path, "rb") as fh:
        while True:
            fh.seek(offset)
            data = fh.read(chunk)
            if not data:
                break
            rows, used, bad = parse_lines(data)
            if used == 0:
                if len(data) < chunk:
                    break  # an unfinished last line
                chunk *= 2  # one long record: read on to its end
                continue
            chunk = READ_CHUNK
            engine = engine_getter()
            if bad:
                log.error("spool %s: %d bản ghi không đọc được, đã chuyển vào thư chết", path.name, len(bad))
                with engine.begin() as conn:
                    for line in bad:
                        deadletters.record(conn, source="spool", reason="unreadable spool record",
                                           payload=line)
            if rows:
                store_rows(engine, rows, source="spool")
                total += len(rows)
            offset += used
    return total, offset


def spool_files(directory: Path) -> list[tuple[Path, int]]:
    """The spool files in `directory` with their sizes (live processes' and orphans')."""
    out = []
    for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
        try:
            out.append((path, path.stat().st_size))
        except FileNotFoundError:
            pass
    return out


def oldest_orphan_seconds(directory: Path) -> float:
    """Age of the oldest spool file no live process holds (0 if none). Recovery runs every
    SCAN_SECONDS in every web and worker process, so an old orphan means nobody can drain it."""
    oldest = 0.0
    now = time.time()
    for path, _size in spool_files(directory):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's own file
            oldest = max(oldest, now - os.fstat(fd).st_mtime)
        finally:
            os.close(fd)  # also lets the shared lock go
    return oldest


def recover_orphans(directory: Path, engine_getter) -> int:
    """Drain and delete the spool files of dead processes. Returns the records moved."""
    moved = 0
    failed: Exception | None = None
    try:
        candidates = sorted(directory.glob(f"*{SUFFIX}"))
    except FileNotFoundError:
        return 0
    for path in candidates:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # another process took it first
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive and drains it itself
            if not path.exists():
                continue  # drained and deleted between our glob and our lock
            try:
                n, _ = drain_file(path, engine_getter)
            except Exception as exc:  # an outage: this file waits; the others are still tried
                failed = failed or exc
                continue
            path.unlink()
            moved += n
            if n:
                log.warning("spool: đã thu hồi %d sự kiện của một tiến trình đã dừng (%s)",
                            n, path.name)
        finally:
            os.close(fd)
    if failed is not None:
        raise failed
    return moved


class SpoolInbox:
    """Same interface as storage.inbox.InboxWriter: submit(row) returns once the event is safe.

    The request path takes no lock: one `write()` on a file descriptor whose number never
    changes for the life of the process (O_APPEND writes of one line do not interleave). Locks
    there cost more than the write itself with 16 request threads (bench-ingest: 2,800 vs 4,200
    req/s). Rotation swaps the file under that same number with dup2()."""

    def __init__(self, directory: str | Path, engine_getter, on_stored: Callable[[], None] | None = None,
                 poll: float = 0.005):
        self.directory = Path(directory)
        self._engine_getter = engine_getter
        self._on_stored = on_stored or (lambda: None)
        self._poll = poll   # the drainer looks for new records this often (the batch window)
        self._start_lock = threading.Lock()
        self._drain_lock = threading.Lock()  # drainer thread vs flush(); never taken by requests
        self._pid: int | None = None
        self._fd: int = -1
        self._path: Path | None = None
        self._offset = 0     # bytes of the current file already in the database
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing_since: float | None = None  # monotonic; the drainer's first failure in a row
        self._torn = False  # the last write was cut short and not ended with a newline

    # --- request side --------------------------------------------------------------------

    def _start(self) -> None:
        # Lazily and per process: neither the file's lock nor the thread survives a fork.
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._fd, self._path = _open_locked(self.directory)
            self._offset = 0
            self._closed = False
            self._thread = threading.Thread(target=self._run, name="inbox-spool", daemon=True)
            self._thread.start()
            self._pid = os.getpid()
            atexit.register(self.close)

    def submit(self, row: dict, timeout: float = 1.5) -> None:
        line = encode(row)
        if self._pid != os.getpid():
            self._start()
        if self._torn:
            # A torn record whose ending newline could not be written either (the disk was
            # full): start on a line of our own, or both records become one unreadable line.
            line = b"\n" + line
        try:
            written = os.write(self._fd, line)
        except OSError as exc:  # disk full, read-only: Zalo will deliver again
            raise InboxUnavailable(f"spool write failed: {exc}") from exc
        if written != len(line):
            # End the torn record here, so the next one starts on a line of its own.
            try:
                self._torn = os.write(self._fd, b"\n") != 1
            except OSError:
                self._torn = True
            raise InboxUnavailable("spool write cut short (disk full?)")
        self._torn = False

    def backlog_bytes(self) -> int:
        """Bytes this process has acknowledged but not yet moved to the database."""
        if self._pid != os.getpid():
            return 0
        return max(0, os.fstat(self._fd).st_size - self._offset)

    def stalled_seconds(self) -> float:
        """How long acknowledged events have been waiting while the drainer keeps failing
        (0 when it is keeping up): what /healthz calls "not draining"."""
        since = self._failing_since
        if since is None or self.backlog_bytes() == 0:
            return 0.0
        return time.monotonic() - since

    # --- drainer -------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self._poll
        next_scan = 0.0
        while not self._closed:
            time.sleep(backoff)
            if self._closed:
                return
            try:
                moved = self._drain()
                if self._offset >= ROTATE_BYTES:
                    with self._drain_lock:
                        moved += self._rotate()
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + SCAN_SECONDS
                    moved += recover_orphans(self.directory, self._engine_getter)
                backoff = self._poll
                self._failing_since = None
            except Exception as exc:  # the database is down: the events stay in the file
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                backoff = min(max(backoff * 2, 0.1), 5.0)
                log.error("spool: chưa chuyển được sự kiện vào CSDL (%s); thử lại sau %.1f giây",
                          type(exc).__name__, backoff)
                continue
            if moved:
                self._on_stored()

    def _drain(self) -> int:
        with self._drain_lock:
            if os.fstat(self._fd).st_size <= self._offset:
                return 0
            moved, self._offset = drain_file(self._path, self._engine_getter, self._offset)
            return moved

    def _rotate(self) -> int:
        """Point the spool's descriptor number at a new file (dup2 is atomic: each append lands
        wholly in the old file or the new one), drain the old file's tail, delete it. If the
        database fails meanwhile, the old file's lock is let go: it is an orphan then, and
        recover_orphans() moves it later."""
        old_path, old_offset = self._path, self._offset
        old_desc = os.dup(self._fd)            # keeps the old file and its lock
        new_fd, new_path = _open_locked(self.directory)
        os.dup2(new_fd, self._fd)
        os.close(new_fd)
        self._path, self._offset = new_path, 0
        time.sleep(0.2)  # a write() already inside the kernel on the old file finishes first
        try:
            moved, _ = drain_file(old_path, self._engine_getter, old_offset)
            old_path.unlink()
        finally:
            os.close(old_desc)
        return moved

    def close(self) -> None:
        """At process exit (gunicorn stopping a worker): move the rest to the database and
        delete the file. If the database is unreachable the file stays, locked until this
        process is gone, and the next process recovers it."""
        if self._pid != os.getpid() or self._closed:
            return
        self._closed = True
        with self._drain_lock:  # not in the middle of the drainer's drain or rotation
            try:
                drain_file(self._path, self._engine_getter, self._offset)
            except Exception as exc:
                log.error("spool: %s để lại cho lần khởi động sau (%s)", self._path.name, type(exc).__name__)
                return
            self._path.unlink(missing_ok=True)
            os.close(self._fd)
            self._pid = None

    def flush(self) -> bool:
        """Move everything this process acknowledged to the database now, in the caller's
        thread (tests; an operator's `status`). Returns False if the database refused."""
        if self._pid != os.getpid():
            return True
        try:
            if self._drain():
                self._on_stored()
        except Exception as exc:
            log.error("spool: ghi dồn lỗi (%s)", type(exc).__name__)
            return False
        return self.backlog_bytes() == 0
