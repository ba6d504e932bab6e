"""The FAQ knowledge base: a plain CSV officers edit, and a matcher that would rather decline
than answer the wrong question.

CSV (UTF-8): question,answer[,variants,source,topic]; variants separated by "|".

Matching, on the folded, teencode-expanded text with politeness fillers stripped:
- candidates come from an inverted index over words and word pairs of every question/variant;
- each is scored by how much of the *query's* informative content it covers (IDF-weighted;
  words the knowledge base has never seen weigh the most, so "giá vàng hôm nay thế nào" does
  not match "... thế nào" questions), how much of the *entry* the query covers, and a
  rapidfuzz token-set ratio for typos and word order;
- below the threshold the index returns None: the handler then offers an officer instead.
"""
from __future__ import annotations

import csv
import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Iterable

from rapidfuzz import fuzz, process

from intents.faq_text import OTHER_REQUESTS, QUESTION_WORDS, clean_query, distinctive, ngrams, word_features
from intents.normalize import DATA_DIR, normalize
from intents.taxonomy import check_topic

DEFAULT_THRESHOLD = 0.42
MAX_ANSWER_CHARS = 1500
FAQ_COLUMNS = ("question", "answer", "variants", "source", "topic")

def distinct_factor(dcov: float) -> float:
    """Multiplier for the share `dcov` of the query's distinctive words (weighted) that a key
    covers. Every word of the subject left uncovered costs ("thuế trước bạ khi sang tên nhà
    đất" shares "sang tên nhà đất" with the land-title entry, not the tax it asks about). A
    step (halve below 25%) let such near misses through; leave-one-set-out over the seven
    retired sets, with the threshold moved from 0.46 to 0.42: out-of-scope declined 92.5% ->
    95.3%, top-1 99.1% -> 97.0%. Declining offers an officer; a wrong answer misleads."""
    return 0.6 + 0.4 * dcov
# A key's score: how much of the query it covers, how much of itself the query covers, and a
# character-level similarity for typos and word order.
W_QUERY, W_KEY, W_FUZZ = 0.5, 0.25, 0.25
COMMON_SHARE = 20  # a feature in more than 1/20 of the keys does not nominate candidates
STORY_MIN_PARAPHRASES = 3  # see FaqIndex: below this a paraphrase keeps all its words
CANDIDATE_POOL = 60  # candidates whose overlap is computed exactly; the best SCORED are scored
SCORED = 25
UNSEEN_PAIR_WEIGHT = 0.5  # a pair of known words the KB never saw together: not unknown content
OTHER_REQUEST_FACTOR = 0.3  # see intents.faq_text.OTHER_REQUESTS


def _token_mix(a: str, b: str) -> float:
    """Half token-set, half token-sort ratio. Token-set alone scores 100 whenever one side's
    words are a subset of the other's, so a short off-topic query ("ở đâu bán chó con")
    looked identical to any long paraphrase that happens to contain its words; with the
    paraphrase bank that mattered (leave-one-set-out, mean over the five retired sets:
    out-of-scope declined 94.0% -> 95.3%, top-1 98.0% -> 98.6%)."""
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


FUZZ_SCORER = _token_mix
class FaqError(ValueError):
    """A knowledge-base file that cannot be used, with the row that is wrong."""


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    source: str = ""
    topic: str | None = None


@dataclass(frozen=True)
class FaqMatch:
    question: str
    answer: str
    source: str
    score: float
    entry: FaqEntry = field(repr=False)


def _paraphrases_by_entry(entries: tuple[FaqEntry, ...],
                          paraphrases: Iterable[tuple[str, str]]) -> dict[int, list[str]]:
    """The bank's paraphrases by entry number; one of a question the officers renamed or
    removed is dropped."""
    by_question = {e.question: n for n, e in enumerate(entries)}
    extra: dict[int, list[str]] = defaultdict(list)
    for query, question in paraphrases:
        n = by_question.get(normalize(question))
        if n is not None:
            extra[n].append(query)
    return extra


def _repeated_features(entries: tuple[FaqEntry, ...],
                       keyed: list[tuple[int, str, bool]]) -> dict[int, set[str]]:
    """Per entry, the features it shows more than once: in its own question, variants or
    answer, or in two of its bank paraphrases."""
    own: dict[int, set[str]] = defaultdict(set)
    seen_once: dict[int, set[str]] = defaultdict(set)
    for n, e in enumerate(entries):
        for text in (e.question, *e.variants, e.answer):
            own[n].update(word_features(clean_query(text)))
    for n, text, bank in keyed:
        if bank:
            for f in word_features(clean_query(text)):
                if f in seen_once[n]:
                    own[n].add(f)
                seen_once[n].add(f)
    return own


