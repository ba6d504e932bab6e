"""Migration 0005 on a copy of a ward's database after months of use: built at revision 0004
with Alembic, filled the way a real ward's is, copied (a file copy on SQLite, CREATE DATABASE
… TEMPLATE on PostgreSQL), upgraded to head. Every row ends in ward `default` with its values
intact, the stores read it back, the codes go on, a second ward starts from 0001 — and the
deployment, its configuration unchanged, answers a resident as before."""
from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timedelta

import pytest
from sqlalchemy import MetaData, insert, select, text

from storage import db, residents, tickets
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.token_cipher import TokenCipher, new_key
from storage.tokens import DbFlagStore, DbTokenStore
from tests.support import APP_ID, APP_SECRET, OA_ID, OA_SECRET

KEY = new_key()
ENV_PAIR = ("test-access-token", "test-refresh-token")      # .env, as first configured
ROTATED = ("rotated-access-7", "rotated-refresh-7")         # the pair after 7 rotations
YEAR = tickets.local_now().year
T0 = datetime(YEAR, 1, 5, 8, 0)
PA, KN, HD = 20, 5, 5  # tickets of this year, by prefix
RESIDENTS = 12
SCOPED_AFTER = {"residents", "conversations", "inbound_events", "outbound_messages", "tickets",
                "attachments", "ticket_events", "ticket_sequences", "referrals", "oa_tokens",
                "flags", "sheet_rows", "officers", "residential_groups", "announcements",
                "announcement_runs", "leader_confirmations", "audit_log"}


def _uid(i: int) -> str:
    return f"2468458835291979{i:02d}"


def _people_and_desk(t) -> dict[str, list[dict]]:
    people = [dict(id=i, zalo_user_id=_uid(i), display_name=f"Cư dân {i}", phone=f"09012345{i:02d}",
                   address=f"{i} Nguyễn Văn Thoại", group_code="5" if i % 2 else "7",
                   is_follower=True, last_interaction_at=T0 + timedelta(days=i),
                   created_at=T0, updated_at=T0 + timedelta(days=i),
                   privacy_notice_version="2026-1" if i < 4 else None,
                   privacy_notice_at=T0 if i < 4 else None) for i in range(1, RESIDENTS + 1)]
    kinds = [("complaint", "PA", PA), ("suggestion", "KN", KN), ("question", "HD", HD)]
    rows, n = [], 0
    for kind, prefix, count in kinds:
        for k in range(1, count + 1):
            n += 1
            rows.append(dict(
                id=n, code=f"{prefix}-{YEAR}-{k:04d}", kind=kind, topic="infrastructure",
                urgent=n == 3, status=("new", "in_progress", "resolved")[n % 3], channel="zalo",
                text=f"Phản ánh số {n}: đèn đường ngõ {n} hỏng", location_text=f"ngõ {n}",
                latitude=16.06 + n / 1000, longitude=108.24, group_code="5",
                resident_id=(n % RESIDENTS) + 1, reporter_name=f"Cư dân {(n % RESIDENTS) + 1}",
                reporter_phone="0901234567", reporter_email=None, assignee="Chị Hoa",
                answer="Đã thay bóng." if n % 3 == 2 else None, forwarded_to=None,
                due_date=T0 + timedelta(days=n + 3), confidence=0.9, source_ref=f"form:{n}" if n > 25 else None,
                rating=5 if n % 3 == 2 else None, reopened_count=0, created_at=T0 + timedelta(days=n),
                updated_at=T0 + timedelta(days=n, hours=2),
                closed_at=T0 + timedelta(days=n + 1) if n % 3 == 2 else None, anonymised_at=None))
    rows.append(dict(rows[0], id=n + 1, code=f"PA-{YEAR - 1}-0123", created_at=T0 - timedelta(days=40),
                     updated_at=T0 - timedelta(days=40), source_ref=None))
    return {
        "residential_groups": [dict(id=1, code="5", name="Tổ dân phố 5", leader_zalo_id=_uid(1),
                                    oa_group_id=None, member_count=120),
                               dict(id=2, code="7", name="Tổ dân phố 7", leader_zalo_id=None,
                                    oa_group_id="g-7", member_count=80)],
        "officers": [dict(id=1, name="Chị Hoa", zalo_user_id="900000000000000001", topics="infrastructure"),
                     dict(id=2, name="Anh Nam", zalo_user_id=None, topics=None)],
        "residents": people,
        "conversations": [dict(id=1, resident_id=2, state="idle", data={}, updated_at=T0),
                          dict(id=2, resident_id=3, state="idle", data={"last_code": f"PA-{YEAR}-0002"},
                               updated_at=T0)],
        "tickets": rows,
        "attachments": [dict(id=i, ticket_id=i, kind="image", url=f"https://photo.zdn.vn/{i}.jpg",
                             name=f"anh-{i}.jpg", meta={"size": 1000 + i}, created_at=T0) for i in (1, 2, 5)],
        "ticket_events": [dict(id=r["id"], ticket_id=r["id"], actor="bot", field="created", old_value=None,
                               new_value="new", note=None, at=r["created_at"]) for r in rows]
        + [dict(id=100, ticket_id=2, actor="Chị Hoa", field="status", old_value="new",
                new_value="resolved", note="Đã thay bóng", at=T0 + timedelta(days=3))],
        "ticket_sequences": [dict(prefix="PA", year=YEAR, last_value=PA), dict(prefix="KN", year=YEAR, last_value=KN),
                             dict(prefix="HD", year=YEAR, last_value=HD),
                             dict(prefix="PA", year=YEAR - 1, last_value=123)],
        "referrals": [dict(id=1, resident_id=4, kind="police", text="Mất xe máy", created_at=T0)],
        "sheet_rows": [dict(ticket_id=r["id"], values={"Mã phiếu": r["code"]}, pushed_at=r["updated_at"])
                       for r in rows[:10]],
        "audit_log": [dict(id=1, at=T0, actor="cán bộ (CLI): hoa", action="privacy_export",
                           subject="PA-x", details={"tickets": 1})],
    }


