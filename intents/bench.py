"""Throughput benchmark for `python -m bot bench-nlu` (one core, pure, no database).

Each rate is the median of several repeats and is reported with a ratio to a baseline measured
in the same run on the same inputs, so figures from different machines can be compared:
- classify vs a bare `fold()` loop over the same messages;
- classify with N learned examples vs the same baseline;
- FAQ ask against M entries vs rapidfuzz `process.extractOne` on the raw questions.
The last line is one JSON object with the figures.
"""
from __future__ import annotations

import json
import random
import statistics
import time
from typing import Callable, Iterator

from rapidfuzz import process

from intents.classify import Classifier
from intents.training import seed_examples
from intents import sets
from intents.evaluate import read_classify_set, read_faq_set, strip_diacritics
from intents.faq import FaqEntry, load_faq
from intents.normalize import fold

_PLACES = ["ngõ {}", "tổ {}", "số nhà {}", "ngách {}", "đầu ngõ {}", "khu tập thể {}"]
_TAILS = ["", " ạ", " mấy hôm nay", " từ tối qua", " nhờ phường xử lý", " r", " ko ai lo"]


def _rate(fn: Callable[[str], object], items: list[str], repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for x in items:
            fn(x)
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates)


def _messages(n: int, seed: int = 11) -> list[str]:
    """Messages the classifier has not seen, of the usual length: labelled messages (which are
    seed examples now, and an exact repeat is answered from a dictionary) with a two-word place
    added, half without diacritics."""
    rng = random.Random(seed)
    base = [x.text for name in ("test", "dev") for x in read_classify_set(sets.get(name).classify)]
    out = []
    for i in range(n):
        text = f"{base[i % len(base)]} {rng.choice(('ngõ {}', 'tổ {}')).format(rng.randint(1, 300))}"
        out.append(strip_diacritics(text) if i % 2 else text)
    return out


def synthetic_examples(n: int, seed: int = 7) -> Iterator[tuple[str, str | None, str | None]]:
    """n distinct labelled examples that look like corrections: seed and dev messages with a
    place, a tail, and half without diacritics."""
    rng = random.Random(seed)
    pool = list(seed_examples()) + [
        (x.text, x.kind, x.topic) for x in read_classify_set(sets.get("dev").classify)
    ]
    for i in range(n):
        text, kind, topic = rng.choice(pool)
        text = f"{text} {rng.choice(_PLACES).format(rng.randint(1, 300))}{rng.choice(_TAILS)} #{i}"
        yield (strip_diacritics(text) if i % 2 else text), kind, topic


def _faq_entries(m: int) -> list[FaqEntry]:
    real = list(load_faq(None).entries)
    out = list(real)
    i = 0
    while len(out) < m:
        e = real[i % len(real)]
        k = len(out)
        out.append(FaqEntry(f"{e.question} (mục {k})", e.answer,
                            tuple(f"{v} {k}" for v in e.variants[:3]), e.source, e.topic))
        i += 1
    return out[:m]


def run_bench(repeats: int = 5, learned: int = 20000, faq_entries: int = 500) -> Iterator[str]:
    msgs = _messages(5000)
    fold_rate = _rate(fold, msgs, repeats)
    yield f"baseline fold():                {fold_rate:10.0f} msg/s"

    clf = Classifier()
    clf.classify(msgs[0])
    plain = _rate(clf.classify, msgs, repeats)
    yield f"classify ({clf.example_count} seed examples):   {plain:10.0f} msg/s  ({plain / fold_rate:.3f} x fold)"

    start = time.perf_counter()
    for text, kind, topic in synthetic_examples(learned):
        clf.learn(text, kind, topic)
    learn_rate = learned / (time.perf_counter() - start)
    big = _rate(clf.classify, msgs[:2000], repeats)
    yield (f"classify (+{learned} learned):  {big:10.0f} msg/s  ({big / fold_rate:.3f} x fold); "
           f"learn {learn_rate:.0f} examples/s")

    from intents.faq import FaqIndex
    from intents.training import faq_bank

    # The shipped configuration: the entries plus the paraphrase bank and its decoys.
    entries = _faq_entries(faq_entries)
    paraphrases, declines = faq_bank()
    index = FaqIndex(entries, paraphrases=paraphrases, declines=declines)
    queries = [q for name in ("test", "dev") for q, _ in read_faq_set(sets.get(name).faq)]
    queries = [queries[i % len(queries)] for i in range(2000)]
    raw = [e.question for e in entries]
    base_faq = _rate(lambda q: process.extractOne(q, raw), queries, repeats)
    yield f"baseline extractOne on {len(raw)} raw: {base_faq:10.0f} q/s"
    faq_rate = _rate(index.ask, queries, repeats)
    yield f"faq ask ({len(entries)} entries):      {faq_rate:10.0f} q/s  ({faq_rate / base_faq:.3f} x extractOne)"

    yield json.dumps({
        "fold_per_s": round(fold_rate),
        "classify_per_s": round(plain),
        "classify_ratio_to_fold": round(plain / fold_rate, 4),
        "classify_learned_per_s": round(big),
        "classify_learned_ratio_to_fold": round(big / fold_rate, 4),
        "learned_examples": learned,
        "learn_per_s": round(learn_rate),
        "faq_per_s": round(faq_rate),
        "faq_entries": len(entries),
        "extractone_per_s": round(base_faq),
        "faq_ratio_to_extractone": round(faq_rate / base_faq, 4),
        "repeats": repeats,
    })
