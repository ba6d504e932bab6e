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


def _ticket(ward_id: int, text: str) -> str:
    from storage import tickets
    from storage.db import session_scope

    with session_scope(ward_id) as s:
        return tickets.create_ticket(s, kind="complaint", text=text, actor="test").code


def test_tickets_of_one_ward_carry_its_code(cli, ward_b):
    a = _ticket(1, "Đèn đường hỏng")
    b = _ticket(ward_b, "Rác ngõ 3")
    assert a == b  # codes count per ward
    code, out, err = cli("tickets", "--json", "--ward", "an-hai")
    assert code == 0, err
    assert [(t["code"], t["text"], t["ward"]) for t in json.loads(out)] == [(b, "Rác ngõ 3", "an-hai")]
    code, out, err = cli("tickets", "--ward", "default")
    assert "Đèn đường hỏng" in out and "Rác ngõ 3" not in out and "1 phiếu." in out


def test_chat_signs_as_the_chosen_ward(cli, ward_b, tmp_path, monkeypatch):
    """`chat --ward an-hai` posts that ward's events: its app and OA, signed with its key, to
    its own webhook URL; `default` keeps the sandbox's own OA."""
    from bot.cli.main import chat_ward
    from bot.cli.settings import load_ward
    from bot.sandbox import chat
    from tests.bot.cli.conftest import B_APP, B_OA, B_SECRET

    sandbox = tmp_path / "sandbox.json"
    sandbox.write_text(json.dumps({"webhook_url": "http://127.0.0.1:8000/webhooks/zalo",
                                   "app_id": "sandbox-app", "oa_id": "sandbox-oa",
                                   "oa_secret_key": "sandbox-key", "fake_zalo_url": "http://127.0.0.1:9"}))
    monkeypatch.setenv("SANDBOX_FILE", str(sandbox))
    import argparse

    ward, settings = load_ward(argparse.Namespace(ward="an-hai"))
    assert chat_ward(ward, settings) == {"name": "Phường An Hải", "app_id": B_APP, "oa_id": B_OA,
                                         "oa_secret_key": B_SECRET,
                                         "webhook_url": "http://127.0.0.1:8000/webhooks/zalo/an-hai"}
    seen = {}
    monkeypatch.setattr(chat, "_loop", lambda client, stdin, out: seen.update(client.info) or 0)
    assert cli("chat", "--ward", "an-hai")[0] == 0
    assert (seen["oa_id"], seen["oa_secret_key"]) == (B_OA, B_SECRET)
    assert cli("chat", "--ward", "default")[0] == 0
    assert (seen["oa_id"], seen["oa_secret_key"]) == ("sandbox-oa", "sandbox-key")
    seen.clear()
    assert cli("chat")[0] == 0  # several wards, no --ward: the default ward's OA
    assert (seen["oa_id"], seen["oa_secret_key"]) == ("sandbox-oa", "sandbox-key")
