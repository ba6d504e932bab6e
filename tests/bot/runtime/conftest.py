"""Fixtures for the outbox against the fake Zalo with echoes: the service's app served over
real HTTP (the root conftest's `live_webhook`), so the fake posts its signed oa_send_* events
to the webhook as Zalo does."""
from __future__ import annotations

import time

import pytest


@pytest.fixture()
def fast_settings(settings):
    """Short windows so a test sees a whole settle-or-resend cycle in seconds."""
    return settings.with_overrides(outbox_echo_window_seconds=1, outbox_stale_seconds=3)


@pytest.fixture()
def echo_runtime(fast_settings, app, live_webhook):
    from bot.runtime.process import Runtime

    rt = Runtime(fast_settings, scheduler=False, nlu=StubNlu())
    rt.client.send_timeout = (1.0, 0.5)   # a hang of a few seconds is past the client's timeout
    rt.sender.send_deadline = 2.0
    yield rt
    rt.sender.close()


class StubNlu:
    """These tests send; they understand nothing. Loading the real NLU costs seconds."""

    def refresh(self) -> int:
        return 0


def drive(runtime, done, timeout: float = 20.0) -> None:
    """Run the sender (and the event worker) until done() or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime.worker.process_next()
        runtime.sender.send_due()
        if done():
            return
        time.sleep(0.05)
    raise AssertionError("outbox did not settle in time")
