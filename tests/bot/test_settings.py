"""Settings, migrations, CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.settings import PRODUCTION_REQUIRED, SettingsError, load_settings
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.support import ROOT



def test_production_names_every_missing_setting_at_once():
    with pytest.raises(SettingsError) as err:
        load_settings({"APP_ENV": "production", "ZALO_APP_ID": "1"}, dotenv=False)
    for name in PRODUCTION_REQUIRED:
        if name != "ZALO_APP_ID":
            assert name in str(err.value)
    assert "ZALO_APP_ID" not in str(err.value)


def test_development_without_zalo_runs_the_sandbox():
    settings = load_settings({}, dotenv=False)
    assert not settings.zalo_configured
    assert settings.database_url.startswith("sqlite:///") and "instance" in settings.database_url
    assert settings.zalo_api_base == "https://openapi.zalo.me"


def test_bad_integer_setting_is_reported():
    with pytest.raises(SettingsError, match="PORT"):
        load_settings({"PORT": "eighty"}, dotenv=False)


@pytest.fixture()
def empty_database(tmp_path, database_url):
    if database_url.startswith("postgresql"):
        from tests.conftest import _drop_postgres, _postgres_database

        url, cleanup = _postgres_database(database_url)
        yield url
        _drop_postgres(*cleanup)
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


def test_migrations_build_exactly_the_models_schema(empty_database):
    upgrade(empty_database)
    upgrade(empty_database)  # idempotent
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"inbound_events", "outbound_messages", "tickets", "oa_tokens"} <= tables


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
