"""Zalo message JSON (the body's "message"), built from text, buttons and images: the only
place that knows the shapes and limits Zalo OA accepts (see /work/shared/zalo-oa-facts.md)."""
from __future__ import annotations

import unicodedata
from typing import Any

MAX_TEXT_CHARS = 2000          # per text, counted after NFC
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
ELLIPSIS = "…"


def fit_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """NFC-normalise and, if too long, cut at a word boundary near the limit, ending with '…'.
    Never splits a base letter from a combining mark."""
    text = unicodedata.normalize("NFC", text)
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    space = text.rfind(" ", max(0, cut - 40), cut + 1)  # prefer a word boundary nearby
    if space > 0:
        cut = space
    return text[:cut].rstrip() + ELLIPSIS


def _button(spec: tuple[str, str] | dict) -> dict:
    """("Title", "payload") -> an oa.query.show button; a dict is taken as a full button
    (e.g. {"title":..., "type":"oa.open.url", "payload":{"url":...}})."""
    if isinstance(spec, dict):
        button = dict(spec)
    else:
        title, payload = spec
        if len(payload) > MAX_BUTTON_PAYLOAD:
            raise ValueError(f"button payload longer than {MAX_BUTTON_PAYLOAD} characters")
        button = {"title": title, "type": "oa.query.show", "payload": payload}
    button["title"] = fit_text(button["title"], MAX_BUTTON_TITLE)
    return button


def text_message(text: str, buttons: list[tuple[str, str] | dict] | None = None) -> dict:
    """Text, optionally with up to 5 buttons. Shape Zalo v3 accepts:
    {"text": ..., "attachment": {"type": "template", "payload": {"buttons": [...]}}}.
    An oa.query.show button comes back as a user_send_text whose text is the payload."""
    message: dict[str, Any] = {"text": fit_text(text)}
    if buttons:
        if len(buttons) > MAX_BUTTONS:
            raise ValueError(f"at most {MAX_BUTTONS} buttons, got {len(buttons)}")
        message["attachment"] = {"type": "template",
                                 "payload": {"buttons": [_button(b) for b in buttons]}}
    return message


def image_message(source: str, caption: str | None = None) -> dict:
    """An image by public URL (http/https) or by an attachment_id from upload_image()."""
    key = "url" if source.startswith(("http://", "https://")) else "attachment_id"
    message: dict[str, Any] = {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", key: source}]}}}
    if caption:
        message["text"] = fit_text(caption)
    return message


def request_user_info_message(title: str, subtitle: str, image_url: str) -> dict:
    """Ask for name/phone/address; the answer arrives later as a user_submit_info event."""
    return {"attachment": {"type": "template", "payload": {
        "template_type": "request_user_info",
        "elements": [{"title": fit_text(title, 100), "subtitle": fit_text(subtitle, 500),
                      "image_url": image_url}]}}}
