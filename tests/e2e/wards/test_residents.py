"""One Zalo user id writing to two wards' OAs: two residents, two tickets both numbered 0001,
each answered through its own OA; urgent alerts, lookups, ratings and reopenings that never
cross from one ward to the other."""
from __future__ import annotations

from sqlalchemy import select

from handlers.ticket_updates import on_ticket_changed
from storage import tickets
from storage.db import session_scope
from storage.models import OutboundMessage, Resident, Ticket
from storage.scoping import ALL_WARDS
from storage.tickets import local_now
from tests.e2e.wards.conftest import B_NAME, RESIDENT

URGENT = "day dien dut roi xuong duong truoc ngo 8 dang toe lua"


def _code() -> str:
    return f"PA-{local_now().year}-0001"


def _ticket(ward_id: int, code: str) -> Ticket:
    with session_scope(ward_id) as s:
        return s.scalar(select(Ticket).where(Ticket.code == code))


def _finish(city, ward, code: str, answer: str) -> None:
    """An officer of `ward` resolves its ticket `code` (as the sheet sync does)."""
    with session_scope(ward.id) as s:
        t = tickets.by_code(s, code)
        changed = tickets.change(s, t, "sheet:Cán bộ", status="resolved", answer=answer)
        on_ticket_changed(s, city.runtime.ward_settings(ward.id, s), t, changed, "sheet:Cán bộ")
    city.run_until_idle()


def test_one_zalo_id_two_wards_two_residents_two_tickets_each_answered_by_its_oa(city):
    a, b = city.a, city.b
    a_reply = city.file_report(a, "Đèn đường ngõ 12 tổ 5 bị hỏng")
    b_reply = city.file_report(b, "Rác thải ngõ 3 không ai thu gom mấy hôm nay")
    assert _code() in a_reply and _code() in b_reply
    with session_scope(ALL_WARDS) as s:
        people = s.scalars(select(Resident).where(Resident.zalo_user_id == RESIDENT)).all()
        assert sorted(r.ward_id for r in people) == sorted([a.id, b.id])
        filed = {t.ward_id: (t.code, t.text, t.resident_id) for t in s.scalars(select(Ticket))}
    by_ward = {r.ward_id: r.id for r in people}
    assert filed[a.id] == (_code(), "Đèn đường ngõ 12 tổ 5 bị hỏng", by_ward[a.id])
    assert filed[b.id] == (_code(), "Rác thải ngõ 3 không ai thu gom mấy hôm nay", by_ward[b.id])
    # Each reply went out with its own ward's token, to its own OA: the fake Zalo files a
    # message under the OA whose access token the request carried.
    a_texts = [m.message.get("text", "") for m in a.oa.messages(RESIDENT)]
    b_texts = [m.message.get("text", "") for m in b.oa.messages(RESIDENT)]
    assert any("Đèn đường" in t or _code() in t for t in a_texts)
    assert not any("Rác thải" in t for t in a_texts) and not any("Đèn đường" in t for t in b_texts)
    assert a.oa.requests["/v3.0/oa/message/cs"] == len(a_texts)
    assert b.oa.requests["/v3.0/oa/message/cs"] == len(b_texts)


def test_the_welcome_names_the_ward_whose_oa_was_followed(city):
    from bot.sandbox import payloads

    city.post(city.b, payloads.follow_event(city.b.app_id, city.b.oa_id, RESIDENT, source="oa_profile"))
    city.b.oa.touch_interaction(RESIDENT)
    city.run_until_idle()
    [welcome] = city.new_messages(city.b)
    assert B_NAME in welcome["text"]
    assert city.a.oa.messages(RESIDENT) == []


def test_an_urgent_report_alerts_only_its_wards_officers(city):
    a, b = city.a, city.b
    reply = city.say_text(b, URGENT)
    assert "cán bộ trực" in reply
    [alert] = b.oa.messages(b.officer)
    assert "KHẨN" in alert.message["text"].upper()
    assert a.oa.messages(a.officer) == [] and a.oa.messages(b.officer) == []
    assert b.oa.messages(a.officer) == []
    with session_scope(ALL_WARDS) as s:
        rows = s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "officer_alert")).all()
        assert {(r.ward_id, r.recipient_id) for r in rows} == {(b.id, b.officer)}


def test_lookup_answers_each_wards_own_ticket(city):
    a, b = city.a, city.b
    city.file_report(a, "Đèn đường ngõ 12 tổ 5 bị hỏng")
    city.file_report(b, "Rác thải ngõ 3 không ai thu gom mấy hôm nay")
    _finish(city, a, _code(), "Đã thay bóng đèn ngõ 12")
    city.new_messages(a)
    a_says = city.say_text(a, f"tra cứu {_code()}")
    b_says = city.say_text(b, f"tra cuu {_code().lower()}")
    assert _code() in a_says and "Đã thay bóng đèn ngõ 12" in a_says
    assert _code() in b_says and "Đã thay bóng đèn" not in b_says and "không tìm thấy" not in b_says
    # Another resident of ward B asking for the same code learns nothing of either ticket.
    assert "không tìm thấy" in city.say_text(b, f"tra cứu {_code()}", user="246845883529199999")


def test_ratings_and_reopenings_never_cross_wards(city):
    a, b = city.a, city.b
    city.file_report(a, "Đèn đường ngõ 12 tổ 5 bị hỏng")
    city.file_report(b, "Rác thải ngõ 3 không ai thu gom mấy hôm nay")
    _finish(city, a, _code(), "Đã thay bóng đèn")
    assert "sao" in " ".join(m.get("text", "") for m in city.new_messages(a))  # A asks for stars
    city.say(b, "5 sao")                   # typed to B, whose ticket is not finished
    city.say(b, "chưa xong")
    assert _ticket(a.id, _code()).rating is None
    assert (_ticket(a.id, _code()).status, _ticket(a.id, _code()).reopened_count) == ("resolved", 0)
    assert _ticket(b.id, _code()).status == "new"
    assert "4 sao" in city.say_text(a, "4 sao")
    assert (_ticket(a.id, _code()).rating, _ticket(b.id, _code()).rating) == (4, None)

    _finish(city, b, _code(), "Đã thu gom")
    city.new_messages(b)
    city.say(b, "chưa xong ạ, vẫn còn rác")
    assert (_ticket(b.id, _code()).status, _ticket(b.id, _code()).reopened_count) == ("in_progress", 1)
    assert (_ticket(a.id, _code()).status, _ticket(a.id, _code()).reopened_count) == ("resolved", 0)
    reopened = [m.message["text"] for m in b.oa.messages(b.officer)]
    assert any(_code() in t for t in reopened) and a.oa.messages(a.officer) == []
