"""The reply parser, read as a table: what residents type at each step and what it means."""
from __future__ import annotations

import pytest

from handlers import texts
from intents.replies import read

CONFIRM = ("cancel", "edit", "yes", "no")
PHOTO = ("cancel", "edit", "no", "skip", "dont_know", "yes")
LOCATION = ("cancel", "edit", "dont_know", "skip", "no", "yes", "group")
RATING = ("rating", "cancel", "no", "yes")
CHOICE = ("cancel", "report", "suggest", "ask", "yes", "no", "dont_know")
OFFER = ("cancel", "to_officer", "no", "yes")

CASES = [
    # confirm: yes, the way people say it
    *[(CONFIRM, t, "yes") for t in (
        "dạ", "Dạ", "da", "dạ ạ", "vâng", "vang", "vâng ạ", "vang a", "ok", "OK", "oke", "oki",
        "okie", "ok gửi đi", "ok gui di", "gửi giúp bác nhé", "gui giup bac nhe", "uh gửi lun",
        "uh gui lun", "ừ", "um", "uhm", "đúng rồi", "dung roi", "dung roi gui di",
        "đúng rồi gửi đi", "được", "dc", "đc", "được rồi", "có", "co", "gửi", "gui", "gửi đi",
        "gửi luôn", "gui lun", "gửi ngay giúp cháu", "đồng ý", "dong y", "xác nhận", "chính xác",
        "Gửi phản ánh", "Gửi kiến nghị", "Gửi câu hỏi", "dạ gửi phản ánh giúp bác ạ",
        "vâng, gửi đi ạ", "ok luôn", "đúng vậy", "ừ đúng rồi gửi đi", "dạ vâng", "gửi cho phường nhé",
    )],
    # confirm: no, cancel, edit
    *[(CONFIRM, t, "no") for t in ("không", "khong", "ko", "k", "hok", "chưa")],
    *[(CONFIRM, t, "cancel") for t in (
        "hủy", "Hủy", "huy", "hủy bỏ", "thôi", "thoi", "không gửi nữa", "ko gui nua", "thôi không gửi",
        "hủy giúp bác", "dừng lại", "bỏ đi", "thôi khỏi gửi")],
    *[(CONFIRM, t, "edit") for t in (
        "sửa", "sua", "sửa lại", "sua lai", "Sửa lại", "sai rồi", "sai roi", "không đúng",
        "khong dung", "ko dung", "chưa đúng", "nhầm rồi", "viết lại", "sửa lại nội dung giúp bác",
        "không phải")],
    # photo step
    *[(PHOTO, t, "no") for t in (
        "k co hinh", "ko co hinh", "ko co anh", "ko co anh dau", "không có ảnh", "Không có ảnh",
        "chưa có ảnh", "chua co anh", "không có", "khong co", "ko", "không", "k", "hok co",
        "hong co hinh", "không có ảnh ạ", "dạ không có ảnh", "không chụp được", "chưa chụp",
        "hk co hinh anh", "ko có hình đâu", "khong co anh nao", "khoi")],
    *[(PHOTO, t, "skip") for t in ("bỏ qua", "bo qua", "Bỏ qua")],
    *[(PHOTO, t, "yes") for t in ("có", "co", "có ảnh", "dạ có", "ok", "được")],
    # location step
    *[(LOCATION, t, "dont_know") for t in (
        "không biết", "khong biet", "ko bt", "k bt", "kbt", "không nhớ", "khong nho", "k nho",
        "ko nho", "không rõ", "khong ro", "không nhớ số nhà", "ko nho dia chi", "quên rồi",
        "chịu", "không biết ạ", "dạ bác không nhớ", "ko bik", "hông biết", "không nhớ rõ lắm")],
    *[(LOCATION, t, "skip") for t in ("bỏ qua", "bo qua", "Bỏ qua")],
    *[(LOCATION, t, "group") for t in ("tổ 5", "to 5", "tổ 12 ạ")],
    *[(LOCATION, t, "none") for t in (
        "gần chợ Hàn", "gan cho Han", "đầu kiệt 45", "dau kiet 45", "truoc ngo 8", "trước ngõ 8",
        "số 8 ngõ 12", "cạnh trường Kim Đồng", "ngõ 5 phố Huế")],
    # ratings
    *[(RATING, t, 5) for t in (
        "5", "5 sao", "5*", "5 *", "5 ⭐", "bác cho 5 sao", "bac cho 5 sao", "năm sao", "nam sao",
        "cho 5 sao nha", "5 sao nhé", "rất hài lòng", "rat hai long", "cho phường 5 sao",
        "dạ 5 sao ạ", "tuyệt vời", "5 điểm", "năm")],
    *[(RATING, t, 4) for t in ("4 sao thôi", "4", "bốn sao", "bon sao", "4 sao", "hài lòng", "tốt")],
    *[(RATING, t, 3) for t in ("3", "ba sao", "3 sao", "bình thường")],
    *[(RATING, t, 2) for t in ("2 sao", "hai sao", "chưa hài lòng")],
    *[(RATING, t, 1) for t in ("1 sao", "một sao", "mot sao", "không hài lòng", "1*")],
    *[(RATING, t, "none") for t in ("2 sao 5 sao", "đèn vẫn chưa sáng", "6 sao")],
    # choosing what kind of message it was
    *[(CHOICE, t, "report") for t in ("Phản ánh", "phan anh", "phản ánh ạ", "tôi muốn phản ánh",
                                       "gửi phản ánh")],
    *[(CHOICE, t, "suggest") for t in ("Kiến nghị", "kien nghi a", "góp ý", "đề xuất")],
    *[(CHOICE, t, "ask") for t in ("Hỏi đáp", "hỏi", "hoi thoi", "tôi muốn hỏi")],
    # after an FAQ answer
    *[(OFFER, t, "to_officer") for t in ("Chuyển cán bộ", "chuyen can bo", "chuyển cho cán bộ giúp bác")],
    *[(OFFER, t, "no") for t in ("Không cần", "ko can", "k can", "không cần đâu ạ", "khoi")],
    *[(OFFER, t, "yes") for t in ("có", "dạ có", "ok")],
    # things that are not answers, at any step
    *[(CONFIRM, t, "none") for t in (
        "đèn đường ngõ 12 tổ 5 hỏng", "hả", "là sao", "???", "",
        "đèn còn chập chờn cả tuần nay rồi", "không có đèn ở ngõ 5")],
]


