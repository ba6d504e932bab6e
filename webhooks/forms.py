"""POST /webhooks/forms: Google Form submissions, sent by the Apps Script in
webhooks/apps_script/forms_onSubmit.gs, become tickets.

Signed with HMAC-SHA256(FORMS_SHARED_SECRET, timestamp + "." + raw body), timestamp within
5 minutes. One response id makes one ticket, whatever the number of deliveries; the answer
carries the ticket code so the script can email it to the respondent.
"""
from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intents.location import extract_group, extract_location
from intents.normalize import fold, normalize
from storage import inbox
from storage.clean import clean_text, clip
from storage.db import session_scope
from storage.models import Ticket
from webhooks.body import BadBody, read_json
from webhooks.signature import check_timestamped_hmac

log = logging.getLogger(__name__)
bp = Blueprint("forms_webhook", __name__)
DEFAULT_FIELD_MAP = Path(__file__).with_name("forms_fields.json")
KIND_WORDS = {"phan anh": "complaint", "kien nghi": "suggestion", "de xuat": "suggestion",
              "gop y": "suggestion", "hoi": "question", "hoi dap": "question", "cau hoi": "question"}


@lru_cache(maxsize=4)
def field_map(path: str) -> dict[str, set[str]]:
    data = json.loads(Path(path or DEFAULT_FIELD_MAP).read_text(encoding="utf-8"))
    return {role: {fold(t) for t in titles} for role, titles in data.items()}


@lru_cache(maxsize=1)
def _classifier():
    from intents.classify import Classifier

    return Classifier()


def extract(answers: dict, mapping: dict[str, set[str]]) -> dict[str, str]:
    """Answers by role, matching question titles without case or diacritics."""
    out: dict[str, str] = {}
    for title, value in answers.items():
        if isinstance(value, list):
            value = ", ".join(_clean(v) for v in value)
        value = normalize(_clean(value))
        for role, titles in mapping.items():
            if fold(_clean(title)) in titles and value and role not in out:
                out[role] = value
    return out


def _clean(value) -> str:
    """An answer as clean text: no NUL, lone surrogate, BOM or bidi override (storage.clean)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return clean_text(str(value)).strip()


def _kind(answer: str | None, content: str) -> tuple[str, object]:
    c = _classifier().classify(content)
    folded = fold(answer or "")
    for word, kind in KIND_WORDS.items():
        if word in folded:
            return kind, c
    return (c.kind if c.kind in ("complaint", "suggestion", "question") else "complaint"), c


def _group(answer: str | None, text: str) -> str | None:
    """ "Tổ 5", "5" or "tdp 5" in the tổ question, else a tổ mentioned in the address/content."""
    if answer:
        found = extract_group(answer) or extract_group(f"tổ {answer}")
        if found:
            return found
    return extract_group(text)


def _error(status: int, message: str):
    return jsonify({"ok": False, "error": message}), status


@bp.post("/webhooks/forms")
def receive():
    settings = current_app.config["SETTINGS"]
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
    except BadBody as exc:
        return _error(400, str(exc))
    response_id = _clean(body.get("response_id")) if isinstance(body, dict) else ""
    answers = body.get("answers") if isinstance(body, dict) else None
    if not response_id or not isinstance(answers, dict):
        return _error(400, "response_id and answers are required")
    fields = extract(answers, field_map(settings.forms_field_map))
    content = fields.get("content", "")
    if not content:
        return _error(422, "no answer for the content question (see FORMS_FIELD_MAP)")
    ref = f"form:{response_id}"[:255]
    try:
        code, created = _create(settings, ref, text, body, fields, content)
    except IntegrityError:  # the same response delivered twice at once: the first one won
        with session_scope() as session:
            code, created = session.scalar(select(Ticket.code).where(Ticket.source_ref == ref)), False
    return jsonify({"ok": True, "code": code, "duplicate": not created}), 200


def _create(settings, ref, text, body, fields, content) -> tuple[str, bool]:
    from handlers.filing import file_ticket

    with session_scope() as session:
        existing = session.scalar(select(Ticket.code).where(Ticket.source_ref == ref))
        if existing:
            return existing, False
        inbox.store_event(session, source="form", event_key=ref, event_name="form_submit",
                          user_key=None, payload=text, status="done")
        kind, c = _kind(fields.get("kind"), content)
        address = fields.get("address")
        ticket, _ = file_ticket(session, settings, dict(
            kind=kind, text=content[:4000], channel="form",
            topic=c.topic, urgent=c.urgent, confidence=c.confidence, source_ref=ref,
            location_text=clip(address or extract_location(content) or None, 500),
            group_code=_group(fields.get("group"), f"{address or ''} {content}"),
            # Too long for its column: cut with a visible "…" (the whole answer stays in the
            # stored payload above), the same on SQLite and PostgreSQL.
            reporter_name=clip(fields.get("name"), 200), reporter_phone=clip(fields.get("phone"), 32),
            reporter_email=clip(_clean(body.get("email")), 200) or None,
        ), actor="form")
        return ticket.code, True
