"""Fixtures for the outbox against the fake Zalo with echoes: the service's app served over
real HTTP (the root conftest's `live_webhook`), so the fake posts its signed oa_send_* events
to the webhook as Zalo does."""
from __future__ import annotations

import time
from contextlib import contextmanager

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


@contextmanager
def wards_on_google_quota(n: int, *, per_user: int, minute: float, first: str, tickets_per_ward: int,
                          officers: bool = False):
    """The fake Sheets API enforcing Google's quota (per user `per_user` reads and writes per
    `minute` seconds, the project five times that), with wards w0…w{n-1}, each its own
    spreadsheet sheet-i and `tickets_per_ward` tickets (and, with `officers`, its own officer)."""
    from bot.sandbox.fake_sheets.quota import GoogleQuota
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_sheets.state import FakeSheetsState
    from storage import tickets, wards
    from storage.db import session_scope

    quota = GoogleQuota(read_per_user=per_user, write_per_user=per_user, read_per_project=5 * per_user,
                        write_per_project=5 * per_user, window=minute)
    with FakeSheetsServer(FakeSheetsState(first), quota=quota) as fake:
        for i in range(n):
            fake.add_spreadsheet(f"sheet-{i}")
            values = {"name": f"Phường {i}", "sheet_id": f"sheet-{i}"}
            if officers:
                values["officer_zalo_ids"] = f"90000000000000{i:04d}"
            with session_scope() as s:
                ward_id = wards.add(s, f"w{i}", values, cipher=None).id
            with session_scope(ward_id) as s:
                for k in range(tickets_per_ward):
                    tickets.create_ticket(s, kind="complaint", text=f"Phường {i}, việc {k}", actor="test")
        yield fake