def _queues_and_secrets(t) -> dict[str, list[dict]]:
    cipher = TokenCipher(KEY)
    events = [dict(id=i, source="zalo", event_key=f"zalo:msg:m{i}", event_name="user_send_text",
                   user_key=_uid(i % RESIDENTS + 1), payload='{"message": {"text": "đèn hỏng"}}',
                   status="done" if i <= 40 else "pending", attempts=1, last_error=None,
                   received_at=T0 + timedelta(hours=i), processed_at=T0 + timedelta(hours=i) if i <= 40 else None)
              for i in range(1, 43)]
    sent = [dict(id=i, channel="zalo_cs", recipient_id=_uid(i % RESIDENTS + 1), message={"text": f"Trả lời {i}"},
                 purpose="reply", status="sent" if i <= 40 else ("failed" if i == 41 else "pending"),
                 reason="no_interaction_7d" if i == 41 else None, attempts=1,
                 next_attempt_at=T0, last_error_code=None, last_error=None, zalo_message_id=f"z{i}",
                 dedupe_key=f"reply:{i}", ticket_id=(i % 30) + 1, event_id=i, announcement_run_id=None,
                 route=None, created_at=T0 + timedelta(hours=i), sending_since=None,
                 sent_at=T0 + timedelta(hours=i) if i <= 40 else None, first_attempt_at=None,
                 unknown_since=None, unknown_sends=0) for i in range(1, 43)]
    sent.append(dict(sent[0], id=43, purpose="announcement", dedupe_key="ann:1:1", ticket_id=None,
                     event_id=None, announcement_run_id=1))
    week = f"weekly_report:{YEAR}-W02"
    return {
        "announcements": [dict(id=1, title="Họp tổ", content="Họp tổ 5 lúc 19h", link=None, targets=["5"],
                               next_run_at=None, repeat=None, status="done", source_key=None,
                               created_by="cli", created_at=T0),
                          dict(id=2, title="Tiêm chủng", content="Ngày 15 hằng tháng", link=None, targets=["*"],
                               next_run_at=T0 + timedelta(days=40), repeat="monthly:15:08:00",
                               status="scheduled", source_key="sheet:2", created_by="sheet", created_at=T0)],
        "announcement_runs": [dict(id=1, announcement_id=1, run_at=T0, planned_at=T0),
                              dict(id=2, announcement_id=2, run_at=T0 + timedelta(days=10), planned_at=T0)],
        "leader_confirmations": [dict(id=1, run_id=1, group_code="5", leader_zalo_id=_uid(1), at=T0)],
        "learned_examples": [dict(id=1, text="cống ngõ 3 tắc", kind="complaint", topic="environment",
                                  source="cli", ticket_id=None, created_at=T0)],
        "inbound_events": events,
        "outbound_messages": sent,
        "dead_letters": [dict(id=1, source="inbox", reason="poison", event_key="zalo:msg:bad",
                              payload="{}", dedupe_key="d1", created_at=T0, alerted_at=None)],
        "flags": [dict(name="cs_api_version", value="v3", updated_at=T0),
                  dict(name=week, value=T0.isoformat(), updated_at=T0),
                  dict(name="sheets_layout:sheet-1", value="3", updated_at=T0)],
        "oa_tokens": [dict(id=1, access_token=cipher.encrypt(ROTATED[0]), refresh_token=cipher.encrypt(ROTATED[1]),
                           expires_at=datetime.utcnow() + timedelta(hours=20),
                           seeded_from=hashlib.sha256(ENV_PAIR[1].encode()).hexdigest(), rotations=7,
                           updated_at=T0)],
    }


