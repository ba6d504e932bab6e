"""Retention purge (RETENTION_DAYS_*) and the privacy notice's version as consent (issue 12)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from bot.runtime import jobs
from bot.runtime.scheduler import job_specs
from bot.wards import WardSettings
from handlers import texts
from storage import inbox, outbox, residents
from storage.db import session_scope
from storage.models import AuditLog, Conversation, InboundEvent, OutboundMessage, Resident, utcnow
from tests.support import follow_event

OLD = utcnow() - timedelta(days=100)
RECENT = utcnow() - timedelta(days=10)


def seed() -> dict:
    """Backdated rows: what the purge must empty, and what it must leave alone."""
    ids = {}
    with session_scope() as s:
        for key, status, at in (("old-done", "done", OLD), ("old-failed", "failed", OLD),
                                ("old-pending", "pending", OLD), ("new-done", "done", RECENT)):
            inbox.store_event(s, source="zalo", event_key=key, event_name="user_send_text",
                              user_key="1", payload='{"text": "0901234567"}', status=status)
            s.execute(InboundEvent.__table__.update().where(InboundEvent.event_key == key)
                      .values(received_at=at))
        for key, status, at in (("old-sent", "sent", OLD), ("old-pending", "pending", OLD),
                                ("new-sent", "sent", RECENT)):
            row = outbox.enqueue(s, "246845883529197922", {"text": "Dạ, mã PA-2026-0001"},
                                 dedupe_key=f"k:{key}")
            row.status, row.created_at = status, at
            ids[key] = row.id
        for uid, state, at in (("u1", "idle", OLD), ("u2", "intake_content", OLD), ("u3", "idle", RECENT)):
            r = residents.get_or_create(s, uid)
            conv = residents.conversation_for(s, r)
            conv.state, conv.updated_at = state, at
    return ids


def check_purged(ids: dict) -> None:
    with session_scope() as s:
        payloads = {e.event_key: e.payload for e in s.scalars(select(InboundEvent))}
        assert payloads == {"old-done": "", "old-failed": "", "old-pending": '{"text": "0901234567"}',
                            "new-done": '{"text": "0901234567"}'}
        out = {r.id: r for r in s.scalars(select(OutboundMessage))}
        assert out[ids["old-sent"]].message == {} and out[ids["old-sent"]].recipient_id == ""
        assert out[ids["old-sent"]].dedupe_key == "k:old-sent"  # the row stays: exactly-once
        assert out[ids["old-pending"]].message["text"].startswith("Dạ")
        assert out[ids["new-sent"]].message["text"].startswith("Dạ")
        states = sorted(c.state for c in s.scalars(select(Conversation)))
        assert states == ["idle", "intake_content"]  # only the old finished one went
        # A repeated delivery of a purged event is still recognised and not stored again.
        assert inbox.store_event(s, source="zalo", event_key="old-done", event_name="user_send_text",
                                 user_key="1", payload="{}") is False


def test_cli_purge_empties_old_payloads_keeps_rows_and_recent_data(clean_db, database_url, monkeypatch, capsys):
    from bot.cli.main import main

    ids = seed()
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["privacy", "purge"]) == 0
    assert "2 tin đến" in capsys.readouterr().out
    check_purged(ids)
    assert main(["privacy", "purge"]) == 0
    assert "0 tin đến" in capsys.readouterr().out  # nothing twice
    with session_scope() as s:
        audit = s.scalars(select(AuditLog)).all()
        assert [a.action for a in audit] == ["privacy_purge"]
        assert audit[0].details == {"inbound_payloads": 2, "outbox_payloads": 1, "conversations": 1}


def test_daily_job_purges_with_the_configured_days(settings, monkeypatch):
    ids = seed()
    spec = next(j for j in job_specs(settings) if j["id"] == "privacy_purge")
    assert spec["func"] == "bot.runtime.jobs:privacy_purge" and spec["trigger"] == "cron"
    monkeypatch.setattr(jobs, "RUNTIME", SimpleNamespace(
        settings=settings.with_overrides(retention_days_inbound_payload=200),
        ward_settings=WardSettings(settings)))
    jobs.privacy_purge()
    with session_scope() as s:  # 200 days: the 100-day-old bodies are still within retention
        assert s.scalar(select(InboundEvent).where(InboundEvent.event_key == "old-done")).payload != ""
    monkeypatch.setattr(jobs, "RUNTIME", SimpleNamespace(settings=settings, ward_settings=WardSettings(settings)))
    jobs.privacy_purge()
    check_purged(ids)


def notice_of(user_id: str):
    with session_scope() as s:
        r = s.scalar(select(Resident).where(Resident.zalo_user_id == user_id))
        return r.privacy_notice_version, r.privacy_notice_at


def test_notice_version_recorded_when_the_welcome_is_first_shown(bot):
    bot.deliver(follow_event(bot.user_id))
    version, at = notice_of(bot.user_id)
    assert version == texts.PRIVACY_NOTICE_VERSION and at is not None
    bot.say("xin chào")  # shown again: the first time is kept
    assert notice_of(bot.user_id) == (version, at)


def test_notice_recorded_on_a_first_greeting_and_shown_back_to_the_resident(bot):
    bot.say("chào phường")
    version, at = notice_of(bot.user_id)
    assert version == texts.PRIVACY_NOTICE_VERSION
    from tests.support import message_text
    from storage.tickets import to_local

    assert to_local(at).strftime("%d/%m/%Y") in message_text(bot.say("dữ liệu của tôi")[0])


def test_no_notice_recorded_when_none_was_shown(bot):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    assert notice_of(bot.user_id) == (None, None)


def test_large_purge_runs_in_short_batches_and_misses_nothing(clean_db, settings, monkeypatch):
    from bot.cli.privacy import purge_now
    from storage import privacy

    monkeypatch.setattr(privacy, "PURGE_BATCH", 7)
    with session_scope() as s:
        for i in range(30):
            inbox.store_event(s, source="zalo", event_key=f"e{i}", event_name="user_send_text",
                              user_key="1", payload="{}", status="done")
        s.execute(InboundEvent.__table__.update().values(received_at=OLD))
    calls = []
    real = privacy.purge
    monkeypatch.setattr(privacy, "purge", lambda *a, **k: calls.append(k["batch"]) or real(*a, **k))
    assert purge_now(settings, actor="test")["inbound_payloads"] == 30
    assert len(calls) == 5 and set(calls) == {7}  # 7+7+7+7+2
    with session_scope() as s:
        assert all(e.payload == "" for e in s.scalars(select(InboundEvent)))


def test_the_notice_tells_the_words_the_bot_understands():
    import re

    from handlers.privacy import request_of

    quoted = re.findall(r'"([^"]+)"', texts.welcome("phường").text)
    assert request_of(next(q for q in quoted if q.startswith("dữ liệu"))) == "view"
    assert request_of(next(q for q in quoted if q.startswith("xóa"))) == "erase"
    assert request_of("Đèn đường ngõ 12 tổ 5 bị hỏng, dữ liệu của tôi ở đâu mà cả tuần chưa ai sửa") is None
