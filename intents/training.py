"""Labelled data the shipped models learn from.

Evaluation sets that have been measured and looked at are no longer held out: they become
training data, so the shipped classifier and FAQ matcher learn from every labelled message the
project has. `python -m bot eval` scores each of them with models built without it
(leave-one-set-out) and keeps never-seen sets as its headline (intents/evaluate.py).

- classify_<name>.csv (text,kind,topic,urgent): seed examples of the nearest-example vote.
- faq_<name>.csv (query,expected): a paraphrase bank. A query with an expected question is one
  more way residents ask that entry; a query with none is one residents ask that the knowledge
  base must decline (a decoy: when it is the closest match, the bot offers an officer instead).
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from intents.normalize import DATA_DIR

EVAL_DIR = DATA_DIR / "eval"
# Extra training data that was never an evaluation set (intents/data/train/classify_<name>.csv).
TRAIN_DIR = DATA_DIR / "train"

TRAINING_SETS = ("dev", "test", "test2", "test3", "test6", "test4", "test5", "test7", "test8", "test9", "test10", "test12", "test13", "test14", "test15", "test16", "test17", "test18", "test19", "test20")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=8)
def faq_bank(exclude: str | None = None) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(paraphrases as (query, KB question), declined queries) from data/train/faq_*.csv and
    every retired set but `exclude`."""
    pairs: list[tuple[str, str]] = []
    declines: list[str] = []
    paths = [EVAL_DIR / f"faq_{name}.csv" for name in TRAINING_SETS if name != exclude]
    paths += sorted(TRAIN_DIR.glob("faq_*.csv"))
    for path in paths:
        if not path.exists():
            continue
        for row in _rows(path):
            query, expected = row["query"].strip(), (row.get("expected") or "").strip()
            if not query:
                continue
            if expected:
                pairs.append((query, expected))
            else:
                declines.append(query)
    return tuple(pairs), tuple(declines)