def _fill(url: str) -> None:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    data = {**_people_and_desk(meta), **_queues_and_secrets(meta)}
    with engine.begin() as conn:
        for table in meta.sorted_tables:  # parents first
            if table.name in data:
                conn.execute(insert(table), data[table.name])
        if engine.dialect.name == "postgresql":  # ids given explicitly: move the sequences on
            for table in meta.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement and table.name in data:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT MAX(id) FROM {table.name}))"))
    engine.dispose()  # SQLite: the last connection closed writes the WAL back into the file


def _copy(url: str, tmp_path, database_url: str):
    """(the copy's url, how to drop it)."""
    if url.startswith("sqlite"):
        copy = tmp_path / "copy.db"
        shutil.copy(url.split("///", 1)[1], copy)
        return f"sqlite:///{copy}", lambda: None
    import psycopg

    from tests.conftest import _drop_postgres

    admin, name = database_url.replace("postgresql+psycopg://", "postgresql://"), url.rsplit("/", 1)[1]
    copy = f"{name}_copy"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return f"{url.rsplit('/', 1)[0]}/{copy}", lambda: _drop_postgres(admin, copy)


def _rows(url: str) -> dict[str, list[dict]]:
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        found = {t.name: [dict(r._mapping) for r in conn.execute(select(t))]
                 for t in meta.sorted_tables if t.name != "alembic_version"}
    engine.dispose()
    return found


@pytest.fixture()
def upgraded(tmp_path, database_url):
    """(url of the upgraded copy, rows of the original at 0004)."""
    if database_url.startswith("postgresql"):
        from tests.conftest import _drop_postgres, _postgres_database

        original, cleanup = _postgres_database(database_url)
    else:
        original, cleanup = f"sqlite:///{tmp_path / 'ward.db'}", None
    upgrade(original, "0004")
    _fill(original)
    before = _rows(original)
    copy, drop_copy = _copy(original, tmp_path, database_url)
    upgrade(copy)
    try:
        yield copy, before
    finally:
        db.configure(database_url)  # the suite's own database again; the copy's engine closed
        drop_copy()
        if cleanup:
            _drop_postgres(*cleanup)


def _key(row: dict):
    return tuple(sorted((k, str(v)) for k, v in row.items()))


