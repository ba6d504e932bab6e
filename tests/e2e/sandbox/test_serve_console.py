"""What the officer sees in the terminal: `serve`, `chat` across a restart, help, a taken port."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.cli_support import ROOT, english_chatter, run_cli


class Chat:
    """`./dev chat` as a subprocess, fed line by line."""

    def __init__(self, env):
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "chat"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def say(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait_for(self, needle: str, after: int = 0, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines[after:], after):
                if needle in line:
                    return i
            if self.proc.poll() is not None and not any(needle in x for x in self.lines[after:]):
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not seen in chat output:\n" + "\n".join(self.lines))

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


def test_chat_survives_a_restart_of_serve_and_the_console_stays_vietnamese(serve):
    serve.start()
    chat = Chat(serve.env)
    try:
        chat.say("xin chào")
        first = chat.wait_for("Phường:")
        serve.stop()
        chat.say("đèn đường ngõ 12 tổ 5 bị hỏng")
        down = chat.wait_for("đang kết nối lại", first)
        serve.start()                                     # same port, same data, a new fake Zalo
        back = chat.wait_for("Đã kết nối lại", down)
        chat.wait_for("Phường:", back)                    # the message sent during the outage is answered
        assert chat.close() == 0
    finally:
        if chat.proc.poll() is None:
            chat.proc.kill()
    transcript = "\n".join(chat.lines)
    assert "Traceback" not in transcript and "Error" not in transcript, transcript
    console = serve.output()
    assert "Hộp thư số đang chạy" in console
    # At the default level: no APScheduler, Alembic or werkzeug lines, no English level names.
    for noise in ("apscheduler", "alembic", "werkzeug", " INFO ", "Added job", "Scheduler started"):
        assert noise not in console, (noise, console)
    # The service's own lines: Vietnamese, stamped in Vietnam time.
    [started] = [line for line in console.splitlines() if "worker đã chạy" in line][:1]
    assert re.match(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} TIN bot\.runtime\.process: worker đã chạy", started), started
    stamp = datetime.strptime(started[:19], "%d/%m/%Y %H:%M:%S")
    assert abs(stamp - datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)) < timedelta(minutes=10)


def test_a_taken_port_is_one_vietnamese_sentence_and_leaves_the_running_sandbox_alone(serve):
    serve.start()
    before = serve.sandbox
    result = subprocess.run([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port",
                             str(serve.port)], cwd=ROOT, env=serve.env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert f"Cổng {serve.port} đang được dùng" in result.stderr
    assert f"--port {serve.port + 1}" in result.stderr
    assert "Traceback" not in result.stderr and "Address already in use" not in result.stderr
    assert serve.sandbox == before  # the running sandbox's chat still finds it


def test_help_and_argument_errors_are_vietnamese(clean_db, database_url, tmp_path):
    for args, expected in [(["-h"], "cách dùng: ./dev"), (["announce", "-h"], "tùy chọn:"),
                           (["announce", "create", "--at"], "lỗi: tham số --at: cần một giá trị"),
                           (["serve", "--port", "tám"], "không hợp lệ (cần số nguyên)"),
                           (["khong-co-lenh"], "không có lựa chọn 'khong-co-lenh'")]:
        result = run_cli(args, database_url, tmp_path)
        shown = result.stdout + result.stderr
        assert expected in shown, (args, shown)
        assert not english_chatter(shown), (args, shown)
