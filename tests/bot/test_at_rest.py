"""Secrets at rest (issue 12, item 7): owner-only files and folders, Zalo tokens encrypted."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.sandbox import setup as sandbox
from bot.at_rest import secure_files, token_cipher, token_keys
from bot.settings import PRODUCTION_REQUIRED, SettingsError, load_settings
from storage import db
from storage.db import make_engine, session_scope
from storage.models import OAToken
from storage.spool import SpoolInbox
from storage.token_cipher import TokenCipher, TokenKeyError, new_key
from tests.support import ROOT



def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture()
def wide_umask():
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


# --- files ----------------------------------------------------------------------------------

def test_sqlite_database_its_companions_and_new_folder_are_owner_only(tmp_path, wide_umask):
    path = tmp_path / "instance" / "hopthuso.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('0901234567')"))
    with engine.connect() as conn:  # -wal and -shm exist while a connection is open
        conn.execute(text("SELECT * FROM t")).all()
        for suffix in ("", "-wal", "-shm", ".lock"):
            assert mode(f"{path}{suffix}") == 0o600, suffix
    engine.dispose()
    assert mode(path.parent) == 0o700


def test_files_left_readable_by_an_older_version_are_tightened_at_start(settings, tmp_path, wide_umask):
    dbfile = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dbfile}{suffix}").touch(mode=0o644)
        os.chmod(f"{dbfile}{suffix}", 0o644)
    spool = tmp_path / "spool"
    spool.mkdir(mode=0o755)
    (spool / "inbox-1-abc.spool").write_text("{}")
    os.chmod(spool / "inbox-1-abc.spool", 0o644)
    info = tmp_path / "sandbox.json"
    info.write_text("{}")
    os.chmod(info, 0o644)
    old = settings.with_overrides(database_url=f"sqlite:///{dbfile}", inbox_spool="on",
                                  inbox_spool_dir=str(spool), sandbox_file=str(info),
                                  token_key_file=str(tmp_path / "token.key"))
    secure_files(old)
    for path in (dbfile, f"{dbfile}-wal", f"{dbfile}-shm", spool / "inbox-1-abc.spool", info):
        assert mode(path) == 0o600, path
    assert mode(spool) == 0o700


def test_app_start_tightens_the_sandbox_file(settings, tmp_path, wide_umask):
    from bot.app import create_app

    info = tmp_path / "sandbox.json"
    info.write_text("{}")
    os.chmod(info, 0o644)
    app = create_app(settings.with_overrides(sandbox_file=str(info)))
    app.extensions["hts_inbox"].close()
    assert mode(info) == 0o600


def test_spool_folder_and_files_are_owner_only(clean_db, tmp_path, wide_umask):
    directory = tmp_path / "spool"
    inbox = SpoolInbox(directory, db.get_engine, poll=60)
    inbox.submit({"source": "zalo", "event_key": "k1", "event_name": "user_send_text",
                  "user_key": "1", "payload": "{\"text\": \"0901234567\"}"})
    files = list(directory.glob("*.spool"))
    assert files and all(mode(f) == 0o600 for f in files)
    assert mode(directory) == 0o700
    inbox.close()


def test_sandbox_json_with_the_oa_secret_is_owner_only(tmp_path, wide_umask):
    path = tmp_path / "inst" / "sandbox.json"
    sandbox.write_info(path, "http://127.0.0.1:8000", "http://127.0.0.1:9")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert sandbox.read_info(path)["oa_secret_key"] == sandbox.OA_SECRET


# --- the key --------------------------------------------------------------------------------

def test_production_without_the_key_names_it_with_the_other_missing_settings():
    env = {"APP_ENV": "production", **{k: "x" for k in PRODUCTION_REQUIRED if k != "TOKEN_ENCRYPTION_KEY"}}
    with pytest.raises(SettingsError, match="TOKEN_ENCRYPTION_KEY"):
        load_settings(env, dotenv=False)
    with pytest.raises(SettingsError) as info:
        load_settings({"APP_ENV": "production"}, dotenv=False)
    assert "ZALO_APP_ID" in str(info.value) and "TOKEN_ENCRYPTION_KEY" in str(info.value)


def test_development_generates_one_local_key_owner_only(settings, tmp_path, wide_umask):
    dev = settings.with_overrides(token_key_file=str(tmp_path / "keys" / "token.key"))
    first = token_keys(dev)
    assert token_keys(dev) == first  # kept, not regenerated
    assert mode(tmp_path / "keys" / "token.key") == 0o600
    TokenCipher(first)  # a valid Fernet key


def test_settings_read_the_key_and_retention_days():
    s = load_settings({"TOKEN_ENCRYPTION_KEY": "k1,k2", "RETENTION_DAYS_CONVERSATIONS": "30"}, dotenv=False)
    assert s.token_encryption_key == "k1,k2"
    assert s.retention_days_conversations == 30
    assert s.retention_days_inbound_payload == s.retention_days_outbox_payload == 90
    example = (ROOT / ".env.example").read_text()
    for name in ("TOKEN_ENCRYPTION_KEY=", "RETENTION_DAYS_INBOUND_PAYLOAD=90",
                 "RETENTION_DAYS_OUTBOX_PAYLOAD=90", "RETENTION_DAYS_CONVERSATIONS=90"):
        assert name in example


# --- tokens ---------------------------------------------------------------------------------

def raw_token_row() -> tuple[str, str]:
    with session_scope() as s:
        return tuple(s.execute(text("SELECT access_token, refresh_token FROM oa_tokens")).one())


def test_raw_database_row_does_not_contain_the_tokens(bot, fake_zalo, settings):
    bot.say("xin chào")
    fake_zalo.state.expire_access_tokens()
    assert bot.say("Phản ánh")  # a refresh: the new pair is stored too
    access, refresh = raw_token_row()
    assert fake_zalo.state.access_token not in access and fake_zalo.state.refresh_token not in refresh
    assert "test-refresh-token" not in refresh
    assert token_cipher(settings).decrypt(refresh) == fake_zalo.state.refresh_token


def test_plain_tokens_stored_by_an_older_version_are_encrypted_at_start(settings, fake_zalo):
    from bot.runtime.process import Runtime

    with session_scope() as s:
        s.add(OAToken(id=1, access_token="test-access-token", refresh_token="test-refresh-token",
                      seeded_from=None, rotations=0))
    rt = Runtime(settings, scheduler=False)
    try:
        access, refresh = raw_token_row()
        assert "test-access-token" not in access and "test-refresh-token" not in refresh
        assert rt.client.tokens.current().access_token == "test-access-token"
    finally:
        rt.sender.close()


def test_rotation_with_new_and_old_keys_and_with_the_cli(settings, fake_zalo, database_url, monkeypatch):
    from bot.cli.main import main
    from bot.runtime.process import Runtime

    old, new, newer = new_key(), new_key(), new_key()
    rt = Runtime(settings.with_overrides(token_encryption_key=old), scheduler=False)
    rt.client.tokens.current()
    rt.sender.close()
    # 1. TOKEN_ENCRYPTION_KEY="new,old": the next start re-encrypts with the new key.
    rt = Runtime(settings.with_overrides(token_encryption_key=f"{new},{old}"), scheduler=False)
    rt.sender.close()
    assert TokenCipher(new).decrypt(raw_token_row()[1]) == "test-refresh-token"
    # 2. The CLI: only the newest key in the environment, the previous one given with --old.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", newer)
    assert main(["token-key", "rotate", f"--old={new}"]) == 0  # a key may start with "-"
    with pytest.raises(TokenKeyError):
        TokenCipher(new).decrypt(raw_token_row()[1])
    assert TokenCipher(newer).decrypt(raw_token_row()[1]) == "test-refresh-token"


def test_token_key_new_prints_a_fernet_key(capsys):
    from bot.cli.main import main

    assert main(["token-key", "new"]) == 0
    TokenCipher(capsys.readouterr().out.strip())


def _worker(database_url: str, key: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TOKEN_"))}
    env.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT), TOKEN_ENCRYPTION_KEY=key,
               ZALO_APP_ID="1", ZALO_OA_SECRET_KEY="s", ZALO_ACCESS_TOKEN="a", ZALO_REFRESH_TOKEN="r",
               ZALO_API_BASE="http://127.0.0.1:9", ZALO_OAUTH_BASE="http://127.0.0.1:9")
    return subprocess.run([sys.executable, "-m", "bot", "worker", "--no-scheduler"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=90)


def test_wrong_or_malformed_key_is_one_clear_vietnamese_line_not_a_traceback(clean_db, database_url):
    with session_scope() as s:
        s.add(OAToken(id=1, access_token=TokenCipher(new_key()).encrypt("a"),
                      refresh_token=TokenCipher(new_key()).encrypt("r"), rotations=0))
    wrong = _worker(database_url, new_key())
    assert wrong.returncode == 2
    assert "TOKEN_ENCRYPTION_KEY không đúng" in wrong.stderr and "Traceback" not in wrong.stderr
    bad = _worker(database_url, "not-a-key")
    assert bad.returncode == 2
    assert "TOKEN_ENCRYPTION_KEY không hợp lệ" in bad.stderr and "Traceback" not in bad.stderr
