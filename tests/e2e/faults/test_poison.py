"""Poison never blocks: a record or event that cannot be handled becomes a dead letter with its
reason, everything behind it flows on, /healthz and `status` say so, officers are told."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from storage import db, spool
from storage.inbox import InboxWriter
from storage.models import InboundEvent, OutboundMessage, utcnow
from storage.spool import SpoolInbox, recover_orphans
from tests.conftest import count
from tests.support import APP_ID, OA_ID, OA_SECRET, post_event, signed, text_event
from webhooks.signature import zalo_header

USER = "246845883529197922"


def row(key: str, user: str = "u1", **extra) -> dict:
    return {"source": "zalo", "event_key": key, "event_name": "user_send_text", "user_key": user,
            "payload": json.dumps({"message": {"text": "đèn hỏng"}}), "status": "pending", **extra}


def stored_keys() -> list[str]:
    with db.session_scope() as s:
        return sorted(s.scalars(select(InboundEvent.event_key)))


def dead_letters() -> list:
    from storage.models import DeadLetter

    with db.session_scope() as s:
        return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def sized_text_event(total: int) -> tuple[bytes, dict]:
    """A signed user_send_text whose raw body is exactly `total` bytes."""
    body = text_event(USER, "")
    base = len(signed(body)[0])
    body["message"]["text"] = "a" * (total - base)
    raw, headers = signed(body)
    assert len(raw) == total
    return raw, headers


@pytest.fixture()
def spool_app(settings, tmp_path):
    from bot.app import create_app

    app = create_app(settings.with_overrides(inbox_spool="on", inbox_spool_dir=str(tmp_path)))
    yield app
    app.extensions["hts_inbox"].close()


def test_a_record_as_long_as_the_webhook_accepts_is_drained(spool_app):
    """The 1,048,500-byte signed text: under the 1 MiB limit, so answered 200; its spool record
    (header + body) is longer than one read, and used to stop the intake for good."""
    client = spool_app.test_client()
    raw, headers = sized_text_event(1_048_500)
    assert client.post("/webhooks/zalo", data=raw, headers=headers).status_code == 200
    after = text_event(USER, "sau tin dài")
    assert post_event(client, after).status_code == 200
    inbox = spool_app.extensions["hts_inbox"]
    assert inbox.flush() is True and inbox.backlog_bytes() == 0
    with db.session_scope() as s:
        payloads = {r.event_key: r.payload for r in s.scalars(select(InboundEvent))}
    assert len(payloads) == 2
    assert sorted(len(p.encode()) for p in payloads.values())[-1] == 1_048_500


def _orphan(path, records: list[bytes]) -> None:
    path.write_bytes(b"".join(records))


def test_refused_and_unreadable_records_are_dead_lettered_and_the_orphans_behind_flow_on(clean_db, tmp_path):
    # A record whose header says user_key "\ud800": every database driver refuses to encode it.
    bad_meta = b'{"source":"zalo","event_key":"bad","event_name":"user_send_text","user_key":"\\ud800",' \
               b'"status":"pending","n":2}\t{}\n'
    _orphan(tmp_path / f"inbox-1-a{spool.SUFFIX}",
            [spool.encode(row("a1")), bad_meta, b"\xff\xfe not a record\n", spool.encode(row("a2"))])
    _orphan(tmp_path / f"inbox-2-b{spool.SUFFIX}", [spool.encode(row("b1", user="u2"))])
    assert recover_orphans(tmp_path, db.get_engine) == 4  # read; one of them refused
    assert stored_keys() == ["a1", "a2", "b1"]
    letters = dead_letters()
    assert sorted(d.reason.split(":")[0] for d in letters) == ["UnicodeEncodeError", "unreadable spool record"]
    refused = next(d for d in letters if d.event_key == "bad")
    assert refused.source == "spool" and "\\ud800" in refused.payload
    assert list(tmp_path.glob("*.spool")) == []
    assert recover_orphans(tmp_path, db.get_engine) == 0 and len(dead_letters()) == 2


def test_an_outage_is_not_a_dead_letter(clean_db, tmp_path):
    def down():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    _orphan(tmp_path / f"inbox-1-a{spool.SUFFIX}", [spool.encode(row("a1"))])
    with pytest.raises(OperationalError):
        recover_orphans(tmp_path, down)
    assert dead_letters() == [] and len(list(tmp_path.glob("*.spool"))) == 1
    assert recover_orphans(tmp_path, db.get_engine) == 1 and stored_keys() == ["a1"]


def test_one_refused_row_does_not_fail_its_batch(clean_db):
    """120 legitimate events at the same moment as one the database refuses: all 120 stored,
    none answered 503, the bad one dead-lettered."""
    writer = InboxWriter(db.get_engine)
    errors, start = [], threading.Barrier(121)

    def submit(r):
        start.wait()
        try:
            writer.submit(r, timeout=30)
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append((r["event_key"], type(exc).__name__))

    rows = [row(f"ok-{i}", user=f"u{i}") for i in range(120)]
    bad = row("bad", payload='{"text": "cháy \ud800"}')
    threads = [threading.Thread(target=submit, args=(r,)) for r in [*rows[:60], bad, *rows[60:]]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert stored_keys() == sorted(r["event_key"] for r in rows)
    [letter] = dead_letters()
    assert letter.source == "inbox" and letter.event_key == "bad"


@pytest.mark.parametrize("bad_id", ["9" * 300, "2468458835\x0029197922"])
def test_a_bad_sender_id_never_fails_its_neighbours_on_the_webhook(settings, bad_id):
    """PostgreSQL's batch writer: a signed sender.id of 300 characters or with a NUL used to
    answer 503 forever and fail the events that shared its batch."""
    from bot.app import create_app

    client = create_app(settings.with_overrides(inbox_spool="off")).test_client()
    statuses, start = {}, threading.Barrier(121)

    def post(key, body):
        raw, headers = signed(body)
        start.wait()
        statuses[key] = client.post("/webhooks/zalo", data=raw, headers=headers).status_code

    bodies = {f"ok{i}": text_event(f"10000000000000{i:04d}", f"tin {i}") for i in range(120)}
    bodies["bad"] = text_event(bad_id, "tin lạ")
    threads = [threading.Thread(target=post, args=kv) for kv in bodies.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(statuses[k] == 200 for k in bodies if k != "bad")
    assert statuses["bad"] == 200  # stored cleaned (a 300-character id: kept, ignored), never 503
    with db.session_scope() as s:
        users = set(s.scalars(select(InboundEvent.user_key)))
    assert {b["sender"]["id"] for k, b in bodies.items() if k != "bad"} <= users
    assert len(users) == 121  # the NUL one under its cleaned id; the too-long one as None
    assert all(u is None or ("\x00" not in u and len(u) <= 64) for u in users)


def test_healthz_and_status_turn_unhealthy_when_the_spool_does_not_drain(settings, tmp_path, monkeypatch,
                                                                        capsys):
    from bot.cli import main as cli
    from bot.app import create_app

    cfg = settings.with_overrides(inbox_spool="on", inbox_spool_dir=str(tmp_path), intake_stall_seconds=1)
    app = create_app(cfg)
    client = app.test_client()
    real = spool.store_rows

    def refused(*_a, **_k):
        raise OperationalError("INSERT", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(spool, "store_rows", refused)
    assert post_event(client, text_event(USER, "một")).status_code == 200
    deadline = time.monotonic() + 10
    while app.extensions["hts_inbox"].stalled_seconds() <= 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    resp = client.get("/healthz")
    data = resp.get_json()
    assert resp.status_code == 503 and data["reason"] == "spool_not_draining"
    assert data["intake"]["spool"]["stalled_seconds"] >= 1

    monkeypatch.setattr(spool, "store_rows", real)
    deadline = time.monotonic() + 15
    while client.get("/healthz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    data = client.get("/healthz").get_json()
    assert data["ok"] is True and data["queue_depth"] == 1 and data["intake"]["dead_letters"]["total"] == 0
    app.extensions["hts_inbox"].close()

    # An orphan spool file nobody drains (no web or worker process running) is "not draining".
    orphan = tmp_path / f"inbox-9-old{spool.SUFFIX}"
    orphan.write_bytes(spool.encode(row("late")))
    import os

    os.utime(orphan, (time.time() - 10, time.time() - 10))
    monkeypatch.setattr("bot.cli.settings.load_settings", lambda: cfg)
    assert cli.main(["status", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reasons"] == ["spool_not_draining"] and report["spool"]["oldest_orphan_seconds"] >= 9


def test_failed_events_are_dead_letters_counted_and_officers_alerted_once_an_hour(bot, settings, monkeypatch,
                                                                                  capsys):
    from bot.cli import main as cli
    from bot.runtime.jobs import alert_dead_letters

    def broken(event, ctx):
        raise RuntimeError("handler bug")

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("broken", broken),))
    bot.say("Đèn đường hỏng")
    assert [(d.source, d.reason.split(" at ")[0]) for d in dead_letters()] == [
        ("worker", "RuntimeError: handler bug")]
    data = bot.client.get("/healthz").get_json()
    assert data["intake"]["dead_letters"] == {"total": 1, "worker": 1} and data["failed_events"] == 1

    now = utcnow()
    assert alert_dead_letters(settings, now) == 1
    bot.say("Lại hỏng")  # a second dead letter within the hour: no second alert yet
    assert alert_dead_letters(settings, now + timedelta(minutes=10)) == 0
    assert alert_dead_letters(settings, now + timedelta(minutes=61)) == 1
    with db.session_scope() as s:
        alerts = list(s.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose == "officer_alert")))
    assert [a.recipient_id for a in alerts] == list(settings.officer_zalo_ids) * 2
    text = alerts[0].message["text"]
    assert "python -m bot status" in text and "Đèn" not in text

    monkeypatch.setattr("bot.cli.settings.load_settings", lambda: settings)
    cli.main(["status", "--json"])
    assert json.loads(capsys.readouterr().out)["dead_letters"]["worker"] == 2
