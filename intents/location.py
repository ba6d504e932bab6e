"""Find where a report is about, in the resident's own words (pure).

Matches on the folded text but returns the original spelling, so "ngo 12 to 5" and
"ngõ 12, tổ 5" are both found and shown back as typed.
"""
from __future__ import annotations

import re
import unicodedata

# Place words followed by a number or a name. Folded (no diacritics), lower case.
_PLACE = re.compile(
    r"\b(?:so nha|so|nha so|ngo|ngach|hem|kiet|hxh|duong|pho|to dan pho|tdp|to|khu pho|kp|"
    r"khu dan cu|kdc|thon|xom|ap|chung cu|cc|toa|block|lo|cho|truong|cong vien|cau|nga ba|"
    r"nga tu|dau ngo|cuoi ngo|cong)\s+"
    r"(?:so\s+)?[0-9][0-9a-z/]*(?:\s*[,-]?\s*(?:ngo|ngach|hem|to|tdp|duong|pho|kp)\s+[0-9][0-9a-z/]*)*"
)
_STREET = re.compile(r"\b(?:duong|pho)\s+(?:[a-z]+\s){0,3}[a-z]+")
_GROUP = re.compile(r"\b(?:to dan pho|tdp|to)\s+(?:so\s+)?([0-9]{1,3}[a-z]?)\b")


def _fold_aligned(text: str) -> str:
    """Fold character by character so positions line up with the original text."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch.lower())[:1] or ch
        out.append("d" if base in ("đ",) else base if len(base) == 1 else ch)
    return "".join(out)


def extract_location(text: str) -> str | None:
    """The place phrase(s) in the message, as the resident wrote them, or None."""
    text = unicodedata.normalize("NFC", text or "")
    folded = _fold_aligned(text)
    spans = [m.span() for m in _PLACE.finditer(folded)]
    if not spans:
        # A street needs a capitalised name after it ("đường Nguyễn Trãi"), or "đèn đường bị
        # hỏng" would read as a street called "bị hỏng".
        spans = [
            m.span() for m in _STREET.finditer(folded)
            if text[m.start():m.end()].split()[1:2] and text[m.start():m.end()].split()[1][0].isupper()
        ]
    if not spans:
        return None
    parts = []
    for start, end in spans:
        piece = text[start:end].strip(" ,.-")
        if piece and piece not in parts:
            parts.append(piece)
    return ", ".join(parts)[:300] or None


def extract_group(text: str) -> str | None:
    """The residential group (tổ dân phố) number, e.g. "tổ 5" -> "5"."""
    m = _GROUP.search(_fold_aligned(unicodedata.normalize("NFC", text or "")))
    return m.group(1).upper() if m else None


_GROUP_CHOICE = re.compile(
    r"^(?:(?:toi|em|chau|minh|nha toi|gia dinh toi)\s+)?(?:o|thuoc|song o)?\s*"
    r"(?:to dan pho|tdp|to)\s+(?:so\s+)?([0-9]{1,3}[a-z]?)\s*(?:a|nhe|nha)?$")


def parse_group_choice(text: str) -> str | None:
    """A whole message naming the resident's own tổ ("tổ 5", "to 5", "tôi ở tổ 12")."""
    folded = " ".join(_fold_aligned(unicodedata.normalize("NFC", text or "")).replace(".", " ").split())
    m = _GROUP_CHOICE.match(folded)
    return m.group(1).upper() if m else None
