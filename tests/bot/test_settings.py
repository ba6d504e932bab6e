"""bot/settings.py: every missing production setting named at once, the sandbox without Zalo,
a bad number reported by its name."""
from __future__ import annotations

import pytest

from bot.settings import PRODUCTION_REQUIRED, SettingsError, load_settings


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
