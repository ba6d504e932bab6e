"""The fake Sheets v4 server (bot/sandbox/fake_sheets/): A1 ranges, RAW vs USER_ENTERED, the
values and batch endpoints with their request counters, Google's error envelope, the per-minute
quota, driven through the real gspread library and our client."""
from __future__ import annotations

import pytest

from bot.sandbox.fake_sheets.cells import parse_a1
from bot.sandbox.fake_sheets.server import FakeSheetsServer
from bot.sandbox.fake_sheets.state import FakeSheetsState
from sheets_sync import client as sheets_client
from sheets_sync.client import SheetsUnavailable, open_spreadsheet, request_count


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


def test_quota_per_minute_answers_429(settings, no_backoff):
    with FakeSheetsServer(FakeSheetsState("q", quota_per_minute=3)) as fake:
        ss = open_spreadsheet(settings.with_overrides(sheet_id="q", google_sheets_api_base=fake.base_url))
        ss.values_get("'Sheet1'!A1")
        ss.values_get("'Sheet1'!A1")  # open + 2 reads = 3 reads this minute
        with pytest.raises(SheetsUnavailable):
            ss.values_get("'Sheet1'!A1")
        assert fake.state.requests["quota"] == sheets_client.MAX_TRIES
