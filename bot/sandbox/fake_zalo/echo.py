"""Echoes (Zalo -> our webhook)."""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any

# Zalo echoes every message an OA sends as an oa_send_* webhook event: the OA as sender, the
# resident (or group) as recipient, the message with its msg_id (the one the send API answered)
# and text. The fake posts them, signed as Zalo signs, to the OA's `webhook_url` from one
# background thread, with Zalo-like retries when the webhook does not answer 200.
ECHO_RETRIES = 3


def echo_event_name(message: dict, group: bool) -> str:
    payload = ((message or {}).get("attachment") or {}).get("payload") or {}
    kind = {"media": "image", "request_user_info": "list"}.get(
        payload.get("template_type") if isinstance(payload, dict) else None, "text")
    return f"oa_send_group_{kind}" if group else f"oa_send_{kind}"


class Echoes:
    """The echo half of one OA (oa.FakeOA, which sets up webhook_url, webhook_secret, oa_id,
    echoes and echo_delay_ms): its webhook, and the events its messages make."""

    def configure_webhook(self, url: str | None, secret: str, oa_id: str | None = None) -> None:
        with self.lock:
            self.webhook_url, self.webhook_secret = url, secret
            if oa_id:
                self.oa_id = oa_id

    def echo(self, recipient_id: str | None, message: dict, msg_id: str, *, group: bool = False,
             admin_id: str | None = None) -> None:
        """Queue the oa_send_* event Zalo would post for a message this OA sent."""
        from webhooks.signature import zalo_header

        with self.lock:
            if not self.webhook_url or not self.echoes or not recipient_id:
                return
            echoed: dict[str, Any] = {"msg_id": msg_id}
            if isinstance(message.get("text"), str):
                echoed["text"] = message["text"]
            name = echo_event_name(message, group)
            if name.endswith("_image"):
                echoed["attachments"] = [{"type": "image", "payload": {
                    "url": f"https://photo-stal.zadn.vn/fake/{msg_id}.jpg"}}]
            sender: dict[str, str] = {"id": self.oa_id}
            if admin_id:  # typed by an officer in the OA chat tool
                sender["admin_id"] = admin_id
            body = {"app_id": self.app_id, "oa_id": self.oa_id, "user_id_by_app": "",
                    "event_name": name, "timestamp": str(int(time.time() * 1000)),
                    "sender": sender, "recipient": {"id": recipient_id}, "message": echoed}
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json",
                       "X-ZEvent-Signature": zalo_header(self.app_id, raw, body["timestamp"],
                                                         self.webhook_secret)}
            self.counters["echoes_queued"] += 1
        self.hub.post_later(self, raw, headers)

    def officer_message(self, user_id: str, text: str, admin_id: str = "7700000000000000001") -> str:
        """An officer typed a message in the OA chat tool: the resident gets it, Zalo echoes
        it with sender.admin_id; it went through no API call of ours."""
        msg_id = self.new_numeric_id()
        self.echo(user_id, {"text": text}, msg_id, admin_id=admin_id)
        return msg_id


class EchoPoster:
    """The fake's one thread that posts every OA's echoes, in the order they were queued, each
    to its OA's webhook (read when posted: a test may point it elsewhere meanwhile)."""

    def __init__(self) -> None:
        self._echo_queue: deque[tuple[Any, bytes, dict]] = deque()
        self._echo_wakeup = threading.Event()
        self._echo_thread: threading.Thread | None = None

    def post_later(self, oa, raw: bytes, headers: dict) -> None:
        with self._lock:
            self._echo_queue.append((oa, raw, headers))
            if self._echo_thread is None or not self._echo_thread.is_alive():
                self._echo_thread = threading.Thread(target=self._post_echoes, name="fake-zalo-echo",
                                                     daemon=True)
                self._echo_thread.start()
        self._echo_wakeup.set()

    def _post_echoes(self) -> None:
        import requests

        http = requests.Session()
        while not self._stopping.is_set():
            with self._lock:
                item = self._echo_queue.popleft() if self._echo_queue else None
            if item is None:
                self._echo_wakeup.wait(0.2)
                self._echo_wakeup.clear()
                continue
            oa, raw, headers = item
            with self._lock:
                url, delay = oa.webhook_url, oa.echo_delay_ms
            if delay:
                time.sleep(delay / 1000)
            self._post_one(http, oa, url, raw, headers)

    def _post_one(self, http, oa, url: str | None, raw: bytes, headers: dict) -> None:
        import requests

        for attempt in range(ECHO_RETRIES):
            try:
                if url and http.post(url, data=raw, headers=headers, timeout=5).status_code == 200:
                    with self._lock:
                        oa.counters["echoes_delivered"] += 1
                    return
            except requests.RequestException:
                pass
            if self._stopping.wait(0.2 * (attempt + 1)):
                return
        with self._lock:
            oa.counters["echoes_failed"] += 1

    def echoes_pending(self) -> int:
        with self._lock:
            return len(self._echo_queue)
