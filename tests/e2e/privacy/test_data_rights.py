"""Residents' data rights in the chat and by CLI (issue 12, point 5)."""
from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import select, text

from handlers import texts
from sheets_sync.layout import BOARD, COL
from sheets_sync.rows import ANONYMISED
from storage import tickets
from storage.db import session_scope
from storage.models import (
    Attachment,
    AuditLog,
    InboundEvent,
    LearnedExample,
    OutboundMessage,
    Resident,
    Ticket,
)
from tests.support import message_buttons, message_text

USER = "246845883529197922"
PHONE = "0912345678"
NAME = "Trần Thị Hoa"
ADDRESS = "số 7 ngõ 12 Nguyễn Trãi"


def report_with_photo(bot) -> str:
    bot.say(f"Đèn đường ngõ 12 tổ 5 bị hỏng 3 hôm nay rồi, gọi tôi {PHONE}")
    with session_scope() as s:
        r = s.scalar(select(Resident).where(Resident.zalo_user_id == USER))
        r.display_name, r.phone, r.address, r.group_code = NAME, PHONE, ADDRESS, "5"
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    with session_scope() as s:
        t = s.scalar(select(Ticket).where(Ticket.status != "draft"))
        tickets.add_attachments(s, t, [{"type": "image", "url": "https://photo.zdn.vn/nha-toi.jpg"}])
        t.location_text = ADDRESS
        tickets.change(s, t, f"resident:{t.resident_id}", text=f"{t.text}\n[Bổ sung] nhà {NAME}, {PHONE}")
        s.add(LearnedExample(text=t.text, kind="complaint", ticket_id=t.id))
        return t.code


def all_text(table: str) -> str:
    with session_scope() as s:
        return json.dumps([list(map(str, row)) for row in s.execute(text(f"SELECT * FROM {table}"))],
                          ensure_ascii=False)


@pytest.mark.parametrize("asked", ["dữ liệu của tôi", "du lieu cua toi", "Phường lưu gì về tôi?"])
def test_resident_sees_what_the_ward_keeps(bot, asked):
    code = report_with_photo(bot)
    reply = bot.say(asked)
    assert len(reply) == 1
    body = message_text(reply[0])
    for fact in (NAME, PHONE, ADDRESS, code, "1 phiếu", "Tổ 5"):
        assert fact in body, fact
    assert message_buttons(reply[0]) == [texts.BTN_ERASE]
    with session_scope() as s:
        audit = s.scalars(select(AuditLog)).all()
        assert [a.action for a in audit] == ["privacy_view"]
        assert PHONE not in (audit[0].subject or "") and NAME not in (audit[0].subject or "")


def test_request_words_are_not_taken_as_a_report(bot):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")  # an intake in progress
    body = message_text(bot.say("xóa dữ liệu của tôi")[0])
    assert "đồng ý xóa không" in body
    with session_scope() as s:
        assert s.scalar(select(Ticket).where(Ticket.status != "draft")) is None


def test_erasure_confirmed_by_button_removes_the_person_and_keeps_the_ticket_anonymised(bot, fake_zalo):
    code = report_with_photo(bot)
    ask = bot.say("xóa dữ liệu của tôi")
    assert message_buttons(ask[0]) == [texts.BTN_ERASE_YES, texts.BTN_ERASE_NO]
    assert "1 phiếu" in message_text(ask[0])
    done = message_text(bot.say(texts.BTN_ERASE_YES)[0])
    assert "đã xóa" in done and code in done and "1 ảnh" in done

    with session_scope() as s:
        assert s.scalar(select(Resident).where(Resident.zalo_user_id == USER)) is None
        t = s.scalar(select(Ticket).where(Ticket.code == code))
        assert t.anonymised_at is not None and t.resident_id is None
        assert t.reporter_name is t.reporter_phone is t.location_text is t.latitude is None
        assert "ngõ 12" in t.text and PHONE not in t.text  # kept for statistics, phone struck out
        assert s.scalars(select(Attachment)).all() == []
        assert all(e.payload == "" and e.user_key is None for e in s.scalars(select(InboundEvent)))
        named = s.scalars(select(OutboundMessage).where(OutboundMessage.recipient_id == USER)).all()
        assert len(named) == 1 and "đã xóa" in named[0].message["text"]  # only the last reply
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "privacy_erase")).one()
        assert audit.details["tickets"] == 1 and code in audit.subject
    for table in ("residents", "tickets", "attachments", "inbound_events", "referrals", "conversations",
                  "audit_log", "ticket_events", "learned_examples"):
        dump = all_text(table)
        for personal in (PHONE, NAME, ADDRESS, "nha-toi.jpg"):
            assert personal not in dump, (table, personal)
    # Back later: a new resident, with nothing of the old one.
    bot.say("xin chào")
    with session_scope() as s:
        fresh = s.scalar(select(Resident).where(Resident.zalo_user_id == USER))
        assert fresh.display_name is None and fresh.phone is None


