"""Google Form submissions become tickets.

The webhook (webhooks/forms.py) checks the signature and that `read` finds a submission, stores
it in the durable inbox like a Zalo event, and answers. The worker then calls `file_submission`:
the answers are matched to their roles by question title (handlers/data/forms_fields.json or
FORMS_FIELD_MAP, without case or diacritics), classified by the same NLU as Zalo messages, and
filed (handlers/filing.py). One response id is one inbox event, so one ticket.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from handlers.context import Nlu, Settings
from handlers.filing import file_ticket
from intents.location import extract_group, extract_location
from intents.normalize import fold, normalize
from storage.clean import clean_text, clip
from storage.models import Ticket

DEFAULT_FIELD_MAP = Path(__file__).resolve().parent / "data" / "forms_fields.json"
KIND_WORDS = {"phan anh": "complaint", "kien nghi": "suggestion", "de xuat": "suggestion",
              "gop y": "suggestion", "hoi": "question", "hoi dap": "question", "cau hoi": "question"}


class NotASubmission(ValueError):
    """What the webhook answers 4xx with: str() is the reason, `status` the code."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Submission:
    response_id: str
    fields: dict[str, str]   # answers by role: content, address, phone, name, kind, group
    email: str

    @property
    def ref(self) -> str:
        """Its inbox event key and its ticket's source_ref."""
        return f"form:{self.response_id}"[:255]


@lru_cache(maxsize=4)
def field_map(path: str) -> dict[str, set[str]]:
    data = json.loads(Path(path or DEFAULT_FIELD_MAP).read_text(encoding="utf-8"))
    return {role: {fold(t) for t in titles} for role, titles in data.items()}


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


def read(body, field_map_path: str) -> Submission:
    """The submission the Apps Script posted (webhooks/apps_script/forms_onSubmit.gs)."""
    response_id = _clean(body.get("response_id")) if isinstance(body, dict) else ""
    answers = body.get("answers") if isinstance(body, dict) else None
    if not response_id or not isinstance(answers, dict):
        raise NotASubmission(400, "response_id and answers are required")
    fields = extract(answers, field_map(field_map_path))
    if not fields.get("content"):
        raise NotASubmission(422, "no answer for the content question (see FORMS_FIELD_MAP)")
    return Submission(response_id, fields, _clean(body.get("email")))


def _kind(answer: str | None, c) -> str:
    folded = fold(answer or "")
    for word, kind in KIND_WORDS.items():
        if word in folded:
            return kind
    return c.kind if c.kind in ("complaint", "suggestion", "question") else "complaint"


def _group(answer: str | None, text: str) -> str | None:
    """ "Tổ 5", "5" or "tdp 5" in the tổ question, else a tổ mentioned in the address/content."""
    if answer:
        found = extract_group(answer) or extract_group(f"tổ {answer}")
        if found:
            return found
    return extract_group(text)


def file_submission(session, settings: Settings, nlu: Nlu, submission: Submission,
                    event_id: int | None = None) -> Ticket:
    fields = submission.fields
    content = fields["content"]
    c = nlu.classify(content)
    address = fields.get("address")
    ticket, _ = file_ticket(session, settings, dict(
        kind=_kind(fields.get("kind"), c), text=content[:4000], channel="form",
        topic=c.topic, urgent=c.urgent, confidence=c.confidence, source_ref=submission.ref,
        location_text=clip(address or extract_location(content) or None, 500),
        group_code=_group(fields.get("group"), f"{address or ''} {content}"),
        # Too long for its column: cut with a visible "…" (the whole answer stays in the
        # stored submission), the same on SQLite and PostgreSQL.
        reporter_name=clip(fields.get("name"), 200), reporter_phone=clip(fields.get("phone"), 32),
        reporter_email=clip(submission.email, 200) or None,
    ), actor="form", event_id=event_id)
    return ticket
