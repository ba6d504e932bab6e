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
from flask import Blueprint, abort, current_app, jsonify, make_response, request, send_file
from gspread.exceptions import APIError
from gspread.utils import rowcol_to_a1
from sqlalchemy import select

from bot.sandbox import city
from bot.sandbox.chat import ChatClient
from intents.taxonomy import TOPICS
from sheets_sync import city as city_sheet
from sheets_sync.client import make_client
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
from storage.base import DEFAULT_WARD_CODE
from storage.db import session_scope
from storage.models import SheetRow, Ticket
from storage.tickets import local_now
from storage.vocab import TICKET_KIND_LABELS
from webhooks.signature import hmac_sha256

HERE = Path(__file__).resolve().parent
bp = Blueprint("console", __name__, url_prefix="/console", static_folder="static",
               static_url_path="/static")

EDITOR = "can-bo-thu@sandbox.local"   # the hook's `user`: the audit trail names the editor
TRAFFIC = next((t for t in TOPICS.values() if t.startswith("Giao thông")), "")
# Obviously sample officers, each ward its own (Zalo ids of fake residents); the sample ward's
# first is its duty officer (bot/sandbox/city.py).
SAMPLE_OFFICERS = {DEFAULT_WARD_CODE: (("Cán bộ Mẫu A", "7100000000000000001", TRAFFIC),
                                       ("Cán bộ Mẫu B", "7100000000000000002", "")),
                   city.CODE: (("Cán bộ Mẫu C", city.OFFICER, TRAFFIC),
                               ("Cán bộ Mẫu D", "7100000000000000004", ""))}
SYNC_EVERY = 1.5                      # seconds between cycles the console asks for
_ZALO_ID = re.compile(r"^\d{5,32}$")


def install(app, settings, info: dict) -> None:
    """Serve the console on `app`. Called by `serve` in sandbox mode only."""
    if settings.is_production:
        raise RuntimeError("the sandbox console is never served in production")
    app.extensions["hts_console"] = Console(settings, info, app.extensions["hts_sync_now"],
                                            app.extensions["hts_wards"])
    app.register_blueprint(bp)
    logging.getLogger("werkzeug").addFilter(_quiet_polls)


def _quiet_polls(record: logging.LogRecord) -> bool:
    """The page polls twice a second: keep those requests out of the serve console's log."""
    return "/console/api/" not in record.getMessage()


class Console:
    """The page's server side: each ward's board (WardBoard), the resident's chat with the ward's
    OA, and the city's figures."""

    def __init__(self, settings, info: dict, sync_now, wards):
        self.settings = settings
        self.info = info
        self.wards = wards            # the app's WardDirectory: the default ward as the sandbox set it
        self.pacer = SyncPacer(sync_now)
        # A restarted serve has a fresh fake Zalo, numbering its messages from 1 again: the
        # page keys what it remembers by this, and reloads when it changes.
        self.instance = uuid.uuid4().hex
        self._boards: dict[int, WardBoard] = {}

    def ward(self, code: str | None):
        """The ward the page chose (its code; none: the default ward), or None if unknown."""
        return self.wards.by_code(code or DEFAULT_WARD_CODE)

    def board(self, ward) -> "WardBoard":
        board = self._boards.get(ward.id)
        if board is None or board.ward != ward:  # new, or its row changed
            board = self._boards[ward.id] = WardBoard(self.settings.for_ward(ward), ward, self.pacer)
        return board

    # -- the resident's side --
    @contextmanager
    def chat(self, user_id: str, name: str | None, ward):
        """The terminal chat's client for this ward's OA, posting to this server at the address
        the browser used (whatever --host `serve` listens on)."""
        path = "webhooks/zalo" + ("" if ward.is_default else f"/{ward.code}")
        info = dict(self.info, app_id=ward.zalo_app_id, oa_id=ward.zalo_oa_id,
                    oa_secret_key=self.settings.webhook_secret_of(ward),
                    webhook_url=request.host_url + path)
        client = ChatClient(info, user_id, out=io.StringIO(), display_name=name or None,
                            patient=False)
        try:
            yield client
        finally:
            client.http.close()

    # -- the city --
    def city_week(self) -> list[dict]:
        """Each ward's week as the «Tổng hợp» tab shows it (sheets_sync/city.py: the weekly
        report's figures, computed in each ward's session)."""
        weeks = city_sheet.ward_weeks(self.wards.all(), local_now().date())
        return [{"code": w.code, "name": w.name, "received": w.report.received,
                 "resolved": w.report.resolved, "overdue": w.report.overdue,
                 "week": city_sheet.week_key(w.report.end)} for w in weeks]


class SyncPacer:
    """Asks the scheduler for a sync cycle, at most every SYNC_EVERY seconds (the page polls)."""

    def __init__(self, sync_now):
        self.sync_now = sync_now
        self._last = 0.0

    def ask(self, at_once: bool = False) -> None:
        now = time.monotonic()
        if at_once or now - self._last >= SYNC_EVERY:
            self._last = now
            self.sync_now()


