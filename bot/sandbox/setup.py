"""The offline sandbox: with no Zalo credentials, `serve` talks to a local fake Zalo OpenAPI
(the same one the tests use), so a newcomer can try the bot without any account.

`serve` writes instance/sandbox.json; `python -m bot chat` reads it to sign its events and to
read the bot's replies back from the fake.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete

from bot.settings import Settings
from storage.db import session_scope
from storage.files import write_private
from storage.models import OAToken

APP_ID = "1000000000000000001"
OA_ID = "1000000000000000002"
APP_SECRET = "sandbox-app-secret"
OA_SECRET = "sandbox-oa-secret-key"
ACCESS = "sandbox-access-token"
REFRESH = "sandbox-refresh-token"
SHEETS_SECRET = "sandbox-sheets-webhook-secret"
# Signs `forms post` in the sandbox: with no FORMS_SHARED_SECRET configured, `serve` uses this one
# and tells other terminals through sandbox.json, so the sample works with no set-up or restart.
FORMS_SECRET = "sandbox-forms-secret"


def start(settings: Settings, public_url: str):
    """Start the fake Zalo server; return (settings pointed at it, the running server)."""
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET, access_token=ACCESS,
                          refresh_token=REFRESH)
    server = FakeZaloServer(state).start()
    # Like a real OA subscribed to oa_send_*: the fake echoes every message to our webhook.
    state.configure_webhook(public_url.rstrip("/") + "/webhooks/zalo", OA_SECRET, OA_ID)
    settings = settings.with_overrides(
        zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET,
        zalo_oa_id=OA_ID, zalo_access_token=ACCESS, zalo_refresh_token=REFRESH,
        zalo_api_base=server.base_url, zalo_oauth_base=server.base_url,
        zalo_signature_secret="oa_secret_key",
        forms_shared_secret=settings.forms_shared_secret or FORMS_SECRET,
        ward_profile_file=sandbox_profile(settings),
    )
    # A fresh fake issues fresh tokens: forget any pair a previous sandbox run rotated.
    with session_scope() as session:
        session.execute(delete(OAToken))
    write_info(Path(settings.sandbox_file), public_url, server.base_url, settings.forms_shared_secret)
    return settings, server


def sandbox_profile(settings: Settings) -> str:
    """The ward profile in the sandbox: the IT officer's own if set, else the sample whose
    values all say "(mẫu)", so no FAQ answer is held back and none passes for real."""
    from bot.ward_profile import SAMPLE

    return settings.ward_profile_file or str(SAMPLE)


def write_info(path: Path, public_url: str, fake_url: str, forms_secret: str = FORMS_SECRET) -> None:
    write_private(path, json.dumps({  # holds the (sandbox) OA secret key
        "webhook_url": public_url.rstrip("/") + "/webhooks/zalo",
        "forms_url": public_url.rstrip("/") + "/webhooks/forms",
        "forms_secret": forms_secret,
        "fake_zalo_url": fake_url,
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "oa_secret_key": OA_SECRET,
    }, indent=2))


def read_info(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def start_sheets(settings: Settings):
    """No Google sheet configured: serve the board from a local fake Sheets API."""
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_sheets.state import FakeSheetsState

    server = FakeSheetsServer(FakeSheetsState("sandbox-sheet")).start()
    remember(settings, fake_sheets_url=server.base_url)  # so `sheets show` in another terminal finds it
    # The console announces an officer's edit the way the Apps Script hook does, signed.
    return settings.with_overrides(sheet_id="sandbox-sheet", google_sheets_api_base=server.base_url,
                                   sheets_webhook_secret=settings.sheets_webhook_secret
                                   or SHEETS_SECRET), server


def attach(settings: Settings) -> Settings | None:
    """A command run in another terminal while `serve` runs the sandbox: settings pointed at
    that sandbox's fake Zalo (and fake Sheets, when no sheet is configured) and its ward
    profile. None when no
    sandbox answers (none started, or the sandbox.json of one that has stopped)."""
    import requests

    try:
        info = read_info(settings.sandbox_file)
        requests.get(f"{info['fake_zalo_url']}/_fake/stats", timeout=2).raise_for_status()
    except (FileNotFoundError, ValueError, KeyError, requests.RequestException):
        return None
    settings = settings.with_overrides(
        zalo_app_id=info["app_id"], zalo_app_secret=APP_SECRET, zalo_oa_id=info["oa_id"],
        zalo_oa_secret_key=info["oa_secret_key"], zalo_access_token=ACCESS,
        zalo_refresh_token=REFRESH, zalo_api_base=info["fake_zalo_url"],
        zalo_oauth_base=info["fake_zalo_url"])
    if not settings.sheet_id and info.get("fake_sheets_url"):
        settings = settings.with_overrides(sheet_id="sandbox-sheet",
                                           google_sheets_api_base=info["fake_sheets_url"])
        if not settings.city_sheet_id and info.get("city_sheet_id"):  # the sandbox's city (city.py)
            settings = settings.with_overrides(city_sheet_id=info["city_sheet_id"])
    if settings.ward_name == Settings.ward_name and info.get("ward_name"):
        settings = settings.with_overrides(ward_name=info["ward_name"])
    # The ward facts the running sandbox answers with, so `status` counts the gaps it has.
    return settings.with_overrides(ward_profile_file=sandbox_profile(settings))


def remember(settings: Settings, **values) -> None:
    """Add `values` to sandbox.json, for commands run in another terminal (`attach`)."""
    path = Path(settings.sandbox_file)
    info = json.loads(path.read_text()) if path.exists() else {}
    write_private(path, json.dumps({**info, **values}, indent=2))
