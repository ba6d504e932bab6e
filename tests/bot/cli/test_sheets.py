"""bot/cli/sheets.py: `sheets sync` and `sheets show` against the fake Sheets API."""
from __future__ import annotations

from tests.sheets_sync.test_sync import make_ticket


def test_cli_sync_and_show(sheet_settings, fake_sheets, monkeypatch, capsys, no_backoff):
    import argparse

    from bot.cli import sheets as cli

    monkeypatch.setattr("bot.cli.settings.load_settings", lambda: sheet_settings)
    make_ticket(reporter_name="Bác Lan", reporter_phone="0901234567")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["sheets", "sync"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Đã thêm 1 dòng" in out and '"appended": 1' in out.splitlines()[-1]
    args = parser.parse_args(["sheets", "show"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "Mã phiếu" in out and "Bác Lan — 090****567" in out and "0901234567" not in out


def test_another_wards_sync_is_refused_rather_than_filled_with_the_default_wards_tickets(cli, ward_b):
    """The sync runs sheets_sync, whose sessions are the default ward's so far."""
    assert cli("wards", "set", "an-hai", "--sheet-id", "sheet-b")[0] == 0
    code, out, err = cli("sheets", "sync", "--ward", "an-hai")
    assert code == 2 and "Đồng bộ bảng tính (sheets sync) cho phường an-hai chưa làm được" in err
