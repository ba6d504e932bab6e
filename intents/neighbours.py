"""The nearest labelled examples: an inverted index over word uni/bigrams picks candidates,
IDF-weighted overlap plus a rapidfuzz ratio scores them (seed examples and officers' corrections;
the classifier lets the best few vote, so the ward's own wording can override the lexicon).
"""
from __future__ import annotations

import math
from collections import defaultdict
from operator import itemgetter

from rapidfuzz import fuzz

KNN_K = 5
KNN_COMMON_SHARE = 12
KNN_RARE_SHARE = 400
KNN_POOL = 1  # candidates from rare features whose mid-feature overlap is added, per rescored one
KNN_RESCORE = 2  # candidates rescored with the character ratio, per neighbour kept
DICE_SHARE = 0.75  # of a neighbour's similarity: IDF overlap; the rest is the character ratio
RATIO_SHARE = 1 - DICE_SHARE

# Words too common to say anything alone (bigrams containing them still count).
STOPWORDS = frozenset(
    "a ah anh ba bac bi cac cai chau chi cho chu co con cua da dang de den di do duoc em gi "
    "ha hay het khi khong la lai lam len luc ma minh mot nay nao ne nen nha nhe nhieu nhung "
    "nua o oi on qua ra rat roi sao se tai thi the theo thi toi tren trong tu va vao vay ve "
    "voi vi xin".split()
)


def features(toks: list[str]) -> set[str]:
    words = [t for t in toks if t != "?"]
    feats = {t for t in words if t not in STOPWORDS and not t.isdigit()}
    feats.update(a + " " + b for a, b in zip(words, words[1:]))
    return feats


_RARE, _MID, _COMMON = 0, 1, 2  # how a feature takes part in the nearest-example search


class ExampleIndex:
    """Labelled examples with an inverted index, so lookup cost stays flat as corrections pile
    up: common features are skipped, posting lists are capped (newest kept)."""

    POSTING_CAP = 300

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.labels: list[tuple[str | None, str | None]] = []
        self.feats: list[frozenset[str]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.df: dict[str, int] = defaultdict(int)
        self.exact: dict[str, int] = {}
        # IDF norm of each example, computed when first needed. Every add() changes the IDF of
        # its features (and n), so it empties the cache; classifying is far more frequent.
        self._norms: dict[int, float] = {}
        self._idf: dict[str, float] = {}
        self._info: dict[str, tuple[float, int, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, toks: list[str], kind: str | None, topic: str | None) -> None:
        text = " ".join(toks)
        feats = frozenset(features(toks))
        idx = len(self.texts)
        self.texts.append(text)
        self.labels.append((kind, topic))
        self.feats.append(feats)
        for f in feats:
            self.df[f] += 1
            post = self.postings[f]
            post.append(idx)
            if len(post) > self.POSTING_CAP:
                del post[0]
        self.exact[text] = idx  # the latest label for an exact text wins
        self._norms.clear()
        self._idf.clear()
        self._info.clear()

    def _feature_info(self, f: str) -> tuple[float, int, list[int]]:
        """(idf, band, posting list) of a known feature, cached until the next add()."""
        n = len(self.texts)
        df = self.df[f]
        if n > 60 and df * KNN_COMMON_SHARE > n:
            band = _COMMON
        elif n > 60 and df * KNN_RARE_SHARE > n:
            band = _MID
        else:
            band = _RARE
        inf = self._info[f] = (self.idf(f), band, self.postings[f])
        return inf

    def idf(self, f: str) -> float:
        v = self._idf.get(f)
        if v is None:
            df = self.df.get(f, 0)
            v = math.log((len(self.texts) + 1) / (df + 1)) + 1.0
            if df:  # cache known features only: residents' new word pairs are endless
                self._idf[f] = v
        return v

    def _overlaps(self, qf: list[str] | set[str], k: int) -> tuple[dict[int, float], float]:
        """IDF overlap of the query's features with the candidate examples, and the query's
        IDF norm."""
        n = len(self.texts)
        unseen = math.log(n + 1) + 1.0  # idf of a feature no example has
        # Candidates come from the query's rarer features. Features in more than 1/RARE of
        # the examples ("nha", "o dau") only add to the best of those candidates, checked
        # against each candidate's own feature set: walking their long posting lists was most
        # of the cost of classifying (bench-nlu). Features in more than 1/COMMON are noise.
        acc: dict[int, float] = defaultdict(float)
        mid: list[tuple[str, float]] = []
        qnorm = 0.0
        info = self._info
        for f in qf:
            inf = info.get(f)
            if inf is None:
                if f not in self.df:
                    qnorm += unseen
                    continue
                inf = self._feature_info(f)
            w, band, post = inf
            qnorm += w
            if band == _RARE:
                for idx in post:
                    acc[idx] += w
            elif band == _MID:
                mid.append((f, w))
        if mid:
            if not acc:  # nothing rare in the message ("cảm ơn ad"): the mid features decide
                for f, w in mid:
                    for idx in self.postings[f]:
                        acc[idx] += w
            else:
                pool = sorted(acc.items(), key=itemgetter(1), reverse=True)[:k * KNN_RESCORE * KNN_POOL]
                mid_w = dict(mid)
                mid_set = frozenset(mid_w)
                mid_get = mid_w.__getitem__
                feats = self.feats
                acc = {}
                for idx, overlap in pool:
                    shared = mid_set.intersection(feats[idx])
                    acc[idx] = overlap + sum(map(mid_get, shared)) if shared else overlap
        return acc, qnorm

    def neighbours(self, toks: list[str], k: int = KNN_K,
                   qf: set[str] | None = None) -> list[tuple[float, int]]:
        if not self.texts:
            return []
        text = " ".join(toks)
        hit = self.exact.get(text)
        if hit is not None:
            return [(1.0, hit)]
        if qf is None:
            qf = sorted(features(toks))
        if not qf:
            return []
        acc, qnorm = self._overlaps(qf, k)
        if not acc:
            return []
        top = sorted(acc.items(), key=itemgetter(1), reverse=True)[:k * KNN_RESCORE]
        # Dice-like overlap on IDF weights, blended with a character-level ratio so typos the
        # tokens miss still count.
        scored = []
        texts = self.texts
        for idx, overlap in top:
            enorm = self._norms.get(idx)
            if enorm is None:
                enorm = self._norms[idx] = sum(self.idf(f) for f in self.feats[idx]) or 1.0
            dice = 2 * overlap / (qnorm + enorm)
            ratio = fuzz.ratio(text, texts[idx]) / 100.0
            scored.append((DICE_SHARE * dice + RATIO_SHARE * ratio, idx))
        scored.sort(reverse=True)
        return scored[:k]
