"""A real `python -m bot serve` in sandbox mode (fake Zalo, fake Sheets), as a newcomer runs it."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli_support import ROOT, cli_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """One `serve` process; start() again after stop() for a restart on the same port and data."""

    def __init__(self, env: dict, port: int):
        self.env, self.port = env, port
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []

    @property
    def sandbox(self) -> dict:
        return json.loads(Path(self.env["SANDBOX_FILE"]).read_text())

    def start(self, timeout: float = 60) -> "Serve":
        self.lines = []
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=ROOT, env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()

        def pump(proc=self.proc):
            for line in proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if "Hộp thư số đang chạy" in line:
                    ready.set()
        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("serve did not start:\n" + "\n".join(self.lines))
        return self

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture()
def serve_env(database_url, tmp_path):
    """Environment of a fresh instance: its own database (SQLite file, or a new PostgreSQL one)."""
    cleanup = None
    if database_url.startswith("postgresql"):
        from tests.conftest import _postgres_database

        url, cleanup = _postgres_database(database_url)
    else:
        url = f"sqlite:///{tmp_path / 'instance' / 'hopthuso.db'}"
    yield cli_env(url, tmp_path)
    if cleanup:
        from tests.conftest import _drop_postgres

        _drop_postgres(*cleanup)


@pytest.fixture()
def serve(serve_env, clean_db):
    server = Serve(serve_env, free_port())
    yield server
    server.stop()
