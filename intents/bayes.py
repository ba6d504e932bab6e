"""Naive Bayes votes over the nearest-example features (intents.neighbours.features): the
topic over every labelled example, and two-label votes (urgent or not, the desk's business or
not) scored as log-odds. All learn incrementally: an officer's correction counts at once.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterable

from intents.taxonomy import TOPIC_IDS

NB_ALPHA = 0.3
_EXP_FLOOR = -700  # exp(-z) overflows past 709; this far down the probability is 0 anyway


class TopicBayes:
    """Multinomial naive Bayes over the same features as the nearest-example vote, learned
    incrementally (an officer's correction counts at once). Each feature keeps a vector, one
    slot per label, of its log-count gain over the smoothing constant, so scoring a message
    is adding vectors (zip and sum run in C): every label starts from its prior and smoothing,
    cached until the next add."""

    def __init__(self, labels: Iterable[str] = TOPIC_IDS, alpha: float = NB_ALPHA) -> None:
        self.labels = tuple(labels)
        self._slot = {label: i for i, label in enumerate(self.labels)}
        self.alpha = alpha
        self.log_alpha = math.log(alpha)
        self.by_feature: dict[str, list[float]] = {}  # feature -> gain per label slot
        self._counts: dict[tuple[str, int], int] = defaultdict(int)
        self.label_docs = [0] * len(self.labels)
        self.label_tokens = [0] * len(self.labels)
        self.docs = 0
        self._base: list[float] | None = None  # per slot: log prior, log smoothing

    def add(self, feats: Iterable[str], label: str) -> None:
        slot = self._slot[label]
        self.docs += 1
        self.label_docs[slot] += 1
        width = len(self.labels)
        for f in feats:
            key = (f, slot)
            self._counts[key] += 1
            gains = self.by_feature.get(f)
            if gains is None:
                gains = self.by_feature[f] = [0.0] * width
            gains[slot] = math.log(self._counts[key] + self.alpha) - self.log_alpha
            self.label_tokens[slot] += 1
        self._base = None

    def _bases(self) -> tuple[list[float], list[float], list[bool]]:
        if self._base is None:
            vocab = len(self.by_feature)
            seen = [d > 0 for d in self.label_docs]
            self._base = (
                # a label never seen gets no chance at all (exp(-inf) = 0)
                [math.log(d / self.docs) if d else -math.inf for d in self.label_docs],
                [self.log_alpha - math.log(t + self.alpha * vocab) if ok else 0.0
                 for t, ok in zip(self.label_tokens, seen)],
                seen,
            )
        return self._base

    def posterior(self, feats: Iterable[str]) -> dict[str, float]:
        """P(label | message) over the labels seen; {} when no feature was ever seen."""
        known = [g for g in map(self.by_feature.get, feats) if g is not None]
        if not known:
            return {}
        n = len(known)
        priors, smooth, seen = self._bases()
        scores = [p + n * sm + x for p, sm, x in zip(priors, smooth, map(sum, zip(*known)))]
        top = max(scores)
        exps = [math.exp(v - top) for v in scores]
        total = sum(exps)
        return {label: e / total for label, e, ok in zip(self.labels, exps, seen) if ok}


class BinaryBayes(TopicBayes):
    """Naive Bayes with two labels, scored as log-odds: one number per feature (its gain for
    the first label minus its gain for the second), cached until the next add. This runs on
    nearly every message (the urgency vote), so it is a sum, not a softmax."""

    def __init__(self, labels: tuple[str, str], alpha: float = NB_ALPHA) -> None:
        super().__init__(labels, alpha)
        self._diff: dict[str, float] | None = None

    def add(self, feats: Iterable[str], label: str) -> None:
        super().add(feats, label)
        self._diff = None

    def probability(self, feats: Iterable[str]) -> float:
        """P(first label | message); 0 when no feature was ever seen or a label never was."""
        priors, smooth, seen = self._bases()
        if not all(seen):
            return 0.0
        if self._diff is None:
            self._diff = {f: g[0] - g[1] for f, g in self.by_feature.items()}
        known = [d for d in map(self._diff.get, feats) if d is not None]
        if not known:
            return 0.0
        z = priors[0] - priors[1] + len(known) * (smooth[0] - smooth[1]) + sum(known)
        return 1.0 / (1.0 + math.exp(-z)) if z > _EXP_FLOOR else 0.0
