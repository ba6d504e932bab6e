"""A handler that raises: bounded retries, then a named failure and an apology, never silence."""
from __future__ import annotations

from sqlalchemy import select

from storage.db import session_scope
from storage.models import InboundEvent, Ticket
from tests.support import message_text


def test_failing_handler_is_retried_boundedly_then_failed_with_apology(bot, monkeypatch, settings):
    def broken(event, ctx):
        ctx.session.add(Ticket(code="XX-2026-0001", kind="complaint", text="half-done work"))
        ctx.session.flush()
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("broken", broken),))
    replies = bot.say("Đèn đường hỏng")
    with session_scope() as s:
        event = s.scalar(select(InboundEvent))
        assert event.status == "failed" and event.attempts == settings.event_max_attempts
        assert "boom" in event.last_error
        assert s.scalar(select(Ticket)) is None  # the half-done work was rolled back
    assert len(replies) == 1 and "trục trặc" in message_text(replies[0])


def test_a_failed_event_does_not_block_the_residents_next_message(bot, monkeypatch):
    calls = []

    def flaky(event, ctx):
        calls.append(event.text)
        if event.text == "bad":
            raise RuntimeError("boom")
        return False

    from handlers.registry import HANDLERS

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("flaky", flaky), *HANDLERS))
    bot.say("bad")
    replies = bot.say("xin chào")
    assert replies and "chào" in message_text(replies[0])


def test_the_apology_says_officers_were_told_only_when_someone_is_on_duty(bot, monkeypatch, settings):
    """The dead-letter alert goes to OFFICER_ZALO_IDS: with nobody there, the resident is not
    told "Cán bộ đã được báo" (issue 11: only promises that were kept)."""
    def broken(event, ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.runtime.dispatcher.HANDLERS", (("broken", broken),))
    assert settings.officer_zalo_ids  # the suite's settings have a duty officer
    [told] = bot.say("Đèn đường hỏng")
    assert "Cán bộ đã được báo" in message_text(told)

    from bot.wards import WardSettings

    bot.runtime.worker.ward_settings = WardSettings(settings.with_overrides(officer_zalo_ids=()))
    [untold] = bot.say("Đèn đường vẫn hỏng")
    assert "Cán bộ đã được báo" not in message_text(untold)
    assert "nhắn lại sau" in message_text(untold) and "114" in message_text(untold)
