"""The typhoon benchmark's stack, started fresh for every run: a throw-away database,
the fake Zalo in a process of its own (its sends and echoes must not share the load
generator's interpreter), the real web app under gunicorn, and N `python -m bot worker`
processes."""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

from bot.bench.ingest import GUNICORN, ROOT, free_port, stop, wait_port
from bot.bench.typhoon_plan import Ward, resident_id

WEB_WORKERS = 1  # the webhook is not what is measured; the cores go to the event workers


@dataclass
class Stack:
    database_url: str
    admin: tuple[str, str]
    web_port: int
    fake_url: str
    fake: multiprocessing.Process
    fake_conn: object
    web: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    analysis_done: threading.Event = field(default_factory=threading.Event)


def fresh_database(server_url: str) -> tuple[str, tuple[str, str]]:
    """A new empty database, migrated: on the PostgreSQL server `server_url` points at, or (a
    sqlite:// URL) a file in a new temporary directory."""
    from storage.migrate import upgrade

    if server_url.startswith("sqlite"):
        directory = tempfile.mkdtemp(prefix="hts-typhoon-")
        url = f"sqlite:///{directory}/typhoon.db"
        upgrade(url)
        return url, ("", directory)
    import psycopg

    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"hts_typhoon_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rpartition('/')[0]}/{name}"
    upgrade(url)
    return url, (admin, name)


def drop_database(admin: str, name: str) -> None:
    from storage import db

    db.get_engine().dispose()
    if not admin:  # SQLite: its temporary directory
        shutil.rmtree(name, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _serve_fake(conn, ward: Ward, residents: int, webhook: str, limit: int, latency_ms: int) -> None:
    """The fake Zalo's process: every resident and the duty officer known (they wrote to the OA
    this week), echoes posted to the service's webhook. Answers "messages" on `conn` with what
    was sent, and stops on "stop"."""
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    state = FakeZaloState(app_id=ward.app_id, app_secret=ward.app_secret, access_token="typhoon-access",
                          refresh_token="typhoon-refresh", latency_ms=latency_ms,
                          rate_limit_per_minute=limit)
    for n in range(residents):
        state.add_user(resident_id(ward.index, n))
    state.add_user(ward.officer)
    state.configure_webhook(webhook, ward.oa_secret, ward.oa_id)
    server = FakeZaloServer(state).start()
    conn.send(server.base_url)
    while True:
        request = conn.recv()
        if request == "stop":
            break
        conn.send(([(m.id, m.user_id, m.message_id, m.timestamp.timestamp()) for m in state.messages()],
                   state.stats()))
    server.stop()


def start(server_url: str, ward: Ward, residents: int, limit: int, latency_ms: int) -> Stack:
    database_url, admin = fresh_database(server_url)
    web_port = free_port()
    spawn = multiprocessing.get_context("spawn")  # nothing of this process's threads or sockets
    parent, child = spawn.Pipe()
    fake = spawn.Process(
        target=_serve_fake, args=(child, ward, residents,
                                  f"http://127.0.0.1:{web_port}/webhooks/zalo", limit, latency_ms),
        daemon=True)
    fake.start()
    stack = Stack(database_url, admin, web_port, parent.recv(), fake, parent)
    stack.web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(WEB_WORKERS), *GUNICORN,
                                  "-b", f"127.0.0.1:{web_port}", "bot.app:wsgi()"],
                                 cwd=ROOT, env=service_env(stack, ward, limit))
    wait_port(web_port)
    return stack


def service_env(stack: Stack, ward: Ward, limit: int, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "HTS_", "WORKER_", "OUTBOX_"))}
    env.update(DATABASE_URL=stack.database_url, ZALO_APP_ID=ward.app_id, ZALO_APP_SECRET=ward.app_secret,
               ZALO_OA_SECRET_KEY=ward.oa_secret, ZALO_OA_ID=ward.oa_id,
               ZALO_ACCESS_TOKEN="typhoon-access", ZALO_REFRESH_TOKEN="typhoon-refresh",
               ZALO_API_BASE=stack.fake_url, ZALO_OAUTH_BASE=stack.fake_url,
               ZALO_RATE_LIMIT_PER_MINUTE=str(limit), OFFICER_ZALO_IDS=ward.officer,
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), **extra)
    return env


def keep_statistics(stack: Stack, every: float = 10.0) -> None:
    """A PostgreSQL server with autovacuum off (this machine's test server) never refreshes its
    planner statistics, and plans made for an empty table then read every row of a full one.
    Production runs autovacuum, which analyzes a table as it grows: the bench does the same."""
    from sqlalchemy import text

    from storage import db

    with db.session_scope() as session:
        if not stack.database_url.startswith("postgres") or session.scalar(text("SHOW autovacuum")) == "on":
            return

    def run() -> None:
        while not stack.analysis_done.wait(every):
            with db.get_engine().connect() as conn:
                conn.exec_driver_sql("ANALYZE inbound_events, outbound_messages, residents, conversations")
                conn.commit()

    threading.Thread(target=run, name="analyze", daemon=True).start()


def seed_officer(ward: Ward) -> None:
    """The duty officer wrote to the OA this week, as the service asks (Zalo's reply window)."""
    from storage import db, residents
    from storage.models import utcnow

    with db.session_scope() as session:
        residents.touch_interaction(residents.get_or_create(session, ward.officer), utcnow())


def start_workers(stack: Stack, ward: Ward, limit: int, workers: int, batch: int,
                  threads: int | None) -> None:
    extra = {"WORKER_BATCH": str(batch)}
    if threads:
        extra["WORKER_THREADS"] = str(threads)
    env = service_env(stack, ward, limit, **extra)
    for _ in range(workers):
        stack.workers.append(subprocess.Popen([sys.executable, "-m", "bot", "worker", "--no-scheduler"],
                                              cwd=ROOT, env=env))


def sent_messages(stack: Stack) -> tuple[list[tuple], dict]:
    """(fake id, user id, message id, unix time) of every message the fake took, and its counters."""
    stack.fake_conn.send("messages")
    return stack.fake_conn.recv()


def shut_down(stack: Stack) -> None:
    stack.analysis_done.set()
    for proc in stack.workers:
        proc.send_signal(signal.SIGTERM)
    for proc in stack.workers:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    if stack.web is not None:
        stop(stack.web)
    stack.fake_conn.send("stop")
    stack.fake.join(10)
    time.sleep(0.2)
    drop_database(*stack.admin)
