"""Text normalisation for Vietnamese as residents really type it.

`normalize` gives the canonical display form: NFC, one tone-placement convention, no
zero-width characters, ASCII digits, trimmed, collapsed spaces; case and diacritics kept.
`fold` gives the matching form: lower case, no diacritics, "đ" mapped to "d" by hand (it has
no Unicode decomposition).

`prepare` is the full pipeline the classifier and the FAQ matcher use: normalise, cap the
length, lower-case, drop emoji and punctuation (keeping "?" as a token: it is a real signal),
expand teencode and abbreviations, squeeze stretched letters ("hongggg"), fold.
`strip_fillers` then removes politeness framing ("cho em hỏi", "ạ", "với") for FAQ matching.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_CHARS = 2000  # work is capped: nobody's street-light report is longer than this

_SPACES = re.compile(r"\s+")
# Zero-width and invisible characters pasted from Zalo/Word/Facebook; they split words silently.
# A zero-width space separates words, so it becomes a space; the others are just dropped.
_INVISIBLE = dict.fromkeys(map(ord, "\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_INVISIBLE[0x200B] = " "
# Full-width ASCII (Vietnamese IMEs on phones sometimes emit "１２"), ideographic space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_CLEAN_TABLE = {**_INVISIBLE, **_FULLWIDTH}

# Tone placement. Two conventions coexist: traditional "hòa, khỏe, thủy" and the "new" one
# "hoà, khoẻ, thuỷ". They differ only in open syllables ending in oa/oe/uy, and stay different
# after NFC, so "hoà" != "hòa" byte-wise. We keep the traditional one (used by the State's own
# documents: "Cộng hòa", "Ủy ban", "văn hóa"). "qu" is a consonant, so "quý", "quà" stay.
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng


def _tone_table() -> dict[str, str]:
    table = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in _TONES:
            for f, s in ((first, second), (first.upper(), second), (first.upper(), second.upper())):
                new = f + unicodedata.normalize("NFC", s + tone)
                old = unicodedata.normalize("NFC", f + tone) + s
                table[new] = old
    return table


_TONE_FIX = _tone_table()
_TONE_RE = re.compile(r"(?<![qQ])(" + "|".join(map(re.escape, _TONE_FIX)) + r")(?!\w)")


def _fix_tone(m: re.Match) -> str:
    return _TONE_FIX[m.group(1)]


def normalize(text: str) -> str:
    """Canonical display/storage form: keeps case and diacritics."""
    if not text:
        return ""
    if text.isascii():  # no marks, no invisible or full-width characters: only the spaces
        return _SPACES.sub(" ", text).strip()
    text = unicodedata.normalize("NFC", text.translate(_CLEAN_TABLE))
    text = _TONE_RE.sub(_fix_tone, text)
    return _SPACES.sub(" ", text).strip()


def _fold_table() -> dict[int, str]:
    """Precomputed char -> base letter for every Latin letter with marks (fast path)."""
    table: dict[int, str] = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        if base != ch and len(base) == 1:
            table[cp] = base.lower()
    table[ord("đ")] = table[ord("Đ")] = "d"
    table[ord("ð")] = table[ord("Ð")] = "d"  # a common mistyping of "đ" on some keyboards
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Matching form: lower case, no diacritics, đ -> d."""
    text = normalize(text).lower().translate(_FOLD)
    if text.isascii():
        return text
    # Leftover combining marks (odd input) are dropped the slow, sure way.
    text = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").translate(_FOLD)


# --- teencode, abbreviations, fillers ---------------------------------------------------

@lru_cache(maxsize=1)
def teencode() -> tuple[dict[str, str], dict[str, str]]:
    """(single-token map, multi-token phrase map), both keyed and valued in folded form.

    Loaded from intents/data/teencode.csv (columns: short,full, optional marked_only) so
    officers can add the ward's own abbreviations."""
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for short, full, marked in _teencode_rows():
        if not marked:
            (phrases if " " in short else words)[short] = full
    return words, phrases


@lru_cache(maxsize=1)
def marked_teencode() -> dict[str, str]:
    """Rows of the same file with marked_only=1 ("hông,không,1", "hổng,không,1"): they apply
    only where the resident typed the word with those marks (mark_key form -> folded full),
    because folded they are other words ("hong" is also hỏng, broken)."""
    return {short: full for short, full, marked in _teencode_rows() if marked}


def _teencode_rows() -> list[tuple[str, str, bool]]:
    rows = []
    path = DATA_DIR / "teencode.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            raw = normalize(row.get("short") or "").lower()
            full = fold(row.get("full") or "")
            if not raw or not full:
                continue
            marked = (row.get("marked_only") or "").strip() in ("1", "true") and " " not in raw
            rows.append((mark_key(raw) if marked else fold(raw), full, marked))
    return rows


