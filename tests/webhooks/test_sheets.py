"""webhooks/sheets.py: the sheet's onEdit hook, signed posts that ask for a sync (the sync itself
is in tests/sheets_sync/test_sync.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import session_scope


def _signed(secret: str, raw: bytes, stamp: str | None = None) -> dict:
    import time

    from webhooks.signature import hmac_sha256

    stamp = stamp or str(int(time.time()))
    return {"X-Hts-Timestamp": stamp, "X-Hts-Signature": hmac_sha256(secret, stamp.encode(), b".", raw),
            "Content-Type": "application/json"}


@pytest.fixture()
def hook(sheet_settings):
    from bot.app import create_app

    calls = []
    app = create_app(sheet_settings.with_overrides(sheets_webhook_secret="s3"),
                     sync_now=lambda: calls.append(1))
    return app.test_client(), calls


def test_hook_with_good_signature_is_stored_and_asks_for_a_sync(hook):
    from storage.models import InboundEvent

    client, calls = hook
    raw = b'{"code": "PA-2026-0001", "column": "Tr\\u1ea1ng th\\u00e1i", "user": "a@b.vn"}'
    assert client.post("/webhooks/sheets", data=raw, headers=_signed("s3", raw)).status_code == 202
    assert calls == [1]
    with session_scope() as s:
        ev = s.scalar(select(InboundEvent))
    assert ev.source == "sheet" and ev.payload == raw.decode()


def test_hook_with_bad_or_stale_signature_is_refused(hook):
    import time

    from storage.models import InboundEvent

    client, calls = hook
    raw = b'{"code": "PA-2026-0001"}'
    bad = dict(_signed("s3", raw), **{"X-Hts-Signature": "0" * 64})
    assert client.post("/webhooks/sheets", data=raw, headers=bad).status_code == 401
    assert client.post("/webhooks/sheets", data=raw, headers=_signed("other", raw)).status_code == 401
    stale = _signed("s3", raw, stamp=str(int(time.time()) - 600))
    assert client.post("/webhooks/sheets", data=raw, headers=stale).status_code == 401
    assert client.post("/webhooks/sheets", data=raw + b" ", headers=_signed("s3", raw)).status_code == 401
    assert calls == []
    with session_scope() as s:
        assert s.scalar(select(InboundEvent)) is None
