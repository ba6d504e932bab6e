"""Zalo webhook events as Zalo posts them, signed as Zalo signs them: the one builder used by
the tests (tests/support.py), `./dev chat` (bot.sandbox.chat) and the ingest benchmark."""
from __future__ import annotations

import json
import time
import uuid

from webhooks.signature import zalo_header


def now_ms() -> str:
    return str(int(time.time() * 1000))


def user_event(app_id: str, oa_id: str, user_id: str, event_name: str, message: dict | None = None,
               *, user_id_by_app: str | None = None, timestamp: str | None = None, **extra) -> dict:
    """What Zalo posts when a resident does something in the OA chat (user_send_*): the resident
    as sender, the OA as recipient. `message` goes as given (see text, image, location)."""
    body = {"app_id": app_id, "user_id_by_app": user_id_by_app or user_id[::-1],
            "event_name": event_name, "timestamp": timestamp or now_ms(),
            "sender": {"id": user_id}, "recipient": {"id": oa_id}}
    if message is not None:
        body["message"] = message
    body.update(extra)
    return body


def follow_event(app_id: str, oa_id: str, user_id: str, *, source: str,
                 user_id_by_app: str | None = None) -> dict:
    return {"app_id": app_id, "oa_id": oa_id, "user_id_by_app": user_id_by_app or user_id[::-1],
            "event_name": "follow", "timestamp": now_ms(), "source": source,
            "follower": {"id": user_id}}


def text(content: str, msg_id: str | None = None) -> dict:
    return {"msg_id": msg_id or uuid.uuid4().hex, "text": content}


def image(url: str, thumbnail: str | None = None, caption: str = "", msg_id: str | None = None) -> dict:
    message = {"msg_id": msg_id or uuid.uuid4().hex,
               "attachments": [{"type": "image", "payload": {"url": url, "thumbnail": thumbnail or url}}]}
    if caption:
        message["text"] = caption
    return message


def location(lat: str, lng: str, msg_id: str | None = None) -> dict:
    return {"msg_id": msg_id or uuid.uuid4().hex, "attachments": [{"type": "location", "payload": {
        "coordinates": {"latitude": str(lat), "longitude": str(lng)}}}]}


def signed(body: dict, secret: str) -> tuple[bytes, dict]:
    """The raw bytes and the headers Zalo sends: X-ZEvent-Signature over app id, body,
    timestamp and the OA secret key."""
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return raw, {"X-ZEvent-Signature": zalo_header(body["app_id"], raw, body["timestamp"], secret),
                 "Content-Type": "application/json"}
