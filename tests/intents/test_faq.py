import csv

import pytest

from intents.faq import FaqEntry, FaqError, FaqIndex, load_faq, read_csv


@pytest.fixture(scope="module")
def kb():
    return load_faq(None)


def test_seeded_knowledge_base_is_sound(kb):
    assert len(kb.entries) >= 40
    for e in kb.entries:
        assert e.source.startswith("Nguồn"), e.question
        assert 0 < len(e.answer) <= 1500
    text = " ".join(e.answer for e in kb.entries)
    assert "{dia_chi_uy_ban}" in text  # a slot the ward fills (bot/ward_profile.py), not an invented fact
    assert "Luật Căn cước 2023" in text


@pytest.mark.parametrize("query,expected_start", [
    ("cho e hoi lam cccd o dau a", "Làm thẻ căn cước"),
    ("vneid muc 2 dang ky o dau", "Đăng ký tài khoản định danh điện tử VNeID mức 2"),
    ("dk tam tru can giay to j", "Đăng ký tạm trú"),
    ("so ho khau con dung dc ko", "Sổ hộ khẩu giấy"),
])
def test_noisy_paraphrases_match(kb, query, expected_start):
    m = kb.ask(query)
    assert m is not None and m.question.startswith(expected_start)
    assert m.source and 0 < m.score <= 1


@pytest.mark.parametrize("query", ["giá vàng hôm nay bao nhiêu", "cach nau pho bo", "", "😂", "?"])
def test_out_of_scope_declined(kb, query):
    assert kb.ask(query) is None


def test_minimal_csv_and_roundtrip(tmp_path):
    p = tmp_path / "faq.csv"
    p.write_text("question,answer\nGiờ làm việc?,Sáng 7h30.\n", encoding="utf-8")
    idx = FaqIndex.from_csv(p)
    assert idx.entries[0] == FaqEntry("Giờ làm việc?", "Sáng 7h30.", (), "", None)
    out = tmp_path / "out.csv"
    idx.to_csv(out)
    assert read_csv(out) == list(idx.entries)


def test_variants_split_on_bar_and_bom_ok(tmp_path):
    p = tmp_path / "faq.csv"
    with open(p, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "answer", "variants", "source", "topic"])
        w.writerow(["Trạm y tế ở đâu?", "Ở [điền].", "tram y te o dau|trạm xá chỗ nào", "Nguồn: x", "health"])
    (e,) = read_csv(p)
    assert e.variants == ("tram y te o dau", "trạm xá chỗ nào") and e.topic == "health"
    assert FaqIndex.from_entries([e]).ask("trạm xá chỗ nào vậy") is not None


@pytest.mark.parametrize("body", [
    "q,a\nx,y\n",                                   # wrong columns
    "question,answer\nx,\n",                        # missing answer
    "question,answer,topic\nx,y,weather\n",        # unknown topic
    "question,answer\nHỏi A,y\nhỏi a,z\n",          # duplicate
    "question,answer\nx," + "a" * 1600 + "\n",      # too long
])
def test_invalid_files_rejected(tmp_path, body):
    p = tmp_path / "bad.csv"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(FaqError):
        read_csv(p)


def test_threshold_is_a_constructor_argument(kb):
    strict = FaqIndex(kb.entries, threshold=0.99)
    assert kb.ask("cho em hoi lam can cuoc cho bo o phuong nao") is not None
    assert strict.ask("cho em hoi lam can cuoc cho bo o phuong nao") is None


def test_faq_answers_call_the_resident_bac_like_every_other_reply():
    """handlers/texts/__init__.py's voice guide: residents are "bác" (or a neutral form), never "bạn"."""
    import re

    from intents.faq import default_faq_path, read_csv

    bad = [e.question for e in read_csv(default_faq_path()) if re.search(r"\b[Bb]ạn\b", e.answer)]
    assert not bad
