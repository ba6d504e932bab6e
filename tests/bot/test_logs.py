"""The console's log lines: APScheduler's warnings reach an officer in Vietnamese."""
from __future__ import annotations

import logging
from types import SimpleNamespace

from bot import logs


def _line(msg: str, *args) -> str:
    record = logging.LogRecord("apscheduler.scheduler", logging.WARNING, __file__, 1, msg, args, None)
    handler = logging.StreamHandler()
    handler.setFormatter(logs.VietnamFormatter())
    handler.addFilter(logs.SchedulerInVietnamese())
    assert handler.filter(record)
    return handler.format(record)


def test_a_skipped_run_is_said_in_vietnamese_with_the_jobs_own_name():
    job = SimpleNamespace(name="Đồng bộ bảng tính")
    line = _line('Execution of job "%s" skipped: maximum number of running instances reached (%d)', job, 1)
    assert 'Việc "Đồng bộ bảng tính" bỏ qua lần này' in line and "CẢNH BÁO" in line
    assert "apscheduler" not in line and "Execution" not in line


def test_a_missed_run_is_said_in_vietnamese():
    line = _line('Run time of job "%s" was missed by %s', SimpleNamespace(name="Nhắc việc"), "0:00:03")
    assert 'Việc "Nhắc việc" trễ giờ chạy 0:00:03' in line and "missed" not in line


def test_other_lines_pass_unchanged():
    assert "Something else" in _line("Something else %s", "x")
