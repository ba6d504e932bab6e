"""The fault suite: hostile bodies, poison records, outages, a full disk.

Hypothesis profiles: "ci" (the default, short: runs in `.ci/run`) and "soak" (long:
`HYPOTHESIS_PROFILE=soak .venv/bin/python -m pytest tests/faults`, what `./dev soak` runs).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, derandomize=False, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=100, **_COMMON)
settings.register_profile("soak", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
