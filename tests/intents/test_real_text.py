"""Real public Vietnamese text nobody on the project wrote (intents/data/real/, sources and
licences in intents/README.md): the issue's targets on the dev half, a floor on the held-out
half (whose errors are never printed), and the behaviours behind them one by one."""
import pytest

from intents.classify import Classifier
from intents.faq import load_faq
from intents.real_text import TARGETS, declined, metrics, read_rows

# Floors: a figure each split and batch may not fall below, the measured share less one
# message of its group (so a later change may move one message either way, never more).
# Batch 1 (gathered 6/12): held-out first run at commit 7049d9d. Batch 2 (gathered 7/12):
# held-out first run at 165b84d (formal 95.1%, short 92.6%, procedure 87.5%, opener 78.6%,
# out of scope 59.1%), then the figures below after tuning on dev batch 2 only. Batch 3 (gathered
# 7/12 from other sources): held-out first run at 8ca67c1, with the scope vote trained on 274
# declined public chat messages (set chat_oos), the courtesy frame and aid questions framed;
# batches 1-2 were measured again at the same commit. The held-out errors are never printed.
# The targets are not all met on real text (intents/README.md says which): the tool
# prints them; these tests keep what was reached ("same_kind_stripped" where it is below 98%).
MEASURED = {
    ("dev", 1): {"formal_question": (1.0, 16), "petition": (0.9714, 35),
                 "short_service_question": (0.9524, 42), "procedure_question": (1.0, 8),
                 "opener": (1.0, 34), "oos": (0.9756, 41)},
    ("dev", 2): {"formal_question": (0.9804, 51), "short_service_question": (0.9667, 60),
                 "procedure_question": (0.9231, 13), "opener": (0.8679, 53), "oos": (0.65, 100)},
    ("dev", 3): {"short_service_question": (0.8, 55), "opener": (1.0, 3), "oos": (0.7174, 46)},
    ("heldout", 1): {"formal_question": (0.9167, 24), "petition": (0.9394, 33),
                     "short_service_question": (0.8913, 46), "procedure_question": (1.0, 12),
                     "opener": (0.9487, 39), "oos": (0.8837, 43)},
    ("heldout", 2): {"formal_question": (0.9512, 41), "short_service_question": (0.9506, 81),
                     "procedure_question": (0.875, 16), "opener": (0.9048, 42), "oos": (0.6774, 93)},
    ("heldout", 3): {"short_service_question": (0.6667, 39), "opener": (0.5, 4), "oos": (0.6122, 49),
                     "same_kind_stripped": (0.9783, 92)},
}


@pytest.fixture(scope="module")
def clf():
    return Classifier()


@pytest.fixture(scope="module")
def faq():
    return load_faq(None)


@pytest.mark.parametrize("split,batch", sorted(MEASURED))
def test_real_text_keeps_what_was_reached(clf, faq, split, batch):
    m = metrics(clf, faq, read_rows(split, batch))
    low = {g: round(m[g], 4) for g, (share, n) in MEASURED[(split, batch)].items()
           if m[g] < share - 1 / n - 1e-9}
    for key in ("same_kind_stripped", "faq_same_stripped"):
        if key not in MEASURED[(split, batch)] and m[key] < TARGETS[key]:
            low[key] = round(m[key], 4)
    assert not low  # figures only: held-out messages are not shown


def test_splits_are_disjoint_and_sizeable():
    dev_rows, held_rows = read_rows("dev"), read_rows("heldout")
    assert not {r.text for r in dev_rows} & {r.text for r in held_rows}
    assert len(dev_rows) + len(held_rows) >= 900
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
                                  "Hi bot", "xin chaof", "bạn à", "có ai ở đây không?", "Cho tôi hỏi",
                                  "bye", "tạm biệt nhé", "hẹn gặp lại", "see you later", "chúc bạn ngủ ngon"])
def test_openers_and_thanks_are_greetings(clf, text):
    assert clf.classify(text).kind == "greeting"


@pytest.mark.parametrize("text", ["aaaa", "ok", "không ạ", "ko biet", "lại hỏng rồi"])
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


