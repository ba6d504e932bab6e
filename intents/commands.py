"""Commands and button taps (pure). A tapped button arrives as its title text, so typed words
and taps go through the same parser; residents who type "gui", "huy" or "ko co anh" succeed."""
from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalize import fold

_CODE = re.compile(r"\b([a-z]{2})\s*[-_./ ]?\s*(\d{4})\s*[-_./ ]?\s*(\d{1,8})\b")
_LOOKUP_WORDS = re.compile(r"^\s*(tra\s*cuu|tracuu|tra|kiem\s*tra|xem|tien\s*do)\b")
_PUNCT = re.compile(r"[^\w\s-]+")

# Button titles, by the command a tap on one means: their one definition (handlers/texts/words.py
# shows them to residents). A tap comes back as its title's text, so every title is also read
# here, folded, as one of its command's phrases.
BUTTON_TITLES: dict[str, tuple[str, ...]] = {
    "menu_report": ("Phản ánh",),
    "menu_suggest": ("Kiến nghị",),
    "menu_ask": ("Hỏi đáp",),
    "menu_lookup": ("Tra cứu",),
    "no_photo": ("Không có ảnh",),
    "skip_location": ("Bỏ qua",),
    "submit": ("Gửi phản ánh", "Gửi kiến nghị", "Gửi câu hỏi"),
    "edit": ("Sửa lại",),
    "cancel": ("Hủy",),
    "to_officer": ("Chuyển cán bộ",),
    "no_thanks": ("Không cần",),
}

# What residents type instead of tapping (folded). Short on purpose: they only count when they
# are (nearly) the whole message, so "toi khong huy duoc the" is not a cancel.
PHRASES: dict[str, tuple[str, ...]] = {
    "cancel": ("huy bo", "thoi", "thoi khong gui", "khong gui nua", "dung lai", "cancel"),
    "submit": (
        "gui", "gui di", "dong y", "xac nhan",
        "dung roi", "ok", "oke", "co", "co gui", "yes", "gui luon", "gui ngay", "dong y gui",
    ),
    "edit": ("sua", "sua noi dung", "viet lai"),
    "no_photo": ("ko co anh", "k co anh", "khong anh", "khong co", "ko co", "khong"),
    "skip_location": ("khong ro", "khong biet"),
    "menu_report": ("toi muon phan anh", "gui phan anh moi"),
    "menu_suggest": ("de xuat", "toi muon kien nghi", "gop y"),
    "menu_ask": ("hoi", "toi muon hoi", "hoi thu tuc"),
    "menu_lookup": ("tra cuu phieu", "xem tien do", "tien do"),
    "to_officer": ("chuyen cho can bo", "gap can bo", "hoi can bo"),
    "no_thanks": ("ko can", "k can", "thoi khong can", "cam on khong can"),
    "menu": ("menu", "bat dau", "start", "tro giup", "help"),
}
_LOOKUP_TABLE = {phrase: name for name, phrases in PHRASES.items() for phrase in phrases}
_LOOKUP_TABLE.update({fold(title): name for name, titles in BUTTON_TITLES.items() for title in titles})


@dataclass(frozen=True)
class Command:
    name: str
    code: str | None = None


def _clean(text: str) -> str:
    folded = fold(text)
    folded = folded.replace("ko", "khong") if folded in ("ko", "ko co", "ko can") else folded
    return " ".join(_PUNCT.sub(" ", folded).split())


def format_code(prefix: str, year: str, number: str) -> str:
    return f"{prefix.upper()}-{year}-{int(number):04d}"


def parse(text: str) -> Command | None:
    """Recognise a command, a button tap or a lookup. None means free text."""
    clean = _clean(text)
    if not clean:
        return None
    code_match = _CODE.search(clean)
    if code_match and (_LOOKUP_WORDS.match(clean) or code_match.group(0) == clean):
        return Command("lookup", format_code(*code_match.groups()))
    name = _LOOKUP_TABLE.get(clean)
    if name:
        return Command(name)
    # "hủy ạ", "gửi nhé", "không có ảnh ạ": allow one trailing politeness word.
    words = clean.split()
    if len(words) >= 2 and words[-1] in ("a", "ah", "nhe", "nha", "nhe a", "di", "roi", "vay"):
        name = _LOOKUP_TABLE.get(" ".join(words[:-1]))
        if name:
            return Command(name)
    return None
