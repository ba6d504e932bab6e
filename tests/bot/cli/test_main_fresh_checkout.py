"""Every command works on a fresh checkout: nothing but the code, no `serve` run before."""
from __future__ import annotations

import pytest

from tests.cli_support import english_chatter, run_cli

COMMANDS = [
    (["tickets"], "Chưa có phiếu nào"),
    (["status"], "Tin gửi đi (outbox): chưa có"),
    (["groups", "list"], "Chưa có tổ dân phố nào"),
    (["announce", "list"], "Chưa có thông báo nào"),
    (["announce", "reach"], "Chưa có lần gửi nào"),
    (["report", "weekly"], "BÁO CÁO TUẦN"),
    (["notify-stats"], "Không có tin báo tiến độ nào bị Zalo từ chối"),
    (["jobs"], "thứ Sáu hằng tuần, 15:30"),
    (["jobs"], "Chưa worker nào chạy lịch định kỳ"),
    (["learn", "--text", "cống ngõ 3 tắc", "--kind", "complaint", "--topic", "environment"], "Đã học"),
]


def test_every_command_answers_in_vietnamese_on_an_empty_instance(tmp_path):
    url = f"sqlite:///{tmp_path / 'instance' / 'hopthuso.db'}"  # does not exist yet
    for args, expected in COMMANDS:
        result = run_cli(args, url, tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert expected in result.stdout, (args, result.stdout)
        assert not english_chatter(result.stdout + result.stderr), (args, result.stdout, result.stderr)


def test_postgres_is_not_migrated_behind_the_deployers_back(clean_db, database_url, tmp_path):
    """SQLite (embedded, one machine) upgrades itself; PostgreSQL says to run `./dev migrate`."""
    if not database_url.startswith("postgresql"):
        fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
        result = run_cli(["tickets"], fresh, tmp_path)
        assert result.returncode == 0 and "Chưa có phiếu nào" in result.stdout, result.stderr
        return
    from tests.conftest import _drop_postgres, _postgres_database

    url, cleanup = _postgres_database(database_url)
    try:
        result = run_cli(["tickets"], url, tmp_path)
        assert result.returncode == 2
        assert "./dev migrate" in result.stderr and "Traceback" not in result.stderr
        assert run_cli(["migrate"], url, tmp_path).returncode == 0
        result = run_cli(["tickets"], url, tmp_path)
        assert result.returncode == 0 and "Chưa có phiếu nào" in result.stdout, result.stderr
    finally:
        _drop_postgres(*cleanup)


def test_an_unreachable_database_is_one_vietnamese_line(tmp_path):
    result = run_cli(["tickets"], "postgresql://127.0.0.1:1/none", tmp_path)
    assert result.returncode == 2
    assert "Không kết nối được cơ sở dữ liệu" in result.stderr and "Traceback" not in result.stderr


def test_an_unexpected_failure_is_a_sentence_with_what_to_do(monkeypatch, capsys):
    """A command failing on something nobody foresaw: one sentence and what to do, no traceback
    (the traceback with LOG_LEVEL=DEBUG)."""
    from bot.cli import main as cli

    def broken(args):
        raise KeyError("something nobody foresaw")
    monkeypatch.setattr(cli, "cmd_tickets", broken)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert cli.main(["tickets"]) == 1
    err = capsys.readouterr().err
    assert "Lỗi không mong đợi khi chạy `./dev tickets`" in err and "LOG_LEVEL=DEBUG" in err
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    with pytest.raises(KeyError):
        cli.main(["tickets"])
