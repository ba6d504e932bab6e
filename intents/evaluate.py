"""Evaluation of the classifier and the FAQ matcher on labelled sets (pure: files in, figures
out). The sets are those of intents/data/sets.toml with a classify and a faq file:
- HELD_OUT (role heldout: TEST21, TEST11; TEST11's errors have never been looked at): never
  used for tuning or training, written by someone who never saw the classifier, its data or the
  other sets. The newest is the headline.
- RETIRED_SETS (role training, retired: DEV, TEST, TEST2 ... TEST20): each was held out once and
  has been measured and looked at since. They are training data now: seed examples of the
  classifier and the FAQ's paraphrase bank. Each is scored by models built without it
  (leave-one-set-out), so no figure is on a message the models were given.

Every figure is also computed on the same messages with diacritics stripped, because many
residents type without them; the gap should stay under 2 points.
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from intents import sets
from intents.classify import Classifier
from intents.faq import FaqIndex
from intents.normalize import fold, normalize
from intents.taxonomy import KINDS, TOPIC_IDS
from intents.training import RETIRED_SETS


def strip_diacritics(text: str) -> str:
    """What a resident without a Vietnamese keyboard types: same case, no marks, đ -> d."""
    norm = normalize(text)
    folded = fold(norm)
    # fold() lower-cases; put the original case back letter by letter (lengths match for
    # Vietnamese, which only ever has one base letter per precomposed character).
    if len(folded) != len(norm):
        return folded
    return "".join(f.upper() if o.isupper() else f for o, f in zip(norm, folded))


@dataclass(frozen=True)
class Labelled:
    text: str
    kind: str
    topic: str | None
    urgent: bool


def read_classify_set(path: Path) -> list[Labelled]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [
            Labelled(r["text"], r["kind"], r.get("topic") or None, r.get("urgent", "0").strip() in ("1", "true"))
            for r in csv.DictReader(fh)
        ]


def read_faq_set(path: Path) -> list[tuple[str, str | None]]:
    """(query, expected KB question or None when the FAQ must decline)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(r["query"], r.get("expected") or None) for r in csv.DictReader(fh)]


def _prf(gold: list, pred: list, labels) -> dict[str, dict[str, float]]:
    out = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    return out


def classify_metrics(clf: Classifier, data: list[Labelled]) -> dict:
    preds = [clf.classify(x.text) for x in data]
    gold_k = [x.kind for x in data]
    pred_k = [p.kind for p in preds]
    kind_acc = sum(g == p for g, p in zip(gold_k, pred_k)) / max(len(data), 1)
    # Topic macro-F1 over messages that have a gold topic; predicting none counts as a miss.
    pairs = [(x.topic, p.topic) for x, p in zip(data, preds) if x.topic]
    gold_t = [g for g, _ in pairs]
    pred_t = [p or "-" for _, p in pairs]
    present = [t for t in TOPIC_IDS if t in gold_t]
    topic_prf = _prf(gold_t, pred_t, present)
    macro_f1 = sum(v["f1"] for v in topic_prf.values()) / max(len(present), 1)
    urgent_gold = [i for i, x in enumerate(data) if x.urgent]
    urgent_recall = sum(preds[i].urgent for i in urgent_gold) / max(len(urgent_gold), 1)
    flagged = [i for i, p in enumerate(preds) if p.urgent]
    urgent_precision = sum(data[i].urgent for i in flagged) / max(len(flagged), 1)
    kind_cm: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold_k, pred_k):
        kind_cm[g][p] += 1
    topic_cm: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold_t, pred_t):
        topic_cm[g][p] += 1
    errors = [
        (x.text, f"{x.kind}/{x.topic}/{int(x.urgent)}", f"{p.kind}/{p.topic}/{int(p.urgent)}")
        for x, p in zip(data, preds)
        if x.kind != p.kind or (x.topic and x.topic != p.topic) or x.urgent != p.urgent
    ]
    return {
        "n": len(data),
        "kind_accuracy": kind_acc,
        "topic_macro_f1": macro_f1,
        "urgent_recall": urgent_recall,
        "urgent_precision": urgent_precision,
        "kind_prf": _prf(gold_k, pred_k, KINDS),
        "topic_prf": topic_prf,
        "kind_confusion": kind_cm,
        "topic_confusion": topic_cm,
        "clarify_rate": sum(p.needs_clarification for p in preds) / max(len(data), 1),
        "errors": errors,
    }


def faq_metrics(index: FaqIndex, data: list[tuple[str, str | None]]) -> dict:
    answerable = [(q, e) for q, e in data if e]
    oos = [q for q, e in data if not e]
    hits = 0
    errors = []
    for q, expected in answerable:
        m = index.ask(q)
        if m is not None and m.question == expected:
            hits += 1
        else:
            errors.append((q, expected, m.question if m else None, m.score if m else index.best(q) and index.best(q).score))
    declined = 0
    for q in oos:
        m = index.ask(q)
        if m is None:
            declined += 1
        else:
            errors.append((q, None, m.question, m.score))
    return {
        "n_answerable": len(answerable),
        "n_out_of_scope": len(oos),
        "faq_top1": hits / max(len(answerable), 1),
        "oos_declined": declined / max(len(oos), 1),
        "errors": errors,
    }


def stripped(data: list[Labelled]) -> list[Labelled]:
    return [Labelled(strip_diacritics(x.text), x.kind, x.topic, x.urgent) for x in data]


