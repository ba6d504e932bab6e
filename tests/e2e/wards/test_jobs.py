"""The scheduler's jobs serve every ward (bot/runtime/jobs.py): each ward's report, reminder
and announcements go to its own officers and residents through its own OA, with its own
figures; each ward's token pair rotates on its own; a ward that fails is logged with its code
and the others' jobs go on."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.runtime import jobs
from handlers import announcements as ann_mod
from handlers import reports
from storage import deadletters, inbox, tickets
from storage.db import session_scope
from storage.models import (Announcement, AuditLog, Flag, InboundEvent, OAToken, Resident,
                            ResidentialGroup, utcnow)
from storage.scoping import ALL_WARDS, ward_of
from tests.e2e.wards.conftest import B_ACCESS, B_REFRESH


@pytest.fixture()
def city(city, monkeypatch):
    monkeypatch.setattr(jobs, "RUNTIME", city.runtime)
    return city


def _file(ward_id: int, *texts: str, due_days: int | None = None) -> list[str]:
    with session_scope(ward_id) as s:
        made = [tickets.create_ticket(s, kind="complaint", text=t, actor="test") for t in texts]
        if due_days is not None:
            for t in made:
                t.due_date = utcnow() + timedelta(days=due_days)
        return [t.code for t in made]


def _texts(oa, user: str) -> list[str]:
    return [m.message.get("text", "") for m in oa.messages(user)]


def test_each_wards_weekly_report_goes_to_its_officers_with_its_figures(city):
    a, b = city.a, city.b
    _file(a.id, "Đèn đường hỏng", "Cống tắc")
    _file(b.id, "Rác chưa thu gom")
    jobs.weekly_report()
    city.run_until_idle()
    [a_text] = [t for t in _texts(a.oa, a.officer) if "BÁO CÁO TUẦN" in t]
    [b_text] = [t for t in _texts(b.oa, b.officer) if "BÁO CÁO TUẦN" in t]
    assert "Tiếp nhận 2 phiếu" in a_text and "Tiếp nhận 1 phiếu" in b_text
    assert len(a.oa.uploads) == 1 and len(b.oa.uploads) == 1      # each chart on its own OA
    assert [len(a.oa.messages(a.officer)), len(b.oa.messages(b.officer))] == [2, 2]
    assert a.oa.messages(b.officer) == [] and b.oa.messages(a.officer) == []
    jobs.weekly_report()                                          # once a week, per ward
    city.run_until_idle()
    assert [len(a.oa.messages(a.officer)), len(b.oa.messages(b.officer))] == [2, 2]


def test_a_failing_ward_is_logged_and_the_others_get_their_report(city, monkeypatch, caplog):
    a, b = city.a, city.b
    real = reports.weekly

    def broken_for_a(session, end_day=None):
        if ward_of(session) == a.id:
            raise RuntimeError("sổ của phường A hỏng")
        return real(session, end_day)

    monkeypatch.setattr(reports, "weekly", broken_for_a)
    with caplog.at_level(logging.ERROR, logger="bot.runtime.jobs"):
        jobs.weekly_report()
    city.run_until_idle()
    assert any("BÁO CÁO TUẦN" in t for t in _texts(b.oa, b.officer))
    assert a.oa.messages(a.officer) == []
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("báo cáo tuần: phường default lỗi: RuntimeError") and "vẫn chạy" in line
    monkeypatch.setattr(reports, "weekly", real)
    jobs.weekly_report()                       # the next run sends A's; B's is not sent twice
    city.run_until_idle()
    assert any("BÁO CÁO TUẦN" in t for t in _texts(a.oa, a.officer))
    assert len(b.oa.messages(b.officer)) == 2
    with session_scope(ALL_WARDS) as s:
        marks = s.scalars(select(Flag.ward_id).where(Flag.name.like("weekly_report:%"))).all()
    assert sorted(marks) == sorted([a.id, b.id])


def test_the_daily_reminder_names_each_wards_own_tickets(city):
    a, b = city.a, city.b
    a_codes = _file(a.id, "Đèn đường hỏng", "Cống tắc", due_days=-2)
    b_codes = _file(b.id, "Rác chưa thu gom", due_days=-2)
    jobs.daily_reminder()
    city.run_until_idle()
    [a_text] = _texts(a.oa, a.officer)
    [b_text] = _texts(b.oa, b.officer)
    assert all(c in a_text for c in a_codes) and b_codes == a_codes[:1]
    assert a_codes[1] not in b_text and b_codes[0] in b_text


def _tổ_and_announcement(ward_id: int, resident: str) -> None:
    now = utcnow()
    with session_scope(ward_id) as s:
        s.add(ResidentialGroup(code="5", name="Tổ dân phố 5", member_count=40))
        s.add(Resident(zalo_user_id=resident, group_code="5", is_follower=True, last_interaction_at=now))
        s.add(Announcement(title="Tiêm chủng", content=f"Thông báo của phường #{ward_id}.",
                           targets=["5"], next_run_at=now - timedelta(minutes=1), status="scheduled"))


def test_announcements_due_in_every_ward_go_to_each_wards_residents(city, monkeypatch):
    a, b = city.a, city.b
    monkeypatch.setattr(ann_mod, "not_before", lambda now: now)   # whatever the hour the test runs
    _tổ_and_announcement(a.id, "700000000000000001")
    _tổ_and_announcement(b.id, "700000000000000002")
    a.oa.add_user("700000000000000001")
    b.oa.add_user("700000000000000002")
    jobs.announcements()
    city.run_until_idle()
    a_texts, b_texts = _texts(a.oa, "700000000000000001"), _texts(b.oa, "700000000000000002")
    assert a_texts and all(f"phường #{a.id}." in t for t in a_texts)
    assert b_texts and all(f"phường #{b.id}." in t for t in b_texts)
    assert a.oa.messages("700000000000000002") == [] and b.oa.messages("700000000000000001") == []


def test_an_announcement_that_fails_in_one_ward_leaves_the_others_planned(city, monkeypatch, caplog):
    a, b = city.a, city.b
    monkeypatch.setattr(ann_mod, "not_before", lambda now: now)
    _tổ_and_announcement(a.id, "700000000000000001")
    _tổ_and_announcement(b.id, "700000000000000002")
    b.oa.add_user("700000000000000002")
    real = ann_mod.plan_run

    def broken_for_b(session, ann, run_at, now=None):
        if ann.ward_id == b.id:
            raise ValueError("dữ liệu hỏng")
        return real(session, ann, run_at, now)

    monkeypatch.setattr(ann_mod, "plan_run", broken_for_b)
    with caplog.at_level(logging.ERROR, logger="bot.runtime.jobs"):
        jobs.announcements()
    assert [r.getMessage().split(" lỗi")[0] for r in caplog.records] == ["gửi thông báo: phường an-hai"]
    with session_scope(ALL_WARDS) as s:
        status = {x.ward_id: x.status for x in s.scalars(select(Announcement))}
    assert status == {a.id: "done", b.id: "scheduled"}           # B's stays due, tried again
    monkeypatch.setattr(ann_mod, "plan_run", real)
    jobs.announcements()
    city.run_until_idle()
    assert any(f"#{b.id}" in t for t in _texts(b.oa, "700000000000000002"))


def _stored_pair(ward_id: int) -> tuple[str, str, int]:
    from bot.at_rest import token_cipher

    cipher = token_cipher(jobs.RUNTIME.settings)
    with session_scope(ward_id) as s:
        row = s.scalar(select(OAToken))
        return cipher.decrypt(row.access_token), cipher.decrypt(row.refresh_token), row.rotations


def test_a_token_refresh_in_one_ward_leaves_the_others_pair_untouched(city):
    a, b = city.a, city.b
    city.runtime.client.tokens.current()     # the default ward's pair, seeded from .env
    for ward, hours in ((a, 20), (b, 1)):    # B's expires within the 3 hours the job looks ahead
        with session_scope(ward.id) as s:
            s.execute(update(OAToken).values(expires_at=utcnow() + timedelta(hours=hours)))
    a_before = _stored_pair(a.id)
    jobs.token_refresh()
    access, refresh, rotations = _stored_pair(b.id)
    assert (access, refresh) == (b.oa.access_token, b.oa.refresh_token) != (B_ACCESS, B_REFRESH)
    assert rotations == 1 and b.oa.counters["token_refreshes"] == 1
    assert _stored_pair(a.id) == a_before and a.oa.counters["token_refreshes"] == 0
    jobs.token_refresh()                                          # fresh now: nothing to do
    assert b.oa.counters["token_refreshes"] == 1
    # Both still send with their own pair.
    assert city.say(a, "xin chào") and city.say(b, "xin chào")


def test_dead_letters_are_told_to_the_deployments_duty_officers_only(city):
    a, b = city.a, city.b
    with session_scope() as s:
        deadletters.record(s, source="worker", reason="ValueError: hỏng", event_key="zalo:msg:x")
    jobs.dead_letter_alert()
    city.run_until_idle()
    [alert] = _texts(a.oa, a.officer)
    assert "1" in alert
    assert b.oa.messages(b.officer) == [] and b.oa.messages(a.officer) == []


def test_the_privacy_purge_empties_every_wards_old_payloads_each_in_its_audit_trail(city):
    a, b = city.a, city.b
    for ward in (a, b):
        with session_scope(ward.id) as s:
            inbox.store_event(s, source="zalo", event_key=f"old-{ward.code}", event_name="user_send_text",
                              user_key="1", payload='{"text": "0901234567"}', status="done")
            s.execute(InboundEvent.__table__.update().where(InboundEvent.ward_id == ward.id)
                      .values(received_at=utcnow() - timedelta(days=100)))
    jobs.privacy_purge()
    with session_scope(ALL_WARDS) as s:
        assert {e.ward_id: e.payload for e in s.scalars(select(InboundEvent))} == {a.id: "", b.id: ""}
        audits = s.scalars(select(AuditLog).where(AuditLog.action == "privacy_purge")).all()
        assert sorted((x.ward_id, x.details["inbound_payloads"]) for x in audits) == [(a.id, 1), (b.id, 1)]


def test_a_ward_without_a_zalo_app_is_skipped_by_the_token_refresh(city, caplog):
    from storage import wards

    with session_scope() as s:
        c_id = wards.add(s, "hoa-cuong", dict(name="Phường Hòa Cường"), cipher=None).id
    city.runtime.ward_settings.directory.reload()
    with caplog.at_level(logging.ERROR, logger="bot.runtime.jobs"):
        jobs.token_refresh()
        jobs.daily_reminder()
    assert caplog.records == []
    with session_scope(c_id) as s:
        assert s.scalar(select(OAToken)) is None   # no pair made up for it


def test_stalled_conversations_are_saved_in_each_ward_and_a_failing_one_waits(city, monkeypatch, caplog):
    from handlers import registry
    from storage.models import Conversation, Ticket

    a, b = city.a, city.b
    for ward in (a, b):
        city.say(ward, "Đèn đường ngõ 12 tổ 5 bị hỏng")      # a report left half-way
    with session_scope(ALL_WARDS) as s:
        s.execute(update(Conversation).values(updated_at=utcnow() - timedelta(hours=1)))
    real = registry.expire

    def broken_for_a(session, settings, conversation):
        if conversation.ward_id == a.id:
            raise RuntimeError("hỏng")
        return real(session, settings, conversation)

    monkeypatch.setattr(registry, "expire", broken_for_a)
    with caplog.at_level(logging.ERROR, logger="bot.runtime.worker"):
        jobs.conversation_timeouts()
    assert [r.getMessage().split(" lỗi")[0] for r in caplog.records] == [
        "lưu nháp hội thoại quá hạn: phường default"]
    with session_scope(ALL_WARDS) as s:
        drafts = {t.ward_id: t.status for t in s.scalars(select(Ticket))}
    assert drafts == {b.id: "draft"}                             # B saved, A still stalled
    monkeypatch.setattr(registry, "expire", real)
    assert jobs.RUNTIME.worker.expire_stalled_conversations() == 1
    with session_scope(ALL_WARDS) as s:
        assert {t.ward_id: t.status for t in s.scalars(select(Ticket))} == {a.id: "draft", b.id: "draft"}
