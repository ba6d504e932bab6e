"""Which ward's sheet to sync next, so that every ward of a city shares one Google quota.

The budget (quota.py) caps the deployment at B requests a minute (SHEETS_REQUESTS_PER_MINUTE,
default 50) whatever the number of wards N. The planner spends it in this order:

  1. a ward whose Apps Script pinged (an officer just edited its sheet), oldest ping first;
  2. a ward that is due, in the order it became due: tickets changed since its sheet was last
     written, or its sheet not read for `idle_every` (officers may have edited it without a
     ping: no Apps Script installed, or the edit was on another tab);
  3. a ward whose weekly report tab is owed (sheets_sync/report_tab.py), oldest first: on
     Friday at 15:30 every ward owes one, and they are written as the budget allows, behind
     pings and changes, never in one burst; a tab owed for `idle_every` joins the due wards
     (2.) in that order, so however busy the budget it is never put off for ever;
  4. with budget to spare (more than `headroom` of B free), the ward read least recently, once
     it was read at least `min_every` (30 s) ago: spare budget makes every ward fresher.

A ward is synced only when the budget has room for what its cycle costs (COST, measured
against the fake Sheets, tests/sheets_sync/test_planner.py), and the layout check (one
metadata read) is added when due. A ward whose cycle failed waits before it is tried again
(30 s, doubling, at most `idle_every`), so a sheet not shared with the service account does
not eat the city's budget.

The bounds, for N wards and a budget of B requests a minute:
  idle_every   = max(30 s, N × 1 / (IDLE_SHARE × B) minutes): idle reads (1 request each)
                 get at least half the budget, so every ward is read at least this often as
                 long as pings and changes use the other half. 100 wards, B = 50: 4 minutes.
  layout_every = max(5 min, N × 1 / (LAYOUT_SHARE × B) minutes): layout checks use at most
                 5 % of the budget. 100 wards, B = 50: 40 minutes.
All times scale with the budget's `minute` (a benchmark on a scaled clock).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

# Requests a cycle costs, by why it runs (the layout check adds LAYOUT_COST when due):
#   ping:    values batchGet + values batchUpdate (the edited row written back)
#   change:  values batchGet + values append (new rows) + values batchUpdate (changed rows)
#   first:   the first cycle of this process: as a change (a new sheet also gets its layout
#            written, one more; after a restart nothing is written: 1 + the layout check)
#   overdue, idle: values batchGet only, when nothing changed
#   report:  the weekly tab's values append (the first week: a refused append, addSheet, the
#            append again)
COST = {"ping": 2, "change": 3, "first": 3, "overdue": 1, "idle": 1, "report": 3}
LAYOUT_COST = 1
IDLE_SHARE = 0.5
LAYOUT_SHARE = 0.05
HEADROOM = 0.2          # share of the budget idle reads leave free for pings and changes
MIN_EVERY = 0.5         # minutes: no ward is read more often than this without a reason
LAYOUT_MIN = 5.0        # minutes: the layout is checked at most this often
IDLE = 3                # the rank of a read for freshness only, with budget to spare
REASONS = {"ping": "cán bộ vừa sửa bảng", "change": "có phiếu mới hoặc thay đổi",
           "first": "lần đọc đầu tiên",
           "overdue": "đến hạn đọc định kỳ", "idle": "còn dư hạn mức",
           "report": "ghi tab báo cáo tuần"}


@dataclass
class WardTrack:
    ward_id: int
    last_read: float | None = None         # clock time the last good cycle started
    through: datetime | None = None        # newest ticket change the sheet shows
    changed: datetime | None = None        # newest ticket change seen in the database
    due_since: float | None = None         # when the changes became pending
    pinged_since: float | None = None      # oldest ping not served yet
    last_ping: float | None = None
    started: float | None = None           # clock time the running cycle started
    report_since: float | None = None      # clock time its owed weekly report tab was first seen
    failures: int = 0
    retry_at: float = float("-inf")

    def pending(self) -> bool:
        return self.changed is not None and (self.through is None or self.changed > self.through)


@dataclass(frozen=True)
class Pick:
    ward_id: int
    reason: str
    cost: int


class SyncPlanner:
    def __init__(self, per_minute: int, minute: float = 60.0, *, clock=time.monotonic):
        self.per_minute = per_minute
        self.minute = minute
        self.clock = clock
        self.born = clock()
        self.tracks: dict[int, WardTrack] = {}

    def track(self, ward_id: int) -> WardTrack:
        return self.tracks.setdefault(ward_id, WardTrack(ward_id))

    # -- the bounds --
    def idle_every(self, wards: int) -> float:
        minutes = max(MIN_EVERY, wards * COST["idle"] / (IDLE_SHARE * self.per_minute))
        return minutes * self.minute

    def layout_every(self, wards: int) -> float:
        minutes = max(LAYOUT_MIN, wards * LAYOUT_COST / (LAYOUT_SHARE * self.per_minute))
        return minutes * self.minute

    def headroom(self) -> int:
        return math.ceil(HEADROOM * self.per_minute)

    # -- what the database says --
    def pinged(self, ward_id: int) -> None:
        t = self.track(ward_id)
        t.last_ping = self.clock()
        if t.pinged_since is None:
            t.pinged_since = t.last_ping

    def changed(self, ward_id: int, at: datetime) -> None:
        t = self.track(ward_id)
        was = t.pending()
        t.changed = at if t.changed is None else max(t.changed, at)
        if t.pending() and not was:
            t.due_since = self.clock()

    def reports(self, owed: Iterable[int]) -> None:
        """The wards whose report tab is owed, as the database says now (the others owe none)."""
        owed, now = set(owed), self.clock()
        for ward_id in owed:
            t = self.track(ward_id)
            if t.report_since is None:
                t.report_since = now
        for ward_id, t in self.tracks.items():
            if ward_id not in owed:
                t.report_since = None

    # -- the choice --
    def _rank(self, t: WardTrack, now: float, idle_every: float):
        """(class, since, reason) for a ward that may be synced now, else None."""
        if now < t.retry_at or t.started is not None:
            return None
        if t.pinged_since is not None:
            return 0, t.pinged_since, "ping"
        if t.last_read is None:
            return 1, self.born, "first"
        if t.pending():
            return 1, t.due_since if t.due_since is not None else now, "change"
        if now - t.last_read >= idle_every:
            return 1, t.last_read + idle_every, "overdue"
        if t.report_since is not None:
            if now - t.report_since >= idle_every:
                return 1, t.report_since + idle_every, "report"
            return 2, t.report_since, "report"
        if now - t.last_read >= MIN_EVERY * self.minute:
            return IDLE, t.last_read, "idle"
        return None

    def pick(self, ward_ids: Iterable[int], free: int,
             layout_due: Callable[[int], bool] = lambda _w: False) -> Pick | None:
        """The ward to sync now, or None (nothing due, or not enough budget for the best)."""
        ward_ids = list(ward_ids)
        now = self.clock()
        idle_every = self.idle_every(len(ward_ids))
        ranked = []
        for ward_id in ward_ids:
            rank = self._rank(self.track(ward_id), now, idle_every)
            if rank is not None:
                ranked.append((rank[0], rank[1], ward_id, rank[2]))
        if not ranked:
            return None
        cls, _since, ward_id, reason = min(ranked)
        cost = COST[reason] + (LAYOUT_COST if layout_due(ward_id) else 0)
        need = cost + (self.headroom() if cls == IDLE else 0)
        return Pick(ward_id, reason, cost) if free >= need else None

    # -- what happened --
    def started(self, ward_id: int) -> None:
        self.track(ward_id).started = self.clock()

    def finished(self, ward_id: int, through: datetime | None) -> None:
        t = self.track(ward_id)
        start, t.started = t.started, None
        t.last_read, t.failures, t.retry_at = start, 0, float("-inf")
        if t.pinged_since is not None:
            # served, unless a ping came once the cycle had started (maybe after its read)
            t.pinged_since = t.last_ping if t.last_ping > start else None
        if through is not None:
            t.through = through if t.through is None else max(t.through, through)
        if not t.pending():
            t.due_since = None

    def reported(self, ward_id: int) -> None:
        """Its owed report tabs are written."""
        t = self.track(ward_id)
        t.started = t.report_since = None

    def failed(self, ward_id: int, wards: int) -> float:
        """The cycle failed: try this ward again later. Returns the wait in seconds."""
        t = self.track(ward_id)
        t.started = None
        t.failures += 1
        wait = min(self.idle_every(wards), MIN_EVERY * self.minute * 2 ** (t.failures - 1))
        t.retry_at = self.clock() + wait
        return wait
