"""Failpoints: deterministic crash injection for the kill -9 tests.

HTS_FAILPOINTS="worker.before_commit=3" makes the process die with os._exit(137) the third
time it reaches that point: like SIGKILL, nothing is flushed, committed or cleaned up.
HTS_FAILPOINTS="worker.after_urgent_alert=raise" raises FailpointError there every time instead:
the rest of the work fails the way a bug would, and the process carries on.
Unset (production), `hit()` is a dictionary lookup and nothing else.
"""
from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_counts: dict[str, int] = {}
RAISE = 0  # a point's value meaning "raise FailpointError", not "die on the Nth hit"


class FailpointError(RuntimeError):
    pass


def _parse(spec: str) -> dict[str, int]:
    points = {}
    for item in spec.split(","):
        if "=" in item:
            name, n = item.split("=", 1)
            n = n.strip()
            points[name.strip()] = RAISE if n == "raise" else int(n)
    return points


_POINTS = _parse(os.environ.get("HTS_FAILPOINTS", ""))


def hit(name: str) -> None:
    if not _POINTS or name not in _POINTS:
        return
    if _POINTS[name] == RAISE:
        raise FailpointError(name)
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
        if _counts[name] >= _POINTS[name]:
            os._exit(137)
