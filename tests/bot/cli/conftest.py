"""Fixtures of the command-line tests: `cli` runs `python -m bot …` in this process (fast), on
the test database; `token_key` sets the key they encrypt with; `ward_b` adds a second ward, `an-hai`, the way `wards add` stores one."""
from __future__ import annotations

import pytest

B_CODE, B_OA, B_APP = "an-hai", "499999999999999001", "460000000000000001"
B_SECRET, B_ACCESS, B_REFRESH = "b-oa-secret", "b-access-token", "b-refresh-token"
TOKEN_KEY = "0Vv0u7oX2yVQf1mJ4yY2m3N9j6m6Yx0cS2H9d1kq8sE="


@pytest.fixture()
def cli(monkeypatch, clean_db, database_url, tmp_path, capsys):
    """`python -m bot …` in this process, on the test database, no Zalo configured."""
    from bot.cli.main import main

    for name in ("ZALO_APP_ID", "ZALO_OA_SECRET_KEY", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN",
                 "ZALO_OA_ID", "ZALO_APP_SECRET", "OFFICER_ZALO_IDS", "SHEET_ID", "WARD_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SANDBOX_FILE", str(tmp_path / "no-sandbox.json"))

    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture()
def token_key(monkeypatch) -> str:
    """TOKEN_ENCRYPTION_KEY for the commands, so the test can read what they encrypted."""
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", TOKEN_KEY)
    return TOKEN_KEY


@pytest.fixture()
def ward_b(cli, token_key) -> int:
    """A second ward added with `wards add`; its id."""
    code, out, err = cli("wards", "add", B_CODE, "--name", "Phường An Hải", "--zalo-app-id", B_APP,
                         "--zalo-app-secret", "b-app-secret", "--zalo-oa-id", B_OA,
                         "--zalo-oa-secret-key", B_SECRET, "--zalo-access-token", B_ACCESS,
                         "--zalo-refresh-token", B_REFRESH, "--officers", "910000000000000001")
    assert code == 0, err
    from storage.db import session_scope
    from storage.wards import by_code

    with session_scope() as s:
        return by_code(s, B_CODE).id
