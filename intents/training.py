"""Labelled data the shipped models learn from.

Evaluation sets that have been measured and looked at are no longer held out: they become
training data, so the shipped classifier and FAQ matcher learn from every labelled message the
project has. `python -m bot eval` scores each of them with models built without it
(leave-one-set-out) and keeps never-seen sets as its headline (intents/evaluate.py).

Which files those are is intents/data/sets.toml's to say (intents.sets):
- classify files (text,kind,topic,urgent): seed examples of the nearest-example vote, the
  topic and scope votes, and (where they say) of the urgency vote.
- faq files (query,expected): a paraphrase bank. A query with an expected question is one
  more way residents ask that entry; a query with none is one residents ask that the knowledge
  base must decline (a decoy: when it is the closest match, the bot offers an officer instead).
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from intents.sets import learning_files, retired_sets

# Sets that were held out once and are training data now, oldest first.
RETIRED_SETS = retired_sets()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=8)
def faq_bank(exclude: str | None = None) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(paraphrases as (query, KB question), declined queries) from every training set's faq
    file but `exclude`'s."""
    pairs: list[tuple[str, str]] = []
    declines: list[str] = []
    for path in learning_files("faq", exclude):
        for row in _rows(path):
            query, expected = row["query"].strip(), (row.get("expected") or "").strip()
            if not query:
                continue
            if expected:
                pairs.append((query, expected))
            else:
                declines.append(query)
    return tuple(pairs), tuple(declines)


@lru_cache(maxsize=8)
def seed_examples(exclude: str | None = None) -> tuple[tuple[str, str | None, str | None], ...]:
    """(text, kind, topic) of the seed and every training set's classify file but `exclude`'s
    (intents/data/sets.toml)."""
    return tuple((row["text"], row.get("kind") or None, row.get("topic") or None)
                 for path in learning_files("classify", exclude) for row in _rows(path))


@lru_cache(maxsize=8)
def seed_urgency(exclude: str | None = None) -> tuple[tuple[str, bool], ...]:
    """(text, urgent) of the same files, where they say (the seed has no urgent column)."""
    return tuple((row["text"], row["urgent"].strip() in ("1", "true"))
                 for path in learning_files("classify", exclude) for row in _rows(path)
                 if (row.get("urgent") or "").strip())
