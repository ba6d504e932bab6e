"""The worker's language understanding, wired to the database: a classifier that keeps up with
officers' corrections (storage.learning.LearningClassifier) and the FAQ from FAQ_FILE.

What the worker calls (`Runtime.nlu`): `classify(text)` and `ask_faq(text)`.
"""
from __future__ import annotations

import logging

from intents.classify import Classification, Classifier
from intents.faq import FaqIndex, FaqMatch, load_faq

log = logging.getLogger(__name__)


class NluService:
    def __init__(self, settings=None, *, session_factory=None, faq: FaqIndex | None = None,
                 classifier: Classifier | None = None) -> None:
        from storage.learning import LearningClassifier

        if session_factory is None:
            from storage.db import session_scope as session_factory
        # A correction reaches the worker within a second: checking before every event cost
        # more than the rest of the NLU (bench-ingest end-to-end profile).
        self.classifier = LearningClassifier(session_factory, classifier or Classifier(),
                                             min_interval=1.0)
        faq_file = getattr(settings, "faq_file", "") or None
        self.faq = faq or load_faq(faq_file)

    def refresh(self) -> int:
        """Pick up officers' new corrections. The worker calls this between events, never
        inside an event's transaction: a second connection there would wait on SQLite's (or
        our flock's) write lock held by that same transaction."""
        return self.classifier.refresh()

    def classify(self, text: str) -> Classification:
        return self.classifier.classifier.classify(text)

    def ask_faq(self, text: str) -> FaqMatch | None:
        return self.faq.ask(text)
