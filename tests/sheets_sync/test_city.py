"""sheets_sync/city.py with bot/runtime/sheets.publish_city_week: the city's `Tổng hợp` tab, one
row per ward per week (each ward's figures from its own session), the newest week on top, a
rerun replacing its week, and the city's chart over the week's rows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.runtime.sheets import publish_city_week
from sheets_sync.city import COLUMNS, TAB, week_key
from storage import tickets, wards
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID
from storage.tickets import local_now


@pytest.fixture()
def two_wards(sheet_settings, fake_sheets, no_backoff):
    fake_sheets.add_spreadsheet("city")
    with session_scope() as s:
        an_hai = wards.add(s, "an-hai", {"name": "Phường An Hải"}, cipher=None).id
    today = local_now().date()
    with session_scope(DEFAULT_WARD_ID) as s:          # 3 received: 1 resolved on time, 1 overdue
        done = tickets.create_ticket(s, kind="complaint", text="Đèn hỏng", actor="test")
        done.due_date = local_now().replace(tzinfo=None) + timedelta(days=3)
        tickets.change(s, done, "test", status="resolved")
        done.rating = 4
        late = tickets.create_ticket(s, kind="complaint", text="Cống tắc", actor="test")
        late.due_date = local_now().replace(tzinfo=None) - timedelta(days=2)
        tickets.create_ticket(s, kind="suggestion", text="Thêm ghế đá", actor="test")
    with session_scope(an_hai) as s:                   # 1 received, nothing else
        tickets.create_ticket(s, kind="complaint", text="Rác ngõ 3", actor="test")
    return sheet_settings.with_overrides(city_sheet_id="city", ward_name="Phường Hòa Cường"), today


def _tab(fake_sheets) -> list[list[str]]:
    return fake_sheets.spreadsheets["city"].rows(TAB)


def test_one_row_per_ward_with_its_own_figures(two_wards, fake_sheets):
    settings, today = two_wards
    weeks, sent = publish_city_week(settings, today)
    rows = _tab(fake_sheets)
    assert rows[0] == list(COLUMNS)
    by_code = {r[COLUMNS.index("Mã phường")]: dict(zip(COLUMNS, r)) for r in rows[1:]}
    assert set(by_code) == {"default", "an-hai"} and len(rows) == 3
    mine, theirs = by_code["default"], by_code["an-hai"]
    assert (mine["Tên phường"], mine["Tiếp nhận"], mine["Đã giải quyết"], mine["Quá hạn"]) == \
        ("Phường Hòa Cường", "3", "1", "1")
    assert (mine["Tỷ lệ đúng hạn"], mine["Hài lòng trung bình"]) == ("100%", "4.0")
    assert (theirs["Tên phường"], theirs["Tiếp nhận"], theirs["Đã giải quyết"], theirs["Quá hạn"]) == \
        ("Phường An Hải", "1", "0", "0")
    assert (theirs["Tỷ lệ đúng hạn"], theirs["Hài lòng trung bình"]) == ("—", "—")
    assert mine["Tuần"] == theirs["Tuần"] == week_key(today)
    assert sent == 3                                    # metadata, tab + chart, the values


def test_a_rerun_replaces_its_week_and_a_new_week_goes_on_top(two_wards, fake_sheets):
    settings, today = two_wards
    last_week = today - timedelta(days=7)
    publish_city_week(settings, last_week)
    publish_city_week(settings, today)
    _, sent = publish_city_week(settings, today)        # the same week again
    rows = _tab(fake_sheets)
    weeks = [r[0] for r in rows[1:]]
    assert weeks == [week_key(today)] * 2 + [week_key(last_week)] * 2
    assert sent == 3                                    # chart unchanged: no chart request


def test_the_chart_shows_the_weeks_rows(two_wards, fake_sheets):
    settings, today = two_wards
    publish_city_week(settings, today)
    sheet = fake_sheets.spreadsheets["city"].sheets[TAB]
    [chart] = sheet.charts
    spec = chart["spec"]
    assert week_key(today) in spec["title"]
    domain = spec["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert (domain["startColumnIndex"], domain["endRowIndex"]) == (COLUMNS.index("Tên phường"), 3)
    series = [s["series"]["sourceRange"]["sources"][0]["startColumnIndex"] for s in spec["basicChart"]["series"]]
    assert series == [COLUMNS.index(c) for c in ("Tiếp nhận", "Đã giải quyết", "Quá hạn")]


def test_without_a_city_sheet_the_figures_are_only_computed(two_wards, fake_sheets):
    settings, today = two_wards
    weeks, sent = publish_city_week(settings.with_overrides(city_sheet_id=""), today)
    assert sent is None and [w.code for w in weeks] == ["default", "an-hai"]
    assert TAB not in fake_sheets.spreadsheets["city"].sheets
