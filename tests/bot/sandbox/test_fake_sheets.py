"""The fake Sheets v4 server (bot/sandbox/fake_sheets/): A1 ranges, RAW vs USER_ENTERED, the
values and batch endpoints with their request counters, Google's error envelope, Google's
per-minute quota (per user and per project, reads and writes apart), several spreadsheets on
one server, charts, driven through the real gspread library and our client."""
from __future__ import annotations

import time

import pytest
import requests

from bot.sandbox.fake_sheets.cells import parse_a1
from bot.sandbox.fake_sheets.quota import GoogleQuota
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
    quota = GoogleQuota(read_per_user=3)
    with FakeSheetsServer(FakeSheetsState("q"), quota=quota) as fake:
        ss = open_spreadsheet(settings.with_overrides(sheet_id="q", google_sheets_api_base=fake.base_url))
        ss.values_get("'Sheet1'!A1")
        ss.values_get("'Sheet1'!A1")  # open + 2 reads = 3 reads this minute
        ss.values_update("'Sheet1'!A1", params={"valueInputOption": "RAW"}, body={"values": [["w"]]})
        with pytest.raises(SheetsUnavailable):   # writes are counted apart: that one went through
            ss.values_get("'Sheet1'!A1")
        assert fake.state.requests["quota"] == sheets_client.MAX_TRIES
        assert quota.exhausted == {"ReadRequestsPerMinutePerUser": sheets_client.MAX_TRIES}


def _get(base: str, sid: str, user: str = ""):
    return requests.get(f"{base}/v4/spreadsheets/{sid}", headers={"Authorization": user} if user else {},
                        timeout=5)


def test_429_is_googles_envelope_per_user_and_per_project():
    quota = GoogleQuota(read_per_user=2, read_per_project=3, window=0.5, retry_after=True)
    with FakeSheetsServer(FakeSheetsState("s"), quota=quota) as fake:
        assert [_get(fake.base_url, "s", "Bearer a").status_code for _ in range(3)] == [200, 200, 429]
        refused = _get(fake.base_url, "s", "Bearer a")
        error = refused.json()["error"]
        assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
        assert "'Read requests per minute per user'" in error["message"]
        assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
        assert error["details"][0]["metadata"]["quota_limit"] == "ReadRequestsPerMinutePerUser"
        assert refused.headers["Retry-After"] == "1"
        assert _get(fake.base_url, "s", "Bearer b").status_code == 200    # another user: 3 of the project's 3
        project = _get(fake.base_url, "s", "Bearer c")
        assert project.status_code == 429 and "'Read requests per minute'" in project.json()["error"]["message"]
        time.sleep(0.55)                                                   # the window has moved on
        assert _get(fake.base_url, "s", "Bearer c").status_code == 200
    assert quota.peak_per_user == 2 and quota.refused() == 3


def test_no_quota_and_no_retry_after_unless_asked():
    with FakeSheetsServer(FakeSheetsState("s")) as fake:
        assert all(_get(fake.base_url, "s").status_code == 200 for _ in range(100))
    with FakeSheetsServer(FakeSheetsState("s"), quota=GoogleQuota(read_per_user=1)) as fake:
        _get(fake.base_url, "s")
        assert "Retry-After" not in _get(fake.base_url, "s").headers   # Google does not promise one


def test_several_spreadsheets_on_one_server(settings):
    with FakeSheetsServer(FakeSheetsState("ward-a")) as fake:
        fake.add_spreadsheet("ward-b")
        base = settings.with_overrides(google_sheets_api_base=fake.base_url)
        open_spreadsheet(base, "ward-b").values_update(
            "'Sheet1'!A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]})
        assert fake.spreadsheets["ward-b"].rows("Sheet1") == [["b"]]
        assert fake.state.rows("Sheet1") == []
        assert _get(fake.base_url, "nobody").status_code == 404
        assert fake.total_requests() == 2


def test_charts_are_added_listed_and_updated(sheet_settings, fake_sheets):
    ss = open_spreadsheet(sheet_settings)
    sheet_id = fake_sheets.state.sheets["Sheet1"].sheet_id
    spec = {"title": "A", "basicChart": {"chartType": "COLUMN"}}
    reply = ss.batch_update({"requests": [{"addChart": {"chart": {"spec": spec, "position": {
        "overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 5}}}}}}]})
    chart_id = reply["replies"][0]["addChart"]["chart"]["chartId"]
    ss.batch_update({"requests": [{"updateChartSpec": {"chartId": chart_id, "spec": dict(spec, title="B")}}]})
    [sheet] = ss.fetch_sheet_metadata()["sheets"]
    assert [(c["chartId"], c["spec"]["title"]) for c in sheet["charts"]] == [(chart_id, "B")]
    with pytest.raises(Exception) as exc:
        ss.batch_update({"requests": [{"updateChartSpec": {"chartId": 999999, "spec": spec}}]})
    assert exc.value.response.status_code == 400
