"""Reading a stranger's request body: decoded once, bounded, before any real work.

It lives in storage because the same reading serves twice: the webhooks read a request with it
before storing anything, and the worker reads the stored payload back with it (the same bounds,
the same numbers) without reaching up into the webhook package.

Every webhook parses its body through `read_json`, which refuses (returns an error for a 4xx)
instead of raising: a 10,000-level nested array used to reach json's recursion limit and
answer 500 with a traceback per request, before the signature was even looked at (the Zalo
mac covers app_id and timestamp that are inside the body, so the body has to be parsed first;
here that parse is bounded). Numbers JSON cannot carry faithfully (NaN, ±Infinity, 1e400,
integers of more than 40 digits) stay as the text that was sent (OddNumber): the mac is made
over the timestamp as written, and every reader of a number (storage.clean.finite_int) takes
them as absent, never as an OverflowError.
"""
from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 32   # Zalo's envelopes are 4 levels deep; a form's answers 3
_BRACKETS = re.compile(rb"[\[\]{}]")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


class BadBody(ValueError):
    """The body is not JSON we will read; str() is a short, fixed reason for the 4xx."""


def decode(raw: bytes) -> str:
    """The body as text: UTF-8 (with or without a BOM), or UTF-16/32 as JSON's spec allows
    (json.detect_encoding). Invalid bytes are refused, never replaced: the signature was made
    over these bytes, and a guessed character in a resident's report is worse than a 400."""
    encoding = json.detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise BadBody("body is not UTF-8 text") from None
    return text[1:] if text.startswith("\ufeff") else text


def _too_deep(raw: bytes) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False  # every real event: no scan at all
    depth = 0
    for m in _BRACKETS.finditer(_STRING.sub(b'""', raw)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


class OddNumber(str):
    """A JSON number (or NaN/Infinity) no field of ours can use, kept as its text."""


def _number(text: str):
    value = float(text)
    return value if math.isfinite(value) else OddNumber(text)


def _integer(text: str):
    return int(text) if len(text) <= 40 else OddNumber(text)


def parse(text: str, utf8: bytes | None = None):
    """json.loads with the bounds above (`utf8`: the text's UTF-8 bytes, if at hand). Raises
    BadBody."""
    if _too_deep(utf8 if utf8 is not None else text.encode("utf-8", "surrogatepass")):
        raise BadBody("JSON nested too deeply")
    try:
        return json.loads(text, parse_constant=OddNumber, parse_float=_number,
                          parse_int=_integer)
    except RecursionError:  # belt and braces: the depth scan already refused it
        raise BadBody("JSON nested too deeply") from None
    except ValueError:
        raise BadBody("malformed JSON") from None


def read_json(raw: bytes) -> tuple[str, object]:
    """(decoded text, parsed value). Raises BadBody."""
    text = decode(raw)
    plain_utf8 = json.detect_encoding(raw) == "utf-8"  # then the bytes are the text's UTF-8
    return text, parse(text, raw if plain_utf8 else None)
