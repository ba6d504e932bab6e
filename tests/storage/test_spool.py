"""The inbox spool (SQLite's default webhook inbox): an event acknowledged with 200 is in the
spool file; it reaches the database once, even if the web process is killed right after."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from storage import db, spool
from storage.spool import SpoolInbox, recover_orphans
from tests.conftest import count
from tests.support import ROOT



def row(key: str, user: str = "u1") -> dict:
    return {"source": "zalo", "event_key": key, "event_name": "user_send_text", "user_key": user,
            "payload": json.dumps({"message": {"text": "đèn hỏng \"ngõ 5\"\n=SUM(A1)"}}),
            "status": "pending"}


def stored_keys() -> list[str]:
    from sqlalchemy import select

    from storage.models import InboundEvent

    with db.session_scope() as s:
        return sorted(s.scalars(select(InboundEvent.event_key)))


def test_acknowledged_event_reaches_database_once(clean_db, tmp_path):
    stored = []
    inbox = SpoolInbox(tmp_path, db.get_engine, on_stored=lambda: stored.append(1), poll=3600)
    inbox.submit(row("k1"))
    inbox.submit(row("k1"))  # Zalo delivered it again
    inbox.submit(row("k2", user="u2"))
    assert inbox.backlog_bytes() > 0 and count("inbound_events") == 0
    assert inbox.flush() is True
    assert stored_keys() == ["k1", "k2"] and inbox.backlog_bytes() == 0 and stored
    from sqlalchemy import select

    from storage.models import InboundEvent

    with db.session_scope() as s:  # the raw payload survives the file byte for byte
        assert s.scalar(select(InboundEvent.payload).where(InboundEvent.event_key == "k1")) == row("k1")["payload"]
    inbox.close()
    assert list(tmp_path.glob("*.spool")) == []


CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})
from storage import db
from storage.spool import SpoolInbox
db.configure({url!r})
inbox = SpoolInbox({dir!r}, db.get_engine, poll=3600)   # never drains by itself
for i in range(50):
    inbox.submit({{"source": "zalo", "event_key": f"kill-{{i}}", "event_name": "user_send_text",
                   "user_key": "u", "payload": "{{}}", "status": "pending"}})
print("acked", flush=True)
time.sleep(60)
"""


def test_events_of_a_killed_web_process_are_recovered(clean_db, database_url, tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT), url=database_url,
                                                                   dir=str(tmp_path))],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "acked"  # 50 events answered 200
        # While its process lives, the file is that process's: nobody else drains it.
        assert recover_orphans(tmp_path, db.get_engine) == 0
        assert len(list(tmp_path.glob("*.spool"))) == 1
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert count("inbound_events") == 0
    assert recover_orphans(tmp_path, db.get_engine) == 50
    assert stored_keys() == sorted(f"kill-{i}" for i in range(50))
    assert list(tmp_path.glob("*.spool")) == []
    assert recover_orphans(tmp_path, db.get_engine) == 0  # nothing twice


def test_unreadable_and_unfinished_lines_are_skipped(clean_db, tmp_path):
    path = tmp_path / f"inbox-1-dead{spool.SUFFIX}"
    torn = spool.encode(row("torn"))[:-9] + b"\n"  # cut inside the payload, then ended
    path.write_bytes(spool.encode(row("a")) + b'{"event_key": "cut sh\n' + b"\xff\xfe\n" + torn
                     + spool.encode(row("b")) + spool.encode({**row("c"), "payload": "{\n}"})
                     + b'{"event_key": "never finished"')
    assert recover_orphans(tmp_path, db.get_engine) == 3
    assert stored_keys() == ["a", "b", "c"]


def test_database_outage_keeps_events_in_the_spool(clean_db, tmp_path):
    down = [True]

    def engine():
        if down[0]:
            raise ConnectionError("database down")
        return db.get_engine()

    inbox = SpoolInbox(tmp_path, engine, poll=3600)
    inbox.submit(row("x1"))
    assert inbox.flush() is False and inbox.backlog_bytes() > 0
    down[0] = False
    assert inbox.flush() is True
    assert stored_keys() == ["x1"]
    inbox.close()


