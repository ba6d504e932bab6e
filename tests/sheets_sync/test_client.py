"""sheets_sync/client.py: bounded retries, an append that may have landed never sent twice,
request timeouts, and nothing sent to Google when the API base is set (the fake Sheets server's
own contract is in tests/bot/sandbox/test_fake_sheets.py)."""
from __future__ import annotations

import pytest
import requests

from sheets_sync import client as sheets_client
from sheets_sync.client import SheetsUnavailable, open_spreadsheet, request_count


def test_429_is_retried_a_bounded_number_of_times(sheet_settings, fake_sheets, no_backoff):
    ss = open_spreadsheet(sheet_settings)
    fake_sheets.state.fail(429, times=2)
    assert ss.values_get("'Sheet1'!A1") is not None  # third try succeeds
    fake_sheets.state.fail(429, times=100)
    before = request_count(ss)
    with pytest.raises(SheetsUnavailable, match="429 after 4 tries"):
        ss.values_get("'Sheet1'!A1")
    assert request_count(ss) - before == sheets_client.MAX_TRIES


def test_a_maybe_applied_append_is_never_sent_twice(sheet_settings, fake_sheets, no_backoff):
    ss = open_spreadsheet(sheet_settings)
    fake_sheets.state.fail(500, times=5)
    with pytest.raises(SheetsUnavailable, match="not retried"):
        ss.values_append("'Sheet1'!A1", params={"valueInputOption": "RAW"}, body={"values": [["x"]]})
    assert fake_sheets.state.requests["failed"] == 1


def test_request_timeout_is_bounded(sheet_settings, fake_sheets, no_backoff, monkeypatch):
    monkeypatch.setattr(sheets_client, "TIMEOUT", (2, 0.3))
    ss = open_spreadsheet(sheet_settings)
    fake_sheets.state.hang(1.0, times=1)
    assert "range" in ss.values_get("'Sheet1'!A1")       # a read times out, is retried, succeeds
    assert ss.client.retries == 1
    fake_sheets.state.hang(1.0, times=1)
    with pytest.raises(SheetsUnavailable, match="ReadTimeout"):
        ss.values_append("'Sheet1'!A1", params={"valueInputOption": "RAW"}, body={"values": [["once"]]})


def test_nothing_goes_to_google_when_the_base_is_set(sheet_settings, fake_sheets, monkeypatch):
    seen = []
    real = requests.Session.request

    def spy(self, method, url, *a, **k):
        seen.append(url)
        return real(self, method, url, *a, **k)

    monkeypatch.setattr(requests.Session, "request", spy)
    open_spreadsheet(sheet_settings).values_get("'Sheet1'!A1")
    assert seen and all(u.startswith(fake_sheets.base_url) for u in seen)