def test_every_row_is_the_default_wards_with_its_values_intact(upgraded):
    copy, before = upgraded
    after = _rows(copy)
    assert [w["code"] for w in after["wards"]] == ["default"]
    for table, rows in before.items():
        assert rows, f"{table} was not filled"
        if table in SCOPED_AFTER:
            assert {r["ward_id"] for r in after[table]} == {1}, table
        kept = [{k: v for k, v in r.items() if k != "ward_id"} for r in after[table]]
        assert sorted(map(_key, kept)) == sorted(map(_key, rows)), table


def test_the_stores_read_it_back_and_the_codes_go_on_per_ward(upgraded):
    from storage.wards import add

    copy, _ = upgraded
    db.configure(copy)
    tokens = DbTokenStore(*ENV_PAIR, cipher=TokenCipher(KEY), ward_id=1).current()
    assert (tokens.access_token, tokens.refresh_token) == ROTATED  # not the .env pair again
    flags = DbFlagStore(1)
    assert flags.get("cs_api_version") == "v3"
    assert flags.get(f"weekly_report:{YEAR}-W02") == T0.isoformat()
    with session_scope(1) as s:
        old = tickets.by_code(s, f"PA-{YEAR}-0001")
        assert [a.url for a in old.attachments] == ["https://photo.zdn.vn/1.jpg"]
        assert tickets.create_ticket(s, kind="complaint", text="Cống tắc", actor="test").code == f"PA-{YEAR}-{PA + 1:04d}"
        assert tickets.create_ticket(s, kind="question", text="Hỏi", actor="test").code == f"HD-{YEAR}-{HD + 1:04d}"
        assert residents.get_or_create(s, _uid(1)).id == 1
    with session_scope() as s:
        ward_b = add(s, "an-hai", dict(name="Phường An Hải", zalo_oa_id="499999999999999001"), cipher=None).id
    with session_scope(ward_b) as s:
        assert tickets.create_ticket(s, kind="complaint", text="Rác", actor="test").code == f"PA-{YEAR}-0001"
        assert residents.get_or_create(s, _uid(1)).id != 1  # a Zalo id is per OA
    with session_scope(1) as s:
        assert tickets.create_ticket(s, kind="complaint", text="Đèn", actor="test").code == f"PA-{YEAR}-{PA + 2:04d}"


def test_the_deployment_unchanged_answers_a_resident_as_before(upgraded, tmp_path):
    """The .env of before (its original token pair, its OA): the same settings, no ward set up."""
    from bot.app import create_app
    from bot.runtime.process import Runtime
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState
    from bot.settings import Settings
    from tests.conftest import pristine_nlu
    from tests.support import Harness, texts

    copy, _ = upgraded
    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET, access_token=ROTATED[0],
                          refresh_token=ROTATED[1])
    with FakeZaloServer(state) as fake:
        settings = Settings(database_url=copy, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET,
                            zalo_oa_secret_key=OA_SECRET, zalo_oa_id=OA_ID, zalo_access_token=ENV_PAIR[0],
                            zalo_refresh_token=ENV_PAIR[1], zalo_api_base=fake.base_url,
                            zalo_oauth_base=fake.base_url, officer_zalo_ids=("900000000000000001",),
                            token_encryption_key=KEY, inbox_spool_dir=str(tmp_path / "spool"))
        app = create_app(settings)
        runtime = Runtime(settings, scheduler=False, nlu=pristine_nlu(settings))
        try:
            bot = Harness(app.test_client(), runtime, fake, user_id=_uid(3))  # a resident of months ago
            assert bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
            bot.say("Không có ảnh")
            reply = texts(bot.say("Gửi phản ánh"))
        finally:
            runtime.sender.close()
            app.extensions["hts_inbox"].close()
    assert f"PA-{YEAR}-{PA + 1:04d}" in reply
    with session_scope(1) as s:
        ticket = tickets.by_code(s, f"PA-{YEAR}-{PA + 1:04d}")
        assert ticket.resident_id == 3 and ticket.ward_id == 1