@pytest.mark.parametrize("expect,text,meaning", CASES, ids=[f"{c[2]}:{c[1]}" for c in CASES])
def test_reply_table(expect, text, meaning):
    answer = read(text, expect)
    if isinstance(meaning, int):
        assert (answer.kind, answer.value) == ("rating", meaning)
    else:
        assert answer.kind == meaning


def test_no_means_what_the_step_asked():
    assert read("không", PHOTO).kind == "no"
    assert read("không", CONFIRM).kind == "no"
    assert read("không cần", OFFER).kind == "no"
    assert read("không cần", ("skip",)).kind == "skip"
    assert read("không", ("yes",)).kind == "none"   # not expected: not read as anything


@pytest.mark.parametrize("text,rest", [
    ("thêm: cột đèn còn bị nghiêng", "cột đèn còn bị nghiêng"),
    ("them la cot den con bi nghieng", "cot den con bi nghieng"),
    ("sửa lại là ngõ 14 chứ không phải ngõ 12", "ngõ 14 chứ không phải ngõ 12"),
    ("dạ thêm giúp bác: tối nào cũng tối om", "tối nào cũng tối om"),
    ("bổ sung: có 2 cột đèn bị hỏng", "có 2 cột đèn bị hỏng"),
])
def test_edit_with_new_facts_keeps_them_as_typed(text, rest):
    answer = read(text, CONFIRM)
    assert answer.kind == "edit" and answer.rest == rest


def test_every_button_title_is_read_as_its_answer():
    assert read(texts.BTN_SUBMIT_REPORT, CONFIRM).kind == "yes"
    assert read(texts.BTN_SUBMIT_SUGGESTION, CONFIRM).kind == "yes"
    assert read(texts.BTN_SUBMIT_QUESTION, CONFIRM).kind == "yes"
    assert read(texts.BTN_EDIT, CONFIRM).kind == "edit"
    assert read(texts.BTN_CANCEL, CONFIRM).kind == "cancel"
    assert read(texts.BTN_NO_PHOTO, PHOTO).kind == "no"
    assert read(texts.BTN_SKIP_LOCATION, LOCATION).kind == "skip"
    assert read(texts.BTN_TO_OFFICER, OFFER).kind == "to_officer"
    assert read(texts.BTN_NO_THANKS, OFFER).kind == "no"
    assert read(texts.BTN_REPORT, CHOICE).kind == "report"
    assert read(texts.BTN_SUGGEST, CHOICE).kind == "suggest"
    assert read(texts.BTN_ASK, CHOICE).kind == "ask"
    for n, title in enumerate(texts.RATING_BUTTONS, start=1):
        assert read(title, RATING).value == n


def test_long_messages_are_never_answers():
    text = "dạ không, đèn đường ở ngõ 12 vẫn chưa sáng, tối qua có người ngã xe ở đó rồi"
    assert read(text, CONFIRM).kind == "none"
    assert read(text, CONFIRM).words >= 8


def test_deterministic():
    phrases = [c[1] for c in CASES]
    first = [read(t, CONFIRM) for t in phrases]
    again = [read(t + " ", CONFIRM) for t in phrases]  # new strings: past the token cache
    assert again == first
