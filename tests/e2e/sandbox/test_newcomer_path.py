"""The newcomer's path: `serve` with no Zalo account, then `chat` to a ticket code."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import requests
from tests.support import ROOT



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_sandbox_and_chat_to_a_ticket_code(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.db'}", PORT=str(port),
               SANDBOX_FILE=str(tmp_path / "sandbox.json"), PYTHONPATH=str(ROOT),
               LOG_LEVEL="WARNING")
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:  # not up yet, or slow to answer on a busy machine
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("serve did not start")
        chat = subprocess.run(
            [sys.executable, "-m", "bot", "chat"], cwd=ROOT, env=env, text=True, timeout=120,
            input="den duong ngo 12 to 5 hong 3 hom nay r\n1\nGửi phản ánh\n",
            capture_output=True,
        )
        assert chat.returncode == 0, chat.stderr
        assert "[1] Không có ảnh" in chat.stdout
        assert re.search(r"mã PA-\d{4}-\d{4,}", chat.stdout), chat.stdout
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0, out
