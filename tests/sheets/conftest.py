from __future__ import annotations

import pytest

from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState


@pytest.fixture()
def fake_sheets():
    with FakeSheetsServer(FakeSheetsState("sheet-1")) as server:
        yield server


@pytest.fixture()
def no_backoff(monkeypatch):
    monkeypatch.setattr("sheets_sync.client.BoundedHTTPClient.sleep", staticmethod(lambda s: None))


@pytest.fixture()
def sheet_settings(settings, fake_sheets):
    return settings.with_overrides(sheet_id="sheet-1", google_sheets_api_base=fake_sheets.base_url)
