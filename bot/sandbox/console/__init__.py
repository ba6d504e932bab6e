"""The sandbox console (GET /console): a resident's Zalo chat beside the officers' board.

Registered by `serve` only when both the fake Zalo and the fake Google Sheet run (the
sandbox); production and a development server with real credentials never have it.

Nothing here takes a shortcut into the bot:
- the chat posts correctly signed Zalo webhooks to /webhooks/zalo and reads the bot's replies
  from what the fake Zalo API received (bot/sandbox/chat.py's ChatClient, the terminal chat's code);
  a photo is hosted on the fake Zalo as Zalo's CDN would host it, the event carries its URL;
- the board is read from the fake Sheets API with the real gspread client, and an officer's
  edit is typed into the sheet through that same API (USER_ENTERED, as a person types), then
  announced by the same signed POST /webhooks/sheets the Apps Script onEdit hook sends; the
  sync cycle that follows applies it (sheets_sync/pull.py) and the resident hears about it.

One convenience, said on the page: the real board is synced every 30 s; while the console
looks at it, a cycle is asked for as soon as the board and the database disagree.
"""
from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import requests
from flask import Blueprint, current_app, jsonify, request, send_file
from gspread.exceptions import APIError
from gspread.utils import rowcol_to_a1
from sqlalchemy import select

from bot.sandbox.chat import ChatClient
from intents.taxonomy import TOPICS
from sheets_sync.client import open_spreadsheet
from sheets_sync.layout import (
    BOARD,
    BOARD_RANGE,
    COL,
    COLUMNS,
    EDITABLE,
    OFFICERS,
    OFFICERS_RANGE,
    status_choices,
)
from sheets_sync.pull import officer_rows
from sheets_sync.rows import officer_edits, padded
from storage.db import session_scope
from storage.models import SheetRow, Ticket
from storage.vocab import TICKET_KIND_LABELS
from webhooks.signature import hmac_sha256

HERE = Path(__file__).resolve().parent
bp = Blueprint("console", __name__, url_prefix="/console", static_folder="static",
               static_url_path="/static")

EDITOR = "can-bo-thu@sandbox.local"   # the hook's `user`: the audit trail names the editor
SAMPLE_OFFICERS = (("Cán bộ Mẫu A", "7100000000000000001",
                    next((t for t in TOPICS.values() if t.startswith("Giao thông")), "")),
                   ("Cán bộ Mẫu B", "7100000000000000002", ""))
SYNC_EVERY = 1.5                      # seconds between cycles the console asks for
_ZALO_ID = re.compile(r"^\d{5,32}$")


def install(app, settings, info: dict) -> None:
    """Serve the console on `app`. Called by `serve` in sandbox mode only."""
    if settings.is_production:
        raise RuntimeError("the sandbox console is never served in production")
    app.extensions["hts_console"] = Console(settings, info, app.extensions["hts_sync_now"])
    app.register_blueprint(bp)
    logging.getLogger("werkzeug").addFilter(_quiet_polls)


def _quiet_polls(record: logging.LogRecord) -> bool:
    """The page polls twice a second: keep those requests out of the serve console's log."""
    return "/console/api/" not in record.getMessage()


