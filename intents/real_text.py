"""Evaluation on real public Vietnamese text nobody on the project wrote (intents/data/real/).

The project's own sets (intents/data/training/, heldout/) were written to a labelling guide by writers who
knew what the desk does; real citizens write to agencies differently: a long story and then
"cho tôi hỏi ...?", petitions in the officialese of "Cử tri kiến nghị ...", FAQ titles that are
bare noun phrases with a question mark, chat openers in three languages. Each row of
dev.csv / heldout.csv says its group, the kind it must get, its source and licence
(intents/README.md lists the sources). The split is by a hash of the text, fixed before any
tuning; held-out errors are never printed by the tests.

What "right" means per group (the issue's targets):
- formal_question, short_service_question, procedure_question: kind "question" (a question
  ABOUT khiếu nại/tố cáo is a question, not a denunciation to redirect);
- petition: kind "suggestion";
- opener: kind "greeting";
- oos: declined without a ticket: kind "other" and no buttons offering a ticket;
- formal_request: what the row says (a request to act on one's own case is a complaint).
Across all rows: the same kind with and without diacritics; for question rows, the FAQ's
top-1 the same with and without diacritics.

    python -m intents.real_text [dev|heldout] [--batch N] [--errors]
"""
from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from dataclasses import dataclass

from intents import sets
from intents.classify import Classification, Classifier, declines_unanswered
from intents.evaluate import strip_diacritics
from intents.faq import FaqIndex
from intents.taxonomy import TICKET_KINDS

QUESTION_GROUPS = ("formal_question", "short_service_question", "procedure_question")
GROUPS = ("formal_question", "petition", "short_service_question", "procedure_question",
          "opener", "oos", "formal_request")
# The targets, per group (share right) and across groups.
TARGETS = {
    "formal_question": 0.97,
    "petition": 0.90,
    "short_service_question": 0.95,
    "opener": 0.95,
    "procedure_question": 0.95,
    "oos": 0.95,
    "same_kind_stripped": 0.98,
    "faq_same_stripped": 0.98,
}


@dataclass(frozen=True)
class RealRow:
    text: str
    kind: str
    group: str
    source: str
    batch: int  # 1: gathered 2026-12-06; 2 and 3: gathered 2026-12-07 (first runs reported apart)


def read_rows(split: str, batch: int | None = None) -> list[RealRow]:
    """The rows of intents/data/sets.toml's real_<split> ("dev" or "heldout")."""
    with open(sets.get(f"real_{split}").real, encoding="utf-8", newline="") as fh:
        rows = [RealRow(r["text"], r["kind"], r["group"], r["source"], int(r["batch"]))
                for r in csv.DictReader(fh)]
    return [r for r in rows if batch is None or r.batch == batch]


def declined(c: Classification, faq_answered: bool) -> bool:
    """Out of scope and told so, as the bot does it: no kind that makes a ticket and no buttons
    offering one, or a question the FAQ cannot answer that the scope vote declines
    (handlers/faq.py: then no officer is offered)."""
    if c.kind == "question" and not faq_answered and declines_unanswered(c):
        return True
    if c.kind in TICKET_KINDS or c.kind == "denunciation":
        return False
    return not (c.needs_clarification and set(c.candidates) & set(TICKET_KINDS))


def is_right(row: RealRow, c: Classification, index: FaqIndex) -> bool:
    if row.group == "oos":
        return declined(c, c.kind == "question" and index.ask(row.text) is not None)
    return c.kind == row.kind


def metrics(clf: Classifier, index: FaqIndex, rows: list[RealRow]) -> dict:
    per_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    same_kind = [0, 0]
    faq_same = [0, 0]
    errors = []
    for row in rows:
        c = clf.classify(row.text)
        plain = strip_diacritics(row.text)
        cs = clf.classify(plain)
        ok = is_right(row, c, index)
        per_group[row.group][0] += ok
        per_group[row.group][1] += 1
        same_kind[0] += c.kind == cs.kind
        same_kind[1] += 1
        if not ok:
            errors.append((row.group, row.text, row.kind, c.kind, c.kind_confidence,
                           c.needs_clarification))
        elif c.kind != cs.kind:
            errors.append((row.group + " (stripped)", plain, row.kind, cs.kind,
                           cs.kind_confidence, cs.needs_clarification))
        if row.group in QUESTION_GROUPS:
            a, b = index.ask(row.text), index.ask(plain)
            faq_same[0] += (a.question if a else None) == (b.question if b else None)
            faq_same[1] += 1
    out = {g: per_group[g][0] / per_group[g][1] for g in GROUPS if per_group[g][1]}
    out["n"] = {g: per_group[g][1] for g in GROUPS if per_group[g][1]}
    out["same_kind_stripped"] = same_kind[0] / max(same_kind[1], 1)
    out["faq_same_stripped"] = faq_same[0] / max(faq_same[1], 1)
    out["errors"] = errors
    return out


def format_metrics(name: str, m: dict, show_errors: bool = False) -> str:
    lines = [f"=== real text: {name} ==="]
    for g in GROUPS:
        if g in m:
            target = TARGETS.get(g)
            mark = "" if target is None else ("  (target {:.0f}%{})".format(
                100 * target, "" if m[g] >= target else ", MISSED"))
            lines.append(f"  {g:<24} {100 * m[g]:5.1f}% of {m['n'][g]}{mark}")
    for key, label in (("same_kind_stripped", "same kind without marks"),
                       ("faq_same_stripped", "FAQ top-1 same without marks")):
        mark = "" if m[key] >= TARGETS[key] else ", MISSED"
        lines.append(f"  {label:<24} {100 * m[key]:5.1f}%  (target {100 * TARGETS[key]:.0f}%{mark})")
    if show_errors:
        lines.append("  errors (group | text | gold | predicted | confidence | asks):")
        lines += [f"    {g} | {t} | {k} | {p} | {conf} | {asks}" for g, t, k, p, conf, asks in m["errors"]]
    return "\n".join(lines) + "\n"


def figures(m: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items() if k != "errors"}


def main(argv: list[str]) -> int:
    from intents.faq import load_faq

    split = next((a for a in argv if not a.startswith("-") and not a.isdigit()), "dev")
    batch = int(argv[argv.index("--batch") + 1]) if "--batch" in argv else None
    m = metrics(Classifier(), load_faq(None), read_rows(split, batch))
    sys.stdout.write(format_metrics(split, m, "--errors" in argv))
    sys.stdout.write(json.dumps(figures(m), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
