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
from storage.models import OAToken

APP_ID = "1000000000000000001"
OA_ID = "1000000000000000002"
APP_SECRET = "sandbox-app-secret"
OA_SECRET = "sandbox-oa-secret-key"
ACCESS = "sandbox-access-token"
REFRESH = "sandbox-refresh-token"


def start(settings: Settings, public_url: str):
    """Start the fake Zalo server; return (settings pointed at it, the running server)."""
    from bot.fake_zalo import FakeZaloServer, FakeZaloState

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
    )
    # A fresh fake issues fresh tokens: forget any pair a previous sandbox run rotated.
    with session_scope() as session:
        session.execute(delete(OAToken))
    write_info(Path(settings.sandbox_file), public_url, server.base_url)
    return settings, server


def write_info(path: Path, public_url: str, fake_url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "webhook_url": public_url.rstrip("/") + "/webhooks/zalo",
        "fake_zalo_url": fake_url,
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "oa_secret_key": OA_SECRET,
    }, indent=2))


def read_info(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def start_sheets(settings: Settings):
    """No Google sheet configured: serve the board from a local fake Sheets API."""
    from sheets_sync.fake_sheets import FakeSheetsServer, FakeSheetsState

    server = FakeSheetsServer(FakeSheetsState("sandbox-sheet")).start()
    path = Path(settings.sandbox_file)
    info = json.loads(path.read_text()) if path.exists() else {}
    info["fake_sheets_url"] = server.base_url  # so `sheets show` in another terminal finds it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    return settings.with_overrides(sheet_id="sandbox-sheet",
                                   google_sheets_api_base=server.base_url), server
