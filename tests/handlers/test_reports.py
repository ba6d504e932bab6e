"""handlers/reports.py: the weekly report's figures and chart, the officers' daily reminder."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from PIL import Image

from handlers import reports
from storage import tickets
from storage.db import session_scope
from storage.models import TicketEvent


def _ticket(s, code_kind="complaint", created=None, due=None, status="new", topic="environment", **kw):
    t = tickets.create_ticket(s, kind=code_kind, text="x", actor="test", status=status, topic=topic,
                              due_date=due, **kw)
    if created:
        t.created_at = created
    return t


def test_weekly_report_numbers_and_png(clean_db, settings):
    mon = datetime(2026, 11, 16, 3)  # 10:00 local, Monday
    with session_scope() as s:
        a = _ticket(s, created=mon, due=datetime(2026, 11, 19), channel="zalo", group_code="5")
        b = _ticket(s, created=mon + timedelta(days=1), due=datetime(2026, 11, 18), topic="security", channel="form")
        _ticket(s, created=mon + timedelta(days=2), due=datetime(2026, 11, 17))  # open, overdue
        _ticket(s, created=mon - timedelta(days=7))  # last week
        for t, at in ((a, datetime(2026, 11, 18, 2)), (b, datetime(2026, 11, 20, 2))):
            tickets.change(s, t, "test", status="resolved")
            s.flush()
            s.execute(TicketEvent.__table__.update().where(TicketEvent.ticket_id == t.id,
                                                           TicketEvent.field == "status").values(at=at))
        a.rating = 5
        rep = reports.weekly(s, date(2026, 11, 20))
    assert (rep.received, rep.resolved, rep.overdue) == (3, 2, 1)
    assert rep.on_time_rate == 0.5 and rep.average_rating == 5
    assert rep.by_topic["security"]["received"] == 1 and rep.by_channel == {"Zalo": 2, "Google Form": 1}
    assert rep.daily_received[:3] == [1, 1, 1]
    png = Image.open(io.BytesIO(reports.chart_png(rep)))
    assert png.format == "PNG" and png.size == (800, 450)
    assert "Tiếp nhận 3 phiếu" in rep.summary()


def test_daily_reminder_per_assignee(clean_db, settings):
    from storage.models import Officer

    today = date(2026, 11, 23)
    with session_scope() as s:
        s.add(Officer(name="Chị Hoa", zalo_user_id="900000000000000009"))
        late = _ticket(s, due=datetime(2026, 11, 20), assignee="Chị Hoa")
        soon = _ticket(s, due=datetime(2026, 11, 24), assignee="Chị Hoa")
        _ticket(s, due=datetime(2026, 12, 10), assignee="Chị Hoa")
        unassigned = _ticket(s, due=datetime(2026, 11, 21))
        out = reports.reminders(s, settings, today)
    assert late.code in out["900000000000000009"] and soon.code in out["900000000000000009"]
    assert "Quá hạn: " + late.code in out["900000000000000009"]
    assert unassigned.code in out[settings.officer_zalo_ids[0]]