_TOKEN = re.compile(r"[0-9a-z]+|\?")
_STRETCH3 = re.compile(r"([a-z])\1{2,}")
# "oo" (xoong, boong) and "uu" (cứu, hưu, bưu, ưu tiên) are real Vietnamese: keep them. Folding
# "cứu" to "cu" made "cũ với" read as "cứu với" and "lương hưu" as "lương hư".
_STRETCH2 = re.compile(r"([a-np-tv-z])\1")
# "ký"/"kí", "lý"/"lí", "mỹ"/"mĩ": both spellings are correct and residents mix them, so the
# matching form writes a syllable-final y after a consonant as i.
_FINAL_Y = re.compile(r"(?<=[bcdghklmnpqrstvx])y$")


def squeeze(token: str) -> str:
    """"hongggg" -> "hong", "nhaa" -> "nha". Applied only to tokens that are not known
    abbreviations, so "cccd" survives."""
    token = _STRETCH3.sub(r"\1", token)
    return _STRETCH2.sub(r"\1", token)


# Residents' vocabulary is small and repeats: one token's expansion is computed once.
_TOKEN_CACHE: dict[str, tuple[str, ...]] = {}
_TOKEN_CACHE_MAX = 200_000


def _final_y(t: str) -> str:
    return _FINAL_Y.sub("i", t) if t.endswith("y") else t


# A Vietnamese syllable in matching form (no marks): onset, vowels, final consonant. Used only to
# find two words typed without the space between them ("matnuoc", "thanhpho").
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:oai|oay|oao|oeo|uoi|uou|uya|uye|uyu|ieu|yeu|uay|"
    r"ai|ao|au|ay|eo|ia|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ie|ye|a|e|i|o|u|y)"
    r"(?:ch|ng|nh|[cmnpt])?")


def split_run_together(tok: str) -> tuple[str, str] | None:
    """"matnuoc" -> ("mat", "nuoc"): a word that is no syllable but splits one way only into
    two syllables of two letters or more."""
    if not 5 <= len(tok) <= 12 or not tok.isalpha() or _SYLLABLE.fullmatch(tok):
        return None
    splits = [(tok[:i], tok[i:]) for i in range(2, len(tok) - 1)
              if _SYLLABLE.fullmatch(tok[:i]) and _SYLLABLE.fullmatch(tok[i:])]
    return splits[0] if len(splits) == 1 else None


def _expand_one(tok: str) -> tuple[str, ...]:
    hit = _TOKEN_CACHE.get(tok)
    if hit is not None:
        return hit
    words, _phrases = teencode()
    full = words.get(tok)
    if full is None and not tok.isdigit():
        sq = squeeze(tok)
        full = words.get(sq)
        if full is None:
            pair = split_run_together(sq)
            full = " ".join(words.get(w, w) for w in pair) if pair else sq
    out = tuple(_final_y(t) for t in (full or tok).split())
    if len(_TOKEN_CACHE) < _TOKEN_CACHE_MAX:
        _TOKEN_CACHE[tok] = out
    return out


def expand_tokens(tokens: list[str]) -> list[str]:
    """Folded tokens with teencode and abbreviations expanded (words typed without marks)."""
    return _expand([(t, None) for t in tokens], False)[0]


def tokens(text: str) -> list[str]:
    """Folded, expanded tokens of a message (emoji and punctuation dropped, "?" kept)."""
    text = (text or "")[:MAX_CHARS]
    if not text.isascii():
        return marked_tokens(text)[0]  # the same, plus words whose marks say what they are
    return expand_tokens(_TOKEN.findall(fold(text)))


# --- diacritics kept beside the matching form -------------------------------------------
# Folding makes "cháy" (fire) and "chạy" (run), "lô đất" (a plot) and "lở đất" (a landslide),
# "ở tổ" and "ô tô" one string. A resident who types the marks has told them apart, so the
# lexicon may check them (intents.lexicon.Lexicon): `marked_tokens` gives, beside each prepared
# token, the word as typed, or None where that says nothing (typed without marks in a message
# that mostly has none, or rewritten by the teencode table).
_MARK_D = str.maketrans({"đ": "d", "ð": "d"})  # "dường" for "đường" is a common slip: ignore đ
_Y_TO_I = str.maketrans({"y": "i", "ý": "í", "ỳ": "ì", "ỷ": "ỉ", "ỹ": "ĩ", "ỵ": "ị"})
# Share of a message's words typed with marks above which a word typed without them ("ban",
# board) is meant that way, not a stripped "bán" (sell).
MARKED_MESSAGE_SHARE = 0.3
_MARK_CACHE: dict[str, str] = {}


def mark_key(word: str) -> str:
    """The comparison form of a lower-case word with its marks: đ as d, and a syllable-final y
    as i (the matching form's "ký"/"kí" rule)."""
    key = _MARK_CACHE.get(word)
    if key is None:
        key = word.translate(_MARK_D)
        if key.endswith(("y", "ý", "ỳ", "ỷ", "ỹ", "ỵ")) and _FINAL_Y.search(fold(key)):
            key = key[:-1] + key[-1].translate(_Y_TO_I)
        if len(_MARK_CACHE) < _TOKEN_CACHE_MAX:
            _MARK_CACHE[word] = key
    return key


