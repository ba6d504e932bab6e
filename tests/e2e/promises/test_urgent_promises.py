"""Urgent reports: the resident is told only what happened (issue 11 point 4, issue 12 point 2).

An officer alert is queued in a transaction of its own before the rest of the event's
processing, so a later failure cannot take it back; with nobody to alert, the reply gives the
emergency numbers instead of saying officers were told, and production says so loudly."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.runtime import failpoints
from storage.db import session_scope
from storage.models import InboundEvent, Officer, OutboundMessage, Ticket
from tests.support import message_text

# Production refuses to start without a key for the Zalo tokens at rest (issue 12).
TEST_TOKEN_KEY = "Yk0V0wq6r1J0mN8cQ1o2xW3vT4uS5rR6qP7oN8mL9kI="
REPRO = "day dien dut roi xuong duong truoc ngo 8 dang toe lua"
OFFICER = "900000000000000001"
PRODUCTION_ENV = {
    "APP_ENV": "production", "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET_KEY": "k",
    "ZALO_OA_ID": "2", "ZALO_ACCESS_TOKEN": "a", "ZALO_REFRESH_TOKEN": "r",
    "TOKEN_ENCRYPTION_KEY": TEST_TOKEN_KEY,
}


@pytest.fixture()
def settings(settings, request):
    """The suite's settings, with the duty officers (and the environment) the test names."""
    marker = request.node.get_closest_marker("officers")
    ids = tuple(marker.args) if marker else ()
    env = "production" if request.node.get_closest_marker("production") else settings.app_env
    key = TEST_TOKEN_KEY if env == "production" else settings.token_encryption_key
    return settings.with_overrides(officer_zalo_ids=ids, app_env=env, token_encryption_key=key)


def said(messages) -> str:
    return "\n".join(message_text(m) for m in messages)


def alerts() -> list[OutboundMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert")
                              .order_by(OutboundMessage.id)))


