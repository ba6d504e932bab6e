"""Zalo counts requests per app (~4,000 a minute, -32 beyond): wards on different apps never
slow each other down; wards sharing an app share its minute and its pause after a -32."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime.process import Runtime
from storage import outbox
from storage.db import session_scope
from storage.messages import Reply
from storage.models import OutboundMessage
from storage.scoping import ALL_WARDS
from tests.e2e.wards.conftest import Ward
from tests.support import APP_ID, APP_SECRET

CS = "/v3.0/oa/message/cs"
C_OA, C_SECRET = "499999999999999002", "c-oa-secret-key"


@pytest.fixture()
def ward_c(city, settings, fake_zalo) -> Ward:
    """A third ward on the default ward's Zalo app (its own OA and pair, the same app)."""
    from bot.at_rest import token_cipher
    from storage import wards
    from storage.tokens import DbTokenStore

    with session_scope() as s:
        c_id = wards.add(s, "hoa-cuong", dict(name="Phường Hòa Cường", zalo_app_id=APP_ID,
                                              zalo_app_secret=APP_SECRET, zalo_oa_id=C_OA,
                                              zalo_oa_secret_key=C_SECRET), token_cipher(settings)).id
    c_oa = fake_zalo.state.add_oa(C_OA, app_id=APP_ID, app_secret=APP_SECRET,
                                  access_token="c-access-token", refresh_token="c-refresh-token")
    DbTokenStore("c-access-token", "c-refresh-token", cipher=token_cipher(settings), ward_id=c_id).current()
    city.runtime.ward_settings.directory.reload()
    return Ward(c_id, "hoa-cuong", APP_ID, C_OA, C_SECRET, c_oa, "")


def _queue(ward: Ward, user: str, text: str) -> None:
    ward.oa.add_user(user)
    with session_scope(ward.id) as s:
        outbox.enqueue(s, user, Reply(text).payload())


def _statuses() -> dict[tuple[int, str], str]:
    with session_scope(ALL_WARDS) as s:
        return {(r.ward_id, r.recipient_id): r.status for r in s.scalars(select(OutboundMessage))}


def test_a_rate_limit_on_one_app_pauses_its_wards_and_not_the_others(city, ward_c):
    a, b, c = city.a, city.b, ward_c
    a.oa.fail(CS, code=-32)                        # Zalo: app A is over its minute
    _queue(a, "700000000000000001", "A")
    city.runtime.sender.send_due()
    assert _statuses() == {(a.id, "700000000000000001"): "pending"}
    _queue(b, "700000000000000002", "B")           # another app: at full speed
    _queue(c, "700000000000000003", "C")           # app A's other ward: waits with A
    city.runtime.sender.send_due()
    assert _statuses() == {(a.id, "700000000000000001"): "pending", (b.id, "700000000000000002"): "sent",
                           (c.id, "700000000000000003"): "pending"}
    assert [m.message["text"] for m in b.oa.messages()] == ["B"]
    assert c.oa.messages() == [] and c.oa.requests[CS] == 0   # held here, not refused by Zalo


def test_wards_sharing_an_app_share_its_minute(city, ward_c, settings):
    a, b, c = city.a, city.b, ward_c
    runtime = Runtime(settings.with_overrides(zalo_rate_limit_per_minute=3), scheduler=False)
    try:
        for n in range(2):
            _queue(a, f"70000000000000001{n}", "A")
            _queue(c, f"70000000000000003{n}", "C")
            _queue(b, f"70000000000000002{n}", "B")
        runtime.sender.send_due()
        runtime.sender.send_due()
    finally:
        runtime.sender.close()
    sent = [ward for (ward, _), status in _statuses().items() if status == "sent"]
    assert sent.count(a.id) + sent.count(c.id) == 3     # app A: 3 a minute for both wards
    assert sent.count(b.id) == 2                        # app B: its own minute
    assert len(a.oa.messages()) + len(c.oa.messages()) == 3 and len(b.oa.messages()) == 2
    assert a.oa.counters["rate_limited"] == 0 == c.oa.counters["rate_limited"]  # never a -32
