"""Echoes (Zalo -> our webhook)."""
from __future__ import annotations

import json
import threading
import time
from typing import Any

# Zalo echoes every message the OA sends as an oa_send_* webhook event: the OA as sender, the
# resident (or group) as recipient, the message with its msg_id (the one the send API answered)
# and text. The fake posts them, signed as Zalo signs, to `webhook_url` from one background
# thread, with Zalo-like retries when the webhook does not answer 200.
ECHO_RETRIES = 3


def echo_event_name(message: dict, group: bool) -> str:
    payload = ((message or {}).get("attachment") or {}).get("payload") or {}
    kind = {"media": "image", "request_user_info": "list"}.get(
        payload.get("template_type") if isinstance(payload, dict) else None, "text")
    return f"oa_send_group_{kind}" if group else f"oa_send_{kind}"



class Echoes:
    """The echo half of FakeZaloState (which sets up webhook_url, webhook_secret, oa_id,
    echoes, echo_delay_ms, _echo_queue, _echo_wakeup and _echo_thread)."""

    def configure_webhook(self, url: str | None, secret: str, oa_id: str | None = None) -> None:
        with self.lock:
            self.webhook_url, self.webhook_secret = url, secret
            if oa_id:
                self.oa_id = oa_id

    def echo(self, recipient_id: str | None, message: dict, msg_id: str, *, group: bool = False,
             admin_id: str | None = None) -> None:
        """Queue the oa_send_* event Zalo would post for a message the OA sent."""
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
            self._echo_queue.append((raw, headers))
            self.counters["echoes_queued"] += 1
            if self._echo_thread is None or not self._echo_thread.is_alive():
                self._echo_thread = threading.Thread(target=self._post_echoes, name="fake-zalo-echo",
                                                     daemon=True)
                self._echo_thread.start()
        self._echo_wakeup.set()

    def officer_message(self, user_id: str, text: str, admin_id: str = "7700000000000000001") -> str:
        """An officer typed a message in the OA chat tool: the resident gets it, Zalo echoes
        it with sender.admin_id; it went through no API call of ours."""
        msg_id = self.new_numeric_id()
        self.echo(user_id, {"text": text}, msg_id, admin_id=admin_id)
        return msg_id

    def _post_echoes(self) -> None:
        import requests

        http = requests.Session()
        while not self.stopping.is_set():
            with self.lock:
                item = self._echo_queue.popleft() if self._echo_queue else None
                url, delay = self.webhook_url, self.echo_delay_ms
            if item is None:
                self._echo_wakeup.wait(0.2)
                self._echo_wakeup.clear()
                continue
            if delay:
                time.sleep(delay / 1000)
            raw, headers = item
            for attempt in range(ECHO_RETRIES):
                try:
                    if http.post(url, data=raw, headers=headers, timeout=5).status_code == 200:
                        with self.lock:
                            self.counters["echoes_delivered"] += 1
                        break
                except requests.RequestException:
                    pass
                if self.stopping.wait(0.2 * (attempt + 1)):
                    return
            else:
                with self.lock:
                    self.counters["echoes_failed"] += 1

    def echoes_pending(self) -> int:
        with self.lock:
            return len(self._echo_queue)
