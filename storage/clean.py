"""Cleaning what strangers send before it is stored, logged or shown (pure: no DB, no HTTP).

Why each rule exists:
- NUL: PostgreSQL refuses it in any text column, SQLite takes it: one character made the same
  urgent report a ticket on one database and an error on the other.
- Lone surrogates (a JSON "\\ud800" without its pair, or bytes that were not UTF-8 decoded with
  surrogateescape): no database driver can encode them.
- BOM / U+FFFE / U+FFFF and other C0/C1 controls: invisible, and they split words for the NLU.
- Bidi overrides (U+202A-U+202E, U+2066-U+2069): make an officer's sheet show text in another
  order than it was typed ("Trojan source" style).
Line breaks and tabs are kept: residents write addresses on several lines.
"""
from __future__ import annotations

import math
import re
import traceback
from pathlib import Path

_DROP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"   # controls, except \t \n \r
    "\ud800-\udfff"                          # surrogates: in a str they are always unpaired
    "\ufeff\ufffe\uffff"                     # BOM and non-characters
    "\u202a-\u202e\u2066-\u2069]"            # bidi embeddings, overrides and isolates
)
ELLIPSIS = "…"


def clean_text(value: str | None) -> str | None:
    """Resident text without the characters above; None stays None."""
    if value is None:
        return None
    if value.isascii() and value.isprintable():
        return value  # the common case, without a regex pass
    return _DROP.sub("", value)


def clip(value: str | None, limit: int) -> str | None:
    """At most `limit` characters; a cut value ends in "…" so nobody mistakes it for whole."""
    if value is None or len(value) <= limit:
        return value
    return value[: max(0, limit - 1)] + ELLIPSIS


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str, limit: int | None) -> str:
    """A string any of our databases will take into a column of `limit` characters: NUL and
    lone surrogates out (PostgreSQL refuses the one, every driver the other), cut with "…"."""
    if "\x00" in value or not value.isascii():
        value = _UNSTORABLE.sub("", value)
    return clip(value, limit) if limit else value


def finite_int(value, low: int, high: int) -> int | None:
    """A number read from a stranger's JSON, or None ("absent") for anything odd: NaN,
    ±Infinity, 1e400, a 5,000-digit integer, a bool, or a value outside [low, high]."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value or len(value) > 32:
            return None
    try:
        number = float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError, OverflowError):
        return None
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        number = int(number)
    return number if low <= number <= high else None


_DIGITS = re.compile(r"\d[\d .\-]{3,}\d")          # phone numbers, ids
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\([^()]*=[^()]*\)")  # SQL literals, "Key (x)=(...)"
_MAX_MESSAGE = 160


def safe_for_log(value, limit: int = 64) -> str:
    """A request value fit for one log line: repr-escaped (a newline cannot start a forged
    line) and truncated."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:limit])[1:-1] + ("…" if len(text) > limit else "")


def redact_error(exc: BaseException) -> str:
    """What `last_error` and the log keep of a failure: the error's kind, its first line with
    literals and digit runs masked, and where it happened. Never the SQL parameters (the engines
    hide them too), never a DETAIL line (PostgreSQL repeats key values there)."""
    kind = type(exc).__name__
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    if orig is not None:
        kind = f"{kind}({type(orig).__name__})"
        message = str(orig)
    else:
        message = str(exc)
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = first.split("[SQL:")[0].split("DETAIL:")[0]
    first = _QUOTED.sub("'…'", first)
    first = _DIGITS.sub("#", first)
    first = clip(safe_for_log(first, _MAX_MESSAGE * 2), _MAX_MESSAGE)
    where = ""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if frames:
        last = frames[-1]
        where = f" at {Path(last.filename).name}:{last.lineno} in {last.name}"
    return f"{kind}: {first}{where}" if first else f"{kind}{where}"
