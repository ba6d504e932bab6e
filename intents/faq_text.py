"""The words of FAQ queries and keys (pure): what frames a question, what every request
carries, what says what a query is about, and the features the FAQ matcher (intents.faq)
indexes and scores.
"""
from __future__ import annotations

from collections import defaultdict

from intents.normalize import prepare, strip_fillers

# Words that frame a question rather than say what it is about.
QUESTION_WORDS = frozenset(
    "a ai anh ba bac bao bi biet cac cach can chi cho chua co con cua da de den di duoc em gi "
    "giup gio hoi huong khi khong la lam len luc ma minh muon mot nao nay nhu nhung o oi phai "
    "ra sao se the thi thu toi trong tu va vay ve voi xin dan ?".split()
)


# Words and phrases residents put around *any* request: sharing only these with an entry says
# nothing about the subject ("số điện thoại taxi" is not "Số điện thoại Công an phường";
# "thủ tục mở tài khoản ngân hàng" is not "Thủ tục đăng ký thường trú"). Folded, expanded form;
# phrases are removed longest first before the query's distinctive words are taken.
GENERIC_PHRASES = tuple(sorted((
    "so dien thoai", "dien thoai", "so dt", "o dau", "cho nao", "noi nao", "thu tuc",
    "thu tuc hanh chinh", "dang ki", "giay to", "ho so", "bao nhieu", "bao nhieu tien", "tien",
    "lien he", "phuong", "ubnd", "uy ban", "nhan dan", "can bo", "nguoi", "nguoi dan", "nha",
    "cap", "moi", "viec", "lam viec", "kieu", "ntn", "the nao", "nhu nao", "online",
    "truc tuyen", "o phuong", "het", "bi", "duoc", "hien nay", "bay gio", "hom nay",
    "cu", "mang", "nop", "can gi", "dia chi", "ngay", "thang", "nam",
), key=lambda p: -len(p.split())))
# Requests that share an entry's nouns but ask for something else: learning or sitting an exam
# for a licence is not exchanging it, selling a motorbike is not registering it. Two-word
# phrases, because single folded syllables are ambiguous (thi/thì, bán/bạn/bản). A query with
# such a phrase that the matched entry never uses scores 0.3 of its match (intents.faq).
OTHER_REQUESTS = tuple((
    "thi bang|thi sat hach|thi lai|hoc lai|hoc bang|hoc lai xe|day lai xe|ban xe|ban nha|ban dat|"
    "ban do|mua xe|mua bao hiem|sua xe|sua nha|sua dien thoai|sua may|cai dat|gia cao|"
    "gia re|o dau re|cho thue|thue xe|thue nguoi|tuyen dung|xin viec|tim viec lam them|"
    # the same procedure abroad is the embassy's, not the ward's ("ở hẳn" folds like "ở Hàn": not listed)
    # (a destination is not "abroad": a passport to travel to Korea is the ward's question)
    "o han quoc|tai han quoc|ben han quoc|ben han|o nhat ban|tai nhat ban|ben nhat|o nhat|"
    "o singapore|tai singapore|o dai loan|tai dai loan|ben dai loan|o trung quoc|tai trung quoc|"
    "o canada|tai canada|ben uc|o uc|tai uc|ben my|o my|tai my|o thai lan|o malaysia|o chau au|"
    "lanh su|dai su quan|o nuoc ngoai ma"
).split("|"))


def clean_query(text: str) -> list[str]:
    return [t for t in strip_fillers(prepare(text)).split() if t != "?"]


# Generic phrases by their first word, longest first (one lookup per position).
_GENERIC_BY_FIRST: dict[str, list[list[str]]] = defaultdict(list)
for _p in GENERIC_PHRASES:  # already sorted longest first
    _GENERIC_BY_FIRST[_p.split()[0]].append(_p.split())


def distinctive(toks: list[str]) -> list[str]:
    """The words that say what a query is about: not question framing, not numbers, not the
    generic phrases every request carries."""
    out: list[str] = []
    i, n = 0, len(toks)
    while i < n:
        for p in _GENERIC_BY_FIRST.get(toks[i], ()):
            if toks[i: i + len(p)] == p:
                i += len(p)
                break
        else:
            t = toks[i]
            if t not in QUESTION_WORDS and not any(c.isdigit() for c in t):
                out.append(t)
            i += 1
    return out


def ngrams(toks: list[str]) -> frozenset[str]:
    """Adjacent pairs and triples of words, joined by spaces."""
    return frozenset([" ".join(toks[i:i + 2]) for i in range(len(toks) - 1)]
                     + [" ".join(toks[i:i + 3]) for i in range(len(toks) - 2)])


def word_features(toks: list[str]) -> dict[str, None]:
    """Ordered set: content words, and adjacent pairs of all words (pairs keep "căn cước"
    and "khai sinh" apart from lone syllables)."""
    out: dict[str, None] = {}
    for t in toks:
        # Numbers ("10h", "5 tuổi", "10tr") describe the case, not the question asked.
        if t not in QUESTION_WORDS and not any(c.isdigit() for c in t):
            out[t] = None
    for a, b in zip(toks, toks[1:]):
        if a not in QUESTION_WORDS or b not in QUESTION_WORDS:
            out[a + " " + b] = None
    return out