class Console:
    def __init__(self, settings, info: dict, sync_now):
        self.settings = settings
        self.info = info
        self.sync_now = sync_now
        # A restarted serve has a fresh fake Zalo, numbering its messages from 1 again: the
        # page keys what it remembers by this, and reloads when it changes.
        self.instance = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._spreadsheet = None
        self._last_sync = 0.0

    # -- the resident's side --
    @contextmanager
    def chat(self, user_id: str, name: str | None):
        """The terminal chat's client, posting to this server at the address the browser used
        (whatever --host `serve` listens on)."""
        info = dict(self.info, webhook_url=request.host_url + "webhooks/zalo")
        client = ChatClient(info, user_id, out=io.StringIO(), display_name=name or None,
                            patient=False)
        try:
            yield client
        finally:
            client.http.close()

    # -- the officers' side --
    @property
    def spreadsheet(self):
        if self._spreadsheet is None:
            self._spreadsheet = open_spreadsheet(self.settings)
        return self._spreadsheet

    def read(self) -> tuple[list[list[str]], list[str]]:
        """The board's rows (header first) and the officers' names, in one values read."""
        try:
            with self._lock:
                data = self.spreadsheet.values_batch_get([BOARD_RANGE, OFFICERS_RANGE])["valueRanges"]
        except APIError as exc:
            if exc.response.status_code != 400:
                raise
            return [], []  # no tabs before the first sync cycle creates them
        board = [padded(r) for r in data[0].get("values", [])]
        _, officers = officer_rows(data[1].get("values", []))
        return board, [r[0].strip() for r in officers if r[0].strip()]

    def ask_sync_if_behind(self, board: list[list[str]], officers: list[str]) -> bool:
        """Ask for a cycle when a ticket is not on the board as it is now, or the board holds an
        officer's edit not applied yet (a cycle the hook asked for may have been skipped while
        another ran). Returns whether the board is behind."""
        shown = {row[0].strip().upper(): row for row in board[1:] if row and row[0].strip()}
        with session_scope() as session:
            rows = session.execute(select(Ticket.code, Ticket.updated_at, SheetRow.values, SheetRow.pushed_at)
                                   .outerjoin(SheetRow, SheetRow.ticket_id == Ticket.id)).all()
        behind = False
        for code, updated_at, values, pushed_at in rows:
            row = shown.get(code)
            if values is None or row is None or (updated_at and pushed_at and updated_at > pushed_at):
                behind = True
                break
            edits, problems = officer_edits(row, padded(values), set(officers))
            if edits or problems:
                behind = True
                break
        now = time.monotonic()
        if behind and now - self._last_sync >= SYNC_EVERY:
            self._last_sync = now
            self.sync_now()
        return behind

    def edit(self, code: str, column: str, value: str) -> str | None:
        """Type `value` into the ticket's cell, as an officer in Google Sheets, then send the
        onEdit hook. Returns what went wrong, in Vietnamese, or None."""
        board, _ = self.read()
        number = next((i for i, row in enumerate(board[1:], start=2)
                       if row[0].strip().upper() == code.strip().upper()), None)
        if number is None:
            return f"Không thấy phiếu {code} trên bảng."
        old = board[number - 1][COL[column]]
        cell = f"'{BOARD}'!{rowcol_to_a1(number, COL[column] + 1)}"
        with self._lock:
            self.spreadsheet.values_update(cell, params={"valueInputOption": "USER_ENTERED"},
                                           body={"values": [[value]]})
        return self._hook(code, column, old, value)

    def add_sample_officers(self) -> str | None:
        """Type two obviously sample officers into the Cán bộ tab, as the ward would, so the
        Người xử lý dropdown has names. Their Zalo ids are fake residents' ids: enter one in
        the chat pane to read what the bot sends that officer."""
        _, officers = self.read()
        if officers:
            return None
        with self._lock:
            try:
                self.spreadsheet.values_update(f"'{OFFICERS}'!A2:C{1 + len(SAMPLE_OFFICERS)}",
                                               params={"valueInputOption": "USER_ENTERED"},
                                               body={"values": [list(o) for o in SAMPLE_OFFICERS]})
            except APIError as exc:
                if exc.response.status_code != 400:
                    raise
                return "Bảng chưa được tạo: đợi lần đồng bộ đầu tiên (vài giây) rồi thử lại."
        # No onEdit hook watches that tab: the next cycle reads it (here, at once).
        self.sync_now()
        return None

    def _hook(self, code: str, column: str, old: str, new: str) -> str | None:
        """What sheets_sync/apps_script/onEdit.gs posts, signed the same way."""
        secret = self.settings.sheets_webhook_secret
        body = json.dumps({"spreadsheet_id": self.settings.sheet_id, "code": code, "column": column,
                           "old_value": old or None,
                           "new_value": new or None, "user": EDITOR,
                           "at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        resp = requests.post(request.host_url + "webhooks/sheets", data=body, timeout=10, headers={
            "Content-Type": "application/json", "X-Hts-Timestamp": stamp,
            "X-Hts-Signature": hmac_sha256(secret, stamp.encode(), b".", body)})
        if resp.status_code != 202:
            return f"Đã ghi vào bảng, nhưng máy chủ không nhận tín hiệu sửa (HTTP {resp.status_code})."
        return None


def _console() -> Console:
    return current_app.extensions["hts_console"]


def _resident() -> tuple[str, str]:
    source = request.form if request.form else (request.get_json(silent=True) or {})
    return str(source.get("user_id") or "").strip(), str(source.get("name") or "").strip()[:80]


def _bad(message: str, status: int = 400):
    return jsonify({"ok": False, "error": message}), status


@bp.get("")
@bp.get("/")
def page():
    return send_file(HERE / "page.html", mimetype="text/html", max_age=0)


