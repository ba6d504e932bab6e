"""bot/cli/wards.py, ward_values.py and wards_import.py: `wards add|list|set|import` as the
city's IT officer uses them — secrets and tokens encrypted, nothing secret shown, bad input
refused in Vietnamese with exit code 2 and nothing half-written."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.base import Ward
from storage.db import session_scope
from storage.models import OAToken
from storage.scoping import ALL_WARDS
from storage.token_cipher import TokenCipher
from storage.tokens import DbTokenStore
from storage.wards import all_wards, by_code
from tests.bot.cli.conftest import B_ACCESS, B_APP, B_OA, B_REFRESH, B_SECRET, TOKEN_KEY
from tests.cli_support import english_chatter, run_cli

CIPHER = TokenCipher(TOKEN_KEY)


def _ward_count() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(Ward))


def _pair(ward_id: int, env=("", "")):
    return DbTokenStore(*env, cipher=CIPHER, ward_id=ward_id).current()


def test_add_stores_secrets_and_the_token_pair_encrypted(cli, ward_b):
    with session_scope(ALL_WARDS) as s:
        row = s.scalar(select(Ward).where(Ward.code == "an-hai"))
        token = s.scalar(select(OAToken).where(OAToken.ward_id == ward_b))
        stored = (row.zalo_app_secret, row.zalo_oa_secret_key, token.access_token, token.refresh_token)
    assert all(CIPHER.is_encrypted(v) for v in stored)
    assert not {"b-app-secret", B_SECRET, B_ACCESS, B_REFRESH} & set(stored)
    with session_scope() as s:
        config = by_code(s, "an-hai", CIPHER)
    assert (config.zalo_oa_secret_key, config.zalo_app_id, config.officer_zalo_ids) == (
        B_SECRET, B_APP, ("910000000000000001",))
    tokens = _pair(ward_b)
    assert (tokens.access_token, tokens.refresh_token) == (B_ACCESS, B_REFRESH)


def test_list_shows_every_ward_and_no_secret(cli, ward_b):
    from storage import tickets

    with session_scope(ward_b) as s:
        tickets.create_ticket(s, kind="complaint", text="Rác ngõ 3", actor="test")
    code, out, err = cli("wards", "list")
    assert code == 0, err
    assert "Mã phường" in out and "Bảng tính" in out and "Số phiếu" in out and "2 phường." in out
    [line] = [x for x in out.splitlines() if x.startswith("an-hai")]
    assert "Phường An Hải" in line and B_OA in line and B_APP in line and line.split()[-1] == "1"
    for secret in ("b-app-secret", B_SECRET, B_ACCESS, B_REFRESH, "gAAAAA"):
        assert secret not in out
    code, out, err = cli("wards", "list", "--json")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["an-hai"] == {"code": "an-hai", "name": "Phường An Hải", "zalo_oa_id": B_OA,
                              "zalo_app_id": B_APP, "sheet": False, "officers": 1, "tickets": 1}
    assert rows["default"]["tickets"] == 0


def test_bad_input_is_refused_in_vietnamese_with_code_2_and_nothing_stored(cli, ward_b):
    cases = [
        (("wards", "add", "An Hai", "--name", "x"), "Mã phường 'An Hai' không hợp lệ"),
        (("wards", "add", "hoa-cuong", "--name", "Phường Hòa Cường", "--zalo-app-id", "1"),
         "--zalo-oa-secret-key: thiếu (bắt buộc khi thêm phường)"),
        (("wards", "add", "an-hai", "--name", "x", "--zalo-app-id", "1", "--zalo-app-secret", "s",
          "--zalo-oa-id", "9", "--zalo-oa-secret-key", "k", "--zalo-access-token", "a",
          "--zalo-refresh-token", "r"), "Phường an-hai đã có"),
        (("wards", "add", "hoa-cuong", "--name", "x", "--zalo-app-id", "1", "--zalo-app-secret", "s",
          "--zalo-oa-id", B_OA, "--zalo-oa-secret-key", "k", "--zalo-access-token", "a",
          "--zalo-refresh-token", "r"), f"OA {B_OA} đã thuộc phường an-hai"),
        (("wards", "set", "khong-co", "--name", "x"), "Không có phường khong-co"),
        (("wards", "set", "an-hai", "--zalo-access-token", "only-one"), "--zalo-refresh-token: cần cả"),
        (("wards", "set", "an-hai", "--zalo-oa-id", ""), "--zalo-oa-id: không được để trống"),
        (("wards", "set", "an-hai"), "Không có gì để sửa"),
        (("wards", "add"), "Cần mã phường"),
    ]
    for args, expected in cases:
        code, out, err = cli(*args)
        assert code == 2 and expected in err, (args, err)
        assert not english_chatter(out + err), (args, err)
    assert _ward_count() == 2
    with session_scope() as s:
        assert by_code(s, "an-hai").zalo_oa_id == B_OA
    assert _pair(ward_b).access_token == B_ACCESS


def test_set_changes_any_field_and_replaces_the_pair(cli, ward_b):
    running = DbTokenStore("", "", cipher=CIPHER, ward_id=ward_b)  # a worker's store, cached
    assert running.current().access_token == B_ACCESS
    code, out, err = cli("wards", "set", "an-hai", "--sheet-id", "sheet-b", "--officers", "1, 2",
                         "--zalo-access-token", "new-access", "--zalo-refresh-token", "new-refresh")
    assert code == 0 and "Cặp token Zalo đã được lưu" in out, err
    with session_scope() as s:
        config = by_code(s, "an-hai", CIPHER)
    assert config.sheet_id == "sheet-b" and config.officer_zalo_ids == ("1", "2")
    assert config.zalo_oa_secret_key == B_SECRET  # untouched
    # The running worker notices at its next -216, which re-reads the row (DbTokenStore.refresh).
    assert running.refresh(B_ACCESS, lambda _: None).access_token == "new-access"
    assert _pair(ward_b).refresh_token == "new-refresh"


def test_set_default_overrides_the_environment_which_does_not_take_it_back(cli, token_key, monkeypatch):
    from bot.settings import load_settings
    from bot.wards import ward_directory

    monkeypatch.setenv("ZALO_OA_ID", "env-oa")
    monkeypatch.setenv("ZALO_ACCESS_TOKEN", "env-access")
    monkeypatch.setenv("ZALO_REFRESH_TOKEN", "env-refresh")
    env_pair = ("env-access", "env-refresh")
    assert _pair(1, env_pair).access_token == "env-access"  # seeded from .env at a first start
    code, out, err = cli("wards", "set", "default", "--zalo-oa-id", "db-oa", "--name", "Phường Một",
                         "--zalo-access-token", "db-access", "--zalo-refresh-token", "db-refresh")
    assert code == 0, err
    default = ward_directory(load_settings(dotenv=False)).get(1)
    assert (default.zalo_oa_id, default.name) == ("db-oa", "Phường Một")
    # The next start, .env unchanged: the stored pair stays.
    assert _pair(1, env_pair).access_token == "db-access"
    # A fresh pair put in .env later (a re-authorisation) still wins, as before wards.
    assert _pair(1, ("env-access-2", "env-refresh-2")).access_token == "env-access-2"


TOML = '''# the city's wards
[[ward]]
code = "hoa-cuong"
name = "Phường Hòa Cường"
zalo_app_id = "{app}"
zalo_app_secret = "c-app-secret"
zalo_oa_id = "499999999999999002"
zalo_oa_secret_key = "c-oa-secret"
zalo_access_token = "c-access"
zalo_refresh_token = "c-refresh"
officers = ["920000000000000001", "920000000000000002"]

[[ward]]
code = "an-hai"
sheet_id = "sheet-b"
'''


def test_import_adds_and_updates_in_one_go(cli, ward_b, tmp_path):
    path = tmp_path / "wards.toml"
    path.write_text(TOML.format(app=B_APP), encoding="utf-8")
    code, out, err = cli("wards", "import", str(path))
    assert code == 0 and "thêm 1 phường, cập nhật 1 phường" in out, err
    with session_scope() as s:
        c, b = by_code(s, "hoa-cuong", CIPHER), by_code(s, "an-hai", CIPHER)
    assert c.officer_zalo_ids == ("920000000000000001", "920000000000000002")
    assert c.zalo_oa_secret_key == "c-oa-secret" and b.sheet_id == "sheet-b"
    assert _pair(c.id).refresh_token == "c-refresh" and _pair(ward_b).access_token == B_ACCESS


BAD_TOML = TOML.format(app=B_APP) + f'''
[[ward]]
code = "Son Tra"
name = "x"

[[ward]]
code = "thanh-khe"
name = "Phường Thanh Khê"
zalo_app_id = 5
zalo_oa_id = "{B_OA}"
colour = "đỏ"

[[ward]]
code = "an-hai"
zalo_oa_id = "499999999999999002"
'''


def test_import_is_all_or_nothing_and_names_every_problem(cli, ward_b, tmp_path):
    path = tmp_path / "wards.toml"
    path.write_text(BAD_TOML, encoding="utf-8")
    code, out, err = cli("wards", "import", str(path))
    assert code == 2 and "Không nhập phường nào" in err
    for expected in ("dòng 17 (phường Son Tra): Mã phường 'Son Tra' không hợp lệ",
                     "dòng 21 (phường thanh-khe), colour: không có trường này",
                     "dòng 21 (phường thanh-khe), zalo_app_id: phải là chuỗi",
                     "dòng 21 (phường thanh-khe), zalo_oa_secret_key: thiếu",
                     f"dòng 21 (phường thanh-khe): OA {B_OA} đã thuộc phường an-hai",
                     "dòng 28 (phường an-hai): mã an-hai có hai lần trong tệp",
                     "dòng 28 (phường an-hai): OA 499999999999999002 đã thuộc phường hoa-cuong"):
        assert expected in err, (expected, err)
    assert not english_chatter(err)
    with session_scope() as s:  # the good first ward was not kept either, nor an-hai's sheet
        assert [w.code for w in all_wards(s)] == ["default", "an-hai"]
        assert by_code(s, "an-hai").sheet_id == ""
    with session_scope(ALL_WARDS) as s:
        assert s.scalar(select(func.count()).select_from(OAToken)) == 1  # an-hai's, from `wards add`


def test_import_says_where_the_toml_is_broken(cli, tmp_path):
    path = tmp_path / "wards.toml"
    path.write_text('[[ward]]\ncode = "x"\nname = \n', encoding="utf-8")
    code, out, err = cli("wards", "import", str(path))
    assert code == 2 and "không đúng cú pháp TOML ở dòng 3, cột 8" in err
    path.write_text('[[wards]]\ncode = "x"\n', encoding="utf-8")
    code, out, err = cli("wards", "import", str(path))
    assert code == 2 and "mục «wards» không dùng được" in err and "không có mục [[ward]] nào" in err
    assert _ward_count() == 1


def test_the_real_command_speaks_vietnamese_only(clean_db, database_url, tmp_path):
    result = run_cli(["wards", "add", "an-hai", "--name", "Phường An Hải"], database_url, tmp_path,
                     TOKEN_ENCRYPTION_KEY=TOKEN_KEY)
    assert result.returncode == 2 and "--zalo-app-id: thiếu" in result.stderr
    result = run_cli(["wards", "list"], database_url, tmp_path, TOKEN_ENCRYPTION_KEY=TOKEN_KEY)
    assert result.returncode == 0 and "1 phường." in result.stdout
    assert not english_chatter(result.stdout + result.stderr)
