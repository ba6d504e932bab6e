"""Kind, topic and urgency of a resident's message (pure, no I/O beyond reading data files).

The signals, each in its own module, added up per label:

1. Weighted phrase lexicons (intents.lexicon), and where and how things are said
   (intents.cues: a petition, a delay, "cho tôi hỏi", a closing question...).
2. Nearest labelled examples (intents.neighbours: seed examples of intents/data/sets.toml plus
   officers' corrections learned at run time); this is what lets the ward's own wording override
   the lexicon without a developer.
3. Naive Bayes votes (intents.bayes) on the topic, on urgency and on scope.

Scores become confidences with a softmax; then the overrides decide (intents.decide). When the
winner is not clear the result says `needs_clarification` and lists the candidate kinds, best
first, for the handler's buttons. `Classification.reasons` says what decided; `explain()` prints it.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Union

from intents.bayes import BinaryBayes, TopicBayes
from intents.cues import (OPENER_MAX, asks_if_entitled, asks_to_ask, courtesy_frame, is_opener,
                          petition_cue, proposes, waited_in_vain)
from intents.decide import (ACTIONABLE, SCOPE_LABELS, SCOPE_QUESTION_MIN, Decision, confidence,
                            decide, offered)
from intents.lexicon import Lexicon, default_lexicon
from intents.neighbours import ExampleIndex, features
from intents.normalize import fold, marked_tokens, prepare
from intents.taxonomy import check_kind, check_topic
from intents.training import faq_bank, seed_examples, seed_urgency

URGENT_LABELS = ("yes", "no")
DELAY_BONUS = 3.0  # see intents.cues.waited_in_vain
QUESTION_REQUEST_BONUS = 2.5  # see intents.cues.asks_to_ask, asks_if_entitled
PETITION_BONUS = 4.0  # see intents.cues.petition_cue
PROPOSAL_MIN_WORDS = 12  # a message longer than this may end on a sentence that proposes
KNN_WEIGHT = 4.0  # how much the nearest examples count against the lexicon
KNN_MIN_SIM = 0.35
# An (almost) identical example is an officer's explicit decision: it must win.
EXACT_EXAMPLE_SIM = 0.97
EXACT_EXAMPLE_BOOST = 3.0
# A naive Bayes vote on the topic over all examples at once. The nearest-example vote only
# sees the five closest messages, so a message whose wording no single example shares ("bãi
# đất trống bị đổ trộm xà bần") gets no help from it; word statistics over every example do.
# Leave-one-set-out, it raised the mean topic macro-F1 of the five retired sets from 90.7%
# to 92.3% (python -m bot eval); heavier weights helped the older sets and hurt TEST6.
NB_TOPIC_WEIGHT = 1.0
OPENER_CONFIDENCE = 0.95
# One reason, kept unformatted until someone reads it (formatting every message's reasons cost
# about 5% of a classification; most are never read): a finished line, a format string and its
# arguments, or (LEXICON_PHRASES, tokens, matches) for the lexicon phrases that scored.
Reason = Union[str, tuple]
LEXICON_PHRASES = "lexicon phrases"


@dataclass(frozen=True)
class Classification:
    kind: str
    topic: str | None
    urgent: bool
    confidence: float
    kind_confidence: float
    topic_confidence: float
    needs_clarification: bool
    candidates: tuple[str, ...]
    # Nothing the ward handles ("giá vàng hôm nay", the weather, football): the bot says so
    # and offers no ticket (no clarification buttons either).
    out_of_scope: bool = False
    # P(none of the ward's business) from the scope vote; see declines_unanswered().
    off_topic: float = 0.0
    # What decided, in the order it counted: lexicon phrases, cues, the nearest example, the
    # votes that mattered, each override that fired. Read it as `reasons`; an explanation, so
    # not part of what two classifications must share to be equal.
    why: tuple[Reason, ...] = field(default=(), repr=False, compare=False)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(line for item in self.why for line in _render(item))


def _render(item: Reason) -> list[str]:
    if isinstance(item, str):
        return [item]
    if item[0] == LEXICON_PHRASES:
        _, toks, matched = item
        return [f'"{" ".join(toks[i:j])}" {dim} {label} {w:+g}' for i, j, dim, label, w in matched if w]
    return [item[0].format(*item[1:])]


OPENER = Classification(kind="greeting", topic=None, urgent=False, confidence=OPENER_CONFIDENCE,
                        kind_confidence=OPENER_CONFIDENCE, topic_confidence=0.0,
                        needs_clarification=False, candidates=("greeting",),
                        why=("opener: only greeting words, address words and particles",))


def declines_unanswered(c: Classification) -> bool:
    """A question the FAQ could not answer that is almost surely none of the ward's business
    ("giá vàng hôm nay bao nhiêu"): declined rather than offered to an officer."""
    return c.kind == "question" and not c.urgent and c.off_topic >= SCOPE_QUESTION_MIN


def explain(c: Classification) -> str:
    """The classification and what decided it, one reason a line (classify --verbose)."""
    head = (f"{c.kind} ({c.kind_confidence:.2f}), topic {c.topic or '-'} ({c.topic_confidence:.2f})"
            f"{', urgent' if c.urgent else ''}{', out of scope' if c.out_of_scope else ''}"
            f"{', asks: ' + '/'.join(c.candidates) if c.needs_clarification else ''}")
    lines = [head] + [f"  - {r}" for r in c.reasons]
    if declines_unanswered(c):
        lines.append(f"  - unanswered by the FAQ, declined: scope vote {c.off_topic:.4f}")
    return "\n".join(lines)


def mute_courtesy(lex: dict[str, dict[str, float]], matched: list, toks: list[str], text: str,
                  reasons: list[Reason]) -> bool:
    """Greeting words in a sentence of courtesy that opens or closes a longer message ("... Tôi
    xin chân thành cảm ơn!") do not make it a greeting (intents.cues.courtesy_frame); True when
    they were muted (then where they stand does not count either)."""
    if lex["kind"].get("greeting", 0.0) <= 0.0 or len(toks) <= OPENER_MAX:
        return False
    head, tail = courtesy_frame(text, toks)
    if not head and not tail:
        return False
    end = len(toks) - tail
    muted = sum(w for i, j, dim, label, w in matched
                if dim == "kind" and label == "greeting" and (j <= head or i >= end))
    if muted:
        lex["kind"]["greeting"] -= muted
        reasons.append(("courtesy frame: greeting -{:g}", muted))
    return bool(muted)


def kind_cues(lexicon: Lexicon, toks: list[str], marks: list[str | None], text: str,
              reasons: list[Reason]) -> tuple[dict[str, float], bool]:
    """Kind bonuses from where and how things are said, and whether the message petitions or
    ends on a sentence that proposes."""
    cues = lexicon.position_cues(toks, marks)
    reasons += [("position cue: {} +{:g}", label, bonus) for label, bonus in cues.items()]
    if waited_in_vain(toks):
        cues["complaint"] = cues.get("complaint", 0.0) + DELAY_BONUS
        reasons.append(("delay: complaint +{:g}", DELAY_BONUS))
    if asks_to_ask(toks) or asks_if_entitled(toks):
        cues["question"] = cues.get("question", 0.0) + QUESTION_REQUEST_BONUS
        reasons.append(("asks to ask / if entitled: question +{:g}", QUESTION_REQUEST_BONUS))
    petition = petition_cue(toks)
    if petition:
        cues["suggestion"] = cues.get("suggestion", 0.0) + PETITION_BONUS
        reasons.append(("petition cue: suggestion +{:g}", PETITION_BONUS))
    elif len(toks) > PROPOSAL_MIN_WORDS and "complaint" not in cues:
        # (a delay stays a complaint: "nộp 20 ngày chưa có kết quả. Kính đề nghị xem xét")
        petition = proposes(fold(text))
        if petition:
            reasons.append("a later sentence proposes")
    return cues, petition


class Classifier:
    def __init__(
        self,
        examples: Iterable[tuple[str, str | None, str | None]] = (),
        *,
        lexicon: Lexicon | None = None,
        use_seed: bool = True,
        exclude_set: str | None = None,
    ) -> None:
        self.lexicon = lexicon or default_lexicon()
        self.index = ExampleIndex()
        self.topic_bayes = TopicBayes()
        self.urgent_bayes = BinaryBayes(URGENT_LABELS)
        self.scope_bayes = BinaryBayes(SCOPE_LABELS)
        self._lock = threading.Lock()
        if use_seed:
            self._learn_seed(exclude_set)
        for text, kind, topic in examples:
            self._add(text, kind, topic)

    def _learn_seed(self, exclude_set: str | None) -> None:
        """Every training set but `exclude_set` (intents/data/sets.toml), the urgent flags they
        give, and the FAQ bank's paraphrases (in scope) and decoys (out of scope)."""
        for text, kind, topic in seed_examples(exclude_set):
            self._add(text, kind, topic)
        for text, urgent in seed_urgency(exclude_set):
            toks = prepare(text).split()
            if toks:
                self.urgent_bayes.add(features(toks), URGENT_LABELS[0 if urgent else 1])
        paraphrases, decoys = faq_bank(exclude_set)
        for text, label in [(q, "in") for q, _ in paraphrases] + [(q, "out") for q in decoys]:
            toks = prepare(text).split()
            if toks:
                self.scope_bayes.add(features(toks), label)

    @property
    def example_count(self) -> int:
        return len(self.index)

    def _add(self, text: str, kind: str | None, topic: str | None) -> None:
        check_kind(kind)
        check_topic(topic)
        toks = prepare(text).split()
        if toks and (kind or topic):
            with self._lock:
                self.index.add(toks, kind, topic)
                if topic:
                    self.topic_bayes.add(features(toks), topic)
                if kind == "other" or kind in ACTIONABLE:
                    self.scope_bayes.add(features(toks), "out" if kind == "other" else "in")

    def learn(self, text: str, kind: str | None = None, topic: str | None = None) -> None:
        """Add a labelled example; the very next classify() uses it."""
        self._add(text, kind, topic)

    def classify(self, text: str) -> Classification:
        toks, marks = marked_tokens(text)
        if is_opener(toks, marks):
            return OPENER
        matched: list[tuple[int, int, str, str, float]] = []
        lex = self.lexicon.score(toks, marks, matched)
        # the phrases that scored, shown folded as the lexicon matches them
        reasons: list[Reason] = [(LEXICON_PHRASES, toks, matched)] if matched else []
        framed = mute_courtesy(lex, matched, toks, text, reasons)
        cues, petition = kind_cues(self.lexicon, toks, marks, text, reasons)
        if framed:
            cues.pop("greeting", None)
        kind_scores = dict(lex["kind"])
        for label, bonus in cues.items():
            kind_scores[label] = kind_scores.get(label, 0.0) + bonus
        d = Decision(text=text, toks=toks, marks=marks, lex=lex, cues=cues, petition=petition,
                     kind_scores=kind_scores, topic_scores=dict(lex["topic"]), near=[],
                     off_topic=0.0, reasons=reasons)
        # Sorted: a set's order changes with each process's string hashing, and with it the
        # order of float sums and of ties among candidates. The same message must get the same
        # answer in every worker and every run of the evaluation.
        feats = sorted(features(toks))
        self._vote(d, feats)
        decide(d, lambda: self._urgent_probability(feats), lambda: self._scope_probability(feats))
        return Classification(
            kind=d.kind,
            topic=d.topic,
            urgent=d.urgent,
            confidence=round(confidence(d), 4),
            kind_confidence=round(d.kind_conf, 4),
            topic_confidence=round(d.topic_conf, 4),
            needs_clarification=d.needs,
            candidates=offered(d),
            out_of_scope=d.out_of_scope,
            off_topic=round(d.off_topic, 6),
            why=tuple(d.reasons),
        )

    def _urgent_probability(self, feats: list[str]) -> float:
        with self._lock:
            return self.urgent_bayes.probability(feats)

    def _scope_probability(self, feats: list[str]) -> float:
        with self._lock:
            return self.scope_bayes.probability(feats)

    def _vote(self, d: Decision, feats: list[str]) -> None:
        """Nearest examples vote on kind and topic, weighted by similarity; word statistics vote
        on the topic."""
        with self._lock:
            near = self.index.neighbours(d.toks, qf=feats)
            d.near = [(sim, self.index.labels[idx]) for sim, idx in near if sim >= KNN_MIN_SIM]
            nearest = self.index.texts[near[0][1]] if d.near else ""
            bayes = self.topic_bayes.posterior(feats)
        topic_scores = d.topic_scores
        for label, p in bayes.items():
            topic_scores[label] = topic_scores.get(label, 0.0) + NB_TOPIC_WEIGHT * p
        if bayes:
            top = max(bayes, key=bayes.get)
            d.topic_vote = (top, bayes[top])
        if not d.near:
            return
        best, (kind, topic) = d.near[0]
        d.reasons.append(('nearest example {:.2f} {}/{}: "{}"', best, kind or "-", topic or "-", nearest))
        kvotes: dict[str, float] = defaultdict(float)
        tvotes: dict[str, float] = defaultdict(float)
        for sim, (kind, topic) in d.near:
            if kind:
                kvotes[kind] += sim * sim
            if topic:
                tvotes[topic] += sim * sim
        weight = KNN_WEIGHT * best * (EXACT_EXAMPLE_BOOST if best >= EXACT_EXAMPLE_SIM else 1.0)
        for votes, scores in ((kvotes, d.kind_scores), (tvotes, topic_scores)):
            total = sum(votes.values())
            for label, v in votes.items():
                scores[label] = scores.get(label, 0.0) + weight * v / total


_default: Classifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    global _default
    with _default_lock:
        if _default is None:
            _default = Classifier()
        return _default


def classify(text: str) -> Classification:
    return default_classifier().classify(text)
