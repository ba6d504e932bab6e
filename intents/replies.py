"""What a resident's typed answer to the bot's question means (pure: no DB, no HTTP).

Every conversation step asks one question; residents answer it in their own words, often
without marks, in teencode, wrapped in politeness and address words: "dạ", "vâng ạ",
"ok gửi đi", "uh gui lun", "gửi giúp bác nhé", "ko co anh dau", "ko bt", "bác cho 5 sao".
`read(text, expect)` says which of the answers the step expects the message is, or "none"
(the message is something else: content, a landmark, a new request).

How: the message goes through the project's normaliser (folding, teencode), a few answer-only
synonyms are applied ("bt" is "biết", "hong" is "không" — only here, because in a report
"hong" is "hỏng"), and then the WHOLE message must be covered by one kind's phrases plus
filler words (politeness, address words, the thing being talked about: "ảnh", "địa chỉ"),
with at least one of the kind's own phrases. Whole-message cover is what keeps "không đúng"
from reading as "không" + "đúng", and "đèn ngõ 5 không sáng" from reading as "không".
The order of `expect` is the step's priority where phrases are shared ("không cần" is both a
"no" and a "skip"). Deterministic, and fast: a few dictionary lookups per token.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from intents.location import parse_group_choice
from intents.normalize import fold, normalize, tokens

YES, NO, SKIP, CANCEL, EDIT, DONT_KNOW = "yes", "no", "skip", "cancel", "edit", "dont_know"
RATING, GROUP, NONE = "rating", "group", "none"
REPORT, SUGGEST, ASK, TO_OFFICER = "report", "suggest", "ask", "to_officer"

MAX_ANSWER_TOKENS = 14  # longer than this is never just an answer

# Answer-only synonyms, applied after the shared teencode table (intents/data/teencode.csv).
# Kept here, not in the table, because the classifier reads whole reports where they would
# be wrong ("hong" = hỏng, broken) or are not needed.
_SYNONYMS = {
    "bt": "biet", "biet": "biet", "bik": "biet", "pit": "biet", "pik": "biet",
    "hong": "khong", "hem": "khong", "hok": "khong", "hk": "khong", "hong co": "khong co",
    "kbt": "khong biet", "kco": "khong co", "kg": "khong",
    "oki": "ok", "okie": "ok", "oke": "ok", "okay": "ok", "okela": "ok", "oce": "ok", "okey": "ok",
    "yep": "ok", "yeah": "ok", "uki": "ok",
    "um": "u", "uhm": "u", "ukm": "u", "uk": "u", "uh": "u", "uhuh": "u", "umm": "u", "hm": "u",
    "za": "da", "dza": "da", "vg": "vang", "vag": "vang",
    "hinh": "hinh", "anh": "anh", "h": "hinh",
    "nhoa": "nha", "nhen": "nha", "nghen": "nha", "hen": "nha", "nhe": "nhe", "ne": "nhe",
    "dzui": "vui", "gui": "gui", "gưi": "gui", "zui": "vui",
}

# Words that carry no answer: politeness, particles, address words, "please", "now".
_FILLERS = (
    "da", "vang", "u", "ok", "a", "ah", "nhe", "nha", "nhi", "voi", "di", "luon", "the", "vay",
    "oi", "ha", "ho", "giup", "dum", "gium", "bac", "chau", "em", "anh", "chi", "toi", "minh",
    "con", "ong", "ba", "cu", "ad", "admin", "phuong", "can bo", "roi", "cho", "xin", "cam on",
    "day", "thi", "la", "nhanh", "ngay", "len", "lun", "nay", "do", "nua", "lam", "that", "thoi nhe",
    "vui long", "nhe a", "ah ha", "hi", "hihi", "haha", "nghe", "chu", "ma", "mat tran",
)

# Each kind: its own phrases, and words that only count as filler next to them.
_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    YES: (
        ("co", "dung", "dung vay", "chinh xac", "duoc", "ok", "u", "da", "vang", "gui", "dong y",
         "xac nhan", "chuan", "phai", "yes", "nhat tri", "chac chan", "gui phan anh",
         "gui kien nghi", "gui cau hoi", "duoc roi", "dong i"),
        ("phan anh", "kien nghi", "cau hoi", "noi dung", "cai nay", "nhu vay", "nhu the",
         "het", "het roi", "the", "vay", "di", "lai", "dum", "len", "phuong", "duoc", "roi",
         "dung roi", "co", "nhanh", "som", "sao", "gui"),
    ),
    NO: (
        ("khong", "khong co", "chua", "chua co", "khoi", "khong can", "no", "chiu",
         "khong chup duoc", "chua chup", "khong chup", "het"),
        ("anh", "hinh", "hinh anh", "tam", "tam anh", "nao", "gi", "dau", "chup", "ca", "them",
         "san", "o day", "luc nay", "bay gio", "dien thoai", "may", "giu", "nhe", "duoc"),
    ),
    SKIP: (
        ("bo qua", "qua", "skip", "tiep", "tiep tuc", "khong can", "khoi", "bo qua buoc nay"),
        ("buoc nay", "cau nay", "phan nay", "dia chi", "anh", "hinh"),
    ),
    DONT_KNOW: (
        ("khong biet", "khong nho", "khong ro", "quen", "quen mat", "ai biet", "khong chac",
         "chiu", "khong nam ro", "chua biet", "chua ro", "khong thuoc", "khong nho ro",
         "khong biet ro", "khong nho nua"),
        ("dia chi", "so nha", "nha so", "ten duong", "duong", "so", "ten", "chinh xac", "cu the",
         "o dau", "cho nao", "dau", "o", "dia diem", "vi tri", "ngo", "may", "bao nhieu", "lam",
         "ro", "nua", "het", "duoc", "nhe", "hem", "kiet", "to"),
    ),
    CANCEL: (
        ("huy", "huy bo", "thoi", "khong gui", "khong gui nua", "dung lai", "cancel", "bo di",
         "thoi khoi", "khong muon gui", "khoi gui", "bo", "xoa", "xoa di", "thoi khong gui",
         "khong gui nua dau"),
        ("di", "nua", "phan anh", "kien nghi", "cau hoi", "cai nay", "gium", "giup", "dau", "het"),
    ),
    EDIT: (
        ("sua", "sua lai", "viet lai", "sai", "sai roi", "khong dung", "chua dung", "nham",
         "nham roi", "doi lai", "ghi lai", "chinh lai", "chinh sua", "them", "bo sung",
         "khong phai", "nhap lai", "noi lai"),
        ("noi dung", "cai", "chut", "mot chut", "lai", "di", "dia chi", "phan anh", "kien nghi",
         "cau hoi", "mot", "it", "thong tin", "tin", "chi tiet", "vay"),
    ),
    REPORT: (("phan anh", "bao", "bao cao", "phan anh su viec"), ()),
    SUGGEST: (("kien nghi", "de xuat", "gop y", "de nghi"), ()),
    ASK: (("hoi", "hoi dap", "hoi thong tin", "hoi thu tuc", "cau hoi", "thac mac"), ()),
    TO_OFFICER: (
        ("chuyen can bo", "chuyen cho can bo", "gap can bo", "hoi can bo", "chuyen",
         "nho can bo", "chuyen di", "can bo tra loi", "chuyen giup"),
        ("can bo", "cau hoi", "nay", "tra loi"),
    ),
}
_CHOICE_FILLERS = ("muon", "gui", "la", "cai", "thoi", "viec", "nay", "chon", "minh", "y")

# Ratings: digits, number words before "sao"/"điểm", and the old satisfaction words.
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5}
_RATING_WORDS = {
    "rat hai long": 5, "hai long": 4, "binh thuong": 3, "tam duoc": 3, "tam tam": 3,
    "chua hai long": 2, "khong hai long": 1, "rat khong hai long": 1, "rat tot": 5, "tot": 4,
    "tuyet voi": 5, "xuat sac": 5, "kem": 2, "te": 1, "qua te": 1, "rat te": 1,
    "tot lam": 5, "hai long lam": 5, "tot qua": 5,
}
_RATING_FILLERS = ("sao", "diem", "danh gia", "cham", "thoi", "nhe", "nha", "luon", "duoc", "ngoi sao",
                   "phuong", "can bo", "cho phuong", "xu ly", "ve", "viec")

_STAR_CHARS = re.compile(r"[*⭐🌟★☆✨]")
_PUNCT = re.compile(r"[\s:,.;!\-–—]+")
# Leading edit verbs followed by the new facts ("thêm: cột đèn còn nghiêng", "sửa lại là ngõ 14").
_EDIT_LEAD = re.compile(
    r"^\s*(?:(?:da|vang|u|ok|oi|bac|chau|em|toi|cho)\s+)*"
    r"(?:sua lai|sua|them|bo sung|ghi them|viet lai|chinh lai|ghi lai|doi lai)"
    r"(?:\s+(?:la|thanh|them|noi dung|y|cho|giup|dum|ho|bac|chau|em|toi|nhe|nha|a))*\s*[:,.\-–]*\s*")


@dataclass(frozen=True)
class Answer:
    kind: str
    value: int | str | None = None
    rest: str = ""      # edit: the new facts, as the resident typed them
    words: int = 0      # tokens that are not filler: how much a non-answer says

    def __bool__(self) -> bool:
        return self.kind != NONE


def _phrase_table(phrases) -> dict[tuple[str, ...], object]:
    return {tuple(p.split()): True for p in phrases}


@lru_cache(maxsize=None)
def _tables():
    fillers = _phrase_table(_FILLERS)
    kinds = {}
    for kind, (core, extra) in _KINDS.items():
        f = dict(fillers)
        f.update(_phrase_table(extra))
        if kind in (REPORT, SUGGEST, ASK):
            f.update(_phrase_table(_CHOICE_FILLERS))
        kinds[kind] = ({tuple(p.split()): True for p in core}, f)
    core = {tuple(str(d).split()): d for d in range(1, 6)}
    for word, n in _NUMBER_WORDS.items():
        core[(word, "sao")] = n
        core[(word, "diem")] = n
        if word not in ("ba", "tu"):  # alone they are "bà" (an address word) and "tư"/"từ"
            core[(word,)] = n
    for d in range(1, 6):
        core[(str(d), "sao")] = d
        core[(str(d), "diem")] = d
    for phrase, n in _RATING_WORDS.items():
        core[tuple(phrase.split())] = n
    f = dict(fillers)
    f.update(_phrase_table(_RATING_FILLERS))
    kinds[RATING] = (core, f)
    return kinds


@lru_cache(maxsize=4096)
def answer_tokens(text: str) -> tuple[str, ...]:
    """The message's tokens in matching form, teencode and answer synonyms applied."""
    text = _STAR_CHARS.sub(" sao ", text or "")
    out: list[str] = []
    for tok in tokens(text):
        if tok == "?":
            continue
        out.extend(_SYNONYMS.get(tok, tok).split())
    return tuple(out)


