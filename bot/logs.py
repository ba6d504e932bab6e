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
