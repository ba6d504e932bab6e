"""bot/cli/privacy.py in a city of wards: export and erase look a person up in the chosen ward;
the retention purge and the key rotation are the deployment's and cover every ward."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from storage import inbox, tickets
from storage.base import Ward
from storage.db import session_scope
from storage.models import AuditLog, InboundEvent, OAToken, utcnow
from storage.scoping import ALL_WARDS
from storage.token_cipher import TokenCipher, new_key
from tests.bot.cli.conftest import B_REFRESH, B_SECRET, TOKEN_KEY


def test_export_finds_the_code_in_the_chosen_ward(cli, ward_b, tmp_path):
    for ward_id, text in ((1, "Đèn đường hỏng"), (ward_b, "Rác ngõ 3")):
        with session_scope(ward_id) as s:
            code = tickets.create_ticket(s, kind="complaint", text=text, actor="test").code
    out_file = tmp_path / "export.json"
    status, out, err = cli("privacy", "export", code, "--out", str(out_file), "--ward", "an-hai")
    assert status == 0, err
    [ticket] = json.loads(out_file.read_text())["tickets"]
    assert ticket["text"] == "Rác ngõ 3"
    with session_scope(ward_b) as s:  # the audit trail of the ward whose data it was
        assert [a.action for a in s.scalars(select(AuditLog))] == ["privacy_export"]


def test_purge_covers_every_ward(cli, ward_b):
    for ward_id in (1, ward_b):
        with session_scope(ward_id) as s:
            inbox.store_event(s, source="zalo", event_key=f"e{ward_id}", event_name="user_send_text",
                              user_key="1", payload='{"text": "số nhà 5"}', status="done")
    with session_scope(ALL_WARDS) as s:
        s.execute(InboundEvent.__table__.update().values(received_at=utcnow() - timedelta(days=400)))
    code, out, err = cli("privacy", "purge")
    assert code == 0 and "Đã xóa nội dung 2 tin đến" in out, err
    with session_scope(ALL_WARDS) as s:
        assert [e.payload for e in s.scalars(select(InboundEvent))] == ["", ""]
        assert sorted(a.ward_id for a in s.scalars(select(AuditLog))) == [1, ward_b]


def test_rotate_reseals_every_wards_tokens_and_secrets(cli, ward_b, monkeypatch):
    newer = new_key()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", newer)
    code, out, err = cli("token-key", "rotate", f"--old={TOKEN_KEY}")
    assert code == 0 and "khóa bí mật của phường an-hai" in out and "token Zalo của phường an-hai" in out, err
    with session_scope(ALL_WARDS) as s:
        ward = s.get(Ward, ward_b)
        token = s.scalar(select(OAToken).where(OAToken.ward_id == ward_b))
        stored = (ward.zalo_oa_secret_key, token.refresh_token)
    only_newer = TokenCipher(newer)
    assert not any(only_newer.needs_sealing(v) for v in stored)
    assert (only_newer.decrypt(stored[0]), only_newer.decrypt(stored[1])) == (B_SECRET, B_REFRESH)
    code, out, err = cli("token-key", "rotate")
    assert code == 0 and "không cần làm gì" in out


def test_erase_in_another_ward_leaves_its_sheet_to_the_next_sync(cli, ward_b, monkeypatch):
    monkeypatch.setenv("GOOGLE_SHEETS_API_BASE", "http://127.0.0.1:9")  # never reached
    assert cli("wards", "set", "an-hai", "--sheet-id", "sheet-b")[0] == 0
    with session_scope(ward_b) as s:
        code = tickets.create_ticket(s, kind="complaint", text="Nhà số 5 xả rác", actor="test",
                                     reporter_phone="0901234567").code
    status, out, err = cli("privacy", "erase", code, "--yes", "--ward", "an-hai")
    assert status == 0, err
    assert "lần đồng bộ tự động tiếp theo" in out
    with session_scope(ward_b) as s:
        assert tickets.by_code(s, code).reporter_phone is None
