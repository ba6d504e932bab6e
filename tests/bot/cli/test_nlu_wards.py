"""bot/cli/nlu.py in a city of wards: `correct CODE` corrects the chosen ward's ticket (the
same code exists in every ward), `faq check` reads the chosen ward's profile."""
from __future__ import annotations

from bot.ward_profile import SAMPLE
from storage import tickets
from storage.db import session_scope


def _ticket(ward_id: int, text: str) -> str:
    with session_scope(ward_id) as s:
        return tickets.create_ticket(s, kind="complaint", text=text, actor="test", topic="other").code


def test_correct_changes_the_ticket_of_the_chosen_ward(cli, ward_b):
    code_a, code_b = _ticket(1, "Đèn đường hỏng"), _ticket(ward_b, "Cống ngõ 3 tắc")
    assert code_a == code_b
    code, out, err = cli("correct", code_b, "--topic", "environment", "--ward", "an-hai")
    assert code == 0, err
    with session_scope(ward_b) as s:
        assert tickets.by_code(s, code_b).topic == "environment"
    with session_scope(1) as s:
        assert tickets.by_code(s, code_a).topic == "other"


def test_faq_check_reads_the_wards_own_profile(cli, ward_b):
    assert cli("wards", "set", "an-hai", "--ward-profile-file", str(SAMPLE))[0] == 0
    code, out, err = cli("faq", "check", "--ward", "an-hai")
    assert code == 0 and "không còn chỗ trống" in out and str(SAMPLE) in out, out + err
    code, out, err = cli("faq", "check", "--ward", "default")
    assert code == 1 and "(chưa đặt WARD_PROFILE_FILE)" in out
