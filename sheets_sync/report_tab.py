"""The weekly report's tab ("Báo cáo tuần") on each ward's sheet, owed and then written.

At 15:30 on Friday every ward's report is due at once: ~100 wards writing their tab together
would be ~100-300 Google requests in a moment, past the deployment's share of the quota. So
the weekly job only records what each ward's tab owes (the week's rows, a flag of the ward,
committed with the officers' Zalo messages, which go out at once), and the sheet scheduler
(bot/runtime/sheets.py, sheets_sync/planner.py: reason "report") writes the owed tabs one ward
at a time within the same request budget as every sync, after pings and pending changes. A
write that fails leaves the tab owed and is tried again later; a restart finds it in the
database.

A write is claimed first (compare-and-set on the flag's value, with a lease): the scheduler
and a `report weekly --send` in another process never both append the same week. A process
that dies between its append and the flag's removal leaves a claim that lapses after LEASE:
the tab may then get the week twice, never zero times.

Requests: 1 values append; the first week also 1 failed append (the tab is not there: Google
answers 400) and 1 batchUpdate adding the tab (COST["report"] in planner.py).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from gspread.exceptions import APIError
from sqlalchemy import select, update

from handlers.reports import REPORT_TAB
from sheets_sync.client import attach_spreadsheet
from storage.db import session_scope
from storage.models import Flag, utcnow
from storage.scoping import ALL_WARDS, ward_of

PREFIX = "weekly_tab:"
LEASE = timedelta(minutes=10)


def owe(session, week: str, rows: list[list[str]]) -> None:
    """In the ward's session: its tab owes `week`'s rows (again, if already owed: replaced)."""
    name = PREFIX + week
    flag = session.get(Flag, (ward_of(session), name)) or Flag(name=name)
    flag.value = json.dumps({"rows": rows, "claimed": None}, ensure_ascii=False)
    session.add(flag)


def owed() -> set[int]:
    """The wards that owe a report tab (every ward, one query)."""
    with session_scope(ALL_WARDS) as session:
        return set(session.scalars(select(Flag.ward_id).where(Flag.name.like(PREFIX + "%"))))


def _claim(ward_id: int, name: str, value: str, now: datetime) -> list[list[str]] | None:
    """The rows, if this process now holds the write (the flag unchanged since it was read)."""
    owed_tab = json.loads(value)
    claimed = owed_tab.get("claimed")
    if claimed and now - datetime.fromisoformat(claimed) < LEASE:
        return None
    mine = json.dumps(dict(owed_tab, claimed=now.isoformat()), ensure_ascii=False)
    with session_scope(ward_id) as session:
        done = session.execute(update(Flag).where(Flag.ward_id == ward_id, Flag.name == name,
                                                  Flag.value == value).values(value=mine))
    return owed_tab["rows"] if done.rowcount == 1 else None


def _release(ward_id: int, name: str, *, written: bool) -> None:
    with session_scope(ward_id) as session:
        flag = session.get(Flag, (ward_id, name))
        if flag is None:
            return
        if written:
            session.delete(flag)
        else:   # owed again, for the next try (updated_at kept: it waits since the first)
            flag.value = json.dumps(dict(json.loads(flag.value), claimed=None), ensure_ascii=False)


def append(ss, rows: list[list[str]]) -> None:
    """Append to the tab, adding the tab when the sheet has none (Google: 400)."""
    target = f"'{REPORT_TAB}'!A1:D"
    params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
    try:
        ss.values_append(target, params=params, body={"values": rows})
    except APIError as err:
        if err.response.status_code != 400:
            raise
        ss.batch_update({"requests": [{"addSheet": {"properties": {"title": REPORT_TAB}}}]})
        ss.values_append(target, params=params, body={"values": rows})


def write_owed(settings, ward_id: int) -> int:
    """Write every tab this ward owes (settings: the ward's). Returns how many were written;
    raises (the tab stays owed) when Google refuses or the budget has no room in time."""
    with session_scope(ward_id) as session:
        flags = [(f.name, f.value) for f in session.scalars(
            select(Flag).where(Flag.name.like(PREFIX + "%")).order_by(Flag.name))]
    written = 0
    for name, value in flags:
        rows = _claim(ward_id, name, value, utcnow())
        if rows is None:
            continue    # another process is writing it
        try:
            append(attach_spreadsheet(settings), rows)
        except BaseException:
            _release(ward_id, name, written=False)
            raise
        _release(ward_id, name, written=True)
        written += 1
    return written
