"""POST /webhooks/zalo: verify, persist, answer. Nothing slow happens here.

Zalo retries anything that is not a 200 within ~2 s and may disable a failing webhook, so the
request does exactly three things: check the signature over the raw bytes, hand the raw event
to the inbox (storage.inbox.InboxWriter: committed to the database, once per event key; or,
with SQLite by default, storage.spool.SpoolInbox: appended to a local spool file that a drainer
moves into the database), and return 200. The inbox wakes the worker once the event is stored.
"""
from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from storage import inbox
from webhooks import zalo_events
from webhooks.signature import verify_zalo

log = logging.getLogger(__name__)
bp = Blueprint("zalo_webhook", __name__)
OK_BODY = b'{"ok":true}'


def _error(status: int, message: str):
    return jsonify({"ok": False, "error": message}), status


@bp.post("/webhooks/zalo")
def receive():
    # The hot path of the service: look the proxies up once (each costs a context lookup).
    app = current_app._get_current_object()
    req = request._get_current_object()
    settings = app.config["SETTINGS"]
    raw = req.get_data(cache=False)  # over MAX_CONTENT_LENGTH -> 413 before we get here
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "malformed JSON")
    if not isinstance(body, dict):
        return _error(400, "expected a JSON object")

    signature = req.headers.get("X-ZEvent-Signature")
    user_id = zalo_events.user_id_of(body)
    if not signature and not user_id:
        # The console's "test" ping may come unsigned and carries no resident event.
        log.info("webhook zalo: yêu cầu kiểm tra không ký, không có sự kiện cư dân: bỏ qua")
        return jsonify({"ok": True, "ignored": "unsigned ping"}), 200
    app_id = str(body.get("app_id") or "")
    timestamp = str(body.get("timestamp") or "")
    if app_id != settings.zalo_app_id or not verify_zalo(
        signature, app_id, raw, timestamp, settings.webhook_secret
    ):
        log.warning("webhook zalo: chữ ký sai (sự kiện %s), từ chối", str(body.get("event_name"))[:64])
        return _error(401, "invalid signature")

    event = zalo_events.parse(body)
    status = "pending" if event.actionable else "ignored"
    try:
        app.extensions["hts_inbox"].submit({
            "source": "zalo",
            "event_key": event.event_key[:255],
            "event_name": event.event_name[:64],
            "user_key": event.user_id,
            "payload": raw.decode("utf-8"),
            "status": status,
        })
    except inbox.InboxUnavailable as exc:
        log.error("webhook zalo: không lưu được sự kiện %s: %s (Zalo sẽ gửi lại)", event.event_key, exc)
        return _error(503, "temporarily unavailable")
    return Response(OK_BODY, status=200, mimetype="application/json")
