"""bot/runtime/jobs.py: the scheduled jobs' own work (the weekly report sent once a week; the
sheet sync job is in test_sheets.py)."""
from __future__ import annotations

from datetime import date

from bot.runtime import jobs


def test_weekly_report_is_sent_once_with_chart(clean_db, settings, runtime, fake_zalo):
    fake_zalo.state.add_user(settings.officer_zalo_ids[0])
    assert jobs.send_weekly(settings, runtime.client, date(2026, 11, 20)) is not None
    assert jobs.send_weekly(settings, runtime.client, date(2026, 11, 20)) is None  # once a week
    while runtime.sender.send_due():
        pass
    sent = fake_zalo.state.messages(settings.officer_zalo_ids[0])
    assert len(sent) == 2 and "BÁO CÁO TUẦN" in sent[0].message["text"]
    assert sent[1].message["attachment"]["payload"]["elements"][0]["media_type"] == "image"
