"""POST /webhooks/sheets: the optional onEdit hook (sheets_sync/apps_script/onEdit.gs).

It only says "an officer just edited": the edit is recorded (with the editor's e-mail, for
the audit trail) and a sync cycle is asked for at once. The cycle reads the sheet itself, so
a forged or lost hook can never change a ticket.

Which ward: the signed body names its spreadsheet (`spreadsheet_id`, which the Apps Script
reads from the sheet it runs in), so every ward installs the same script with the same URL and
secret. A body without it (the script of a single-ward deployment, before the upgrade) is the
`default` ward's; a spreadsheet no ward has is refused (404) and nothing is stored. The ping
is stored in that ward's inbox, where the sync scheduler, in whatever process, finds it.
"""
from __future__ import annotations

import hashlib
import time

from flask import Blueprint, current_app, jsonify, request

from storage import inbox
from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID
from storage.raw_json import BadBody, read_json
from webhooks.signature import check_timestamped_hmac

bp = Blueprint("sheets_webhook", __name__)


@bp.post("/webhooks/sheets")
def receive():
    settings = current_app.config["SETTINGS"]
    raw = request.get_data(cache=False)
    stamp = request.headers.get("X-Hts-Timestamp", "")
    if not settings.sheets_webhook_secret:
        return jsonify({"ok": False, "error": "SHEETS_WEBHOOK_SECRET is not configured"}), 503
    if check_timestamped_hmac(settings.sheets_webhook_secret, stamp,
                              request.headers.get("X-Hts-Signature"), raw, time.time()):
        return jsonify({"ok": False, "error": "invalid or stale signature"}), 401
    try:
        text, body = read_json(raw)
    except BadBody as exc:
        return jsonify({"ok": False, "error": str(exc)}), 400
    if not isinstance(body, dict):
        return jsonify({"ok": False, "error": "expected a JSON object"}), 400
    sheet_id = body.get("spreadsheet_id")
    if sheet_id is None:
        ward_id = DEFAULT_WARD_ID
    else:
        ward = current_app.extensions["hts_wards"].by_sheet(str(sheet_id))
        if ward is None:
            return jsonify({"ok": False, "error": "no ward has this spreadsheet"}), 404
        ward_id = ward.id
    key = "sheet:" + hashlib.sha256(stamp.encode() + raw).hexdigest()
    with session_scope(ward_id) as session:
        inbox.store_event(session, source="sheet", event_key=key, event_name="sheet_edit",
                          user_key=None, payload=text, status="ignored")
    current_app.extensions["hts_sync_now"]()
    return jsonify({"ok": True}), 202
