"""Several wards in one database: every record belongs to one ward, and a session of one ward
never sees, changes or numbers another ward's records (storage/scoping.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.sandbox import payloads
from storage import residents, tickets
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID, InboundEvent, Ticket
from storage.scoping import ALL_WARDS, WardScopeError
from storage.wards import WardError, add, by_code
from tests.support import APP_ID, OA_ID, OA_SECRET, post_raw

B_OA, B_APP, B_SECRET = "499999999999999001", "460000000000000001", "b-oa-secret"


@pytest.fixture()
def ward_b(clean_db):
    with session_scope() as s:
        return add(s, "an-hai", dict(name="Phường An Hải", zalo_app_id=B_APP, zalo_oa_id=B_OA,
                                      zalo_oa_secret_key=B_SECRET), cipher=None).id


def _ticket(ward_id: int, text: str) -> str:
    with session_scope(ward_id) as s:
        return tickets.create_ticket(s, kind="complaint", text=text, actor="test").code


def test_codes_count_per_ward_and_lookups_stay_in_their_ward(ward_b):
    a1 = _ticket(DEFAULT_WARD_ID, "Đèn đường hỏng")
    b1 = _ticket(ward_b, "Rác ngõ 3")
    a2 = _ticket(DEFAULT_WARD_ID, "Cống tắc")
    assert a1 == b1 and a1.endswith("-0001") and a2.endswith("-0002")  # one count per ward
    with session_scope(ward_b) as s:
        [only] = s.scalars(select(Ticket)).all()
        assert only.text == "Rác ngõ 3"
        assert s.scalar(select(Ticket).where(Ticket.code == a2)) is None  # A's code, not found
        assert tickets.by_code(s, a1).text == "Rác ngõ 3"
    with session_scope(ALL_WARDS) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 3


def test_one_zalo_id_is_two_residents_in_two_wards(ward_b):
    with session_scope() as s:
        a = residents.get_or_create(s, "246845883529197922").id
    with session_scope(ward_b) as s:
        b = residents.get_or_create(s, "246845883529197922")
        assert b.id != a and b.ward_id == ward_b


def test_a_cross_ward_session_cannot_write_a_record_without_its_ward(ward_b):
    with pytest.raises(WardScopeError):
        with session_scope(ALL_WARDS) as s:
            s.add(Ticket(code="PA-X", kind="complaint", text="?"))
            s.flush()


def test_ward_codes_and_oas_are_checked(ward_b):
    with session_scope() as s:
        for bad in ("An Hai", "an_hai", "-x", ""):
            with pytest.raises(WardError):
                add(s, bad, {}, cipher=None)
        with pytest.raises(WardError, match="đã có"):
            add(s, "an-hai", {}, cipher=None)
        with pytest.raises(WardError, match="đã thuộc phường an-hai"):
            add(s, "hoa-cuong", dict(zalo_oa_id=B_OA), cipher=None)
    with session_scope() as s:
        assert by_code(s, "an-hai").name == "Phường An Hải"


def _b_event(user="246845883529197922", oa=B_OA, app=B_APP, msg="m-1"):
    return payloads.user_event(app, oa, user, "user_send_text", payloads.text("Đèn hỏng", msg))


def _stored() -> list[tuple[int, str]]:
    with session_scope(ALL_WARDS) as s:
        return [(e.ward_id, e.event_key) for e in s.scalars(select(InboundEvent))]


def _post(client, body, secret, path="/webhooks/zalo"):
    raw, headers = payloads.signed(body, secret)
    resp = client.post(path, data=raw, headers=headers)
    client.application.extensions["hts_inbox"].flush()
    return resp


def test_the_webhook_finds_the_ward_from_the_oa_and_checks_its_key(client, ward_b):
    client.application.extensions["hts_wards"].reload()
    assert _post(client, _b_event(msg="b-1"), B_SECRET).status_code == 200
    assert _post(client, _b_event(msg="b-2"), OA_SECRET).status_code == 401      # A's key
    a_event = payloads.user_event(APP_ID, OA_ID, "1", "user_send_text", payloads.text("x", "a-1"))
    assert _post(client, a_event, OA_SECRET).status_code == 200
    assert _post(client, _b_event(msg="b-3"), B_SECRET, "/webhooks/zalo/an-hai").status_code == 200
    assert _post(client, _b_event(msg="b-4"), B_SECRET, "/webhooks/zalo/default").status_code == 401
    assert _post(client, _b_event(msg="b-5"), B_SECRET, "/webhooks/zalo/khong-co").status_code == 404
    assert _post(client, _b_event(msg="b-6", oa="1"), B_SECRET).status_code == 401  # no such OA
    assert sorted(_stored()) == sorted([(ward_b, "zalo:msg:b-1"), (DEFAULT_WARD_ID, "zalo:msg:a-1"),
                                        (ward_b, "zalo:msg:b-3")])


def test_wards_sharing_an_app_are_told_apart_by_their_oa(client, ward_b):
    with session_scope() as s:
        add(s, "hoa-cuong", dict(zalo_app_id=B_APP, zalo_oa_id="499999999999999002",
                                 zalo_oa_secret_key="c-secret"), cipher=None)
    client.application.extensions["hts_wards"].reload()
    # Signed with B's key but naming C's OA: refused, even on C's own URL.
    assert _post(client, _b_event(oa="499999999999999002", msg="c-1"), B_SECRET).status_code == 401
    assert _post(client, _b_event(oa="499999999999999002", msg="c-2"), "c-secret").status_code == 200
    assert [k for _, k in _stored()] == ["zalo:msg:c-2"]