DECLINE = -1  # entry number of a decoy key: a query residents ask that the KB must not answer


class FaqIndex:
    """Matcher over the entries' questions and variants, plus an optional paraphrase bank
    (intents.training.faq_bank): more ways residents asked an entry, and decoys — questions
    that were asked and must be declined. A query whose closest key is a decoy is declined
    even when it clears the threshold: "học lại bằng lái" sits nearer the decoy "thi lại bằng
    lái xe máy" than the entry on exchanging a licence. `entries` stays exactly what the file
    holds (export writes it back unchanged)."""

    def __init__(self, entries: Iterable[FaqEntry], threshold: float = DEFAULT_THRESHOLD, *,
                 paraphrases: Iterable[tuple[str, str]] = (), declines: Iterable[str] = ()) -> None:
        self.entries: tuple[FaqEntry, ...] = tuple(entries)
        self.threshold = threshold
        self._keys: list[tuple[int, str, dict[str, None]]] = []  # (entry no, text, feats)
        self._key_dist: list[frozenset[str]] = []  # distinctive words of each key
        self._key_sets: list[frozenset[str]] = []  # features of each key
        self._postings: dict[str, list[int]] = defaultdict(list)
        extra = _paraphrases_by_entry(self.entries, paraphrases)
        keyed = [(n, text, False) for n, e in enumerate(self.entries) for text in (e.question, *e.variants)]
        keyed += [(n, text, True) for n, texts in sorted(extra.items()) for text in texts]
        keyed += [(DECLINE, text, False) for text in declines]
        df = self._index_keys(keyed, extra)
        self.paraphrase_count = sum(len(v) for v in extra.values())
        self.decline_count = sum(1 for n, _t, _b in keyed if n == DECLINE)
        nkeys = max(len(self._keys), 1)
        self._common_df = max(40, nkeys // COMMON_SHARE)
        self._idf = {f: math.log((nkeys + 1) / (c + 1)) + 1.0 for f, c in df.items()}
        # Unknown content weighs more than anything known: it is what the KB cannot answer.
        self._unknown = math.log(nkeys + 1) + 2.0
        self._key_norm = [sum(self._idf[f] for f in feats) or 1.0 for _, _, feats in self._keys]
        self._vocab = sorted({f for f in self._idf if " " not in f and len(f) >= 4})
        self._typo_cache: dict[str, str] = {}
        # Each entry's question, variants and answer as tokens (for OTHER_REQUESTS).
        self._entry_grams = [
            ngrams(clean_query(" . ".join((e.question, *e.variants, *extra.get(n, ()), e.answer))))
            for n, e in enumerate(self.entries)]

    def _index_keys(self, keyed: list[tuple[int, str, bool]], extra: dict[int, list[str]]) -> dict[str, int]:
        """Index every key (entry number, text, from the bank?); the document frequency of each
        feature. A resident's paraphrase carries their story ("chồng tôi bị tai nạn ... tôi bán
        rau"): its words match other residents' stories, not the question. A bank key keeps only
        the features its entry shows more than once: in the entry's own question, variants or
        answer, or in two of its paraphrases. The whole text still counts in the fuzzy ratio.
        With fewer than STORY_MIN_PARAPHRASES paraphrases nothing tells story from subject (an
        officer's first paraphrases of a new entry): they keep every word."""
        df: dict[str, int] = defaultdict(int)
        repeated = _repeated_features(self.entries, keyed)
        for n, text, bank in keyed:
            toks = clean_query(text)
            if not toks:
                continue
            feats = word_features(toks)
            dist = distinctive(toks)
            if bank and len(extra[n]) >= STORY_MIN_PARAPHRASES:
                kept = {f: None for f in feats if f in repeated[n]}
                feats = kept or feats
                dist = [t for t in dist if t in feats] or dist
            kid = len(self._keys)
            self._keys.append((n, " ".join(toks), feats))
            self._key_sets.append(frozenset(feats))
            self._key_dist.append(frozenset(dist))
            for f in feats:
                self._postings[f].append(kid)
                df[f] += 1
        return df

    def _fix_typos(self, toks: list[str]) -> list[str]:
        """Map an unknown word to a close known one ("kick" -> "kich"), so one typo does not
        read as a subject the knowledge base knows nothing about. Cached: residents repeat."""
        out = []
        for t in toks:
            # Question framing is never a typo of a subject word ("khong" is not "hong").
            if (len(t) >= 4 and t not in self._idf and t not in QUESTION_WORDS
                    and not any(c.isdigit() for c in t)):
                fixed = self._typo_cache.get(t)
                if fixed is None:
                    hit = process.extractOne(t, self._vocab, scorer=fuzz.ratio, score_cutoff=80)
                    fixed = hit[0] if hit else t
                    if len(self._typo_cache) < 50_000:
                        self._typo_cache[t] = fixed
                t = fixed
            out.append(t)
        return out

    # --- construction ---------------------------------------------------------------
    @classmethod
    def from_entries(cls, entries: Iterable[FaqEntry], threshold: float = DEFAULT_THRESHOLD) -> "FaqIndex":
        return cls(entries, threshold)

    @classmethod
    def from_csv(cls, path: str | Path, threshold: float = DEFAULT_THRESHOLD, **bank) -> "FaqIndex":
        return cls(read_csv(path), threshold, **bank)

    def to_csv(self, path: str | Path) -> None:
        write_csv(path, self.entries)

    # --- matching -------------------------------------------------------------------
    def ask(self, text: str) -> FaqMatch | None:
        scores = self._scores(text, prune=True)
        best = self._best_entry(scores)
        if best is None or best.score < self.threshold:
            return None
        if scores.get(DECLINE, -1.0) >= best.score:
            return None
        return best

    def best(self, text: str) -> FaqMatch | None:
        """The best entry whatever its score or the decoys (for evaluation and tuning)."""
        return self._best_entry(self._scores(text))

    def _best_entry(self, scores: dict[int, float]) -> FaqMatch | None:
        real = [(n, s) for n, s in scores.items() if n != DECLINE]
        if not real:
            return None
        n, score = max(real, key=lambda kv: kv[1])
        entry = self.entries[n]
        return FaqMatch(entry.question, entry.answer, entry.source, round(min(score, 1.0), 4), entry)

    def _query_weights(self, qfeats: dict[str, None]) -> dict[str, float]:
        qweights = {f: self._idf.get(f, self._unknown) for f in qfeats}
        # Pairs of known words that the KB never saw together are not "unknown content".
        for f in qfeats:
            if " " in f and f not in self._idf:
                qweights[f] = UNSEEN_PAIR_WEIGHT
        return qweights

    def _candidates(self, qweights: dict[str, float], qset: frozenset[str]) -> dict[int, float]:
        """Key number -> the query's weight it covers, for the CANDIDATE_POOL keys sharing the
        most. Candidates come from the features that are not everywhere ("ở đâu", "thủ tục"
        head hundreds of keys): walking those posting lists was most of the cost of a query.
        Each candidate's overlap is then computed exactly, over every feature it shares."""
        postings = self._postings
        common = self._common_df
        acc: dict[int, float] = defaultdict(float)
        for f, w in qweights.items():
            post = postings.get(f)
            if post and len(post) <= common:
                for kid in post:
                    acc[kid] += w
        if not acc:  # a query made only of common words: they are all it has
            for f, w in qweights.items():
                for kid in postings.get(f, ()):
                    acc[kid] += w
        if not acc:
            return {}
        qw = qweights.__getitem__
        key_sets = self._key_sets
        pool = heapq.nlargest(CANDIDATE_POOL, acc, key=acc.__getitem__)
        # fsum: exact, so set order cannot change a score
        return {kid: math.fsum(map(qw, qset.intersection(key_sets[kid]))) for kid in pool}

    def _scores(self, text: str, prune: bool = False) -> dict[int, float]:
        """Best score of each entry (and of the decoys, under DECLINE) among the candidates.
        With prune, only the entries that could be the best are scored (ask())."""
        toks = self._fix_typos(clean_query(text))
        if not toks:
            return {}
        qfeats = word_features(toks)
        if not qfeats:
            return {}
        qweights = self._query_weights(qfeats)
        qnorm = sum(qweights.values())
        qset = frozenset(qfeats)
        acc = self._candidates(qweights, qset)
        if not acc:
            return {}
        qtext = " ".join(toks)
        # Distinctive words: an entry that covers too little of them is about something else,
        # however many generic words ("số điện thoại", "ở đâu", "thủ tục") it shares.
        dweights = {t: self._idf.get(t, self._unknown) for t in distinctive(toks)}
        dtotal = sum(dweights.values())
        best_per_entry: dict[int, float] = {}
        qgrams = ngrams(toks)
        asks = [p for p in OTHER_REQUESTS if p in qgrams]
        idf = self._idf.__getitem__
        partial = []
        for kid, overlap in heapq.nlargest(SCORED, acc.items(), key=itemgetter(1)):
            cov_q = overlap / qnorm
            cov_k = math.fsum(map(idf, qset.intersection(self._key_sets[kid]))) / self._key_norm[kid]
            partial.append((W_QUERY * cov_q + W_KEY * cov_k, kid))
        partial.sort(reverse=True)
        top = -1.0
        for part, kid in partial:
            # The fuzzy ratio only adds up to W_FUZZ and the penalties only lower a score:
            # once that cannot reach the best so far, no later key can (pruning changes
            # neither the best entry nor whether a decoy beats it).
            if prune and part + W_FUZZ < top:
                break
            n, ktext, _kfeats = self._keys[kid]
            score = part + W_FUZZ * FUZZ_SCORER(qtext, ktext) / 100.0
            if dtotal:
                kdist = self._key_dist[kid]
                dcov = sum(w for t, w in dweights.items() if t in kdist) / dtotal
                score *= distinct_factor(dcov)
            if asks and n != DECLINE and not all(p in self._entry_grams[n] for p in asks):
                score *= OTHER_REQUEST_FACTOR
            if score > best_per_entry.get(n, -1.0):
                best_per_entry[n] = score
            if score > top:
                top = score
        return best_per_entry


# --- files --------------------------------------------------------------------------

def read_csv(path: str | Path) -> list[FaqEntry]:
    """Read and validate a knowledge-base CSV; raises FaqError naming the bad row."""
    entries: list[FaqEntry] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:  # -sig: Excel adds a BOM
        reader = csv.DictReader(fh)
        cols = {c.strip().lower() for c in (reader.fieldnames or [])}
        if not {"question", "answer"} <= cols:
            raise FaqError(f"{path}: cần có cột question và answer (columns question,answer required)")
        for lineno, raw in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "") for k, v in raw.items()}
            question = normalize(row.get("question", ""))
            answer = (row.get("answer") or "").strip()
            if not question and not answer:
                continue  # blank line in a spreadsheet export
            if not question or not answer:
                raise FaqError(f"{path}:{lineno}: thiếu câu hỏi hoặc câu trả lời")
            if len(answer) > MAX_ANSWER_CHARS:
                raise FaqError(f"{path}:{lineno}: câu trả lời dài {len(answer)} ký tự (tối đa {MAX_ANSWER_CHARS})")
            key = " ".join(clean_query(question))
            if key in seen:
                raise FaqError(f"{path}:{lineno}: câu hỏi trùng: {question}")
            seen.add(key)
            topic = (row.get("topic") or "").strip() or None
            try:
                check_topic(topic)
            except ValueError as exc:
                raise FaqError(f"{path}:{lineno}: {exc}") from None
            variants = tuple(v for v in (normalize(x) for x in (row.get("variants") or "").split("|")) if v)
            entries.append(FaqEntry(question, answer, variants, (row.get("source") or "").strip(), topic))
    if not entries:
        raise FaqError(f"{path}: không có mục nào")
    return entries


def write_csv(path: str | Path, entries: Iterable[FaqEntry]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FAQ_COLUMNS)
        for e in entries:
            writer.writerow([e.question, e.answer, "|".join(e.variants), e.source, e.topic or ""])


def default_faq_path() -> Path:
    return DATA_DIR / "faq.csv"


def load_faq(path: str | Path | None = None, threshold: float = DEFAULT_THRESHOLD, *,
             bank: bool = True, exclude_set: str | None = None) -> FaqIndex:
    """The knowledge base at `path` (FAQ_FILE), or the one shipped with the code, with the
    paraphrase bank of the retired evaluation sets (all but `exclude_set`) unless bank=False.
    The bank follows the entries by question text: an entry the officers renamed keeps its own
    variants but loses the bank's paraphrases of the old wording."""
    if not bank:
        return FaqIndex.from_csv(path or default_faq_path(), threshold)
    from intents.training import faq_bank

    paraphrases, declines = faq_bank(exclude_set)
    return FaqIndex.from_csv(path or default_faq_path(), threshold,
                             paraphrases=paraphrases, declines=declines)
