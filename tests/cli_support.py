"""Run `python -m bot …` as the officer does: a real subprocess, its own environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from tests.support import ROOT

# Settings a developer's shell or .env could carry into the test's subprocess.
_CLEARED = ("ZALO_", "SHEET", "CITY_", "GOOGLE_", "OFFICER_", "FORMS_", "APP_ENV", "LOG_LEVEL", "PORT",
            "SANDBOX_FILE", "DATABASE_URL")


def cli_env(database_url: str, tmp_path: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED)}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
               SANDBOX_FILE=str(tmp_path / "sandbox.json"), PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args, database_url: str, tmp_path: Path, *, timeout=120, stdin=None, **extra):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT,
                          env=cli_env(database_url, tmp_path, **extra), capture_output=True,
                          text=True, timeout=timeout, input=stdin)


def english_chatter(text: str) -> list[str]:
    """Lines a Vietnamese officer should not see: tracebacks and library log lines."""
    markers = ("Traceback", "INFO ", "WARNING:", "Error:", "usage:", "options:", "positional arguments",
               "show this help", "invalid choice", "the following arguments are required")
    return [line for line in text.splitlines() if any(m in line for m in markers)]
