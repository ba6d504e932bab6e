"""bot.cli.wording: the codes the database stores, in the officer's words."""
from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.cli.wording import repeat_label, status_lines, trigger_label


def test_status_is_vietnamese_and_keeps_numbers_it_has_no_words_for():
    lines = "\n".join(status_lines({
        "inbox": {"done": 3, "pending": 1}, "outbox": {"sent": 2, "failed": 2},
        "outbox_failed_reasons": {"retries_exhausted:timeout": 1, "no_interaction_7d": 1},
        "spool": {"directory": "/srv/spool", "files": 1, "bytes": 120}, "new_counter": 7}))
    assert "đã xử lý: 3" in lines and "đang chờ xử lý: 1" in lines and "không gửi được: 2" in lines
    assert "đã thử lại nhiều lần: Zalo không trả lời kịp" in lines
    assert "người nhận không nhắn OA quá 7 ngày" in lines
    assert "1 tệp, 120 byte chưa chuyển vào CSDL" in lines
    assert "new_counter: 7" in lines                        # not hidden
    for english in ("done", "pending", "sent", "timeout", "no_interaction_7d", "retries_exhausted"):
        assert english not in lines.replace("new_counter", "")


def test_repeat_rules_and_schedules_in_words():
    assert repeat_label("monthly:15:08:00") == "ngày 15 hằng tháng, 08:00"
    assert repeat_label("weekly:fri:09:00") == "thứ Sáu hằng tuần, 09:00"
    assert repeat_label("daily:07:30") == "hằng ngày, 07:30"
    assert repeat_label(None) == "một lần"
    assert trigger_label(IntervalTrigger(seconds=30)) == "mỗi 30 giây"
    assert trigger_label(IntervalTrigger(minutes=30)) == "mỗi 30 phút"
    assert trigger_label(CronTrigger(hour=7, minute=30)) == "hằng ngày, 07:30"
    assert trigger_label(CronTrigger(day_of_week="fri", hour=15, minute=30)) == "thứ Sáu hằng tuần, 15:30"


def test_the_serve_line_says_which_parts_are_stand_ins():
    """A real OA whose sheet is still the local fake is not a sandbox, and says so."""
    from bot.cli.main import where_it_runs

    both = where_it_runs(8000, fake_zalo=True, fake_sheet=True, console=True)
    assert "THỬ NGHIỆM" in both and "./dev chat" in both and "/console" in both
    sheet_only = where_it_runs(8000, fake_zalo=False, fake_sheet=True, console=False)
    assert sheet_only.startswith("Hộp thư số đang chạy") and "THẬT (Zalo OA" in sheet_only
    assert "THỬ NGHIỆM" not in sheet_only and "SHEET_ID" in sheet_only and "./dev chat" not in sheet_only
    assert "THẬT (Zalo OA, Google Sheets)" in where_it_runs(8000, False, False, False)
