"""The labelled sets, as intents/data/sets.toml lists them: which file is for learning, which is
held out, who wrote it and what it scored on its first run. Training (intents/training.py) and
evaluation (intents/evaluate.py, intents/real_text.py) both read it, so a set changes role in
one place.
"""
from __future__ import annotations

import datetime
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from intents.normalize import DATA_DIR

SETS_FILE = DATA_DIR / "sets.toml"
ROLES = ("seed", "training", "heldout", "real_dev", "real_heldout")


@dataclass(frozen=True)
class LabelledSet:
    name: str
    role: str
    writer: str
    date: datetime.date
    classify: Path | None = None  # text,kind,topic,urgent
    faq: Path | None = None  # query,expected
    real: Path | None = None  # text,kind,group,source,licence,batch
    # A training set that was held out once, measured and looked at: the evaluation scores it
    # with models built without it.
    retired: bool = False
    note: str = ""
    first_run: dict = field(default_factory=dict)
    first_runs: tuple[dict, ...] = ()

    def files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.classify, self.faq, self.real) if p is not None)


def _entry(raw: dict, data_dir: Path) -> LabelledSet:
    if raw["role"] not in ROLES:
        raise ValueError(f"{raw['name']}: role {raw['role']!r} is not one of {', '.join(ROLES)}")
    paths = {key: data_dir / raw[key] for key in ("classify", "faq", "real") if key in raw}
    return LabelledSet(
        name=raw["name"], role=raw["role"], writer=raw["writer"], date=raw["date"],
        retired=raw.get("retired", False), note=raw.get("note", ""),
        first_run=raw.get("first_run", {}), first_runs=tuple(raw.get("first_runs", ())), **paths)


@lru_cache(maxsize=1)
def manifest() -> tuple[LabelledSet, ...]:
    """Every labelled set, in the file's order (the order the models learn them)."""
    with open(SETS_FILE, "rb") as fh:
        raw = tomllib.load(fh)["set"]
    sets = tuple(_entry(entry, SETS_FILE.parent) for entry in raw)
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise ValueError(f"{SETS_FILE}: a set name is listed twice")
    return sets


def by_role(role: str) -> tuple[LabelledSet, ...]:
    return tuple(s for s in manifest() if s.role == role)


def get(name: str) -> LabelledSet:
    for s in manifest():
        if s.name == name:
            return s
    raise KeyError(f"no labelled set named {name!r} in {SETS_FILE}")


def retired_sets() -> tuple[str, ...]:
    """Names of the training sets that were held out once, oldest first."""
    return tuple(s.name for s in by_role("training") if s.retired)


def heldout_sets() -> tuple[str, ...]:
    """Names of the held-out sets, newest first (the first is the evaluation's headline)."""
    return tuple(s.name for s in sorted(by_role("heldout"), key=lambda s: s.date, reverse=True))


def learning_files(fmt: str, exclude: str | None = None) -> list[Path]:
    """The `fmt` ("classify" or "faq") files the models learn from, in learning order: the seed,
    the retired sets but `exclude`, then the sets written for training."""
    groups = (by_role("seed"),
              tuple(s for s in by_role("training") if s.retired and s.name != exclude),
              tuple(s for s in by_role("training") if not s.retired))
    return [getattr(s, fmt) for group in groups for s in group if getattr(s, fmt) is not None]
