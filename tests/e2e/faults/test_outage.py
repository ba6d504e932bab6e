"""The database goes away, the disk fills up: nothing acknowledged that was not stored, nothing
lost when it comes back."""
from __future__ import annotations

import errno
import os

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from storage import db, spool
from storage.models import InboundEvent
from tests.conftest import count
from tests.support import post_event, signed, text_event

USER = "246845883529197922"


def _down():
    raise OperationalError("INSERT", {}, ConnectionRefusedError("connection refused"))


def stored_texts() -> set[str]:
    import json

    with db.session_scope() as s:
        return {json.loads(p)["message"]["text"] for p in s.scalars(select(InboundEvent.payload))}


def test_database_outage_with_the_spool_acknowledges_and_loses_nothing(settings, tmp_path):
    from bot.app import create_app

    app = create_app(settings.with_overrides(inbox_spool="on", inbox_spool_dir=str(tmp_path)))
    client, inbox = app.test_client(), app.extensions["hts_inbox"]
    inbox._engine_getter = _down  # the drainer's database is gone
    sent = {f"tin {i}" for i in range(20)}
    for text in sorted(sent):
        raw, headers = signed(text_event(USER, text))
        assert client.post("/webhooks/zalo", data=raw, headers=headers).status_code == 200
    assert inbox.flush() is False and count("inbound_events") == 0 and inbox.backlog_bytes() > 0
    inbox._engine_getter = db.get_engine  # it is back
    assert inbox.flush() is True
    assert stored_texts() == sent
    inbox.close()


def test_database_outage_without_the_spool_is_503_with_retry_after(settings):
    from bot.app import create_app

    app = create_app(settings.with_overrides(inbox_spool="off"))
    client, inbox = app.test_client(), app.extensions["hts_inbox"]
    inbox._engine_getter = _down
    body = text_event(USER, "đèn hỏng")
    raw, headers = signed(body)
    resp = client.post("/webhooks/zalo", data=raw, headers=headers)
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
    assert count("inbound_events") == 0
    inbox._engine_getter = db.get_engine
    assert client.post("/webhooks/zalo", data=raw, headers=headers).status_code == 200  # Zalo's retry
    assert stored_texts() == {"đèn hỏng"}


@pytest.mark.parametrize("short", [False, True])
def test_a_full_disk_is_503_and_nothing_unstored_is_acknowledged(settings, tmp_path, monkeypatch, short):
    """Failpoint: the spool's write() raises ENOSPC (or writes half the record, then ENOSPC)."""
    from bot.app import create_app

    app = create_app(settings.with_overrides(inbox_spool="on", inbox_spool_dir=str(tmp_path)))
    client, inbox = app.test_client(), app.extensions["hts_inbox"]
    assert post_event(client, text_event(USER, "trước")).status_code == 200
    real_write = os.write

    def disk_full(fd, data):
        if short and len(data) > 1:
            real_write(fd, data[: len(data) // 2])
            return len(data) // 2
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool.os, "write", disk_full)
    body = text_event(USER, "lúc đầy đĩa")
    raw, headers = signed(body)
    resp = client.post("/webhooks/zalo", data=raw, headers=headers)
    assert resp.status_code == 503 and "Retry-After" in resp.headers
    monkeypatch.setattr(spool.os, "write", real_write)
    assert client.post("/webhooks/zalo", data=raw, headers=headers).status_code == 200  # redelivered
    assert inbox.flush() is True
    assert stored_texts() == {"trước", "lúc đầy đĩa"}
    with db.session_scope() as s:
        assert s.scalar(select(InboundEvent.status).where(InboundEvent.payload == raw.decode())) == "pending"
    inbox.close()
