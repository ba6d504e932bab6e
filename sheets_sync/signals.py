"""What the database tells the ward planner (planner.py): which wards' tickets changed, which
wards' Apps Script pinged, which wards owe their weekly report tab. Read across wards (ALL_WARDS), a few indexed rows per read, so the
scheduler can ask before every cycle. Whatever process received the ping or changed the
ticket (a web process, another worker), the scheduler's process learns it here."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import InboundEvent, Ticket, utcnow
from storage.scoping import ALL_WARDS

# A change is looked for this far before the last read: a transaction that set updated_at
# and committed a little later is still seen (a longer one waits for the idle read).
CHANGE_MARGIN = timedelta(seconds=60)
# Pings are read by id; ids this far below the newest seen are read again, since two
# webhook transactions may commit in the other order than their ids.
PING_LOOKBACK = 500


class Signals:
    def __init__(self):
        self._changes_since: datetime | None = None
        self._ping_cursor: int | None = None
        self._pings_seen: set[int] = set()

    def changes(self) -> dict[int, datetime]:
        """Ward -> newest ticket change since the previous read (less the margin)."""
        now = utcnow()
        since = (self._changes_since or now) - CHANGE_MARGIN
        with session_scope(ALL_WARDS) as session:
            rows = session.execute(select(Ticket.ward_id, func.max(Ticket.updated_at))
                                   .where(Ticket.updated_at > since).group_by(Ticket.ward_id)).all()
        self._changes_since = now
        return {ward_id: at for ward_id, at in rows}

    def reports(self) -> set[int]:
        """Wards whose weekly report tab is owed (sheets_sync/report_tab.py)."""
        from sheets_sync import report_tab

        return report_tab.owed()

    def pings(self) -> list[int]:
        """Wards whose sheet's Apps Script pinged since the previous read (one entry per ping).
        The first read only sets the cursor: a new scheduler reads every sheet first anyway."""
        first = self._ping_cursor is None
        with session_scope(ALL_WARDS) as session:
            if first:
                self._ping_cursor = session.scalar(select(func.max(InboundEvent.id))) or 0
            low = max(0, self._ping_cursor - PING_LOOKBACK)
            rows = session.execute(select(InboundEvent.id, InboundEvent.ward_id).where(
                InboundEvent.status == "ignored", InboundEvent.id > low,
                InboundEvent.source == "sheet").order_by(InboundEvent.id)).all()
        wards = [] if first else [ward_id for event_id, ward_id in rows
                                  if event_id not in self._pings_seen]
        self._pings_seen.update(event_id for event_id, _ in rows)
        if rows:
            self._ping_cursor = max(self._ping_cursor, rows[-1][0])
        floor = self._ping_cursor - PING_LOOKBACK
        self._pings_seen = {i for i in self._pings_seen if i > floor}
        return wards