@pytest.mark.parametrize("text", [
    "Nhà bị cuốn trôi do lũ quét có được hỗ trợ hay không?",
    "nha toi bi sap do bao thi co duoc tro cap gi khong",
])
def test_asking_what_aid_a_disaster_gives_is_a_question_not_an_emergency(clf, text):
    c = clf.classify(text)
    assert (c.kind, c.urgent) == ("question", False)


@pytest.mark.parametrize("text", [
    "Nhờ phường hướng dẫn giúp tôi hồ sơ xin trợ cấp cho mẹ tôi 82 tuổi. Xin cảm ơn.",
    "Xin Quý cục cung cấp mẫu văn bản đề nghị gia hạn giấy phép thiết lập trang thông tin điện tử "
    "tổng hợp trên Internet. Tôi xin chân thành cảm ơn!",
    "Kính chào quý cơ quan. Tôi muốn biết lệ phí cấp lại giấy khai sinh cho con là bao nhiêu",
])
def test_a_courtesy_sentence_around_a_request_does_not_make_it_a_greeting(clf, text):
    assert clf.classify(text).kind != "greeting"


@pytest.mark.parametrize("text", [
    "Cảm ơn phường đã sửa đèn đường ngõ 5 rất nhanh. Chúc các anh chị sức khỏe!",
    "Cảm ơn các anh chị cán bộ phường. Hôm qua đã cho người dọn rác đầu ngõ sạch sẽ rồi ạ",
    "cảm ơn nhiều nhé",
])
def test_thanks_for_what_was_done_is_still_a_greeting(clf, text):
    assert clf.classify(text).kind == "greeting"


def test_declined_chat_for_the_scope_vote_is_public_text_kept_apart_from_real_text():
    """intents/data/training/classify_chat_oos.csv: every row names its source and licence, and
    none of its sources or texts is one of the real-text batches' (so their figures stay fair)."""
    import csv
    from intents import sets
    with open(sets.get("chat_oos").classify, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 250 and all(r["kind"] == "other" and r["source"] and r["licence"] for r in rows)
    real = read_rows("dev") + read_rows("heldout")
    assert not {r["text"].lower() for r in rows} & {r.text.lower() for r in real}
    repos = {r["source"].split()[0] for r in rows}
    assert not any(repo in r.source for r in real for repo in repos if repo.startswith("github:"))


@pytest.mark.parametrize("text", ["người yêu bot là ai", "Cậu thích ăn gì", "tôi thích bài thơ Tràng giang",
                                  "ngày mai đi chơi không"])
def test_chat_like_the_declined_public_chat_is_declined(clf, faq, text):
    """Dev chat that the scope vote declines since it learned 274 declined chat messages of other
    public chatbots (it asked "phản ánh, kiến nghị hay hỏi đáp?" before)."""
    c = clf.classify(text)
    assert declined(c, faq_answered=c.kind == "question" and faq.ask(text) is not None)


@pytest.mark.parametrize("text", [
    "Nhà tôi vừa qua có nằm trong khu vực bị lũ quét, nên nhà cửa đã bị cuốn trôi không còn gì cả. "
    "Nhà tôi thuộc diện khó khăn nhưng lại không thuộc hộ cận nghèo hay nghèo, nên không biết gia đình "
    "tôi liệu có được hỗ trợ tiền xây lại nhà hay không?",
    "Tôi muốn hỏi hộ nghèo, hộ cận nghèo có nhà bị hư hỏng nặng hoặc bị sập do bão, lụt thì được hỗ trợ "
    "gì không? Trường hợp khẩn cấp phải di dời nhà thì mức hỗ trợ là bao nhiêu?",
])
def test_a_question_about_aid_after_a_disaster_is_a_question_not_an_emergency(clf, text):
    """Its danger words tell what happened; "vừa", "khẩn cấp" no longer make it happen now."""
    c = clf.classify(text)
    assert (c.kind, c.urgent) == ("question", False)


def test_a_danger_the_rules_describe_stays_urgent_when_it_asks_for_aid(clf):
    c = clf.classify("nhà bà Tư tổ 3 đang bị sập, có người mắc kẹt bên trong, phường có hỗ trợ được không?")
    assert c.urgent and c.kind == "complaint"
