"""Engine and sessions.

One engine per process, configured once from Settings. SQLite (the embedded default) gets WAL,
a long busy timeout and BEGIN IMMEDIATE, so concurrent writers (gunicorn workers plus the
worker) queue instead of failing; PostgreSQL is used as is.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.clean import storable
from storage import files, scoping  # noqa: F401  (scoping registers the ward hooks)

_engine: Engine | None = None
_Session: sessionmaker | None = None
_url: str | None = None


def _sqlite_pragmas(engine: Engine, lock_path: str | None) -> None:
    """SQLite set-up: WAL, a long busy timeout, BEGIN IMMEDIATE, and a kernel lock.

    Writers take an flock on `<db>.lock` before BEGIN IMMEDIATE and drop it as the transaction
    ends. SQLite's own busy handler waits by sleeping in growing steps (1, 2, 5 ... 100 ms), so
    two processes writing at once (gunicorn workers, the worker) keep sleeping past each
    other's short transactions; the kernel lock hands over to the next writer at once."""
    fds: dict[int, int] = {}

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        if lock_path:
            # WAL mode has just created -wal and -shm: owner-only, like the database file.
            files.tighten_sqlite(lock_path[: -len(".lock")])
        if lock_path:
            fds[id(dbapi_conn)] = files.open_private(lock_path, os.O_RDWR | os.O_CREAT)

    @event.listens_for(engine, "close")
    def _on_close(dbapi_conn, _record):
        fd = fds.pop(id(dbapi_conn), None)
        if fd is not None:
            os.close(fd)

    def _fd(conn) -> int | None:
        return fds.get(id(conn.connection.dbapi_connection))

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        fd = _fd(conn)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        # Take the write lock at the start: a read-then-write transaction can otherwise fail
        # with "database is locked" instead of waiting its turn.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        # Fires just before the COMMIT/ROLLBACK itself: a writer let in that instant waits on
        # SQLite's lock for the length of a WAL commit, once.
        fd = _fd(conn)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)


_STRING_COLUMNS: dict[type, tuple[tuple[str, int | None], ...]] = {}


def _string_columns(cls) -> tuple[tuple[str, int | None], ...]:
    cols = _STRING_COLUMNS.get(cls)
    if cols is None:
        from sqlalchemy import inspect

        cols = tuple((attr.key, attr.columns[0].type.length)
                     for attr in inspect(cls).column_attrs
                     if isinstance(attr.columns[0].type, String))  # Text is a String too
        _STRING_COLUMNS[cls] = cols
    return cols


@event.listens_for(Session, "before_flush")
def _fit_strings(session, _context, _instances) -> None:
    """Every string the ORM writes fits its column the same way on SQLite and PostgreSQL:
    SQLite would store 300 characters in a String(32) and a NUL, PostgreSQL refuses both (the
    Google Form answer lost on one database and not the other). Too long: cut with "…"."""
    for obj in (*session.new, *session.dirty):
        for key, limit in _string_columns(type(obj)):
            value = obj.__dict__.get(key)
            if isinstance(value, str):
                fitted = storable(value, limit)
                if fitted is not value and fitted != value:
                    setattr(obj, key, fitted)


def make_engine(url: str) -> Engine:
    """hide_parameters: SQLAlchemy's error text otherwise repeats every bound value (phones,
    names, what residents wrote) into logs and `last_error`."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        files.prepare_sqlite(url)  # owner-only before SQLite creates anything
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)
        _sqlite_pragmas(engine, f"{path}.lock" if path and path != ":memory:" else None)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def configure(url: str) -> Engine:
    """(Re)bind the process-wide engine. Called once at start-up, and by tests."""
    global _engine, _Session, _url
    if _engine is not None and url == _url:
        return _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    _url = url
    _Session = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("storage.db.configure(url) has not been called")
    return _engine


def new_session() -> Session:
    if _Session is None:
        raise RuntimeError("storage.db.configure(url) has not been called")
    return _Session()


@contextmanager
def session_scope(ward_id: int | None = None) -> Iterator[Session]:
    """A unit of work for one ward (storage/scoping.py; the default ward unless told, or
    scoping.ALL_WARDS for the cross-ward queues): commit on success, roll back on any exception."""
    session = new_session()
    if ward_id is not None:
        session.info["ward_id"] = ward_id
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