class WardBoard:
    """One ward's officers' board, read and typed into through the fake Sheets API as the
    officers would, with that ward's settings (its sheet)."""

    def __init__(self, settings, ward, pacer: SyncPacer):
        self.settings = settings
        self.ward = ward
        self.pacer = pacer
        self._lock = threading.Lock()
        self._spreadsheet = None

    @property
    def spreadsheet(self):
        if self._spreadsheet is None:
            client = make_client(self.settings)
            # An officer's browser: Google counts what it reads and types against the officer,
            # not the service account. Taken from the service's budget (quota.py), the page's
            # polling of two wards' boards left the sync cycles no room and the boards stalled.
            client.http_client.budget = None
            self._spreadsheet = client.open_by_key(self.settings.sheet_id)
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
        with session_scope(self.ward.id) as session:
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
        if behind:
            self.pacer.ask()
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
        """Type the ward's two obviously sample officers into the Cán bộ tab, as the ward would,
        so the Người xử lý dropdown has names. Their Zalo ids are fake residents' ids: enter one
        in the chat pane to read what the bot sends that officer."""
        _, officers = self.read()
        if officers:
            return None
        sample = SAMPLE_OFFICERS.get(self.ward.code, SAMPLE_OFFICERS[DEFAULT_WARD_CODE])
        with self._lock:
            try:
                self.spreadsheet.values_update(f"'{OFFICERS}'!A2:C{1 + len(sample)}",
                                               params={"valueInputOption": "USER_ENTERED"},
                                               body={"values": [list(o) for o in sample]})
            except APIError as exc:
                if exc.response.status_code != 400:
                    raise
                return "Bảng chưa được tạo: đợi lần đồng bộ đầu tiên (vài giây) rồi thử lại."
        # No onEdit hook watches that tab: the next cycle reads it (here, at once).
        self.pacer.ask(at_once=True)
        return None

    def _hook(self, code: str, column: str, old: str, new: str) -> str | None:
        """What sheets_sync/apps_script/onEdit.gs posts, signed the same way; the spreadsheet id
        tells the server which ward's sheet was edited."""
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


def _source() -> dict:
    return request.form if request.form else (request.get_json(silent=True) or {})


def _resident() -> tuple[str, str]:
    source = _source()
    return str(source.get("user_id") or "").strip(), str(source.get("name") or "").strip()[:80]


def _chosen_ward():
    """The ward the page works for (`ward`: a code, in the query string or the body; none: the
    default ward). An unknown code ends the request with a 404 that says so."""
    code = str(request.args.get("ward") or _source().get("ward") or "").strip()
    ward = _console().ward(code)
    if ward is None:
        abort(make_response(jsonify({"ok": False, "error": f"Không có phường {code}."}), 404))
    return ward


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
        "wards": [{"code": w.code, "name": w.name or w.code} for w in _console().wards.all()],
        "instance": _console().instance,
    })


@bp.post("/api/send")
def send():
    """{ward?, user_id, name, type: text|location|follow, text?, lat?, lng?}"""
    user_id, name = _resident()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    body = request.get_json(silent=True) or {}
    kind = body.get("type", "text")
    with _console().chat(user_id, name, _chosen_ward()) as chat:
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
    """multipart: ward?, user_id, name, file, caption?"""
    user_id, name = _resident()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _bad("Chưa chọn ảnh.")
    with _console().chat(user_id, name, _chosen_ward()) as chat:
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
    """What the ward's OA sent this resident after `after_id`, as the fake Zalo recorded it."""
    user_id = request.args.get("user_id", "").strip()
    if not _ZALO_ID.match(user_id):
        return _bad("Mã Zalo của cư dân phải là một dãy số (5–32 chữ số).")
    after = request.args.get("after_id", "0")
    with _console().chat(user_id, None, _chosen_ward()) as chat:
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
    ward_board = _console().board(_chosen_ward())
    rows, officers = ward_board.read()
    behind = ward_board.ask_sync_if_behind(rows, officers)
    header = rows[0] if rows else list(COLUMNS)
    return jsonify({"ok": True, "header": header, "rows": rows[1:], "officers": officers,
                    "behind": behind})


@bp.post("/api/edit")
def edit():
    """{ward?, code, column, value}: an officer's edit of one cell of the ward's board."""
    body = request.get_json(silent=True) or {}
    code, column = str(body.get("code") or "").strip(), str(body.get("column") or "")
    value = str(body.get("value") if body.get("value") is not None else "")
    if column not in EDITABLE:
        return _bad(f"Cột «{column}» do hệ thống ghi, cán bộ không sửa được.")
    if not code:
        return _bad("Thiếu mã phiếu.")
    problem = _console().board(_chosen_ward()).edit(code, column, value)
    if problem:
        return _bad(problem, 409)
    return jsonify({"ok": True})


@bp.post("/api/sample-officers")
def sample_officers():
    problem = _console().board(_chosen_ward()).add_sample_officers()
    if problem:
        return _bad(problem, 409)
    return jsonify({"ok": True})


@bp.get("/api/city")
def city_view():
    """The wards side by side this week: received, resolved, overdue (the «Tổng hợp» figures)."""
    return jsonify({"ok": True, "wards": _console().city_week(),
                    "city_sheet": _console().settings.city_sheet_id})


@bp.post("/api/city/publish")
def city_publish():
    """Write this week's rows to the city sheet's «Tổng hợp» tab now, as the Friday job does."""
    from bot.runtime.sheets import publish_city_week

    weeks, sent = publish_city_week(_console().settings)
    if sent is None:
        return _bad("Chưa có bảng tính thành phố (CITY_SHEET_ID).", 409)
    return jsonify({"ok": True, "wards": len(weeks), "requests": sent, "tab": city_sheet.TAB})
