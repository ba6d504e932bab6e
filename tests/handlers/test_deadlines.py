"""handlers/deadlines.py: due dates in working days, the holiday file, the clock paused while
waiting for the resident."""
from __future__ import annotations

from datetime import date, datetime

from handlers import deadlines

OFF = deadlines.holidays()


def test_due_dates_skip_weekends_and_holidays_and_depend_on_topic():
    table = {"default": 3, "urgent": 1, "topics": {"land_construction": 10}}
    assert deadlines.due_date(date(2026, 11, 20), None, False, table, OFF) == date(2026, 11, 25)  # Fri -> Wed
    assert deadlines.due_date(date(2026, 4, 29), None, False, table, OFF) == date(2026, 5, 6)  # 30/4, 1/5
    assert deadlines.due_date(date(2026, 11, 20), "land_construction", False, table, OFF) == date(2026, 12, 4)
    assert deadlines.due_date(date(2026, 11, 20), "land_construction", True, table, OFF) == date(2026, 11, 23)


def test_every_year_of_the_holiday_file_has_the_legal_holidays():
    """Bộ luật Lao động 2019 Điều 112: 1/1, Tết, Giỗ Tổ (10/3 âm lịch, or the day in lieu),
    30/4, 1/5, 2/9 — a year missing one would put a deadline on a day the office is closed."""
    import csv
    with open(deadlines.DATA / "holidays_vn.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    years = sorted({r["date"][:4] for r in rows})
    for year in years:
        names = " | ".join(r["name"] for r in rows if r["date"].startswith(year))
        days = {r["date"][5:] for r in rows if r["date"].startswith(year)}
        for name in ("Tết Dương lịch", "Tết Nguyên đán", "Giỗ Tổ Hùng Vương", "Chiến thắng",
                     "lao động", "Quốc khánh"):
            assert name in names, (year, name)
        assert {"01-01", "04-30", "05-01", "09-02"} <= days, year
    # 10/3 âm lịch Đinh Mùi is Friday 16 April 2027 (a working day, so no day in lieu).
    assert date(2027, 4, 16) in OFF and date(2027, 4, 16).weekday() == 4


def test_waiting_for_the_resident_stops_the_clock():
    due = datetime(2026, 11, 25)
    assert deadlines.extend_for_pause(due, date(2026, 11, 20), date(2026, 11, 24), OFF) == datetime(2026, 11, 27)
    assert deadlines.extend_for_pause(due, date(2026, 11, 21), date(2026, 11, 22), OFF) == due  # a weekend
