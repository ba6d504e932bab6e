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


def _serve_fake(conn, wards: list[Ward], residents: int, webhook: str, limit: int,
                latency_ms: int) -> None:
    """The fake Zalo's process, one OA per ward (the first ward's is the state itself), wards
    of one app sharing its rate limit: every resident and the duty officer known (they wrote
    to the OA this week), echoes posted to the service's webhook. Answers "messages" on `conn`
    with what every OA sent, and stops on "stop"."""
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    first = wards[0]
    state = FakeZaloState(app_id=first.app_id, app_secret=first.app_secret,
                          access_token=first.access_token, refresh_token=first.refresh_token,
                          latency_ms=latency_ms, rate_limit_per_minute=limit, oa_id=first.oa_id)
    for ward in wards:
        oa = state if ward is first else state.add_oa(
            ward.oa_id, app_id=ward.app_id, app_secret=ward.app_secret, access_token=ward.access_token,
            refresh_token=ward.refresh_token, rate_limit_per_minute=limit, latency_ms=latency_ms)
        for n in range(residents):
            oa.add_user(resident_id(ward.index, n))
        oa.add_user(ward.officer)
        oa.configure_webhook(webhook, ward.oa_secret, ward.oa_id)
    server = FakeZaloServer(state).start()
    conn.send(server.base_url)
    while True:
        request = conn.recv()
        if request == "stop":
            break
        sent = sorted((m for oa in state.oas for m in oa.messages()), key=lambda m: m.id)
        rate_limited = sum(o.get("rate_limited", 0) for o in state.stats(all_oas=True)["oas"])
        conn.send(([(m.id, m.user_id, m.message_id, m.timestamp.timestamp()) for m in sent],
                   {"rate_limited": rate_limited}))
    server.stop()


def start(server_url: str, wards: list[Ward], residents: int, limit: int, latency_ms: int) -> Stack:
    """The stack for `wards` (`residents` each): the wards after the first (the `default` ward,
    from the environment) are added with `wards import`, as an IT officer would."""
    database_url, admin = fresh_database(server_url)
    web_port = free_port()
    spawn = multiprocessing.get_context("spawn")  # nothing of this process's threads or sockets
    parent, child = spawn.Pipe()
    fake = spawn.Process(
        target=_serve_fake, args=(child, wards, residents,
                                  f"http://127.0.0.1:{web_port}/webhooks/zalo", limit, latency_ms),
        daemon=True)
    fake.start()
    stack = Stack(database_url, admin, web_port, parent.recv(), fake, parent)
    import_wards(stack, wards, limit)
    stack.web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(WEB_WORKERS), *GUNICORN,
                                  "-b", f"127.0.0.1:{web_port}", "bot.app:wsgi()"],
                                 cwd=ROOT, env=service_env(stack, wards[0], limit))
    wait_port(web_port)
    return stack


def import_wards(stack: Stack, wards: list[Ward], limit: int) -> None:
    """`python -m bot wards import` of every ward but the first, each its own OA and token pair."""
    if len(wards) < 2:
        return
    entries = [
        f'[[ward]]\ncode = "{w.code}"\nname = "Phường {w.index}"\nzalo_app_id = "{w.app_id}"\n'
        f'zalo_app_secret = "{w.app_secret}"\nzalo_oa_id = "{w.oa_id}"\n'
        f'zalo_oa_secret_key = "{w.oa_secret}"\nzalo_access_token = "{w.access_token}"\n'
        f'zalo_refresh_token = "{w.refresh_token}"\nofficers = "{w.officer}"\n' for w in wards[1:]]
    with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8") as f:
        f.write("\n".join(entries))
        f.flush()
        subprocess.run([sys.executable, "-m", "bot", "wards", "import", f.name], cwd=ROOT, check=True,
                       env=service_env(stack, wards[0], limit), stdout=subprocess.DEVNULL)


def service_env(stack: Stack, ward: Ward, limit: int, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "HTS_", "WORKER_", "OUTBOX_"))}
    env.update(DATABASE_URL=stack.database_url, ZALO_APP_ID=ward.app_id, ZALO_APP_SECRET=ward.app_secret,
               ZALO_OA_SECRET_KEY=ward.oa_secret, ZALO_OA_ID=ward.oa_id,
               ZALO_ACCESS_TOKEN=ward.access_token, ZALO_REFRESH_TOKEN=ward.refresh_token,
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


def seed_officers(wards: list[Ward]) -> None:
    """Each ward's duty officer wrote to the ward's OA this week, as the service asks (Zalo's
    reply window)."""
    from storage import db, residents
    from storage.models import utcnow
    from storage.scoping import ALL_WARDS
    from storage.wards import by_code

    with db.session_scope(ALL_WARDS) as session:
        ids = {w.code: by_code(session, w.code).id for w in wards}
    for ward in wards:
        with db.session_scope(ids[ward.code]) as session:
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


def rss_mib(pid: int) -> float | None:
    """The process's resident memory (VmRSS), MiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def memory(stack: Stack) -> dict[str, list[float | None]]:
    """Resident memory of each service process: gunicorn's master and its web workers, the
    event workers."""
    web = [stack.web.pid, *_children(stack.web.pid)] if stack.web is not None else []
    return {"web": [rss_mib(pid) for pid in web],
            "workers": [rss_mib(proc.pid) for proc in stack.workers]}


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
