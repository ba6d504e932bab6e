"""Due dates in working days (pure, plus loading the two data files officers edit):
weekends and Vietnamese public holidays (handlers/data/holidays_vn.csv) are skipped, the number of
days depends on topic and urgency (handlers/data/deadlines.json), and time spent waiting for the
resident does not count."""
from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from handlers.workdays import add_working_days

DATA = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=4)
def holidays(path: str = "") -> frozenset[date]:
    with open(path or DATA / "holidays_vn.csv", encoding="utf-8", newline="") as fh:
        return frozenset(date.fromisoformat(row["date"]) for row in csv.DictReader(fh) if row.get("date"))


@lru_cache(maxsize=4)
def rules(path: str = "") -> dict:
    return json.loads(Path(path or DATA / "deadlines.json").read_text(encoding="utf-8"))


def working_days_for(topic: str | None, urgent: bool, table: dict) -> int:
    if urgent:
        return int(table.get("urgent", 1))
    return int(table.get("topics", {}).get(topic or "", table.get("default", 3)))


def due_date(start: date, topic: str | None, urgent: bool, table: dict, off: frozenset[date]) -> date:
    return add_working_days(start, working_days_for(topic, urgent, table), off)


def working_days_between(start: date, end: date, off: frozenset[date]) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            n += 1
    return n


def due_for(settings, start: date, topic: str | None, urgent: bool) -> datetime:
    """The service's due date for a new ticket, as a naive datetime at midnight."""
    table = dict(rules(getattr(settings, "deadlines_file", "")))
    table.setdefault("default", settings.response_working_days)
    d = due_date(start, topic, urgent, table, holidays(getattr(settings, "holidays_file", "")))
    return datetime(d.year, d.month, d.day)


def extend_for_pause(due: datetime | None, paused_from: date, resumed: date,
                     off: frozenset[date]) -> datetime | None:
    """Waiting for the resident stops the clock: push the due date by the working days lost."""
    if due is None:
        return None
    lost = working_days_between(paused_from, resumed, off)
    if lost == 0:
        return due
    d = add_working_days(due.date(), lost, off)
    return datetime(d.year, d.month, d.day)
