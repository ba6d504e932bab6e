"""POST /webhooks/zalo: verify, persist, answer. Nothing slow happens here.

Zalo retries anything that is not a 200 within ~2 s and may disable a failing webhook, so the
request does exactly three things: check the signature over the raw bytes, hand the raw event
to the inbox (storage.inbox.InboxWriter: committed to the database, once per event key; or,
with SQLite by default, storage.spool.SpoolInbox: appended to a local spool file that a drainer
moves into the database), and return 200. The inbox wakes the worker once the event is stored.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from storage import inbox
from storage.clean import redact_error
from storage import zalo_events
from storage.raw_json import BadBody, read_json
from webhooks.signature import verify_zalo

log = logging.getLogger(__name__)
bp = Blueprint("zalo_webhook", __name__)
OK_BODY = b'{"ok":true}'


RETRY_AFTER_SECONDS = "30"


def _error(status: int, message: str):
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else {}
    return jsonify({"ok": False, "error": message}), status, headers


@bp.post("/webhooks/zalo")
def receive():
    return _receive(None)


@bp.post("/webhooks/zalo/<code>")
def receive_for_ward(code: str):
    """The explicit form: one URL per ward (an OA whose events should never be routed by id)."""
    return _receive(code)


def _receive(code: str | None):
    # The hot path of the service: look the proxies up once (each costs a context lookup).
    app = current_app._get_current_object()
    req = request._get_current_object()
    raw = req.get_data(cache=False)  # over MAX_CONTENT_LENGTH -> 413 before we get here
    try:
        # Bounded (depth, odd numbers) and decoded once: the mac needs app_id and timestamp
        # from inside the body, so this parse comes before the signature check.
        text, body = read_json(raw)
    except BadBody as exc:
        return _error(400, str(exc))
    if not isinstance(body, dict):
        return _error(400, "expected a JSON object")

    signature = req.headers.get("X-ZEvent-Signature")
    if not signature and not zalo_events.user_id_of(body):
        # The console's "test" ping may come unsigned and carries no resident event.
        log.info("webhook zalo: yêu cầu kiểm tra không ký, không có sự kiện cư dân: bỏ qua")
        return jsonify({"ok": True, "ignored": "unsigned ping"}), 200
    ward, refusal = _signed_ward(app, code, body, raw, signature)
    if refusal is not None:
        return refusal

    event = zalo_events.parse(body)
    status = "pending" if event.actionable else "ignored"
    user_key = event.user_id
    if user_key is not None and len(user_key) > zalo_events.MAX_ID_CHARS:
        # Zalo ids are numeric strings of about 19 digits: no resident we could answer. Kept
        # for the record and answered 200 (any other answer, Zalo delivers again and again).
        log.warning("webhook zalo: sự kiện %s đã ký nhưng user id không thể có, lưu lại và bỏ qua",
                    zalo_events.name_for_log(body))
        status, user_key = "ignored", None
    try:
        app.extensions["hts_inbox"].submit({
            "ward_id": ward.id,
            "source": "zalo",
            "event_key": event.event_key[:255],
            "event_name": event.event_name[:64],
            "user_key": user_key,
            # The exact bytes received when they are UTF-8 (nearly always); else the decoded
            # text, so the worker re-reads what the signature covered.
            "payload": text,
            "status": status,
        })
    except inbox.InboxUnavailable as exc:
        log.error("webhook zalo: không lưu được sự kiện (%s): %s (Zalo sẽ gửi lại)",
                  zalo_events.name_for_log(body), redact_error(exc.__cause__ or exc))
        return _error(503, "temporarily unavailable")
    return Response(OK_BODY, status=200, mimetype="application/json")


def _signed_ward(app, code: str | None, body: dict, raw: bytes, signature: str | None):
    """(the ward this event is for, None), or (None, the refusal): the ward named by the URL, or
    found from the event's OA id (app id when one ward has it), and the event signed with that
    ward's key, for that ward's app and, when several wards may share the app (and so its
    secret), for that ward's OA."""
    wards = app.extensions["hts_wards"]
    app_id = str(body.get("app_id") or "")
    timestamp = str(body.get("timestamp") or "")
    oa_id = zalo_events.oa_id_of(body)
    ward = wards.by_code(code) if code is not None else wards.for_event(oa_id, app_id)
    if ward is None:
        if code is not None:
            return None, _error(404, "unknown ward")
        log.warning("webhook zalo: sự kiện %s không thuộc OA nào của hệ thống, từ chối",
                    zalo_events.name_for_log(body))
        return None, _error(401, "invalid signature")
    secret = app.config["SETTINGS"].webhook_secret_of(ward)
    if (app_id != ward.zalo_app_id
            or (oa_id and ward.zalo_oa_id and oa_id != ward.zalo_oa_id and wards.several())
            or not verify_zalo(signature, app_id, raw, timestamp, secret)):
        log.warning("webhook zalo: chữ ký sai (sự kiện %s), từ chối", zalo_events.name_for_log(body))
        return None, _error(401, "invalid signature")
    return ward, None
