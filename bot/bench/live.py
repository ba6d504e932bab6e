"""Serve a WSGI app (the service's own Flask app) on 127.0.0.1 in a background thread, so the
fake Zalo can post its oa_send_* echoes to a real webhook URL, as Zalo does."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per echo would drown the output
        pass


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        self._server = make_server(host, port, app, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name="live-app", daemon=True)
        self.url = f"http://{host}:{self._server.server_port}"

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
