"""Google Form intake; ratings, reopening and undeliverable status updates."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from handlers.ticket_updates import on_ticket_changed, undeliverable_counts
from storage import tickets
from storage.db import session_scope
from storage.models import InboundEvent, OutboundMessage, Ticket, TicketEvent, utcnow
from tests.support import FormsClient, message_buttons, message_text
from webhooks.signature import hmac_sha256

SECRET = "forms-secret"


@pytest.fixture()
def forms_client(settings, runtime):
    from bot.app import create_app

    return FormsClient(create_app(settings.with_overrides(forms_shared_secret=SECRET,
                                                          sheets_webhook_secret="sheet-secret")), runtime.nlu)


def post_form(client, body: dict, secret=SECRET, stamp=None, path="/webhooks/forms"):
    raw = json.dumps(body, ensure_ascii=False).encode()
    stamp = str(int(time.time())) if stamp is None else stamp
    sig = hmac_sha256(secret, stamp.encode(), b".", raw)
    return client.post(path, data=raw, headers={
        "Content-Type": "application/json", "X-Hts-Timestamp": stamp, "X-Hts-Signature": sig})


FORM = {"response_id": "2_ABaOnud1", "timestamp": "2026-11-22T08:00:00Z", "email": "lan@example.com",
        "answers": {"Họ và tên": "Trần Thị Lan", "Số điện thoại": "0912345678",
                    "Địa chỉ": "Số 8 ngõ 12", "Tổ dân phố": "5", "Loại": "Phản ánh",
                    "Nội dung phản ánh, kiến nghị": "Cống thoát nước bị tắc, nước bẩn tràn ra đường"}}


def test_form_submission_becomes_one_ticket_with_its_code(forms_client):
    first = post_form(forms_client, FORM)
    # Stored, not yet a ticket: the worker files it after the answer (so no code in it).
    assert first.status_code == 200 and first.get_json() == {"ok": True, "code": None, "duplicate": False}
    again = post_form(forms_client, FORM)  # the Apps Script posts again until it has the code
    code = again.get_json()["code"]
    assert code.startswith("PA-") and again.get_json() == {"ok": True, "code": code, "duplicate": True}
    with session_scope() as s:
        [t] = s.scalars(select(Ticket)).all()
        assert (t.channel, t.reporter_name, t.reporter_phone, t.group_code) == ("form", "Trần Thị Lan", "0912345678", "5")
        assert t.reporter_email == "lan@example.com" and t.location_text == "Số 8 ngõ 12"


def test_a_wards_form_files_in_that_ward_and_codes_count_per_ward(forms_client):
    from storage.scoping import ALL_WARDS
    from storage.wards import add

    with session_scope() as s:
        ward_b = add(s, "an-hai", {"name": "Phường An Hải"}, cipher=None).id
    forms_client.app.extensions["hts_wards"].reload()
    assert post_form(forms_client, FORM, path="/webhooks/forms/khong-co").status_code == 404
    assert post_form(forms_client, FORM, path="/webhooks/forms/an-hai").status_code == 200
    assert post_form(forms_client, {**FORM, "response_id": "2_other"}).status_code == 200
    with session_scope(ALL_WARDS) as s:
        codes = dict(s.execute(select(Ticket.ward_id, Ticket.code)).all())
    assert codes.keys() == {1, ward_b}
    assert codes[1] == codes[ward_b]  # each ward counts its own codes from 0001
    again = post_form(forms_client, FORM, path="/webhooks/forms/an-hai").get_json()
    assert again["duplicate"] is True and again["code"] == codes[ward_b]


def test_form_signature_and_timestamp_are_enforced(forms_client):
    assert post_form(forms_client, FORM, secret="wrong").status_code == 401
    assert post_form(forms_client, FORM, stamp=str(int(time.time()) - 600)).status_code == 401
    assert post_form(forms_client, FORM, stamp="yesterday").status_code == 401
    with session_scope() as s:
        assert s.scalar(select(Ticket)) is None and s.scalar(select(InboundEvent)) is None


def test_field_map_is_configuration(settings, runtime, tmp_path):
    from bot.app import create_app

    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"content": ["Bạn muốn góp ý gì?"], "name": ["Tên bạn"]}), encoding="utf-8")
    client = FormsClient(create_app(settings.with_overrides(forms_shared_secret=SECRET,
                                                            forms_field_map=str(mapping))), runtime.nlu)
    body = {"response_id": "r-2", "answers": {"ban muon gop y gi?": "Đề nghị lắp thêm đèn ở công viên",
                                             "Tên bạn": "Minh"}}
    resp = post_form(client, body)
    assert resp.status_code == 200
    with session_scope() as s:
        t = s.scalar(select(Ticket))
        assert t.text == "Đề nghị lắp thêm đèn ở công viên" and t.reporter_name == "Minh"


def test_formula_text_is_kept_verbatim(forms_client):
    body = dict(FORM, response_id="r-3", answers={"Nội dung": '=HYPERLINK("http://x","bấm vào")'})
    assert post_form(forms_client, body).status_code == 200
    with session_scope() as s:
        assert s.scalar(select(Ticket.text)) == '=HYPERLINK("http://x","bấm vào")'


def _zalo_ticket(bot) -> str:
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    with session_scope() as s:
        return s.scalar(select(Ticket.code))


def _officer_sets(code, settings, **changes):
    with session_scope() as s:
        t = tickets.by_code(s, code)
        changed = tickets.change(s, t, "sheet:Nguyễn Văn An", **changes)
        on_ticket_changed(s, settings, t, changed, "sheet:Nguyễn Văn An")


def test_each_status_change_and_answer_reaches_the_resident(bot, settings):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="forwarded", forwarded_to="Điện lực quận")
    bot.run_until_idle()
    [msg] = bot.new_messages()
    assert "đã chuyển phiếu" in message_text(msg) and "Điện lực quận" in message_text(msg)
    assert "từ chối" not in message_text(msg).lower()
    _officer_sets(code, settings, answer="Điện lực hẹn thay bóng trong tuần.")
    bot.run_until_idle()
    [msg] = bot.new_messages()
    assert "Điện lực hẹn thay bóng" in message_text(msg)


def test_rating_asked_once_stored_and_second_refused(bot, settings):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="resolved")
    bot.run_until_idle()
    msgs = bot.new_messages()
    assert message_buttons(msgs[-1]) == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    assert "cảm ơn" in message_text(bot.say("5 ⭐")[0]).lower()
    with session_scope() as s:
        assert tickets.by_code(s, code).rating == 5
    _officer_sets(code, settings, status="closed")
    _officer_sets(code, settings, status="answered", answer="Đã xong.")
    bot.run_until_idle()
    texts = [message_text(m) for m in bot.new_messages()]
    assert not any("1 đến 5 sao" in t for t in texts)  # asked once per ticket


def test_not_done_within_7_days_reopens_and_tells_the_assignee(bot, settings, fake_zalo):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="resolved")
    bot.run_until_idle()
    bot.new_messages()
    reply = bot.say("chua xong dau, den van tat")
    assert "mở lại" in message_text(reply[0])
    with session_scope() as s:
        t = tickets.by_code(s, code)
        assert (t.status, t.reopened_count) == ("in_progress", 1)
        alerts = s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert")).all()
    assert any(code in a.message["text"] and "MỞ LẠI" in a.message["text"] for a in alerts)


def test_not_done_after_7_days_does_not_reopen(bot, settings):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="resolved")
    with session_scope() as s:
        s.execute(update(TicketEvent).where(TicketEvent.field == "status")
                  .values(at=utcnow() - timedelta(days=8)))
    bot.run_until_idle()
    bot.new_messages()
    reply = bot.say("chưa xong")
    assert "quá 7 ngày" in message_text(reply[0])
    with session_scope() as s:
        assert tickets.by_code(s, code).status == "resolved"


def test_outside_the_window_is_recorded_undeliverable_and_counted(bot, settings, fake_zalo):
    code = _zalo_ticket(bot)
    fake_zalo.state.add_user(bot.user_id, last_interaction=datetime.now(UTC) - timedelta(days=9))
    _officer_sets(code, settings, status="in_progress")
    bot.run_until_idle()
    with session_scope() as s:
        row = s.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "status_update"))
        assert (row.status, row.reason) == ("failed", "no_interaction_7d")
        assert undeliverable_counts(s) == {"no_interaction_7d": 1}


def test_sheet_hook_is_signed_and_recorded(forms_client):
    raw = json.dumps({"code": "PA-2026-0001", "column": "Trạng thái", "new_value": "Đang xử lý"}).encode()
    stamp = str(int(time.time()))
    good = hmac_sha256("sheet-secret", stamp.encode(), b".", raw)
    headers = {"Content-Type": "application/json", "X-Hts-Timestamp": stamp}
    assert forms_client.post("/webhooks/sheets", data=raw, headers={**headers, "X-Hts-Signature": "0" * 64}).status_code == 401
    assert forms_client.post("/webhooks/sheets", data=raw, headers={**headers, "X-Hts-Signature": good}).status_code == 202
    with session_scope() as s:
        assert s.scalar(select(InboundEvent.source)) == "sheet"


def test_exact_wording_of_a_status_update(bot, settings):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="waiting_resident", answer="ảnh chụp cột đèn")
    bot.run_until_idle()
    [msg] = bot.new_messages()
    assert message_text(msg) == (f"Dạ, để xử lý phiếu {code}, cán bộ cần bác bổ sung: ảnh chụp cột đèn. "
                                 "Bác trả lời ngay tại đây ạ.")


def test_second_rating_refused_and_not_done_while_idle_reopens(bot, settings):
    code = _zalo_ticket(bot)
    _officer_sets(code, settings, status="resolved")
    bot.run_until_idle()
    bot.new_messages()
    assert "4 sao" in message_text(bot.say("4 sao")[0])
    [again] = bot.say("5 ⭐")  # tapped again once the rating state is over
    assert message_text(again) == f"Dạ, bác đã đánh giá phiếu {code} rồi ạ. Cảm ơn bác."
    with session_scope() as s:
        assert tickets.by_code(s, code).rating == 4
    assert "mở lại" in message_text(bot.say("Chưa giải quyết gì cả")[0])  # idle, not in "rating"
    with session_scope() as s:
        assert tickets.by_code(s, code).status == "in_progress"


def test_form_ticket_changes_send_nothing_and_say_so(forms_client, settings):
    post_form(forms_client, dict(FORM, response_id="r-9"))
    code = post_form(forms_client, dict(FORM, response_id="r-9")).get_json()["code"]
    _officer_sets(code, settings, status="resolved", answer="Đã nạo vét cống.")
    with session_scope() as s:
        assert s.scalar(select(OutboundMessage).where(OutboundMessage.purpose.in_(("status_update", "rating")))) is None
        note = s.scalar(select(TicketEvent.note).where(TicketEvent.field == "resident_notified"))
        assert note == "kênh form: không gửi tin Zalo"