@bp.get("/api/info")
def info():
    return jsonify({
        "columns": list(COLUMNS),
        "editable": list(EDITABLE),
        "choices": {"Trạng thái": status_choices(), "Loại": list(TICKET_KIND_LABELS.values()),
                    "Lĩnh vực": list(TOPICS.values())},
        "ward": _console().settings.ward_name,
        "instance": _console().instance,
    })


@bp.post("/api/send")
def send():
    """{user_id, name, type: text|location|follow, text?, lat?, lng?}"""
    user_id, name = _resident()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    body = request.get_json(silent=True) or {}
    kind = body.get("type", "text")
    with _console().chat(user_id, name) as chat:
        if kind == "text":
            text = str(body.get("text") or "").strip()
            if not text:
                return _bad("Chưa có nội dung tin nhắn.")
            event = chat.text_event(text)
        elif kind == "location":
            try:
                lat, lng = float(body.get("lat")), float(body.get("lng"))
            except (TypeError, ValueError):
                return _bad("Vĩ độ và kinh độ phải là số, ví dụ 16.0678 và 108.2208.")
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                return _bad("Vĩ độ từ -90 đến 90, kinh độ từ -180 đến 180.")
            event = chat.location_event(str(lat), str(lng))
        elif kind == "follow":
            event = chat.follow_event()
        else:
            return _bad("Loại tin không hợp lệ.")
        return _delivered(chat.send(event))


@bp.post("/api/photo")
def photo():
    """multipart: user_id, name, file, caption?"""
    user_id, name = _resident()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _bad("Chưa chọn ảnh.")
    with _console().chat(user_id, name) as chat:
        try:
            hosted = chat.upload_photo(upload.read(), upload.filename)
        except requests.HTTPError:
            return _bad("Chỉ gửi được ảnh jpg, png hoặc gif, tối đa 10 MB.")
        event = chat.image_event(hosted["url"], hosted.get("thumbnail"),
                                 caption=str(request.form.get("caption") or "").strip())
        return _delivered(chat.send(event), photo=hosted["url"])


def _delivered(status: int, **extra):
    if status != 200:
        return _bad(f"Máy chủ không nhận tin (HTTP {status}).", 502)
    return jsonify({"ok": True, **extra})


@bp.get("/api/messages")
def messages():
    """What the bot sent this resident after `after_id`, as the fake Zalo recorded it."""
    user_id = request.args.get("user_id", "").strip()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    after = request.args.get("after_id", "0")
    with _console().chat(user_id, None) as chat:
        chat.after_id = int(after) if after.isdigit() else 0
        items = chat.fetch()
    return jsonify({"ok": True, "instance": _console().instance,
                    "messages": [_shown(item) for item in items]})


def _shown(item: dict) -> dict:
    """A sent message as the chat pane draws it: text, buttons, images."""
    message = item.get("message") or {}
    payload = (message.get("attachment") or {}).get("payload") or {}
    buttons = [{"title": b.get("title", ""), "type": b.get("type", ""),
                "payload": b.get("payload") if isinstance(b.get("payload"), str) else "",
                "url": (b.get("payload") or {}).get("url", "") if isinstance(b.get("payload"), dict) else ""}
               for b in payload.get("buttons") or []]
    images = [e.get("url") or "" for e in payload.get("elements") or [] if e.get("media_type") == "image"]
    return {"id": item["id"], "at": item.get("timestamp"), "text": message.get("text") or "",
            "buttons": buttons, "images": images}


@bp.get("/api/board")
def board():
    console = _console()
    rows, officers = console.read()
    behind = console.ask_sync_if_behind(rows, officers)
    header = rows[0] if rows else list(COLUMNS)
    return jsonify({"ok": True, "header": header, "rows": rows[1:], "officers": officers,
                    "behind": behind})


@bp.post("/api/edit")
def edit():
    """{code, column, value}: an officer's edit of one cell of the board."""
    body = request.get_json(silent=True) or {}
    code, column = str(body.get("code") or "").strip(), str(body.get("column") or "")
    value = str(body.get("value") if body.get("value") is not None else "")
    if column not in EDITABLE:
        return _bad(f"Cột «{column}» do hệ thống ghi, cán bộ không sửa được.")
    if not code:
        return _bad("Thiếu mã phiếu.")
    problem = _console().edit(code, column, value)
    if problem:
        return _bad(problem, 409)
    return jsonify({"ok": True})


@bp.post("/api/sample-officers")
def sample_officers():
    problem = _console().add_sample_officers()
    if problem:
        return _bad(problem, 409)
    return jsonify({"ok": True})
