"""Zalo OA webhook payloads -> Inbound. Pure and defensive: Zalo's shapes vary ([check] points
in the facts sheet), so missing or oddly typed fields degrade to None, never to an exception.

Beside the inbox that keeps these payloads: the webhook reads the event's key and sender with
it before storing, and the worker turns the stored payload into the neutral Inbound with it."""
from __future__ import annotations

from typing import Any

from storage.clean import clean_text, finite_int, safe_for_log
from storage.messages import Attachment, Inbound

MAX_ID_CHARS = 64  # the width of every Zalo id column

MEDIA_EVENTS = {
    "user_send_image": "image",
    "user_send_location": "location",
    "user_send_file": "file",
    "user_send_sticker": "sticker",
    "user_send_link": "link",
    "user_send_audio": "audio",
    "user_send_video": "video",
    "user_send_gif": "gif",
    "user_send_business_card": "business_card",
}
RECEIPT_EVENTS = {"user_received_message", "user_seen_message", "user_reacted_message"}


def _str(value: Any) -> str | None:
    """A field as clean text (storage.clean: no NUL, lone surrogate, BOM, bidi override)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = clean_text(str(value)).strip()
    return text or None


def _float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if -180.0 <= f <= 180.0 else None


def _int(value: Any, high: int = 10**15) -> int | None:
    """Timestamps (ms), sizes: NaN, ±Infinity, 1e400, huge or negative numbers are absent."""
    return finite_int(value, 0, high)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _location(payload: dict) -> tuple[float | None, float | None]:
    coords = _dict(payload.get("coordinates")) or payload
    lat = coords.get("latitude", coords.get("lat"))
    lng = coords.get("longitude", coords.get("long", coords.get("lng")))
    return _float(lat), _float(lng)


def parse_attachments(message: dict, default_type: str | None) -> tuple[Attachment, ...]:
    items = message.get("attachments")
    if not isinstance(items, list):
        return ()
    result = []
    for item in items[:20]:
        item = _dict(item)
        payload = _dict(item.get("payload"))
        kind = _str(item.get("type")) or default_type or "file"
        lat, lng = _location(payload) if kind == "location" else (None, None)
        result.append(
            Attachment(
                type=kind,
                url=_str(payload.get("url")),
                name=_str(payload.get("name")),
                size=_int(payload.get("size")),
                latitude=lat,
                longitude=lng,
                thumbnail=_str(payload.get("thumbnail")),
            )
        )
    return tuple(result)


KNOWN_EVENTS = {"user_send_text", "follow", "unfollow", "user_submit_info", *MEDIA_EVENTS,
                *RECEIPT_EVENTS}


def name_for_log(body: dict) -> str:
    """The event name fit for a log line: a known name as is, anything else escaped and cut
    (an unsigned body's event_name with a newline must not write a line of its own)."""
    name = body.get("event_name")
    if isinstance(name, str) and (name in KNOWN_EVENTS or name.startswith("oa_send_")) \
            and name.isidentifier():
        return name
    return safe_for_log(name, 40)


def user_id_of(body: dict) -> str | None:
    name = _str(body.get("event_name")) or ""
    if name in ("follow", "unfollow"):
        return _str(_dict(body.get("follower")).get("id"))
    if name.startswith("oa_send"):
        return _str(_dict(body.get("recipient")).get("id"))
    return _str(_dict(body.get("sender")).get("id"))


def oa_id_of(body: dict) -> str:
    """The OA an event is for: `oa_id` on follow/unfollow, the sender of the OA's own messages
    (oa_send_* echoes), else the recipient of the resident's message."""
    name = _str(body.get("event_name")) or ""
    if body.get("oa_id") is not None:
        return _str(body.get("oa_id")) or ""
    side = "sender" if name.startswith("oa_send") else "recipient"
    return _str(_dict(body.get(side)).get("id")) or ""


def event_key(body: dict) -> str:
    name = _str(body.get("event_name")) or "unknown"
    msg_id = _str(_dict(body.get("message")).get("msg_id"))
    if msg_id:
        return f"zalo:msg:{msg_id}"
    return f"zalo:{name}:{user_id_of(body) or '-'}:{_str(body.get('timestamp')) or '-'}"


def parse(body: dict) -> Inbound:
    name = _str(body.get("event_name")) or "unknown"
    message = _dict(body.get("message"))
    user_id = user_id_of(body)
    common = dict(
        source="zalo",
        event_name=name,
        event_key=event_key(body),
        user_id=user_id,
        timestamp_ms=_int(body.get("timestamp")),
        msg_id=_str(message.get("msg_id")),
    )
    text = clean_text(message.get("text")) if isinstance(message.get("text"), str) else ""
    if name.startswith("oa_send"):
        return Inbound(kind="echo", **common)
    if name in RECEIPT_EVENTS:
        return Inbound(kind="receipt", **common)
    if name == "user_send_text":
        return Inbound(kind="text", text=text, **common)
    if name in MEDIA_EVENTS:
        return Inbound(
            kind="media",
            text=text,
            attachments=parse_attachments(message, MEDIA_EVENTS[name]),
            **common,
        )
    if name in ("follow", "unfollow"):
        return Inbound(kind=name, **common)
    if name == "user_submit_info":
        info = _dict(body.get("info")) or _dict(_dict(body.get("message")).get("info"))
        return Inbound(kind="submit_info", info={k: _str(v) for k, v in info.items()}, **common)
    return Inbound(kind="unknown", **common)
