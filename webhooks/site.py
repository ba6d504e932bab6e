"""Health and Zalo domain verification."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify
from sqlalchemy import text

from handlers import urgent
from storage import inbox, outbox
from storage.db import session_scope
from storage.scoping import ALL_WARDS
from storage.health import intake_report

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    settings = current_app.config["SETTINGS"]
    spool = current_app.extensions["hts_inbox"]
    backlog = spool.backlog_bytes()  # first: what was waiting when the probe came
    try:
        with session_scope(ALL_WARDS) as session:  # one inbox and one outbox for every ward
            session.execute(text("SELECT 1"))
            depth = inbox.pending_count(session)
            out = outbox.counts(session)
            intake, reasons = intake_report(session, inbox=spool, spool_dir=settings.spool_directory,
                                            stall_seconds=settings.intake_stall_seconds)
            failed_events = inbox.counts(session).get("failed", 0)
        ward_settings = current_app.extensions["hts_ward_settings"]
        promises = urgent.health_of_wards((ward.code, ward.id, ward_settings(ward.id))
                                          for ward in ward_settings.directory.all())
    except Exception as exc:  # the point of this endpoint is to say so, not to crash
        return jsonify({"ok": False, "reason": "database_unreachable",
                        "database": f"unreachable: {type(exc).__name__}"}), 503
    # Intake not draining: 503, a restart or an operator is needed. A broken promise (an urgent
    # report nobody was alerted to, no duty officer): named in "problems" but 200, since the
    # intake still works and must stay in rotation (a restart cannot conjure an officer).
    body = {
        "ok": not reasons and not promises["problems"],
        "database": "ok",
        "queue_depth": depth,
        # acknowledged by this web process, still in its spool file (storage/spool.py)
        "spool_backlog_bytes": backlog,
        "intake": intake,
        "failed_events": failed_events,
        "outbox": {"pending": out.get("pending", 0), "sending": out.get("sending", 0),
                   "failed": out.get("failed", 0), "sent": out.get("sent", 0),
                   # may have gone out: waiting for Zalo's oa_send_* echo (storage/outbox.py)
                   "unknown": out.get("unknown", 0)},
        **promises,
    }
    if reasons:  # a monitor watching the status code sees it; the codes say why
        body["reason"] = reasons[0]
        body["reasons"] = reasons
        return jsonify(body), 503
    return jsonify(body)


def _verification_meta(code: str) -> str:
    return f'<meta property="zalo-platform-site-verification" content="{code}" />'


@bp.get("/")
def index():
    settings = current_app.config["SETTINGS"]
    meta = _verification_meta(settings.zalo_site_verification) if settings.zalo_site_verification else ""
    return (
        f"<!doctype html><html><head><meta charset=\"utf-8\">{meta}"
        f"<title>Hộp thư số</title></head><body><p>Hộp thư số — Ủy ban MTTQ {settings.ward_name}.</p>"
        "</body></html>"
    )


@bp.get("/zalo_verifier<code>.html")
def zalo_verifier(code: str):
    settings = current_app.config["SETTINGS"]
    if not settings.zalo_site_verification or code != settings.zalo_site_verification:
        abort(404)
    return (
        f"<!doctype html><html><head>{_verification_meta(code)}</head>"
        f"<body>{code}</body></html>"
    )
