"""Commands and button taps (pure). A tapped button arrives as its title text, so typed words
and taps go through the same parser; residents who type "gui", "huy" or "ko co anh" succeed."""
from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalize import fold

_CODE = re.compile(r"\b([a-z]{2})\s*[-_./ ]?\s*(\d{4})\s*[-_./ ]?\s*(\d{1,8})\b")
_LOOKUP_WORDS = re.compile(r"^\s*(tra\s*cuu|tracuu|tra|kiem\s*tra|xem|tien\s*do)\b")
_PUNCT = re.compile(r"[^\w\s-]+")

# Whole-message phrases (folded). Short on purpose: they only count when they are (nearly)
# the whole message, so "toi khong huy duoc the" is not a cancel.
PHRASES: dict[str, tuple[str, ...]] = {
    "cancel": ("huy", "huy bo", "thoi", "thoi khong gui", "khong gui nua", "dung lai", "cancel"),
    "submit": (
        "gui phan anh", "gui kien nghi", "gui cau hoi", "gui", "gui di", "dong y", "xac nhan",
        "dung roi", "ok", "oke", "co", "co gui", "yes", "gui luon", "gui ngay", "dong y gui",
    ),
    "edit": ("sua lai", "sua", "sua noi dung", "viet lai"),
    "no_photo": ("khong co anh", "ko co anh", "k co anh", "khong anh", "khong co", "ko co", "khong"),
    "skip_location": ("bo qua", "khong ro", "khong biet"),
    "menu_report": ("phan anh", "toi muon phan anh", "gui phan anh moi"),
    "menu_suggest": ("kien nghi", "de xuat", "toi muon kien nghi", "gop y"),
    "menu_ask": ("hoi dap", "hoi", "toi muon hoi", "hoi thu tuc"),
    "menu_lookup": ("tra cuu", "tra cuu phieu", "xem tien do", "tien do"),
    "to_officer": ("chuyen can bo", "chuyen cho can bo", "gap can bo", "hoi can bo"),
    "no_thanks": ("khong can", "ko can", "k can", "thoi khong can", "cam on khong can"),
    "menu": ("menu", "bat dau", "start", "tro giup", "help"),
}
_LOOKUP_TABLE = {phrase: name for name, phrases in PHRASES.items() for phrase in phrases}


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
