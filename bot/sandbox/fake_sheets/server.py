"""The fake's Flask app (failure injection, the quota and the request counters in front of the
spreadsheet and values endpoints of every spreadsheet it holds) and its threaded HTTP server."""
from __future__ import annotations

import argparse
import threading
import time

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.sandbox.fake_sheets import spreadsheet, values
from bot.sandbox.fake_sheets.errors import FAILURE_MESSAGES, BadRequest, error
from bot.sandbox.fake_sheets.quota import READ, WRITE, GoogleQuota
from bot.sandbox.fake_sheets.state import FakeSheetsState


def classify(rest: str, method: str) -> tuple[str, str, str]:
    sid, _, tail = rest.partition("/")
    sid, _, verb = sid.partition(":")
    if not tail and not verb and method == "GET":
        return sid, "get", ""
    if verb == "batchUpdate" and not tail:
        return sid, "batchUpdate", ""
    if tail in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
        return sid, tail.replace(":", "."), ""
    if tail.startswith("values/"):
        a1 = tail[len("values/"):]
        for action in ("append", "clear"):
            if a1.endswith(":" + action):
                return sid, f"values.{action}", a1[: -len(action) - 1]
        return sid, "values.get" if method == "GET" else "values.update", a1
    return sid, "unknown", ""


def user_of(authorization: str) -> str:
    """Google counts the per-user quota per caller (a service account); without credentials
    (the redirected client) every request is the one user."""
    return authorization or "service-account"


def create_fake_sheets_app(server: "FakeSheetsServer") -> Flask:
    app = Flask("fake_sheets")

    @app.route("/v4/spreadsheets/<path:rest>", methods=["GET", "POST", "PUT"])
    def dispatch(rest: str):
        sid, kind, a1 = classify(rest, request.method)
        state = server.spreadsheets.get(sid)
        failure = state._take_failure(kind) if state is not None else None
        if failure and "hang" in failure:
            time.sleep(failure["hang"])     # applied below, answered late
        elif failure:
            with state.lock:
                state.requests["failed"] += 1
            return error(failure["status"], FAILURE_MESSAGES.get(failure["status"], "Error"))
        if server.quota is not None:
            refusal = server.quota.admit(user_of(request.headers.get("Authorization", "")),
                                         READ if request.method == "GET" else WRITE)
            if refusal is not None:
                if state is not None:
                    with state.lock:
                        state.requests["quota"] += 1
                body, headers = server.quota.envelope(refusal)
                return jsonify(body), 429, headers
        if state is None:
            return error(404, "Requested entity was not found.")
        return answer(state, sid, kind, a1)

    return app


def answer(state: FakeSheetsState, sid: str, kind: str, a1: str):
    with state.lock:
        if kind == "unknown":
            return error(404, "Not found")
        state.requests[kind] += 1
        state.calls.append((kind, a1 or ",".join(request.args.getlist("ranges"))))
        render = request.args.get("valueRenderOption", "FORMATTED_VALUE")
        major = request.args.get("majorDimension", "ROWS")
        try:
            if kind == "get":
                return spreadsheet.metadata(state)
            if kind == "batchUpdate":
                return spreadsheet.batch_update(state)
            return values.handle(state, sid, kind, a1, render, major)
        except BadRequest as exc:
            return error(400, str(exc))
        except (KeyError, ValueError, TypeError) as exc:
            return error(400, f"Invalid request: {exc}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests and the sandbox don't want access logs
        pass


class FakeSheetsServer:
    """Context manager: a threaded werkzeug server on an ephemeral 127.0.0.1 port, serving
    `state` (the first spreadsheet) and any added with `add_spreadsheet`, all behind one
    `quota` (GoogleQuota; None: no quota, the default)."""

    def __init__(self, state: FakeSheetsState | None = None, host: str = "127.0.0.1", port: int = 0,
                 *, quota: GoogleQuota | None = None):
        self.state = state or FakeSheetsState()
        self.spreadsheets: dict[str, FakeSheetsState] = {self.state.spreadsheet_id: self.state}
        self.quota = quota
        self._server = make_server(host, port, create_fake_sheets_app(self), threaded=True,
                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def add_spreadsheet(self, spreadsheet_id: str, title: str = "Hộp thư số") -> FakeSheetsState:
        """Another spreadsheet on the same server (one per ward, the city's)."""
        state = FakeSheetsState(spreadsheet_id, title=title)
        self.spreadsheets[spreadsheet_id] = state
        return state

    def total_requests(self) -> int:
        """Requests answered (not refused) over every spreadsheet."""
        return sum(s.total_requests() for s in list(self.spreadsheets.values()))

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSheetsServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-sheets")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


SANDBOX_SHEET_ID = "sandbox-sheet"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fake Google Sheets v4 API")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sheet-id", default=SANDBOX_SHEET_ID)
    parser.add_argument("--quota", action="store_true",
                        help="enforce Google's per-minute quota (60 read + 60 write per user, 300 + 300 per project)")
    args = parser.parse_args(argv)
    server = FakeSheetsServer(FakeSheetsState(args.sheet_id), host=args.host, port=args.port,
                              quota=GoogleQuota.google() if args.quota else None)
    print(f"fake Sheets on {server.base_url}  (GOOGLE_SHEETS_API_BASE={server.base_url} "
          f"SHEET_ID={args.sheet_id})", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
