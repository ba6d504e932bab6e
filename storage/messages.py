"""The neutral messages: what a resident sends (Inbound, from any channel's payload) and what
the service answers (Reply, Picture).

They live in storage, below handlers, because they are what storage keeps: the inbox holds
what becomes an Inbound, and the outbox queues Reply and Picture as `payload()` dicts. So
handlers, webhooks, sheets_sync and bot all use one definition without importing upwards, and
handlers never see Flask or a channel's JSON. Turning a payload into Zalo's message JSON is
the Zalo layer's job, at send time (bot/runtime/sender.py).
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


@dataclass(frozen=True)
class Reply:
    """A text, with buttons whose titles are also what a tap sends back."""
    text: str
    buttons: tuple[str, ...] = ()

    def payload(self) -> dict:
        return {"text": self.text, "buttons": list(self.buttons)}


@dataclass(frozen=True)
class Picture:
    """An image by public URL or by the id the channel gave an uploaded file, maybe captioned."""
    source: str
    caption: str | None = None

    def payload(self) -> dict:
        return {"image": self.source, "caption": self.caption}


Outgoing = Reply | Picture


def outgoing(payload: dict) -> Outgoing:
    """The message an outbox payload (Reply.payload(), Picture.payload()) stands for."""
    if "image" in payload:
        return Picture(payload["image"], payload.get("caption"))
    return Reply(payload["text"], tuple(payload["buttons"]))
