"""Weighted phrase lexicons (intents/data/lexicon.csv), matched on the folded, teencode-expanded
text as whole token n-grams. Phrases rather than lone syllables: once accents are gone, "chay" is
cháy (fire) or chạy (run), so the lexicon says "cháy nhà", "bốc cháy"; where the resident typed
the marks, a phrase must agree with them.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from intents.cues import salutation_end
from intents.normalize import DATA_DIR, marked_tokens
from intents.taxonomy import check_kind, check_topic

MAX_NGRAM = 5
# Where a cue sits matters. A message that *ends* on a question phrase ("... ở đâu ạ",
# "... gọi số nào") is asking, whatever problem words it mentions; one that *opens* with
# "đề xuất", "kiến nghị" is proposing, even when what it proposes sounds like a question, and
# one that opens with "cảm ơn" is thanking, even for the problem it names ("cảm ơn phường, vụ
# chó thả rông hết rồi"; leave-one-set-out kind 96.62 -> 96.69).
TAIL_QUESTION_BONUS = 1.5
LEAD_CUE_BONUS = 2.5
LEAD_CUE_KINDS = ("suggestion", "denunciation", "greeting")
_TAIL_PARTICLES = frozenset("a ah ad admin vay nhi the voi nha nhe oi z zay ha khong ko ?".split())
_LEAD_WORDS = frozenset("em toi minh chau con xin kinh da vang chung ad admin oi".split())
_LEAD_REQUEST = frozenset({("nghien", "cuu"), ("dau", "tu"), ("nang", "muc"), ("cap", "tren")})


@dataclass(frozen=True)
class Lexicon:
    # prepared phrase -> tuple of (dimension, label, weight, marks): marks are the phrase's
    # words as written in the file (intents.normalize.marked_tokens), checked against the
    # resident's where both have them, so "chạy" never counts as "cháy"
    phrases: dict[str, tuple[tuple[str, str, float, tuple[str | None, ...]], ...]]

    @classmethod
    def load(cls, path=None) -> "Lexicon":
        path = path or DATA_DIR / "lexicon.csv"
        table: dict[str, list[tuple[str, str, float, tuple[str | None, ...]]]] = defaultdict(list)
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                dim = (row.get("dimension") or "").strip()
                label = (row.get("label") or "").strip()
                toks, marks = marked_tokens(row.get("phrase") or "")
                phrase = " ".join(toks)
                if not phrase or dim not in ("kind", "topic", "urgent"):
                    continue
                if dim == "kind":
                    check_kind(label)
                elif dim == "topic":
                    check_topic(label)
                table[phrase].append((dim, label, float(row.get("weight") or 1), tuple(marks)))
        return cls({p: tuple(v) for p, v in table.items()})

    def __post_init__(self) -> None:
        # Every proper prefix of a phrase: matching at a position extends word by word and
        # stops as soon as no phrase continues that way (this runs on every message).
        # Hits built without marks (tests, other callers) check none.
        object.__setattr__(self, "phrases", {
            p: tuple(h if len(h) == 4 else (*h, (None,) * len(p.split())) for h in hits)
            for p, hits in self.phrases.items()})
        prefixes: set[str] = set()
        for phrase in self.phrases:
            words = phrase.split()
            for k in range(1, len(words)):
                prefixes.add(" ".join(words[:k]))
        object.__setattr__(self, "_prefixes", frozenset(prefixes))
        # Per phrase, what scoring needs to know at once: its hits, whether any has marks to
        # check, its dimensions, and whether two rows share a label (spellings of one phrase).
        object.__setattr__(self, "_entries", {
            p: (hits, any(m is not None for h in hits for m in h[3]),
                tuple(sorted({h[0] for h in hits})), len({h[:2] for h in hits}) != len(hits))
            for p, hits in self.phrases.items()})

    def _best_cue(self, grams: Iterable[str], label_ok) -> tuple[str, float] | None:
        best = None
        for g in grams:
            for dim, label, w, _marks in self.phrases.get(g, ()):
                if dim == "kind" and label_ok(label, w) and (best is None or w > best[1]):
                    best = (label, w)
        return best

    def position_cues(self, toks: list[str], marks: list[str | None] | None = None) -> dict[str, float]:
        """Bonuses for a question phrase closing the message and a suggestion/denunciation
        phrase opening it (politeness words and particles around them skipped)."""
        out: dict[str, float] = {}
        end = len(toks)
        while end > 1 and toks[end - 1] in _TAIL_PARTICLES:
            end -= 1
        tail = [" ".join(toks[i:end]) for i in range(max(0, end - 3), end)]
        # A closing "khong" counts when it is the question itself ("... được không").
        if end < len(toks) and toks[end] in ("khong", "ko"):
            tail.append(" ".join(toks[max(0, end - 1): end + 1]))
        hit = self._best_cue(tail, lambda label, w: label == "question" and w >= 2)
        if hit:
            out["question"] = TAIL_QUESTION_BONUS
        start = salutation_end(toks)
        while start < len(toks) - 1 and toks[start] in _LEAD_WORDS:
            start += 1
        head = [" ".join(toks[start:j]) for j in range(start + 1, min(len(toks), start + 3) + 1)]
        hit = self._best_cue(head, lambda label, w: label in LEAD_CUE_KINDS and w >= 2)
        if hit:
            out[hit[0]] = out.get(hit[0], 0.0) + LEAD_CUE_BONUS
        elif tuple(toks[start:start + 2]) in _LEAD_REQUEST:
            # a petition list's items open on what to do: "Nghiên cứu bổ sung ...", "Đầu tư ..."
            out["suggestion"] = out.get("suggestion", 0.0) + LEAD_CUE_BONUS
        elif start < len(toks) and toks[start] == "nen" and (marks is None or marks[start] in (None, "nên")):
            # "nên gửi tin nhắn khi có kết quả": a message that opens on "nên" proposes
            out["suggestion"] = out.get("suggestion", 0.0) + LEAD_CUE_BONUS
        return out

    def _found(self, toks: list[str], marks: list[str | None] | None) -> list[tuple[int, int, tuple]]:
        """(start, end, entry) of every phrase at every position whose marks agree."""
        n = len(toks)
        entries = self._entries
        found: list[tuple[int, int, tuple]] = []
        prefixes = self._prefixes
        for i in range(n):
            key = toks[i]
            j = i + 1
            while True:
                entry = entries.get(key)
                if entry is not None:
                    if marks is not None and entry[1]:
                        hits = _same_marks(entry[0], marks, i)
                        if hits is not entry[0]:
                            entry = (hits, True, tuple(sorted({h[0] for h in hits})), True) if hits else None
                    if entry is not None:
                        found.append((i, j, entry))
                if j >= n or j - i >= MAX_NGRAM or key not in prefixes:
                    break
                key = key + " " + toks[j]
                j += 1
        return found

    def score(self, toks: list[str], marks: list[str | None] | None = None,
              matched: list[tuple[int, int, str, str, float]] | None = None) -> dict[str, dict[str, float]]:
        """Lexicon weights per dimension and label. `marks` (intents.normalize.marked_tokens)
        drops a phrase whose written words differ from the resident's where both have marks.
        `matched`, when given, receives (start, end, dimension, label, weight) of every phrase
        that counted, for the explanation."""
        out: dict[str, dict[str, float]] = {"kind": defaultdict(float), "topic": defaultdict(float),
                                            "urgent": defaultdict(float)}
        if marks is not None and not any(marks):
            marks = None  # nothing typed with marks: nothing to check
        found = self._found(toks, marks)
        if not found:
            return out
        # Longest match wins, per dimension: "dây điện cháy" (urgent) silences "cháy" (urgent)
        # but not "dây điện" (topic); a weight-0 phrase ("điện thoại") silences "điện".
        found.sort(key=lambda m: m[0] - m[1])  # longest first
        taken: dict[str, list[tuple[int, int]]] = {"kind": [], "topic": [], "urgent": []}
        for i, j, (hits, _checks, dims, spellings) in found:
            for dim in dims:
                spans = taken[dim]
                if any(a <= i and j <= b for a, b in spans):
                    continue
                spans.append((i, j))
                scores = out[dim]
                if not spellings:
                    for d, label, w, _marks in hits:
                        if d == dim:
                            scores[label] += w
                            if matched is not None:
                                matched.append((i, j, dim, label, w))
                    continue
                # Rows that are spellings of one phrase ("không ạ", "ko ạ", "k a") count once:
                # the weight furthest from zero among those that match.
                best: dict[str, float] = {}
                for d, label, w, _marks in hits:
                    if d == dim and abs(w) > abs(best.get(label, 0.0)):
                        best[label] = w
                for label, w in best.items():
                    scores[label] += w
                    if matched is not None:
                        matched.append((i, j, dim, label, w))
        return out


def _same_marks(hits: tuple, marks: list[str | None], start: int) -> tuple:
    """The hits whose written words agree with the resident's from `start` on."""
    kept = []
    for hit in hits:
        for offset, want in enumerate(hit[3]):
            got = marks[start + offset]
            if want is not None and got is not None and want != got:
                break
        else:
            kept.append(hit)
    return tuple(kept) if len(kept) != len(hits) else hits


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.load()
