"""Officers' corrections as labelled examples the classifier learns from.

A correction of a ticket's kind or topic (CLI, sheet) updates the ticket, leaves an audit
event, and adds a `learned_examples` row. Every process that classifies runs a
LearningClassifier, which before each classification asks the database for rows newer than
the last one it has seen (one indexed primary-key query) and learns them, so a correction made
by another process takes effect on the very next message, with no restart.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intents.classify import Classification, Classifier
from intents.normalize import normalize
from intents.taxonomy import TICKET_KINDS, check_kind, check_topic
from storage.models import LearnedExample, Ticket, utcnow

log = logging.getLogger(__name__)


def add_example(
    session: Session,
    text: str,
    kind: str | None,
    topic: str | None,
    source: str,
    ticket_id: int | None = None,
) -> LearnedExample:
    check_kind(kind)
    check_topic(topic)
    text = normalize(text)
    if not text:
        raise ValueError("empty text: nothing to learn from")
    if kind is None and topic is None:
        raise ValueError("give a kind, a topic, or both")
    row = LearnedExample(text=text, kind=kind, topic=topic, source=source, ticket_id=ticket_id,
                         created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def examples_after(session: Session, last_id: int, limit: int | None = None) -> list[LearnedExample]:
    query = select(LearnedExample).where(LearnedExample.id > last_id).order_by(LearnedExample.id)
    if limit:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def correct_ticket(
    session: Session,
    code: str,
    kind: str | None = None,
    topic: str | None = None,
    actor: str = "cli",
) -> Ticket:
    """Set a ticket's kind and/or topic as an officer decided, and learn from it."""
    if kind is None and topic is None:
        raise ValueError("give --kind, --topic, or both")
    check_kind(kind)
    check_topic(topic)
    # A ticket stays a ticket: its kind must be one that has a ticket code prefix.
    if kind is not None and kind not in TICKET_KINDS:
        raise ValueError(f"a ticket's kind must be one of {', '.join(TICKET_KINDS)}, not {kind!r}")
    code = (code or "").strip().upper()
    ticket = session.execute(select(Ticket).where(Ticket.code == code)).scalar_one_or_none()
    if ticket is None:
        raise LookupError(f"no ticket with code {code}")
    # Imported lazily: storage.tickets pulls in more than the learning glue needs.
    from storage.tickets import change

    change(session, ticket, actor, **{f: v for f, v in (("kind", kind), ("topic", topic)) if v is not None})
    if ticket.text and ticket.text.strip():
        add_example(session, ticket.text, kind if kind is not None else ticket.kind,
                    topic if topic is not None else ticket.topic, source=actor, ticket_id=ticket.id)
    session.flush()
    return ticket


class LearningClassifier:
    """intents.Classifier plus the database's learned examples, kept current cheaply.

    `session_factory` is a context manager factory such as storage.db.session_scope. The check
    is a `SELECT max(id)`; at most every `min_interval` seconds (0 = before every call)."""

    def __init__(
        self,
        session_factory: Callable,
        classifier: Classifier | None = None,
        min_interval: float = 0.0,
    ) -> None:
        self.classifier = classifier or Classifier()
        self._session_factory = session_factory
        self._last_id = 0
        self._checked_at = 0.0
        self._min_interval = min_interval
        self._lock = threading.Lock()

    @property
    def example_count(self) -> int:
        return self.classifier.example_count

    @property
    def last_id(self) -> int:
        return self._last_id

    def refresh(self) -> int:
        """Learn rows added since the last check; returns how many. Never raises: a database
        hiccup must not stop residents' messages from being classified."""
        with self._lock:
            now = time.monotonic()
            if self._min_interval and now - self._checked_at < self._min_interval:
                return 0
            self._checked_at = now
            try:
                with self._session_factory() as session:
                    top = session.execute(select(func.max(LearnedExample.id))).scalar()
                    if not top or top <= self._last_id:
                        return 0
                    rows = [(r.id, r.text, r.kind, r.topic) for r in examples_after(session, self._last_id)]
            except Exception:  # noqa: BLE001 - logged, classification goes on
                log.exception("không đọc được câu mẫu đã học")
                return 0
            for row_id, text, kind, topic in rows:
                try:
                    self.classifier.learn(text, kind, topic)
                except ValueError:
                    log.warning("bỏ qua câu mẫu đã học %s: nhãn không hợp lệ", row_id)
                self._last_id = max(self._last_id, row_id)
            return len(rows)

    def classify(self, text: str) -> Classification:
        self.refresh()
        return self.classifier.classify(text)

    def learn(self, text: str, kind: str | None = None, topic: str | None = None) -> None:
        self.classifier.learn(text, kind, topic)