def marked_tokens(text: str) -> tuple[list[str], list[str | None]]:
    """(prepared tokens, the word as typed beside each, or None): see above."""
    text = (text or "")[:MAX_CHARS]
    if text.isascii():
        toks = tokens(text)
        return toks, [None] * len(toks)
    lowered = normalize(text).lower()
    folded = lowered.translate(_FOLD)
    if not folded.isascii():
        folded = fold(lowered)
    aligned = len(folded) == len(lowered)  # folding is one character for one, nearly always
    raw = [(m.group(), lowered[m.start():m.end()] if aligned else None) for m in _TOKEN.finditer(folded)]
    words = [w for w, _ in raw if w != "?"]
    typed = sum(1 for w, orig in raw if orig is not None and orig != w)
    exact_ascii = bool(words) and typed >= MARKED_MESSAGE_SHARE * len(words)
    return _expand(raw, exact_ascii)


def _expand(raw: list[tuple[str, str | None]], exact_ascii: bool) -> tuple[list[str], list[str | None]]:
    """(expanded tokens, marks) of (folded token, word as typed or None) pairs: two-token
    phrases first ("so hk" is "sổ hộ khẩu", while a lone "hk" is "không"), then words whose
    typed marks say what they are (marked_teencode), then single tokens."""
    _words, phrases = teencode()
    marked = marked_teencode()
    out: list[str] = []
    marks: list[str | None] = []
    i, n = 0, len(raw)
    while i < n:
        tok, orig = raw[i]
        if orig is not None and orig != tok:
            full = marked.get(mark_key(orig))
            if full:
                parts = full.split()
                out.extend(parts)
                marks.extend([None] * len(parts))
                i += 1
                continue
        if i + 1 < n:
            full = phrases.get(tok + " " + raw[i + 1][0])
            if full:
                parts = [_final_y(t) for t in full.split()]
                out.extend(parts)
                marks.extend([None] * len(parts))
                i += 2
                continue
        parts = _expand_one(tok)
        out.extend(parts)
        if (len(parts) == 1 and orig is not None and tok != "?" and parts[0] == _final_y(tok)
                and (orig != tok or exact_ascii)):
            marks.append(mark_key(orig))
        else:
            marks.extend([None] * len(parts))
        i += 1
    return out, marks


def prepare(text: str) -> str:
    """The matching form of a whole message, teencode expanded: "ko dc" -> "khong duoc"."""
    return " ".join(tokens(text))


def expand(text: str) -> str:
    """Public helper: folded text with teencode and abbreviations expanded (no "?")."""
    return " ".join(t for t in tokens(text) if t != "?")


# Politeness framing. Leading phrases and trailing particles are removed; the middle of a
# message is never touched ("làm việc với công an" keeps its "với").
_LEAD_FILLERS = tuple(sorted((
    "cho em hoi", "cho toi hoi", "cho chau hoi", "cho minh hoi", "cho con hoi", "cho anh hoi",
    "cho chi hoi", "cho hoi", "em hoi", "toi hoi", "xin hoi", "xin cho hoi", "em muon hoi",
    "toi muon hoi", "minh muon hoi", "em can hoi", "admin oi", "ad oi", "anh chi oi",
    "phuong oi", "can bo oi", "chao phuong", "chao admin", "chao ad", "xin chao", "chao",
    "da", "vang", "oi", "alo", "a", "ad", "admin", "em", "toi", "minh", "chau", "con",
    "cho em", "cho toi", "hi", "hello", "ui", "la", "thi",
), key=len, reverse=True))
_TRAIL_FILLERS = tuple(sorted((
    "a", "ah", "nhe", "nha", "voi", "voi a", "nhe a", "nha a", "vay", "vay a", "the", "the a",
    "khong a", "duoc khong", "ko", "khong", "em cam on", "cam on", "xin cam on", "em cam on a",
    "cam on a", "thanks", "ad", "admin", "oi", "giup em", "giup toi", "giup", "ạ", "?", "di",
    "ha", "nhi", "vay nhi", "roi", "chua", "zay",
), key=len, reverse=True))


_LEAD_SPLIT = tuple(p.split() for p in _LEAD_FILLERS)
_TRAIL_SPLIT = tuple(p.split() for p in _TRAIL_FILLERS)


def strip_fillers(prepared: str) -> str:
    """Remove politeness framing from a prepared (folded, expanded) message."""
    words = prepared.split()
    changed = True
    while changed and words:
        changed = False
        for p in _LEAD_SPLIT:
            if words[: len(p)] == p and len(words) > len(p):
                words = words[len(p):]
                changed = True
                break
        for p in _TRAIL_SPLIT:
            if len(words) > len(p) and words[-len(p):] == p:
                words = words[: -len(p)]
                changed = True
                break
    return " ".join(words)
