"""The fake's Flask app (failure injection, the quota and the request counters in front of the
spreadsheet and values endpoints) and its threaded HTTP server."""
from __future__ import annotations

import argparse
import threading
import time

from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.sandbox.fake_sheets import spreadsheet, values
from bot.sandbox.fake_sheets.errors import FAILURE_MESSAGES, BadRequest, error
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


def create_fake_sheets_app(state: FakeSheetsState) -> Flask:
    app = Flask("fake_sheets")

    @app.route("/v4/spreadsheets/<path:rest>", methods=["GET", "POST", "PUT"])
    def dispatch(rest: str):
        sid, kind, a1 = classify(rest, request.method)
        failure = state._take_failure(kind)
        if failure and "hang" in failure:
            time.sleep(failure["hang"])     # applied below, answered late
        elif failure:
            with state.lock:
                state.requests["failed"] += 1
            return error(failure["status"], FAILURE_MESSAGES.get(failure["status"], "Error"))
        with state.lock:
            if state._over_quota("read" if request.method == "GET" else "write"):
                state.requests["quota"] += 1
                return error(429, FAILURE_MESSAGES[429].replace(
                    "Write", "Read" if request.method == "GET" else "Write"))
            if sid != state.spreadsheet_id:
                return error(404, "Requested entity was not found.")
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

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests and the sandbox don't want access logs
        pass


class FakeSheetsServer:
    """Context manager: a threaded werkzeug server on an ephemeral 127.0.0.1 port."""

    def __init__(self, state: FakeSheetsState | None = None, host: str = "127.0.0.1", port: int = 0):
        self.state = state or FakeSheetsState()
        self._server = make_server(host, port, create_fake_sheets_app(self.state), threaded=True,
                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

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
    parser.add_argument("--quota-per-minute", type=int, default=None)
    args = parser.parse_args(argv)
    server = FakeSheetsServer(FakeSheetsState(args.sheet_id, quota_per_minute=args.quota_per_minute),
                              host=args.host, port=args.port)
    print(f"fake Sheets on {server.base_url}  (GOOGLE_SHEETS_API_BASE={server.base_url} "
          f"SHEET_ID={args.sheet_id})", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
