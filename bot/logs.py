"""Console logging for `serve` and `worker`: the app's lines in Vietnam time, libraries quiet.

At the default level (INFO) an officer sees the service's own lines only; APScheduler's
"Running job …" every 30 seconds, werkzeug's request lines and Alembic's notes are library
chatter in English, shown from WARNING up (all of it again with LOG_LEVEL=DEBUG)."""
from __future__ import annotations

import logging
from datetime import datetime

from intents.when import LOCAL_TZ

LIBRARIES = ("apscheduler", "werkzeug", "alembic", "urllib3", "requests", "gspread", "sqlalchemy",
             "PIL", "google", "gunicorn.access")
LEVELS_VI = {"DEBUG": "GỠ LỖI", "INFO": "TIN", "WARNING": "CẢNH BÁO", "ERROR": "LỖI",
             "CRITICAL": "NGHIÊM TRỌNG"}


# APScheduler's warnings an officer may meet, in Vietnamese; the job named by its own (Vietnamese)
# name, not its English repr. Anything else it says stays as it is (LOG_LEVEL=DEBUG shows all).
SCHEDULER_WARNINGS = {
    'Execution of job "%s" skipped: maximum number of running instances reached (%d)':
        'Việc "%s" bỏ qua lần này: lần chạy trước chưa xong (tối đa %d lần cùng lúc); lần sau chạy bình thường',
    'Run time of job "%s" was missed by %s':
        'Việc "%s" trễ giờ chạy %s (máy bận hoặc vừa khởi động lại); lần sau chạy đúng giờ',
}


class SchedulerInVietnamese(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        translated = SCHEDULER_WARNINGS.get(record.msg) if isinstance(record.msg, str) else None
        if translated is not None:
            job, *rest = record.args
            record.msg, record.args = translated, (getattr(job, "name", job), *rest)
            record.name = "lịch định kỳ"
        return True


class VietnamFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, LOCAL_TZ).strftime("%d/%m/%Y %H:%M:%S")

    def format(self, record):
        original = record.levelname
        record.levelname = LEVELS_VI.get(original, original)
        try:
            return super().format(record)
        finally:
            record.levelname = original


def configure(level: str = "INFO") -> None:
    level_no = logging.getLevelName(str(level).upper())
    if not isinstance(level_no, int):
        level_no = logging.INFO
    handler = logging.StreamHandler()
    handler.setFormatter(VietnamFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level_no)
    quiet = level_no if level_no <= logging.DEBUG else max(level_no, logging.WARNING)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    handler.addFilter(SchedulerInVietnamese())
