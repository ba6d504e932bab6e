"""bot/cli/main.py: `tickets --json`, and a production start without its settings is one message."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import ROOT


def _run_cli(args, database_url, **extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZALO_")}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT), **extra_env)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_tickets_json_lists_every_ticket(bot, database_url):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    result = _run_cli(["tickets", "--json"], database_url)
    assert result.returncode == 0, result.stderr
    [ticket] = json.loads(result.stdout)
    assert {"code", "kind", "topic", "status", "text", "resident_id", "created_at"} <= ticket.keys()
    assert ticket["kind"] == "complaint" and ticket["status"] == "new"


def test_production_start_without_settings_fails_with_one_message(tmp_path):
    result = _run_cli(["worker"], f"sqlite:///{tmp_path / 'x.db'}", APP_ENV="production")
    assert result.returncode == 2
    assert "ZALO_APP_SECRET" in result.stderr and "ZALO_REFRESH_TOKEN" in result.stderr
