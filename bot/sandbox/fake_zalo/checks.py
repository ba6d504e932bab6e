"""What Zalo accepts: answers in Zalo's envelope, the request's parameters, message checks."""
from __future__ import annotations

import json
import unicodedata
from typing import Any

from flask import Response, g, jsonify, request

from bot.sandbox.fake_zalo.facts import (BUTTON_TYPES, ERRORS, MAX_BUTTON_PAYLOAD, MAX_BUTTON_TITLE,
                                         MAX_BUTTONS, MAX_TEXT_CHARS, TEMPLATE_TYPES)


def current_oa():
    """The OA (oa.FakeOA) the request being answered is for: the server's edge finds it from
    the access token before any route runs."""
    return g.fake_oa


def error(code: int, message: str | None = None) -> Response:
    return jsonify({"error": code, "message": message or ERRORS.get(code, "Error")})


def ok(data: Any = None) -> Response:
    body: dict[str, Any] = {"error": 0, "message": "Success"}
    if data is not None:
        body["data"] = data
    return jsonify(body)


def oauth_error(err: tuple[int, str, str]) -> Response:
    code, name, description = err
    return jsonify({"error": code, "error_name": name, "error_description": description})


def json_body() -> dict | None:
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else None


def recipient_of_request() -> str | None:
    body = request.get_json(force=True, silent=True) if request.method == "POST" and not request.files else None
    recipient = body.get("recipient") if isinstance(body, dict) else None
    if isinstance(recipient, dict):
        return str(recipient.get("user_id") or recipient.get("group_id") or "") or None
    return None


def data_param() -> dict | None:
    raw = request.args.get("data")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _check_buttons(buttons: Any) -> str | None:
    if not isinstance(buttons, list) or not buttons:
        return "buttons must be a non-empty list"
    if len(buttons) > MAX_BUTTONS:
        return f"at most {MAX_BUTTONS} buttons"
    for b in buttons:
        if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES:
            return "button type is invalid"
        if not isinstance(b.get("title"), str) or not b["title"] or len(b["title"]) > MAX_BUTTON_TITLE:
            return "button title is invalid"
        payload = b.get("payload")
        if b["type"].startswith("oa.query."):
            if not isinstance(payload, str) or not payload or len(payload) > MAX_BUTTON_PAYLOAD:
                return "button payload is invalid"
        elif not isinstance(payload, dict):
            return "button payload must be an object"
    return None


def _check_template(payload: Any, uploads: dict[str, int]) -> str | None:
    if not isinstance(payload, dict):
        return "attachment.payload is required"
    kind = payload.get("template_type")
    if kind is None:  # v3 text + buttons: buttons straight under payload
        return _check_buttons(payload.get("buttons"))
    if kind not in TEMPLATE_TYPES:
        return f"template_type {kind!r} is not supported"
    if kind == "button":  # the older shape with the text inside the payload
        if not isinstance(payload.get("text"), str):
            return "button template needs text"
        return _check_buttons(payload.get("buttons"))
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        return "exactly one element is required"
    element = elements[0]
    if kind == "media":
        if element.get("media_type") not in ("image", "gif"):
            return "media_type must be image or gif"
        if "attachment_id" in element:
            return None if element["attachment_id"] in uploads else "unknown attachment_id"
        return None if str(element.get("url", "")).startswith(("http://", "https://")) else "url is invalid"
    for key in ("title", "subtitle", "image_url"):  # request_user_info
        if not isinstance(element.get(key), str) or not element[key]:
            return f"request_user_info element needs {key}"
    return None


def check_message(message: Any, uploads: dict[str, int]) -> str | None:
    """None if Zalo would accept this `message` object, else why not (answered as -201)."""
    if not isinstance(message, dict):
        return "message is required"
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        return "message needs text or attachment"
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            return "text is invalid"
        if len(unicodedata.normalize("NFC", text)) > MAX_TEXT_CHARS:
            return f"text is longer than {MAX_TEXT_CHARS} characters"
    if attachment is not None:
        if not isinstance(attachment, dict):
            return "attachment is invalid"
        if attachment.get("type") == "template":
            return _check_template(attachment.get("payload"), uploads)
        if attachment.get("type") == "file":
            payload = attachment.get("payload")
            return None if isinstance(payload, dict) and payload.get("token") else "file token is required"
        return "attachment type is invalid"
    return None

