"""The neutral inbound-event type every channel's payload is turned into.

Handlers see only this, never Flask or a channel's JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    type: str  # image | file | location | sticker | link | audio | video | gif
    url: str | None = None
    name: str | None = None
    size: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    thumbnail: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Inbound:
    source: str  # zalo | form
    event_name: str
    event_key: str  # deduplication key
    user_id: str | None  # the resident's Zalo id (sender), if any
    kind: str  # text | media | follow | unfollow | submit_info | echo | receipt | unknown
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    timestamp_ms: int | None = None
    msg_id: str | None = None
    display_name: str | None = None
    info: dict = field(default_factory=dict)

    @property
    def actionable(self) -> bool:
        """Whether handlers should see it at all (echoes, receipts and unknown events: no)."""
        return self.kind in ("text", "media", "follow", "unfollow", "submit_info") and bool(
            self.user_id
        )
