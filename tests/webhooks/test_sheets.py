"""webhooks/sheets.py: the sheet's onEdit hook, signed posts that ask for a sync, stored in the
inbox of the ward whose spreadsheet it names (the sync itself is in tests/sheets_sync/test_sync.py,
the scheduling in tests/bot/runtime/test_sheets.py)."""
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


def test_the_ping_names_its_spreadsheet_and_lands_in_that_wards_inbox(hook):
    from storage import wards
    from storage.models import DEFAULT_WARD_ID, InboundEvent
    from storage.scoping import ALL_WARDS

    client, calls = hook
    with session_scope() as s:
        an_hai = wards.add(s, "an-hai", {"name": "Phường An Hải", "sheet_id": "sheet-an-hai"}, cipher=None).id
    client.application.extensions["hts_wards"].reload()
    for sheet in ("sheet-an-hai", "sheet-1"):      # sheet-1: the default ward's, from the environment
        raw = ('{"spreadsheet_id": "%s", "code": "PA-2026-0001"}' % sheet).encode()
        assert client.post("/webhooks/sheets", data=raw, headers=_signed("s3", raw)).status_code == 202
    raw = b'{"code": "PA-2026-0001"}'               # the script of before: the default ward's
    assert client.post("/webhooks/sheets", data=raw, headers=_signed("s3", raw)).status_code == 202
    with session_scope(ALL_WARDS) as s:
        got = [e.ward_id for e in s.scalars(select(InboundEvent).order_by(InboundEvent.id))]
    assert got == [an_hai, DEFAULT_WARD_ID, DEFAULT_WARD_ID] and calls == [1, 1, 1]


def test_a_spreadsheet_no_ward_has_is_refused_and_nothing_stored(hook):
    from storage.models import InboundEvent
    from storage.scoping import ALL_WARDS

    client, calls = hook
    raw = b'{"spreadsheet_id": "someone-elses-sheet", "code": "PA-2026-0001"}'
    assert client.post("/webhooks/sheets", data=raw, headers=_signed("s3", raw)).status_code == 404
    assert calls == []
    with session_scope(ALL_WARDS) as s:
        assert s.scalar(select(InboundEvent)) is None
