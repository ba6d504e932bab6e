"""POST /webhooks/forms: Google Form submissions, sent by the Apps Script in
webhooks/apps_script/forms_onSubmit.gs.

Signed with HMAC-SHA256(FORMS_SHARED_SECRET, timestamp + "." + raw body), timestamp within
5 minutes. `/webhooks/forms/<code>` files the submission in that ward (the plain URL: the
default ward); the secret is the deployment's, as every form belongs to the same city. Like a Zalo event, a submission is only checked and stored in the durable inbox
(once per response id); the worker makes it a ticket (handlers/forms.py). The answer carries
the ticket's code once the ticket exists, so the script, which posts again until it has a code,
can email it to the respondent.
"""
from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from handlers import forms
from storage import inbox
from storage.clean import redact_error
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID, Ticket
from storage.raw_json import BadBody, read_json
from webhooks.signature import check_timestamped_hmac

log = logging.getLogger(__name__)
bp = Blueprint("forms_webhook", __name__)


def _error(status: int, message: str):
    return jsonify({"ok": False, "error": message}), status


@bp.post("/webhooks/forms")
def receive():
    return _receive(None)


@bp.post("/webhooks/forms/<code>")
def receive_for_ward(code: str):
    """A ward's own form (a city: one form per ward, each script posting to its ward's URL)."""
    return _receive(code)


def _receive(code: str | None):
    app = current_app._get_current_object()
    settings = app.config["SETTINGS"]
    ward_id = DEFAULT_WARD_ID
    if code is not None:
        ward = app.extensions["hts_wards"].by_code(code)
        if ward is None:
            return _error(404, "unknown ward")
        ward_id = ward.id
    raw = request.get_data(cache=False)
    stamp = request.headers.get("X-Hts-Timestamp", "")
    if not settings.forms_shared_secret:
        return _error(503, "FORMS_SHARED_SECRET is not configured")
    problem = check_timestamped_hmac(settings.forms_shared_secret, stamp,
                                     request.headers.get("X-Hts-Signature"), raw, time.time())
    if problem:
        return _error(401, problem)
    try:
        text, body = read_json(raw)
        submission = forms.read(body, settings.forms_field_map)
    except BadBody as exc:
        return _error(400, str(exc))
    except forms.NotASubmission as exc:
        return _error(exc.status, str(exc))
    try:
        app.extensions["hts_inbox"].submit({
            "ward_id": ward_id, "source": "form", "event_key": submission.ref, "event_name": "form_submit",
            "user_key": None, "payload": text, "status": "pending"})
    except inbox.InboxUnavailable as exc:
        log.error("webhook forms: không lưu được câu trả lời biểu mẫu: %s (Apps Script sẽ gửi lại)",
                  redact_error(exc.__cause__ or exc))
        return _error(503, "temporarily unavailable")
    with session_scope(ward_id) as session:
        code = session.scalar(select(Ticket.code).where(Ticket.source_ref == submission.ref))
    return jsonify({"ok": True, "code": code, "duplicate": code is not None}), 200