@pytest.mark.parametrize("yes", ["có", "đồng ý", "xoa"])
def test_typed_yes_is_accepted(bot, yes):
    report_with_photo(bot)
    bot.say("xoa du lieu cua toi")
    bot.say(yes)
    with session_scope() as s:
        assert s.scalar(select(Resident).where(Resident.zalo_user_id == USER)) is None


@pytest.mark.parametrize("no", ["không", "hủy", texts.BTN_ERASE_NO])
def test_no_or_cancel_keeps_everything(bot, no):
    code = report_with_photo(bot)
    bot.say("xóa dữ liệu của tôi")
    assert "chưa xóa gì" in message_text(bot.say(no)[0])
    with session_scope() as s:
        r = s.scalar(select(Resident).where(Resident.zalo_user_id == USER))
        assert r.phone == PHONE
        assert s.scalar(select(Ticket).where(Ticket.code == code)).anonymised_at is None


def test_erasure_reaches_the_officers_sheet_and_marks_the_row(bot, settings, fake_sheets):
    from bot.runtime.sheets import run_cycle

    sheet_settings = settings.with_overrides(sheet_id="sheet-1", google_sheets_api_base=fake_sheets.base_url)
    code = report_with_photo(bot)
    run_cycle(sheet_settings)
    row = next(r for r in fake_sheets.state.rows(BOARD) if r and r[0] == code)
    assert NAME in row[COL["Người gửi"]] and "nha-toi.jpg" in row[COL["Ảnh"]]
    bot.say("xóa dữ liệu của tôi")
    bot.say("đồng ý xóa")
    run_cycle(sheet_settings)
    row = next(r for r in fake_sheets.state.rows(BOARD) if r and r[0] == code)
    assert row[COL["Người gửi"]] == ANONYMISED
    assert row[COL["Ảnh"]] == "" and ADDRESS not in json.dumps(row, ensure_ascii=False)
    assert PHONE not in json.dumps(fake_sheets.state.rows(BOARD), ensure_ascii=False)


def test_officer_exports_and_erases_by_cli_for_a_request_in_person(bot, database_url, monkeypatch, tmp_path):
    from bot.cli.main import main

    code = report_with_photo(bot)
    with session_scope() as s:  # the same person also sent a Google Form, with a +84 phone
        form = tickets.create_ticket(s, kind="complaint", text="Ngập nước tổ 3", actor="form",
                                     channel="form", reporter_name=NAME, reporter_phone="+84 912 345 678")
        form_code = form.code
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "hoa.json"
    assert main(["privacy", "export", PHONE, "--out", str(out), "--by", "Nguyễn Văn An"]) == 0
    data = json.loads(out.read_text())
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert {t["code"] for t in data["tickets"]} == {code, form_code}
    assert data["residents"][0]["phone"] == PHONE
    assert main(["privacy", "erase", form_code]) == 1  # without --yes: nothing done
    with session_scope() as s:
        assert s.scalar(select(Resident).where(Resident.zalo_user_id == USER)) is not None
    assert main(["privacy", "erase", form_code, "--yes", "--by", "Nguyễn Văn An"]) == 0
    with session_scope() as s:
        assert s.scalar(select(Resident).where(Resident.zalo_user_id == USER)) is None
        for t in s.scalars(select(Ticket).where(Ticket.code.in_([code, form_code]))):
            assert t.anonymised_at and t.reporter_phone is None and t.reporter_name is None
        actions = [(a.action, a.actor) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions == [("privacy_export", "cán bộ (CLI): Nguyễn Văn An"),
                           ("privacy_erase", "cán bộ (CLI): Nguyễn Văn An")]
    assert main(["privacy", "export", PHONE, "--out", str(tmp_path / "x.json")]) == 1  # nothing left


def test_an_unanswered_erasure_request_expires_and_a_later_yes_erases_nothing(bot, settings):
    from datetime import timedelta

    from storage.models import Conversation, utcnow

    report_with_photo(bot)
    bot.say("xóa dữ liệu của tôi")
    with session_scope() as s:  # the resident went away for longer than the conversation timeout
        conv = s.scalar(select(Conversation))
        conv.updated_at = utcnow() - timedelta(minutes=settings.conversation_timeout_minutes + 1)
    bot.say("có")
    with session_scope() as s:
        assert s.scalar(select(Resident).where(Resident.zalo_user_id == USER)).phone == PHONE
