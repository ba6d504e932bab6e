"""Health and Zalo domain verification."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify
from sqlalchemy import text

from handlers import urgent
from storage import inbox, outbox
from storage.db import session_scope

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
            depth = inbox.pending_count(session)
            out = outbox.counts(session)
            promises = urgent.health(session, current_app.config["SETTINGS"])
    except Exception as exc:  # the point of this endpoint is to say so, not to crash
        return jsonify({"ok": False, "database": f"unreachable: {type(exc).__name__}"}), 503
    # A named problem, not a non-200: the intake still works and must stay in rotation (a
    # restart cannot conjure an officer); monitors read "ok" and "problems".
    return jsonify(
        {
            "ok": not promises["problems"],
            "database": "ok",
            "queue_depth": depth,
            # acknowledged by this web process, still in its spool file (storage/spool.py)
            "spool_backlog_bytes": current_app.extensions["hts_inbox"].backlog_bytes(),
            "outbox": {"pending": out.get("pending", 0), "sending": out.get("sending", 0),
                       "failed": out.get("failed", 0), "sent": out.get("sent", 0)},
            **promises,
        }
    )


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
