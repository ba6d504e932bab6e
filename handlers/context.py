"""What every handler gets besides the event: the unit of work and the resident's state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

from sqlalchemy.orm import Session

from bot.settings import Settings
from bot.texts import Reply
from storage import outbox
from storage.models import Conversation, Resident


class Nlu(Protocol):
    def classify(self, text: str): ...
    def ask_faq(self, text: str): ...


def build_message(reply: Reply) -> dict:
    # Imported here so handlers stay importable without the HTTP client's module loaded first.
    from bot.zalo.messages import text_message

    return text_message(reply.text, [(b, b) for b in reply.buttons] or None)


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
        """Queue a reply to this resident; the outbox sends it after the transaction commits."""
        self.sent.append(reply)
        outbox.enqueue(
            self.session,
            self.resident.zalo_user_id,
            build_message(reply),
            purpose=purpose,
            ticket_id=ticket_id,
            event_id=self.event_id,
        )

    def notify(self, recipient_id: str, text: str, *, purpose: str, ticket_id: int | None = None) -> None:
        """Queue a message to someone other than this resident (an officer)."""
        outbox.enqueue(
            self.session, recipient_id, build_message(Reply(text)), purpose=purpose,
            ticket_id=ticket_id, event_id=self.event_id,
        )