_COVER_LIMIT = 4  # longest phrase, in tokens


def _cover(toks: tuple[str, ...], core: dict, fillers: dict):
    """Values of the kind's phrases on a path covering every token, or None if no path does.

    A dynamic programme over token positions; the states are the set of values found so
    far (None = only fillers yet). A path giving two different values (a "2" and a "5") dies."""
    n = len(toks)
    states: list[set] = [set() for _ in range(n + 1)]
    states[0].add(None)
    for i in range(n):
        if not states[i]:
            continue
        for j in range(i + 1, min(n, i + _COVER_LIMIT) + 1):
            piece = toks[i:j]
            value = core.get(piece)
            if value is not None:
                for s in states[i]:
                    if s is None or s == value:
                        states[j].add(value)
            if piece in fillers:
                states[j] |= states[i]
    found = states[n] - {None}
    return next(iter(found)) if len(found) == 1 else None


def _aligned_fold(text: str) -> str:
    """Folded text with the same length as `text`, so a span found in one is cut from the other."""
    out = []
    for ch in text:
        f = fold(ch) if ch.strip() else ch
        out.append(f if len(f) == 1 else ch)
    return "".join(out)


def _edit_rest(text: str) -> str:
    original = unicodedata.normalize("NFC", normalize(text))
    m = _EDIT_LEAD.match(_aligned_fold(original))
    if not m:
        return ""
    rest = original[m.end():].strip(" :,.-–\"'")
    return rest if len(rest.split()) >= 2 else ""


def read(text: str, expect: tuple[str, ...]) -> Answer:
    """Which of the `expect`ed answers `text` is (in priority order), or Answer("none")."""
    toks = answer_tokens(text)
    tables = _tables()
    fillers = tables[YES][1]
    words = sum(1 for t in toks if (t,) not in fillers)
    if not toks:
        return Answer(NONE, words=0)
    if len(toks) <= MAX_ANSWER_TOKENS:
        for kind in expect:
            if kind == GROUP:
                code = parse_group_choice(text)
                if code:
                    return Answer(GROUP, code, words=words)
                continue
            if kind not in tables:
                raise ValueError(f"unknown answer kind {kind!r}")
            core, kind_fillers = tables[kind]
            value = _cover(toks, core, kind_fillers)
            if value is not None:
                return Answer(kind, value if kind == RATING else None, words=words)
    if EDIT in expect:
        rest = _edit_rest(text)
        if rest:
            return Answer(EDIT, rest=rest, words=words)
    return Answer(NONE, words=words)
