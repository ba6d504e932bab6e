"""The fake Sheets v4 server and our client, driven through the real gspread library."""
from __future__ import annotations

import pytest
import requests

from sheets_sync import client as sheets_client
from sheets_sync.client import SheetsUnavailable, open_spreadsheet, request_count
from bot.sandbox.fake_sheets.cells import parse_a1
from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState


def test_a1_parsing_handles_quoted_tab_names():
    assert parse_a1("'Phiếu'!A2:Q") == ("Phiếu", 1, 0, None, 16)
    assert parse_a1("'It''s'!B3") == ("It's", 2, 1, 2, 1)
    assert parse_a1("Sheet1") == ("Sheet1", 0, 0, None, None)
    assert parse_a1("A1:C2") == (None, 0, 0, 1, 2)


def test_raw_keeps_text_user_entered_parses_like_sheets(sheet_settings, fake_sheets):
    ss = open_spreadsheet(sheet_settings)
    ss.values_update("'Sheet1'!A1", params={"valueInputOption": "RAW"},
                     body={"values": [['=IMPORTXML("http://x","//a")', "0901234567"]]})
    ss.values_update("'Sheet1'!A2", params={"valueInputOption": "USER_ENTERED"},
                     body={"values": [['=IMPORTXML("http://x","//a")', "0901234567", "'0901", "900000000000000002"]]})
    formatted = ss.values_get("'Sheet1'!A1:D2")["values"]
    assert formatted[0] == ['=IMPORTXML("http://x","//a")', "0901234567"]
    assert formatted[1] == ["#N/A", "901234567", "0901", "9.00E+17"]  # what get_all_records bites on
    unformatted = ss.values_get("'Sheet1'!A2:C2", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert unformatted["values"][0][1] == 901234567
    formulas = ss.values_get("'Sheet1'!A2", params={"valueRenderOption": "FORMULA"})
    assert formulas["values"] == [['=IMPORTXML("http://x","//a")']]
    cell = fake_sheets.state.raw_cell("Sheet1", 0, 0)
    assert not cell.formula and fake_sheets.state.raw_cell("Sheet1", 1, 0).formula


def test_append_batch_get_batch_update_and_counts(sheet_settings, fake_sheets):
    ss = open_spreadsheet(sheet_settings)
    ss.batch_update({"requests": [{"addSheet": {"properties": {"title": "Phiếu"}}}]})
    ss.values_append("'Phiếu'!A1:C", params={"valueInputOption": "RAW"}, body={"values": [["h1", "h2"]]})
    ss.values_append("'Phiếu'!A1:C", params={"valueInputOption": "RAW"}, body={"values": [["a", "b"], ["c", "d"]]})
    ss.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "'Phiếu'!B3", "values": [["D"]]}]})
    got = ss.values_batch_get(["'Phiếu'!A1:C", "'Sheet1'!A1"])["valueRanges"]
    assert got[0]["values"] == [["h1", "h2"], ["a", "b"], ["c", "D"]]
    assert "values" not in got[1]
    counts = fake_sheets.state.requests
    assert (counts["get"], counts["batchUpdate"], counts["values.append"], counts["values.batchUpdate"],
            counts["values.batchGet"]) == (1, 1, 2, 1, 1)
    assert request_count(ss) == fake_sheets.state.total_requests() == 6


def test_errors_use_googles_envelope_and_batches_are_atomic(sheet_settings, fake_sheets):
    ss = open_spreadsheet(sheet_settings)
    with pytest.raises(Exception) as exc:
        ss.batch_update({"requests": [{"addSheet": {"properties": {"title": "X"}}},
                                      {"frobnicate": {}}]})
    assert exc.value.response.status_code == 400
    assert exc.value.response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "X" not in fake_sheets.state.sheets  # nothing of a rejected batch applied
    with pytest.raises(Exception) as exc:
        ss.values_update("'Sheet1'!A1", params={}, body={"values": [["x"]]})
    assert "valueInputOption" in exc.value.response.json()["error"]["message"]


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


def test_quota_per_minute_answers_429(settings, no_backoff):
    with FakeSheetsServer(FakeSheetsState("q", quota_per_minute=3)) as fake:
        ss = open_spreadsheet(settings.with_overrides(sheet_id="q", google_sheets_api_base=fake.base_url))
        ss.values_get("'Sheet1'!A1")
        ss.values_get("'Sheet1'!A1")  # open + 2 reads = 3 reads this minute
        with pytest.raises(SheetsUnavailable):
            ss.values_get("'Sheet1'!A1")
        assert fake.state.requests["quota"] == sheets_client.MAX_TRIES


def test_nothing_goes_to_google_when_the_base_is_set(sheet_settings, fake_sheets, monkeypatch):
    seen = []
    real = requests.Session.request

    def spy(self, method, url, *a, **k):
        seen.append(url)
        return real(self, method, url, *a, **k)

    monkeypatch.setattr(requests.Session, "request", spy)
    open_spreadsheet(sheet_settings).values_get("'Sheet1'!A1")
    assert seen and all(u.startswith(fake_sheets.base_url) for u in seen)