def status_report(monkeypatch, capsys, database_url, production=True) -> dict:
    from bot.cli.main import main

    for name, value in (PRODUCTION_ENV if production else {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OFFICER_ZALO_IDS", "")
    capsys.readouterr()
    code = main(["status", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == (0 if report["ok"] else 1)  # exit code 1 whenever status names a problem
    return report


@pytest.mark.production
def test_no_officer_no_promise_emergency_numbers_and_status_and_healthz_say_so(
        bot, client, caplog, monkeypatch, capsys, database_url):
    with caplog.at_level(logging.ERROR):
        reply = said(bot.say(REPRO))
    assert "đã báo" not in reply and "cán bộ trực" not in reply
    assert "114" in reply and "113" in reply and "115" in reply
    assert "giờ làm việc" in reply
    [ticket] = _tickets()
    assert ticket.urgent and ticket.code in reply
    assert alerts() == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and ticket.code in errors[0].getMessage()
    assert "ngo 8" not in caplog.text and "toe lua" not in caplog.text  # no resident's words
    health = client.get("/healthz")
    body = health.get_json()
    assert body["ok"] is False
    assert body["urgent_not_alerted"] == 1
    assert "urgent_not_alerted" in [p["code"] for p in body["problems"]]
    assert status_report(monkeypatch, capsys, database_url)["urgent_not_alerted"] == 1


def test_officer_handling_the_ticket_clears_the_problem(bot, client):
    bot.say(REPRO)
    assert client.get("/healthz").get_json()["urgent_not_alerted"] == 1
    with session_scope() as s:
        s.scalar(select(Ticket)).status = "in_progress"
    assert client.get("/healthz").get_json()["urgent_not_alerted"] == 0


def test_healthz_is_ok_without_problems(bot, client):
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["problems"] == [] and body["urgent_not_alerted"] == 0


@pytest.mark.officers(OFFICER)
def test_one_officer_gets_the_alert_and_the_reply_says_so(bot, client, monkeypatch, capsys, database_url):
    reply = said(bot.say(REPRO))
    [ticket] = _tickets()
    [alert] = alerts()
    assert alert.recipient_id == OFFICER and alert.ticket_id == ticket.id
    assert ticket.code in alert.message["text"] and "[KHẨN]" in alert.message["text"]
    assert "đã báo ngay cán bộ trực" in reply and ticket.code in reply and "114" in reply
    assert client.get("/healthz").get_json()["urgent_not_alerted"] == 0
    assert status_report(monkeypatch, capsys, database_url, production=False)["urgent_not_alerted"] == 0


def test_officers_tab_entries_are_duty_officers_when_the_env_names_none(bot):
    with session_scope() as s:
        s.add(Officer(name="Nguyễn Văn Trực", zalo_user_id="900000000000000077"))
        s.add(Officer(name="Chưa có Zalo", zalo_user_id=None))
    reply = said(bot.say(REPRO))
    assert [a.recipient_id for a in alerts()] == ["900000000000000077"]
    assert "đã báo ngay cán bộ trực" in reply


@pytest.mark.officers(OFFICER)
def test_alert_survives_the_rest_of_the_event_failing(bot, monkeypatch, fake_zalo):
    fake_zalo.state.add_user(OFFICER)
    # Everything after the alert's own commit fails, on every attempt.
    monkeypatch.setattr(failpoints, "_POINTS", {"worker.after_urgent_alert": failpoints.RAISE})
    reply = said(bot.say(REPRO))
    with session_scope() as s:
        [event] = s.scalars(select(InboundEvent)).all()
        assert event.status == "failed"
    assert _tickets() == []
    [alert] = alerts()  # once, not once per attempt
    assert alert.recipient_id == OFFICER and alert.status == "sent"
    [delivered] = fake_zalo.state.messages(OFFICER)
    assert "[KHẨN]" in message_text(delivered.message) and "ngo 8" in message_text(delivered.message)
    # True: officers were told; no ticket code is promised since none was made.
    assert "đã báo ngay cán bộ trực" in reply and "114" in reply
    assert "PA-" not in reply


def test_rest_failing_with_nobody_to_alert_gives_only_emergency_numbers(bot, monkeypatch):
    monkeypatch.setattr(failpoints, "_POINTS", {"worker.after_urgent_alert": failpoints.RAISE})
    reply = said(bot.say(REPRO))
    assert _tickets() == [] and alerts() == []
    assert "114" in reply and "đã báo" not in reply and "Cán bộ đã được báo" not in reply


@pytest.mark.officers(OFFICER)
def test_urgent_location_follow_up_is_told_truthfully(bot):
    bot.say("Cháy nhà, khói rất nhiều, có người mắc kẹt")
    reply = said(bot.say("số 12 ngõ 8 tổ 3"))
    assert "báo cán bộ trực" in reply


def test_urgent_location_follow_up_without_officer_promises_nothing(bot):
    bot.say("Cháy nhà, khói rất nhiều, có người mắc kẹt")
    reply = said(bot.say("số 12 ngõ 8 tổ 3"))
    assert "bổ sung địa điểm" in reply and "báo cán bộ" not in reply


def test_start_up_warns_once_in_vietnamese_when_no_duty_officer(runtime, caplog):
    with caplog.at_level(logging.WARNING):
        runtime.start()
        runtime.stop()
    warnings = [r.getMessage() for r in caplog.records if "OFFICER_ZALO_IDS" in r.getMessage()]
    assert len(warnings) == 1 and "cán bộ trực" in warnings[0]


@pytest.mark.officers(OFFICER)
def test_start_up_warns_of_a_silent_officer_and_is_quiet_once_they_wrote(runtime, caplog):
    from storage import residents
    from storage.models import utcnow

    with caplog.at_level(logging.WARNING):
        runtime.start()
        runtime.stop()
    assert [r for r in caplog.records if "7 ngày" in r.getMessage()]
    caplog.clear()
    with session_scope() as s:
        residents.touch_interaction(residents.get_or_create(s, OFFICER), utcnow())
    with caplog.at_level(logging.WARNING):
        runtime._startup_checks()
    assert not [r for r in caplog.records if "cán bộ trực" in r.getMessage()]


def _tickets() -> list[Ticket]:
    with session_scope() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.mark.officers(OFFICER)
def test_kill_9_right_after_the_alert_commit_loses_nothing_and_alerts_once(
        client, settings, fake_zalo, monkeypatch):
    """The worker dies (os._exit, like SIGKILL) just after the alert's own commit; the next
    worker finds the alert queued, makes the one ticket and tells the resident the truth."""
    from tests.e2e.crashes.test_crash_and_order import start_worker, stop, wait_idle
    from tests.support import post_event, text_event

    monkeypatch.setenv("OFFICER_ZALO_IDS", OFFICER)  # the worker subprocesses' environment
    user = "246845883529197922"
    fake_zalo.state.touch_interaction(user)
    fake_zalo.state.add_user(OFFICER)
    assert post_event(client, text_event(user, REPRO)).status_code == 200
    proc = start_worker(settings, "worker.after_urgent_alert=1")
    try:
        assert proc.wait(120) == 137  # died at the failpoint, after committing the alert
        with session_scope() as s:
            assert s.scalar(select(InboundEvent.status)) == "pending"
        assert [a.ticket_id for a in alerts()] == [None]
        proc = start_worker(settings)
        wait_idle(120)
    finally:
        stop(proc)
    [ticket] = _tickets()
    officer_texts = [message_text(m.message) for m in fake_zalo.state.messages(OFFICER)]
    assert officer_texts and all("[KHẨN]" in t for t in officer_texts)
    # The alert with its words reached the officer (whole, with the code, if the first send
    # was cut by the kill), and the code too; at most the alert and a code message.
    assert any("ngo 8" in t for t in officer_texts) and ticket.code in officer_texts[-1]
    assert len(officer_texts) <= 2
    [reply] = [message_text(m.message) for m in fake_zalo.state.messages(user)]
    assert "đã báo ngay cán bộ trực" in reply and ticket.code in reply


@pytest.mark.production
@pytest.mark.officers(OFFICER)
def test_healthz_names_duty_officers_zalo_cannot_reach(client):
    from storage import residents
    from storage.models import utcnow

    body = client.get("/healthz").get_json()
    assert body["ok"] is False and body["duty_officers"] == 1 and body["duty_officers_reachable"] == 0
    assert [p["code"] for p in body["problems"]] == ["duty_officers_silent"]
    with session_scope() as s:  # the officer writes to the OA (any message)
        residents.touch_interaction(residents.get_or_create(s, OFFICER), utcnow())
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["duty_officers_reachable"] == 1 and body["problems"] == []


@pytest.mark.parametrize("now,expected", [
    ("2026-12-07 10:00", "hôm nay"),        # Monday, office open
    ("2026-12-07 06:15", "sáng nay"),       # Monday, before it opens
    ("2026-12-07 18:00", "sáng mai"),       # Monday evening
    ("2026-12-04 18:00", "thứ Hai 07/12"),  # Friday evening: the weekend is skipped
    ("2026-12-31 18:00", "thứ Hai 04/01"),  # New Year's Day (Friday) skipped too
])
def test_next_working_hours_as_a_resident_reads_it(now, expected):
    from datetime import date, datetime

    from handlers.urgent import next_working_hours

    assert next_working_hours(datetime.fromisoformat(now), frozenset({date(2027, 1, 1)})) == expected