def run(split: str, clf: Classifier, index: FaqIndex) -> dict:
    """All figures for one labelled set ("test21", "dev"...), plain and diacritics-stripped."""
    labelled = sets.get(split)
    cdata = read_classify_set(labelled.classify)
    fdata = read_faq_set(labelled.faq)
    c = classify_metrics(clf, cdata)
    cs = classify_metrics(clf, stripped(cdata))
    f = faq_metrics(index, fdata)
    fs = faq_metrics(index, [(strip_diacritics(q), e) for q, e in fdata])
    return {"classify": c, "classify_stripped": cs, "faq": f, "faq_stripped": fs}


# --- report -----------------------------------------------------------------------

def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def _confusion(cm: dict, labels: list[str], title: str) -> list[str]:
    short = {l: l[:6] for l in labels}
    cols = labels + (["-"] if any("-" in row for row in cm.values()) else [])
    lines = [title, "  gold\\pred   " + " ".join(f"{short.get(c, c):>6}" for c in cols)]
    for g in labels:
        if g in cm:
            lines.append(f"  {g[:12]:<12} " + " ".join(f"{cm[g].get(c, 0):>6}" for c in cols))
    return lines


def format_split(name: str, r: dict, show_errors: bool = False) -> str:
    out = [f"=== {name} ==="]
    for label, c in (("as written", r["classify"]), ("diacritics stripped", r["classify_stripped"])):
        out.append(f"[classify, {label}] n={c['n']}  kind accuracy {_pct(c['kind_accuracy'])}  "
                   f"topic macro-F1 {_pct(c['topic_macro_f1'])}  urgent recall {_pct(c['urgent_recall'])} "
                   f"(precision {_pct(c['urgent_precision'])})  asks to clarify {_pct(c['clarify_rate'])}")
    c = r["classify"]
    out.append("  per kind (precision / recall / support):")
    for k, v in c["kind_prf"].items():
        out.append(f"    {k:<13} {_pct(v['precision'])} / {_pct(v['recall'])} / {v['support']}")
    out.append("  per topic (precision / recall / support):")
    for k, v in c["topic_prf"].items():
        out.append(f"    {k:<18} {_pct(v['precision'])} / {_pct(v['recall'])} / {v['support']}")
    out += _confusion(c["kind_confusion"], list(KINDS), "  kind confusion (rows gold, columns predicted):")
    out += _confusion(c["topic_confusion"], list(TOPIC_IDS), "  topic confusion (rows gold, columns predicted):")
    for label, f in (("as written", r["faq"]), ("diacritics stripped", r["faq_stripped"])):
        out.append(f"[faq, {label}] top-1 {_pct(f['faq_top1'])} of {f['n_answerable']} paraphrases;  "
                   f"out-of-scope declined {_pct(f['oos_declined'])} of {f['n_out_of_scope']}")
    if show_errors:
        out.append("  classification errors (text | gold | predicted):")
        out += [f"    {t} | {g} | {p}" for t, g, p in c["errors"]]
        out.append("  faq errors (query | expected | got | score):")
        out += [f"    {q} | {e} | {g} | {s}" for q, e, g, s in r["faq"]["errors"]]
    return "\n".join(out) + "\n"


def figures(r: dict) -> dict:
    c, cs, f, fs = r["classify"], r["classify_stripped"], r["faq"], r["faq_stripped"]
    return {
        "kind_accuracy": round(c["kind_accuracy"], 4),
        "kind_accuracy_stripped": round(cs["kind_accuracy"], 4),
        "topic_macro_f1": round(c["topic_macro_f1"], 4),
        "topic_macro_f1_stripped": round(cs["topic_macro_f1"], 4),
        "urgent_recall": round(c["urgent_recall"], 4),
        "urgent_recall_stripped": round(cs["urgent_recall"], 4),
        "faq_top1": round(f["faq_top1"], 4),
        "faq_top1_stripped": round(fs["faq_top1"], 4),
        "oos_declined": round(f["oos_declined"], 4),
        "oos_declined_stripped": round(fs["oos_declined"], 4),
        "n_classify": c["n"],
        "n_faq": f["n_answerable"] + f["n_out_of_scope"],
    }


# Never used for training or tuning; asked of writers who never saw the models, their data or
# the other sets. The first (the newest) is the headline.
HELD_OUT = sets.heldout_sets()
SPLIT_LABELS = {
    **{name: f"{name.upper()} (training data now; scored by models trained without it)"
       for name in RETIRED_SETS},
    **{name: f"{name.upper()} (held out: written by someone who never saw the models)"
       for name in HELD_OUT},
}
# The held-out sets, newest first, then the retired ones (cross-validated), newest first.
SPLIT_NAMES = HELD_OUT + tuple(reversed(RETIRED_SETS))


def run_all(splits: str = "both", show_errors: bool = False,
            clf: Classifier | None = None, index: FaqIndex | None = None) -> tuple[str, dict]:
    """Report text and the figures. With "both" (every split): the headline (the newest
    held-out set, else the newest retired one) at top level and the others nested under their
    names; with one split, that split's figures at top level.

    A retired set is part of the seed examples, so it is scored by a classifier built without
    it (leave-one-set-out): every figure is on messages the classifier was not given. The
    classifier uses only shipped data: learned corrections would make the figures depend on
    the machine the command runs on."""
    from intents.faq import load_faq

    names = list(SPLIT_NAMES) if splits in ("both", "all") else [splits]
    text = []
    figs: dict = {}
    for name in names:
        left_out = name if name in RETIRED_SETS else None
        split_clf = clf or Classifier(exclude_set=left_out)
        split_index = index or load_faq(None, exclude_set=left_out)
        r = run(name, split_clf, split_index)
        text.append(format_split(SPLIT_LABELS.get(name, name.upper()), r, show_errors))
        if name == names[0]:
            figs.update(figures(r))
            figs["split"] = name
        else:
            figs[name] = figures(r)
    return "\n".join(text), figs
