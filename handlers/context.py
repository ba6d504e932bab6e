"""What every handler gets besides the event: the unit of work and the resident's state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

from sqlalchemy.orm import Session

from storage import outbox
from storage.messages import Reply
from storage.models import Conversation, Resident


class Settings(Protocol):
    """The settings handlers read. The service's Settings (bot/settings.py) has them all; handlers
    name only what they use, so they never import the composition root above them."""
    ward_name: str
    response_working_days: int
    officer_zalo_ids: tuple[str, ...]
    deadlines_file: str
    holidays_file: str
    ward_profile_file: str
    retention_days_outbox_payload: int

    @property
    def is_production(self) -> bool: ...


class Nlu(Protocol):
    def classify(self, text: str): ...
    def ask_faq(self, text: str): ...


@dataclass
class Context:
    session: Session
    settings: Settings
    nlu: Nlu
    resident: Resident
    conversation: Conversation
    now: datetime
    event_id: int | None = None
    text: str = ""
    sent: list[Reply] = field(default_factory=list)

    @cached_property
    def classification(self):
        return self.nlu.classify(self.text)

    def reply(self, reply: Reply, *, purpose: str = "reply", ticket_id: int | None = None) -> None:
        """Queue a reply to this resident; the outbox sends it after the transaction commits
        (in the channel's own shape: bot/runtime/sender.py)."""
        self.sent.append(reply)
        outbox.enqueue(
            self.session,
            self.resident.zalo_user_id,
            reply.payload(),
            purpose=purpose,
            ticket_id=ticket_id,
            event_id=self.event_id,
        )

    def notify(self, recipient_id: str, text: str, *, purpose: str, ticket_id: int | None = None) -> None:
        """Queue a message to someone other than this resident (an officer)."""
        outbox.enqueue(
            self.session, recipient_id, Reply(text).payload(), purpose=purpose,
            ticket_id=ticket_id, event_id=self.event_id,
        )
