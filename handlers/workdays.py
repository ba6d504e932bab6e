"""Working-day arithmetic (pure). Weekends are skipped; public holidays come from the caller."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Collection


def add_working_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date `days` working days after `start` (a request received on Friday with 3 days is
    due on Wednesday)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current
