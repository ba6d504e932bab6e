"""A classification says what decided it: the phrases that scored, the nearest example, the
votes that mattered and each override that fired (`python -m bot classify --verbose`)."""
import pytest

from intents.classify import Classifier, explain


@pytest.fixture(scope="module")
def clf():
    return Classifier()


def test_a_petition_names_its_phrase_its_cue_and_the_override(clf):
    c = clf.classify("Cử tri phường Tân Phong kiến nghị sớm sửa tuyến đường Nguyễn Văn Linh")
    assert c.kind == "suggestion"
    assert any(r.startswith('"kien nghi" kind suggestion +') for r in c.reasons)
    assert "petition cue: suggestion +4" in c.reasons
    assert c.reasons[-1] == "petition: suggestion"


def test_an_emergency_asked_as_a_question_says_why_it_is_a_report(clf):
    c = clf.classify("nhà bên cạnh đang cháy to lắm, có ai gọi 115 chưa?")
    assert c.urgent and c.kind == "complaint"
    assert any(r.startswith("urgent: lexicon") for r in c.reasons)
    assert "urgent: question -> complaint" in c.reasons


def test_a_described_danger_names_its_rule_and_the_field_it_routes_to(clf):
    c = clf.classify("tủ điện đầu ngõ tóe lửa xèo xèo")
    assert c.topic == "utilities"
    assert "urgent: danger rule electric+spark" in c.reasons
    assert "urgent topic: rule electric+spark -> utilities" in c.reasons


def test_the_nearest_example_is_named_with_its_similarity_and_label(clf):
    c = clf.classify("hồ sơ nộp 2 tuần rồi sao chưa duyệt vậy")
    nearest = [r for r in c.reasons if r.startswith("nearest example ")]
    assert len(nearest) == 1 and " complaint/admin_procedures: " in nearest[0]
    assert "delay: complaint +3" in c.reasons


def test_a_declined_message_says_which_rule_declined_it(clf):
    assert clf.classify("roland garros 2026").reasons[-1] == "out of scope: foreign words, nothing of the ward's"
    c = clf.classify("thời hạn giải quyết tố cáo là bao lâu?")
    assert c.kind == "question" and "procedure question: question, not denunciation" in c.reasons


def test_explain_prints_the_result_then_one_reason_a_line(clf):
    c = clf.classify("alo")
    assert explain(c) == ("greeting (0.95), topic - (0.00)\n"
                          "  - opener: only greeting words, address words and particles")
    text = explain(clf.classify("đèn đường tổ 5 hỏng 3 hôm nay r"))
    assert text.splitlines()[0] == "complaint (1.00), topic infrastructure (1.00)"
    assert '  - "hong" kind complaint +1.5' in text.splitlines()