def test_rotation_under_concurrent_appends_loses_nothing(clean_db, tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "ROTATE_BYTES", 4000)
    inbox = SpoolInbox(tmp_path, db.get_engine, poll=0.001)

    def send(t):
        for i in range(150):
            inbox.submit(row(f"t{t}-{i}", user=f"u{t}"))

    threads = [threading.Thread(target=send, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import time

    deadline = time.monotonic() + 20
    while count("inbound_events") < 900 and time.monotonic() < deadline:
        time.sleep(0.05)
    inbox.close()
    assert len(stored_keys()) == 900 and len(set(stored_keys())) == 900
    assert list(tmp_path.glob("*.spool")) == []  # every rotated file was drained and deleted


def test_webhook_answers_after_spooling_and_wakes_the_worker(settings, tmp_path):
    from bot.app import create_app
    from tests.support import signed, text_event

    woken = []
    app = create_app(settings.with_overrides(inbox_spool="on", inbox_spool_dir=str(tmp_path)),
                     wakeup=lambda: woken.append(1))
    inbox = app.extensions["hts_inbox"]
    assert isinstance(inbox, SpoolInbox)
    raw, headers = signed(text_event("246845883529197922", "đèn hỏng", msg_id="m-spool-1"))
    resp = app.test_client().post("/webhooks/zalo", data=raw, headers=headers)
    assert resp.status_code == 200
    assert app.test_client().get("/healthz").get_json()["spool_backlog_bytes"] > 0
    assert inbox.flush()
    import time

    deadline = time.monotonic() + 5  # the drainer thread may have moved it first
    while not woken and time.monotonic() < deadline:
        time.sleep(0.01)
    assert woken
    assert stored_keys() == ["zalo:msg:m-spool-1"]
    inbox.close()


def test_spool_setting():
    sqlite = Settings(database_url="sqlite:////srv/hts/instance/hts.db")
    assert sqlite.spool_directory == Path("/srv/hts/instance/spool")
    pg = Settings(database_url="postgresql://db/hts")
    assert pg.spool_directory is None
    assert pg.with_overrides(inbox_spool="on", inbox_spool_dir="/var/spool/hts").spool_directory == Path("/var/spool/hts")
    assert sqlite.with_overrides(inbox_spool="off").spool_directory is None
    assert Settings(database_url="sqlite:///:memory:").spool_directory is None
    with pytest.raises(SettingsError):
        sqlite.with_overrides(inbox_spool="sometimes").spool_directory


def test_a_write_cut_short_is_refused_and_spoils_nothing_after_it(clean_db, tmp_path, monkeypatch):
    from storage.inbox import InboxUnavailable

    inbox = SpoolInbox(tmp_path, db.get_engine, poll=3600)
    inbox.submit(row("before"))
    real_write = os.write
    calls = []

    def disk_full_once(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, data[: len(data) // 2])  # the disk filled up mid-record
        return real_write(fd, data)

    monkeypatch.setattr(spool.os, "write", disk_full_once)
    with pytest.raises(InboxUnavailable):
        inbox.submit(row("cut"))  # the webhook answers 503; Zalo delivers it again later
    monkeypatch.setattr(spool.os, "write", real_write)
    inbox.submit(row("after"))
    inbox.submit(row("cut"))  # the redelivery
    assert inbox.flush()
    assert stored_keys() == ["after", "before", "cut"]
    from sqlalchemy import select

    from storage.models import InboundEvent

    with db.session_scope() as s:
        assert s.scalar(select(InboundEvent.payload).where(InboundEvent.event_key == "cut")) == row("cut")["payload"]
    inbox.close()


def test_status_shows_what_waits_in_spool_files(clean_db, database_url, tmp_path, monkeypatch, capsys):
    from bot.cli import main as cli

    (tmp_path / f"inbox-7-dead{spool.SUFFIX}").write_bytes(spool.encode(row("waiting")))
    monkeypatch.setattr("bot.cli.settings.load_settings",
                        lambda: Settings(database_url=database_url, inbox_spool="on",
                                         inbox_spool_dir=str(tmp_path)))
    assert cli.main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spool"]["files"] == 1 and report["spool"]["bytes"] > 0


def test_database_failure_during_rotation_loses_nothing(clean_db, tmp_path):
    down = [False]

    def engine():
        if down[0]:
            raise ConnectionError("database down")
        return db.get_engine()

    inbox = SpoolInbox(tmp_path, engine, poll=3600)
    for i in range(3):
        inbox.submit(row(f"before-{i}"))
    down[0] = True
    with pytest.raises(ConnectionError):
        inbox._rotate()  # the old file could not be drained
    for i in range(3):
        inbox.submit(row(f"after-{i}"))  # these go to the new file
    down[0] = False
    assert inbox.flush()  # the new file, from its start
    assert recover_orphans(tmp_path, db.get_engine) == 3  # the old file, released by us
    assert stored_keys() == sorted([f"before-{i}" for i in range(3)] + [f"after-{i}" for i in range(3)])
    inbox.close()
    assert list(tmp_path.glob("*.spool")) == []
