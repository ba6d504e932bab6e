"""No placeholder ever reaches a resident (issue 11 point 5).

Ward-specific facts in FAQ answers are {slots} filled from the ward profile; an answer with a
gap left is not sent (the bot offers an officer instead); `faq check` lists the gaps; the
sandbox fills them with values that say "(mẫu)"."""
from __future__ import annotations

import logging
import re

import pytest

from bot.ward_profile import SAMPLE
from handlers import texts as bot_texts
from handlers.ward_profile import load
from intents import slots
from intents.faq import default_faq_path, read_csv
from tests.e2e.promises.test_urgent_promises import TEST_TOKEN_KEY
from tests.support import message_buttons, message_text

ENTRIES = read_csv(default_faq_path())
GAP_TEXT = re.compile(r"\[|\]|\{[a-z0-9_]+\}")
GAPPED = {n for n, _e, _m in slots.entry_gaps(ENTRIES, {})}


@pytest.fixture(scope="module")
def shared_nlu():
    from bot.runtime.nlu import NluService

    return NluService()  # the classifier and the FAQ take seconds to build: once per module


@pytest.fixture()
def runtime(settings, app, shared_nlu, request):
    from bot.runtime.process import Runtime

    rt = Runtime(settings, scheduler=False, nlu=shared_nlu)
    yield rt
    rt.sender.close()


@pytest.fixture()
def settings(settings, request):
    marker = request.node.get_closest_marker("profile")
    return settings.with_overrides(ward_profile_file=str(marker.args[0]) if marker else "")


def test_the_shipped_faq_has_the_eleven_known_gaps_and_the_sample_fills_them_all():
    assert len(ENTRIES) == 62 and len(GAPPED) == 11
    assert slots.entry_gaps(ENTRIES, load(SAMPLE)) == []
    assert all("(mẫu)" in v for v in load(SAMPLE).values())


def test_no_answer_says_ban_or_anh_chi():
    for e in ENTRIES:
        assert not re.search(r"\b(bạn|Bạn|anh/chị|Anh/chị|anh chị|quý vị)\b", e.answer), e.question


def _ask(bot, question: str):
    bot.say(bot_texts.BTN_ASK)  # "Hỏi đáp": the next text is a question, whatever it looks like
    return bot.say(question)


@pytest.mark.parametrize("n", range(1, len(ENTRIES) + 1))
def test_every_answer_without_a_profile_is_whole_or_held_back(bot, n):
    entry = ENTRIES[n - 1]
    replies = _ask(bot, entry.question)
    said = "\n".join(message_text(m) for m in replies)
    assert not GAP_TEXT.search(said), said
    assert "Chuyển cán bộ" in [b for m in replies for b in message_buttons(m)]
    if n in GAPPED:
        assert said == bot_texts.faq_not_ready().text
    else:
        assert entry.answer in said


@pytest.mark.profile(SAMPLE)
@pytest.mark.parametrize("n", range(1, len(ENTRIES) + 1))
def test_every_answer_with_the_sample_profile_is_served_filled(bot, n):
    entry = ENTRIES[n - 1]
    said = "\n".join(message_text(m) for m in _ask(bot, entry.question))
    assert not GAP_TEXT.search(said), said
    assert said.startswith("Dạ, phường xin trả lời:")
    if n in GAPPED and "{" in entry.answer:
        assert "(mẫu)" in said


def test_held_back_answer_offers_an_officer_who_gets_the_question(bot):
    _ask(bot, "Số điện thoại Công an phường là bao nhiêu?")
    said = "\n".join(message_text(m) for m in bot.say("Chuyển cán bộ"))
    assert "HD-" in said


def test_a_profile_value_that_is_itself_a_note_still_holds_the_answer_back(tmp_path):
    profile = tmp_path / "p.env"
    profile.write_text("sdt_cong_an_phuong=[điền sau]\n", encoding="utf-8")
    [entry] = [e for e in ENTRIES if "{sdt_cong_an_phuong}" in e.answer]
    assert slots.fill_answer(entry.answer, entry.source, load(profile))[2] == ("[điền sau]",)


def test_an_officer_edit_of_the_profile_applies_without_a_restart(tmp_path):
    import os

    profile = tmp_path / "p.env"
    profile.write_text("gio_lam_viec=7h30\n", encoding="utf-8")
    assert load(profile)["gio_lam_viec"] == "7h30"
    profile.write_text("gio_lam_viec=\"7h00 # sáng\"\n", encoding="utf-8")
    os.utime(profile, (1, 10**9))
    assert load(profile)["gio_lam_viec"] == "7h00 # sáng"


def _faq_check(monkeypatch, capsys, profile: str):
    from bot.cli.main import main

    monkeypatch.setenv("WARD_PROFILE_FILE", profile)
    monkeypatch.delenv("FAQ_FILE", raising=False)
    capsys.readouterr()
    code = main(["faq", "check"])
    return code, capsys.readouterr().out


def test_faq_check_lists_each_gap_in_vietnamese_and_fails(monkeypatch, capsys):
    code, out = _faq_check(monkeypatch, capsys, "")
    assert code == 1
    police = next(n for n, e in enumerate(ENTRIES, 1) if e.question.startswith("Số điện thoại Công an"))
    assert f"Mục {police} (hàng {police + 1} trong bảng tính): Số điện thoại Công an phường là bao nhiêu?" in out
    assert "còn thiếu: sdt_cong_an_phuong" in out
    assert "dia_chi_uy_ban, vi_tri_mot_cua, sdt_uy_ban, dia_chi_mttq" in out
    assert "11/62 câu trả lời còn chỗ trống" in out
    assert out.count("Mục ") == 11


def test_faq_check_passes_with_a_full_profile(monkeypatch, capsys):
    code, out = _faq_check(monkeypatch, capsys, str(SAMPLE))
    assert code == 0 and "không còn chỗ trống" in out


def test_status_counts_the_gaps(monkeypatch, capsys, database_url, clean_db):
    import json

    from bot.cli.main import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WARD_PROFILE_FILE", "")
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["faq_gaps"] == 11


def test_production_start_up_logs_the_count(settings, app, shared_nlu, caplog):
    from bot.runtime.process import Runtime

    rt = Runtime(settings.with_overrides(app_env="production", token_encryption_key=TEST_TOKEN_KEY),
                 scheduler=False, nlu=shared_nlu)
    with caplog.at_level(logging.INFO):
        rt.start()
        rt.stop()
    assert [r for r in caplog.records if r.getMessage().startswith("Hỏi đáp: 11 câu trả lời còn chỗ trống")]


def test_sandbox_uses_the_sample_profile_unless_one_is_set(settings):
    from bot.sandbox.setup import sandbox_profile

    assert sandbox_profile(settings.with_overrides(ward_profile_file="")) == str(SAMPLE)
    assert sandbox_profile(settings.with_overrides(ward_profile_file="/x.env")) == "/x.env"
