"""What each ward knows of itself reaches only its own residents: its officers on the sheet's
"Cán bộ" tab, its profile facts in FAQ answers, its tổ dân phố, and a resident's data (seen and
erased in one ward, untouched in the other)."""
from __future__ import annotations

from sqlalchemy import select

from handlers import texts as bot_texts
from storage import wards
from storage.db import session_scope
from storage.models import Officer, Resident, ResidentialGroup, Ticket
from storage.scoping import ALL_WARDS
from tests.e2e.wards.conftest import B_CODE, RESIDENT

URGENT = "day dien dut roi xuong duong truoc ngo 8 dang toe lua"


def _reload(city) -> None:
    city.client.application.extensions["hts_wards"].reload()
    city.runtime.ward_settings.directory.reload()


def test_a_ward_without_officer_ids_alerts_the_officers_on_its_own_sheet(city):
    a, b = city.a, city.b
    with session_scope() as s:
        wards.update(s, B_CODE, {"officer_zalo_ids": ""}, cipher=None)
        s.add(Officer(name="Anh Nam", zalo_user_id="900000000000000011"))        # ward A's tab
    with session_scope(b.id) as s:
        s.add(Officer(name="Chị Hoa", zalo_user_id="900000000000000022"))        # ward B's tab
    _reload(city)
    b.oa.add_user("900000000000000022")
    assert "cán bộ trực" in city.say_text(b, URGENT)
    assert len(b.oa.messages("900000000000000022")) == 1
    assert b.oa.messages("900000000000000011") == [] and a.oa.messages("900000000000000011") == []
    assert a.oa.messages(a.officer) == [] and b.oa.messages(b.officer) == []


def test_faq_answers_carry_each_wards_own_facts(city, tmp_path):
    a, b = city.a, city.b
    for code, phone in (("default", "0236 111 1113"), (B_CODE, "0236 222 2113")):
        path = tmp_path / f"{code}.env"
        path.write_text(f"sdt_cong_an_phuong={phone}\n", encoding="utf-8")
        with session_scope() as s:
            wards.update(s, code, {"ward_profile_file": str(path)}, cipher=None)
    _reload(city)
    answers = {}
    for ward in (a, b):
        city.say(ward, bot_texts.BTN_ASK)
        answers[ward.code] = city.say_text(ward, "Số điện thoại Công an phường là bao nhiêu?")
    assert "0236 111 1113" in answers["default"] and "0236 222 2113" not in answers["default"]
    assert "0236 222 2113" in answers[B_CODE] and "0236 111 1113" not in answers[B_CODE]


def test_a_residents_to_is_one_of_its_own_wards(city):
    a, b = city.a, city.b
    with session_scope(a.id) as s:
        s.add_all([ResidentialGroup(code="5", name="Tổ dân phố 5 Hòa Thuận"),
                   ResidentialGroup(code="6", name="Tổ dân phố 6 Hòa Thuận")])
    with session_scope(b.id) as s:
        s.add(ResidentialGroup(code="1", name="Tổ 1 An Hải"))
    refused = city.say_text(b, "tổ 5")
    assert "chưa có tổ 5" in refused and "Các tổ hiện có: 1." in refused
    assert "Tổ dân phố 5 Hòa Thuận" in city.say_text(a, "tổ 5")
    assert "Tổ 1 An Hải" in city.say_text(b, "tổ 1")
    with session_scope(ALL_WARDS) as s:
        groups = {r.ward_id: r.group_code for r in s.scalars(select(Resident))}
    assert groups == {a.id: "5", b.id: "1"}
    assert "to_5" in a.oa.users[RESIDENT].tags and b.oa.users[RESIDENT].tags == {"to_1"}


def test_data_rights_in_one_ward_leave_the_other_wards_records_alone(city):
    a, b = city.a, city.b
    city.file_report(a, "Đèn đường ngõ 12 tổ 5 bị hỏng")
    city.file_report(b, "Rác thải ngõ 3 không ai thu gom mấy hôm nay")
    city.file_report(b, "Cống ngõ 7 bị tắc, nước tràn ra đường")
    seen_in_a = city.say_text(a, "dữ liệu của tôi")
    assert "1 phiếu" in seen_in_a and "-0002" not in seen_in_a
    assert "2 phiếu" in city.say_text(b, "xóa dữ liệu của tôi")
    city.say(b, bot_texts.BTN_ERASE_YES)
    with session_scope(ALL_WARDS) as s:
        residents = {r.ward_id for r in s.scalars(select(Resident).where(Resident.zalo_user_id == RESIDENT))}
        kept = {(t.ward_id, t.code): (t.resident_id is not None, t.text) for t in s.scalars(select(Ticket))}
    assert residents == {a.id}
    a_code = next(code for (ward, code) in kept if ward == a.id)
    assert kept[(a.id, a_code)] == (True, "Đèn đường ngõ 12 tổ 5 bị hỏng")
    assert [linked for (ward, _), (linked, _) in kept.items() if ward == b.id] == [False, False]
    assert "1 phiếu" in city.say_text(a, "dữ liệu của tôi")
