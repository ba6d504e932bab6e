"""intents.when: dates and times as officers type them, in Vietnam time."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from intents.when import WhenError, parse_day, parse_when

NOW = datetime(2026, 12, 7, 10, 0)  # Monday 7/12/2026, 10:00 in Hà Nội


@pytest.mark.parametrize("typed, expected", [
    ("12/12/2026 19h", datetime(2026, 12, 12, 19, 0)),
    ("19:00 12/12", datetime(2026, 12, 12, 19, 0)),
    ("19h30 12/12/2026", datetime(2026, 12, 12, 19, 30)),
    ("12/12/2026 19:00", datetime(2026, 12, 12, 19, 0)),
    ("01/12/2030 08:00", datetime(2030, 12, 1, 8, 0)),       # the old --at form still works
    ("thứ 6 15h30", datetime(2026, 12, 11, 15, 30)),
    ("thu 6 15h30", datetime(2026, 12, 11, 15, 30)),          # without marks
    ("T6 15H30", datetime(2026, 12, 11, 15, 30)),
    ("thứ sáu 15h30", datetime(2026, 12, 11, 15, 30)),
    ("thứ 2 8h", datetime(2026, 12, 14, 8, 0)),               # today's 8:00 is gone: next Monday
    ("thứ 2 11h", datetime(2026, 12, 7, 11, 0)),              # still ahead today
    ("thứ 6 tuần sau 8h", datetime(2026, 12, 18, 8, 0)),
    ("chủ nhật 7h tối", datetime(2026, 12, 13, 19, 0)),
    ("t7 8h sáng", datetime(2026, 12, 12, 8, 0)),
    ("mai 7h30", datetime(2026, 12, 8, 7, 30)),
    ("ngày mai lúc 7g", datetime(2026, 12, 8, 7, 0)),
    ("19h", datetime(2026, 12, 7, 19, 0)),
    ("9h", datetime(2026, 12, 8, 9, 0)),                      # a bare time already gone: tomorrow
    ("ngày 12/12 lúc 19h", datetime(2026, 12, 12, 19, 0)),
    ("12 tháng 12 năm 2026 19 giờ 30", datetime(2026, 12, 12, 19, 30)),
    ("5/1 8h", datetime(2027, 1, 5, 8, 0)),                   # no year, date gone: next year
    ("12/12/26 19:30", datetime(2026, 12, 12, 19, 30)),
    ("2026-12-12 19:00", datetime(2026, 12, 12, 19, 0)),
    ("2026-12-12T19:00", datetime(2026, 12, 12, 19, 0)),
    ("2026-12-12T12:00Z", datetime(2026, 12, 12, 19, 0)),     # an offset is converted to VN time
    ("2026-12-12T19:00+07:00", datetime(2026, 12, 12, 19, 0)),
])
def test_accepted_forms(typed, expected):
    assert parse_when(typed, NOW) == expected


@pytest.mark.parametrize("typed, why", [
    ("12/12/2026", "thiếu giờ"),
    ("xyz", "không rõ"),
    ("31/2 8h", "ngày không có thật"),
    ("25h 12/12", "giờ không có thật"),
    ("19h 20h", "có hai giờ"),
    ("thứ 6 15h30 tuần sau nữa", "không rõ «nua»"),
    ("tuần sau 8h", "không rõ"),
    ("", "trống"),
])
def test_refusals_name_the_accepted_forms_in_vietnamese(typed, why):
    with pytest.raises(WhenError) as err:
        parse_when(typed, NOW)
    message = str(err.value)
    assert why in message
    assert "«12/12/2026 19h»" in message and "«thứ 6 15h30»" in message and "giờ Việt Nam" in message


@pytest.mark.parametrize("typed, expected", [
    ("11/12/2026", date(2026, 12, 11)), ("11/12", date(2026, 12, 11)), ("2026-12-11", date(2026, 12, 11)),
    ("11.12.26", date(2026, 12, 11)), ("hôm qua", date(2026, 12, 6)), ("hom nay", date(2026, 12, 7)),
])
def test_days_as_typed(typed, expected):
    assert parse_day(typed, NOW.date()) == expected


@pytest.mark.parametrize("typed", ["31/11", "tuần trước", "", "11/12 8h"])
def test_unreadable_days_name_the_accepted_forms(typed):
    with pytest.raises(WhenError, match="«11/12/2026», «11/12»"):
        parse_day(typed, NOW.date())
