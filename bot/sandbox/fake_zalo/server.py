"""The fake's Flask app (counting, latency, injected failures, the rate limit and the access
token, in front of every API area) and its HTTP server in a background thread."""
from __future__ import annotations

import argparse
import logging
import socket
import threading
import time

from flask import Flask, Response, g, request
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.sandbox.fake_zalo import control, followers, messages, oauth, uploads
from bot.sandbox.fake_zalo.checks import current_oa, error, recipient_of_request
from bot.sandbox.fake_zalo.facts import OAUTH_TOKEN
from bot.sandbox.fake_zalo.state import DEFAULT_APP_ID, FakeZaloState

log = logging.getLogger(__name__)


def create_fake_zalo_app(state: FakeZaloState) -> Flask:
    app = Flask("fake_zalo")
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    app.extensions["fake_zalo_state"] = state
    _register_edge(app, state)
    _register_after_delivery(app, state)
    for area in (messages, followers, uploads, oauth, control):
        area.register(app, state)
    return app


def _oa_of_request(state: FakeZaloState):
    """Zalo tells OAs apart by the access token; an OAuth call names its app and refresh token."""
    if request.path == OAUTH_TOKEN:
        form = request.form
        return state.oa_for_oauth(form.get("app_id"), form.get("refresh_token"), form.get("code"))
    return state.oa_for_token(request.headers.get("access_token"))


def _register_edge(app: Flask, state: FakeZaloState) -> None:
    @app.before_request
    def _edge():
        """Counting, latency, injected failures, the app's rate limit and the access token, in
        that order, for the OA the request is for."""
        path = request.path
        if path.startswith("/_fake/"):
            return None
        oa = g.fake_oa = _oa_of_request(state)
        with oa.lock:
            oa.requests[path] += 1
            latency = oa.latency_ms
        if latency:
            time.sleep(latency / 1000)  # configured latency, on the server side only
        rule = oa.take_failure(path, recipient=recipient_of_request())
        if rule is not None:
            if rule.hang_seconds is not None:
                # Hang, then carry on normally: like a slow Zalo, the call may still take
                # effect after the client gave up (a retry can then duplicate a message).
                if oa.stopping.wait(rule.hang_seconds):
                    return Response("server stopping", status=503)
            elif rule.http_status is not None:
                return Response("<html><body>Internal error</body></html>",
                                status=rule.http_status, mimetype="text/html")
            else:
                return error(rule.code)
        if path != OAUTH_TOKEN:
            if not oa.admit():
                return error(-32)
            code = oa.check_access(request.headers.get("access_token"))
            if code:
                with oa.lock:
                    oa.counters["auth_failures"] += 1
                return error(code)
        return None


def _register_after_delivery(app: Flask, state: FakeZaloState) -> None:
    @app.after_request
    def _after_delivery(response: Response) -> Response:
        """Failures injected after_delivery: only once the message really went out."""
        if request.path.startswith("/_fake/") or response.status_code != 200:
            return response
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or body.get("error") != 0 or "message_id" not in (body.get("data") or {}):
            return response
        oa = current_oa()
        rule = oa.take_failure(request.path, after_delivery=True, recipient=recipient_of_request())
        if rule is None:
            return response
        with oa.lock:
            oa.counters["failed_after_delivery"] += 1
        if rule.hang_seconds is not None:
            oa.stopping.wait(rule.hang_seconds)  # the client times out meanwhile
            return response
        if rule.drop:
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return Response("", status=500)  # never reaches the client
        return Response("<html><body>Bad gateway</body></html>", status=rule.http_status,
                        mimetype="text/html")


class _KeepUnderscoreHeaders(WSGIRequestHandler):
    """Werkzeug's server drops headers with "_" in the name (they are ambiguous in WSGI), but
    Zalo's own are `access_token` and `secret_key`: put them back."""

    def make_environ(self):
        environ = super().make_environ()
        for key, value in self.headers.items():
            if "_" in key:
                environ["HTTP_" + key.upper().replace("-", "_")] = value
        return environ


class _QuietHandler(_KeepUnderscoreHeaders):
    """Access log at DEBUG, so test output is not one line per fake request."""

    def log_request(self, code="-", size="-"):
        log.debug("%s %s", self.requestline, code)


class FakeZaloServer:
    """Serve the fake on 127.0.0.1 in a background thread.

        with FakeZaloServer() as fake:
            client = ZaloClient(fake.base_url, fake.base_url, ...)
    """

    def __init__(self, state: FakeZaloState | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 quiet: bool = True):
        self.state = state or FakeZaloState()
        self._handler = _QuietHandler if quiet else _KeepUnderscoreHeaders
        self.app = create_fake_zalo_app(self.state)
        self._host, self._port = host, port
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> "FakeZaloServer":
        self.state.stopping.clear()
        self._server = make_server(self._host, self._port, self.app, threaded=True,
                                   request_handler=self._handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-zalo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.state.stopping.set()  # release any injected hang
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeZaloServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.fake_zalo.server",
                                     description="Fake Zalo OpenAPI + OAuth server (offline sandbox)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--app-id", default=DEFAULT_APP_ID)
    parser.add_argument("--app-secret", default="fake-app-secret")
    parser.add_argument("--access-token", default="fake-access-token")
    parser.add_argument("--refresh-token", default="fake-refresh-token")
    parser.add_argument("--oa-type", choices=("normal", "government"), default="normal")
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state = FakeZaloState(app_id=args.app_id, app_secret=args.app_secret,
                          access_token=args.access_token, refresh_token=args.refresh_token,
                          oa_type=args.oa_type, latency_ms=args.latency_ms)
    server = FakeZaloServer(state, host=args.host, port=args.port, quiet=False).start()
    print(f"fake Zalo on {server.base_url}  (ZALO_API_BASE=ZALO_OAUTH_BASE={server.base_url})\n"
          f"  app_id={state.app_id} app_secret={state.app_secret}\n"
          f"  access_token={state.access_token} refresh_token={state.refresh_token}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
