"""The fault suite: hostile bodies, poison records, outages, a full disk.

Hypothesis profiles: "ci" (the default, short: runs in `.ci/run`) and "soak" (long:
`HYPOTHESIS_PROFILE=soak .venv/bin/python -m pytest tests/e2e/faults`, what `./dev soak` runs).
"""
from __future__ import annotations

import os

import pytest

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, derandomize=False, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=100, **_COMMON)
settings.register_profile("soak", max_examples=5000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def _shared_nlu_parts():
    """One trained classifier and FAQ index for the whole suite (training one takes seconds;
    these tests teach it nothing, so sharing it changes no outcome)."""
    from intents.classify import Classifier
    from intents.faq import load_faq

    return Classifier(), load_faq(None)


@pytest.fixture()
def runtime(settings, app, _shared_nlu_parts):
    from bot.runtime.nlu import NluService
    from bot.runtime.process import Runtime

    classifier, faq = _shared_nlu_parts
    rt = Runtime(settings, scheduler=False, nlu=NluService(settings, classifier=classifier, faq=faq))
    yield rt
    rt.sender.close()
