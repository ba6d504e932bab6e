"""Real public Vietnamese text nobody on the project wrote (intents/data/real/, sources and
licences in intents/README.md): the issue's targets on the dev half, a floor on the held-out
half (whose errors are never printed), and the behaviours behind them one by one."""
import pytest

from intents.classify import Classifier
from intents.faq import load_faq
from intents.real_text import TARGETS, declined, metrics, read_rows

# Held-out floors: the first run on the held-out half (commit 7049d9d, before anything was
# tuned on it, errors never looked at; intents/README.md) less one message per group, so a
# later change may move one message either way but cannot make real text worse than the first
# run. Groups with fewer rows lose more per message (formal 24, procedure 12).
HELD_OUT_FLOOR = {
    "formal_question": 0.87,       # first run 91.7% of 24
    "petition": 0.90,              # first run 93.9% of 33
    "short_service_question": 0.86,  # first run 89.1% of 46
    "procedure_question": 0.91,    # first run 100% of 12
    "opener": 0.92,                # first run 94.9% of 39
    "oos": 0.72,                   # first run 74.4% of 43
    "same_kind_stripped": 0.98,    # first run 99.0% of 198
    "faq_same_stripped": 0.98,     # first run 100% of 82 questions
}


@pytest.fixture(scope="module")
def clf():
    return Classifier()


@pytest.fixture(scope="module")
def faq():
    return load_faq(None)


@pytest.fixture(scope="module")
def dev(clf, faq):
    return metrics(clf, faq, read_rows("dev"))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_dev_meets_the_issue_targets(dev, target):
    assert dev[target] >= TARGETS[target], (target, dev[target], [e[:4] for e in dev["errors"]])


def test_held_out_stays_above_its_first_run(clf, faq):
    held = metrics(clf, faq, read_rows("heldout"))
    low = {k: round(held[k], 4) for k, floor in HELD_OUT_FLOOR.items() if held[k] < floor}
    assert not low  # figures only: the held-out messages are not shown


def test_splits_are_disjoint_and_sizeable():
    dev_rows, held_rows = read_rows("dev"), read_rows("heldout")
    assert not {r.text for r in dev_rows} & {r.text for r in held_rows}
    assert len(dev_rows) + len(held_rows) >= 370
    assert all(r.source for r in dev_rows + held_rows)


@pytest.mark.parametrize("text", [
    "Tôi sinh con ngày 06-12-2022 và đã nộp đầy đủ hồ sơ làm chế độ thai sản về công ty. Nhưng đến "
    "nay tôi vẫn chưa nhận được tiền. Vậy cho tôi hỏi hồ sơ của tôi đã được duyệt chưa?",
    # the story mentions a lost book: "bị lạc mất sổ" is no lost child
    "Mình nghỉ việc từ 2016, công ty đã trả sổ nhưng mình đã bị lạc mất sổ ạ. Mình kiểm tra trên "
    "VSSID không thấy quá trình đóng. Bây giờ mình muốn rút BHXH 1 lần thì cần phải làm gì?",
])
def test_a_long_story_ending_in_a_question_is_a_question(clf, text):
    c = clf.classify(text)
    assert (c.kind, c.urgent) == ("question", False)


@pytest.mark.parametrize("text", [
    "Cử tri phản ánh tình trạng ngập úng kéo dài trên đường Lê Lợi. Cử tri đề nghị thành phố sớm nạo vét cống.",
    "Cử tri cũng phản ánh tình trạng ô tô đậu trên đường gây cản trở giao thông, đề nghị xem xét tổ chức đậu xe theo ngày chẵn, ngày lẻ.",
    "Kiến nghị ban hành hướng dẫn cụ thể việc định giá tài sản trí tuệ",
    "Nhiều văn bản chưa có hướng dẫn cụ thể. Đề nghị các bộ, ngành trung ương sớm ban hành văn bản hướng dẫn để địa phương triển khai.",
])
def test_petitions_are_suggestions(clf, text):
    assert clf.classify(text).kind == "suggestion"


@pytest.mark.parametrize("text", [
    "Đèn đường ngõ 12 tổ 5 hỏng cả tuần nay, tối đi lại rất nguy hiểm. Đề nghị phường cho người sửa sớm.",
    "đèn đường tổ 5 hỏng 3 hôm nay rồi, đề nghị phường cho người sửa",
])
def test_a_report_asking_for_a_fix_stays_a_report(clf, text):
    assert clf.classify(text).kind == "complaint"


@pytest.mark.parametrize("text", ["alo", "hello", "merci", "cảm ơn ạ", "cho hỏi", "em ơi, cho anh hỏi",
                                  "Hi bot", "xin chaof", "bạn à", "có ai ở đây không?", "Cho tôi hỏi"])
def test_openers_and_thanks_are_greetings(clf, text):
    assert clf.classify(text).kind == "greeting"


@pytest.mark.parametrize("text", ["aaaa", "ok", "không ạ"])
def test_not_every_short_message_is_an_opener(clf, text):
    c = clf.classify(text)
    assert c.kind != "greeting" or text == "ok"  # "ok" was an acknowledgement (greeting) before


@pytest.mark.parametrize("text", ["thủ tục khiếu nại như thế nào?", "tố cáo ở đâu", "gui don to cao o dau vay",
                                  "Thời hạn giải quyết tố cáo?", "Tố cáo có được giữ bí mật không?"])
def test_questions_about_the_complaint_procedure_are_questions(clf, text):
    assert clf.classify(text).kind == "question"


@pytest.mark.parametrize("text", ["tố cáo cán bộ địa chính đòi 20 triệu mới ký hồ sơ",
                                  "tôi muốn khiếu nại quyết định xử phạt của phường"])
def test_a_grievance_is_still_redirected(clf, text):
    assert clf.classify(text).kind == "denunciation"


@pytest.mark.parametrize("text", ["giá vàng hôm nay", "thời tiết ngày mai thế nào", "Tỷ giá USD hôm nay là bao nhiêu?",
                                  "kết quả bóng đá tối qua", "Độ ẩm ngay bây giờ"])
def test_out_of_scope_is_declined_without_a_ticket(clf, text):
    c = clf.classify(text)
    assert c.out_of_scope and declined(c, faq_answered=False) and c.candidates == ()


def test_an_unrecognised_message_is_not_declined(clf):
    c = clf.classify("ngõ 5 tổ 3 nhà bác Hùng")  # may be the start of a report: ask
    assert not c.out_of_scope and c.needs_clarification


def test_faq_children_id_card_same_with_and_without_marks(faq):
    children = "Làm căn cước cho trẻ em dưới 14 tuổi như thế nào?"
    for query in ("lam cccd cho con 10 tuoi can gi", "làm cccd cho con 10 tuổi cần gì",
                  "làm căn cước cho con 10 tuổi cần gì", "lam can cuoc cho con 10 tuoi can gi"):
        match = faq.ask(query)
        assert match is not None and match.question == children, query
