"""Ward-specific facts in FAQ answers (pure: no files, no database).

An answer names what only the ward knows as a slot, "{gio_lam_viec}", filled from the ward
profile (WARD_PROFILE_FILE, read by handlers/ward_profile.py). Whatever is still a gap after
filling — a slot the profile lacks, or an old-style "[điền …]" note an officer left — keeps the
entry from being sent: a resident never reads template text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

SLOT = re.compile(r"\{([A-Za-z0-9_]+)\}")
# "[điền giờ làm việc]", "[Cán bộ phường điền …]", typed without marks too; or an empty "[]"/"[…]".
GAP = re.compile(r"\[[^\[\]\n]*(?:điền|dien)[^\[\]\n]*\]|\[\s*(?:…|\.\.\.)?\s*\]", re.I)


@dataclass(frozen=True)
class Filled:
    text: str
    missing: tuple[str, ...]  # slot names the profile lacks, then any "[…]" gap as written


def fill(text: str, profile: Mapping[str, str]) -> Filled:
    missing: list[str] = []

    def value(m: re.Match) -> str:
        v = (profile.get(m.group(1).lower()) or "").strip()
        if not v:
            missing.append(m.group(1))
            return m.group(0)
        return v

    out = SLOT.sub(value, text)
    # A value can itself be a left-over note ("[điền sau]"): checked after filling.
    missing += [g.group(0) for g in GAP.finditer(unicodedata.normalize("NFC", out))]
    return Filled(out, tuple(dict.fromkeys(missing)))


def fill_answer(answer: str, source: str, profile: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]]:
    """(answer, source, missing) — the source is shown to residents too."""
    a, s = fill(answer, profile), fill(source or "", profile)
    return a.text, s.text, tuple(dict.fromkeys(a.missing + s.missing))


def entry_gaps(entries, profile: Mapping[str, str]) -> list[tuple[int, object, tuple[str, ...]]]:
    """(1-based entry number, entry, missing) for every entry that cannot be sent as it is."""
    out = []
    for n, e in enumerate(entries, start=1):
        missing = fill_answer(e.answer, e.source, profile)[2]
        if missing:
            out.append((n, e, missing))
    return out
