"""The Flask app factory: the web process only verifies, persists and answers."""
from __future__ import annotations

import logging

from flask import Flask, jsonify

from bot.at_rest import secure_files
from bot.settings import Settings, load_settings
from bot.wards import WardSettings, ward_directory
from storage import db
from storage.inbox import InboxWriter
from storage.spool import SpoolInbox


def create_app(settings: Settings | None = None, *, wakeup=None, sync_now=None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False
    # An in-process worker (serve) is woken at once; a separate worker polls.
    app.extensions["hts_wakeup"] = wakeup or (lambda: None)
    app.extensions["hts_wards"] = ward_directory(settings)
    # Each ward's settings (its officers, its profile), for the health figures of every ward.
    app.extensions["hts_ward_settings"] = WardSettings(settings, app.extensions["hts_wards"])
    # The sheet hook asks the in-process scheduler for a sync cycle now; a separate worker
    # picks the edit up at its next cycle (30 s) anyway.
    app.extensions["hts_sync_now"] = sync_now or (lambda: None)
    db.configure(settings.database_url)
    secure_files(settings)  # owner-only database, spool and sandbox files, even if left 0644
    spool_dir = settings.spool_directory
    if spool_dir is not None:
        app.extensions["hts_inbox"] = SpoolInbox(spool_dir, db.get_engine, on_stored=app.extensions["hts_wakeup"])
    else:
        app.extensions["hts_inbox"] = InboxWriter(db.get_engine, on_stored=app.extensions["hts_wakeup"])
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from webhooks import forms, sheets, site, zalo

    app.register_blueprint(site.bp)
    app.register_blueprint(zalo.bp)
    app.register_blueprint(forms.bp)
    app.register_blueprint(sheets.bp)

    @app.errorhandler(413)
    def too_large(_exc):
        return jsonify({"ok": False, "error": "body too large"}), 413

    @app.errorhandler(405)
    def not_allowed(_exc):
        return jsonify({"ok": False, "error": "method not allowed"}), 405

    return app


def wsgi() -> Flask:
    """gunicorn entry point: `gunicorn 'bot.app:wsgi()'`."""
    from bot import logs

    logs.configure(load_settings().log_level)  # before create_app: its basicConfig then adds nothing
    return create_app()
