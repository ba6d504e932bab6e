"""Each reply takes effect once: sends whose outcome is unknown are settled by Zalo's
oa_send_* echo, or sent again when no echo comes (bounded), never twice when one did."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.runtime.sender import zalo_message
from bot.zalo.client import PATH_CS_V3
from bot.zalo.messages import image_message, text_message
from storage import outbox
from storage.db import session_scope
from storage.messages import Picture, Reply
from storage.models import InboundEvent, OutboundMessage, utcnow
from tests.bot.runtime.conftest import drive

USERS = [f"5100000000000000{i:02d}" for i in range(3)]


def rows():
    with session_scope() as s:
        return list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def queue(recipient: str, text: str, message: dict | None = None) -> int:
    with session_scope() as s:
        return outbox.enqueue(s, recipient, message or Reply(text).payload()).id


def delivered(fake) -> Counter:
    return Counter((m.user_id, json.dumps(m.message, sort_keys=True)) for m in fake.state.messages())


def settled() -> bool:
    return all(r.status in ("sent", "failed") for r in rows())


def test_sends_that_hang_after_delivery_are_not_sent_twice(echo_runtime, fake_zalo):
    for u in USERS:
        fake_zalo.state.add_user(u)
        fake_zalo.state.fail(PATH_CS_V3, hang_seconds=3, after_delivery=True, recipient=u)
        queue(u, f"Dạ, mã phản ánh của bác là PA-2026-00{u[-1]}.")
    drive(echo_runtime, settled)
    assert [r.status for r in rows()] == ["sent"] * 3
    assert all(r.unknown_sends == 1 and r.zalo_message_id and r.reason == "confirmed_by_echo" for r in rows())
    counts = delivered(fake_zalo)
    assert len(counts) == 3 and set(counts.values()) == {1}   # today: 3 of 3 got it twice
    # the row holds the msg_id Zalo gave the message: the echo's, not a guess
    assert {r.zalo_message_id for r in rows()} == {m.message_id for m in fake_zalo.state.messages()}


def test_connection_dropped_after_delivery_is_settled_by_the_echo(echo_runtime, fake_zalo):
    u = USERS[0]
    fake_zalo.state.add_user(u)
    fake_zalo.state.fail(PATH_CS_V3, drop=True, after_delivery=True)
    queue(u, "Dạ, phường đã nhận ạ.")
    drive(echo_runtime, settled)
    [row] = rows()
    assert row.status == "sent" and row.unknown_sends == 1
    assert len(fake_zalo.state.messages()) == 1


def test_5xx_before_delivery_is_sent_again_after_the_window_and_arrives_once(echo_runtime, fake_zalo):
    u = USERS[0]
    fake_zalo.state.add_user(u)
    fake_zalo.state.fail(PATH_CS_V3, http_status=500)
    queue(u, "Dạ, phường đã nhận ạ.")
    echo_runtime.sender.send_due()
    [row] = rows()
    assert (row.status, row.reason) == ("unknown", "server_error")  # may have gone out: wait
    drive(echo_runtime, settled)
    [row] = rows()
    assert row.status == "sent" and row.attempts == 2
    assert len(fake_zalo.state.messages()) == 1


def test_image_echo_settles_an_image_send(echo_runtime, fake_zalo):
    u = USERS[1]
    fake_zalo.state.add_user(u)
    fake_zalo.state.fail(PATH_CS_V3, hang_seconds=3, after_delivery=True)
    queue(u, "", Picture("https://example.org/lich.png").payload())
    drive(echo_runtime, settled)
    [row] = rows()
    assert row.status == "sent" and len(fake_zalo.state.messages()) == 1


def test_rows_queued_as_zalo_json_by_an_earlier_version_are_sent_as_stored(echo_runtime, fake_zalo):
    """Databases already deployed may hold rows queued before payloads were neutral."""
    u = USERS[2]
    fake_zalo.state.add_user(u)
    fake_zalo.state.fail(PATH_CS_V3, hang_seconds=3, after_delivery=True, times=2)
    old = [text_message("Dạ, bác chọn giúp một mục ạ.", [("Phản ánh", "Phản ánh")]),
           image_message("https://example.org/lich.png", "Lịch tiếp dân")]
    for message in old:
        queue(u, "", message)
    drive(echo_runtime, settled)
    assert [(r.status, r.reason) for r in rows()] == [("sent", "confirmed_by_echo")] * 2
    assert [m.message for m in fake_zalo.state.messages(u)] == old


def test_a_neutral_reply_reaches_zalo_with_its_buttons():
    assert zalo_message(Reply("Dạ, bác chọn giúp ạ.", ("Phản ánh", "Hủy")).payload()) == text_message(
        "Dạ, bác chọn giúp ạ.", [("Phản ánh", "Phản ánh"), ("Hủy", "Hủy")])
    assert zalo_message(Picture("abc123", "Báo cáo").payload()) == image_message("abc123", "Báo cáo")


def test_no_echo_sends_again_bounded_then_dead_letter_and_status_warns(
        echo_runtime, fake_zalo, capsys, settings, monkeypatch):
    u = USERS[0]
    fake_zalo.state.add_user(u)
    fake_zalo.state.echoes = False                 # the OA did not subscribe to oa_send_*
    fake_zalo.state.fail(PATH_CS_V3, hang_seconds=3, after_delivery=True, times=10)
    queue(u, "Dạ, phường đã nhận ạ.")
    queue(u, "Tin thứ hai phải chờ tin trước.")
    drive(echo_runtime, lambda: rows()[0].status == "failed", timeout=30)
    first, second = rows()
    assert (first.status, first.reason, first.unknown_sends) == ("failed", "failed_unknown_outcome", 3)
    assert "no oa_send echo" in first.last_error
    assert len(fake_zalo.state.messages(u)) >= 3   # the duplicates the missing echoes cost
    assert second.first_attempt_at is None or second.first_attempt_at >= first.first_attempt_at
    # `status` tells the IT officer why
    from bot.cli import main as cli

    for key, value in {"DATABASE_URL": settings.database_url, "ZALO_APP_ID": settings.zalo_app_id}.items():
        monkeypatch.setenv(key, value)
    assert cli.main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "oa_send_text" in report["echo"]["warning"]


def test_status_has_no_warning_once_echoes_arrive(echo_runtime, fake_zalo):
    fake_zalo.state.add_user(USERS[0])
    queue(USERS[0], "Dạ, phường đã nhận ạ.")
    drive(echo_runtime, lambda: settled() and _echo_count() == 1)
    with session_scope() as s:
        health = outbox.echo_health(s)
    assert health["warning"] is None and health["last_echo_at"]


def _echo_count() -> int:
    with session_scope() as s:
        return len(list(s.scalars(select(InboundEvent.id).where(InboundEvent.event_name.like("oa_send%")))))


def test_echo_of_an_officer_typed_message_is_ignored(echo_runtime, fake_zalo, live_webhook):
    u = USERS[2]
    fake_zalo.state.add_user(u)
    fake_zalo.state.echoes = True
    fake_zalo.state.fail(PATH_CS_V3, http_status=502)   # not delivered; outcome unknown to us
    queue(u, "Dạ, phường đã nhận ạ.")
    echo_runtime.sender.echo_window = timedelta(seconds=60)
    echo_runtime.sender.send_due()
    # An officer types the very same words in the OA chat tool meanwhile.
    fake_zalo.state.officer_message(u, "Dạ, phường đã nhận ạ.")
    deadline = time.monotonic() + 10
    while _echo_count() < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _echo_count() == 1
    echo_runtime.sender.settle_unknown()
    [row] = rows()
    assert row.status == "unknown"   # the officer's echo (sender.admin_id) is not ours
    echo_runtime.sender.echo_window = timedelta(seconds=1)
    drive(echo_runtime, settled)
    assert rows()[0].status == "sent"
    assert len(fake_zalo.state.messages(u)) == 1
    with session_scope() as s:
        events = list(s.scalars(select(InboundEvent).where(InboundEvent.event_name.like("oa_send%"))))
    assert events and all(e.status == "ignored" for e in events)   # never resident input


def _store_echo(s, recipient: str, text: str, msg_id: str, at) -> None:
    body = {"app_id": "1", "event_name": "oa_send_text", "timestamp": "1",
            "sender": {"id": "388613280878808645"}, "recipient": {"id": recipient},
            "message": {"msg_id": msg_id, "text": text}}
    s.add(InboundEvent(source="zalo", event_key=f"zalo:msg:{msg_id}", event_name="oa_send_text",
                       user_key=recipient, payload=json.dumps(body, ensure_ascii=False),
                       status="ignored", received_at=at))


def test_an_echo_settles_one_row_only_and_never_a_later_identical_reply(session):
    u, text = USERS[0], "Dạ, bác chọn giúp một mục ạ."
    now = utcnow()
    earlier = outbox.enqueue(session, u, Reply(text).payload())
    earlier.status, earlier.zalo_message_id, earlier.first_attempt_at = "sent", "m-1", now
    later = outbox.enqueue(session, u, Reply(text).payload())
    later.status, later.first_attempt_at = "unknown", now
    later.unknown_since, later.unknown_sends = now, 1
    other = outbox.enqueue(session, USERS[1], Reply(text).payload())
    other.status, other.first_attempt_at, other.unknown_since, other.unknown_sends = "unknown", now, now, 1
    _store_echo(session, u, text, "m-1", now + timedelta(seconds=1))        # the earlier reply's echo
    _store_echo(session, USERS[1], "  Dạ, bác chọn giúp\nmột mục ạ. ", "m-2", now + timedelta(seconds=1))
    _store_echo(session, USERS[1], text, "m-3", now + timedelta(seconds=1))  # a second one: unused
    session.flush()
    done = outbox.settle_unknown(session, window=timedelta(seconds=60), max_sends=3,
                                 as_sent=zalo_message, now=now)
    assert (done.confirmed, done.resent, done.dead) == (1, 0, 0)
    assert later.status == "unknown"                        # m-1 belongs to the earlier reply
    assert (other.status, other.zalo_message_id) == ("sent", "m-2")
    # past the window with still no echo of its own: sent again
    done = outbox.settle_unknown(session, window=timedelta(seconds=60), max_sends=3,
                                 as_sent=zalo_message, now=now + timedelta(seconds=61))
    assert done.resent == 1 and later.status == "pending"


def test_echo_from_before_the_first_attempt_is_not_this_send(session):
    u, text = USERS[0], "Dạ, phường đã nhận ạ."
    now = utcnow()
    _store_echo(session, u, text, "old", now - timedelta(minutes=5))
    row = outbox.enqueue(session, u, Reply(text).payload())
    row.status, row.first_attempt_at, row.unknown_since, row.unknown_sends = "unknown", now, now, 1
    session.flush()
    assert outbox.settle_unknown(session, window=timedelta(seconds=60), max_sends=3,
                                 as_sent=zalo_message, now=now).confirmed == 0


def test_healthz_counts_sends_waiting_for_their_echo(client):
    """An IT officer's monitor sees sends of unknown outcome, not only `status`."""
    row_id = queue(USERS[0], "Dạ, phường đã nhận ạ.")
    with session_scope() as s:
        s.get(OutboundMessage, row_id).status = "unknown"
    assert client.get("/healthz").get_json()["outbox"]["unknown"] == 1
