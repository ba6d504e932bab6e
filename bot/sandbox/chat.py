"""`python -m bot chat`: talk to the running sandbox bot from a terminal, as a resident.

Each line you type is sent as a correctly signed Zalo `user_send_text` webhook; the bot's
replies are read back from the fake Zalo API and printed, buttons numbered: type the number
to tap one. /anh sends a photo, /vitri a shared location, /theodoi a follow, /thoat quits.
"""
from __future__ import annotations

import sys
import time

import requests

from bot.sandbox import payloads
from bot.sandbox import setup as sandbox

QUIET_AFTER_REPLY = 0.7
# The first reply after `serve` starts waits for the worker to load its language models: seconds
# on a quiet machine, far more on a busy small server. Saying "is the bot running?" too soon is
# a false alarm; a late reply still shows at the next message.
MAX_WAIT = 30.0
RETRY_SECONDS = 1.0
GIVE_UP_SECONDS = 300.0


class Disconnected(Exception):
    """The sandbox stayed unreachable for GIVE_UP_SECONDS."""


class ChatClient:
    def __init__(self, info: dict, user_id: str, out=sys.stdout, sandbox_file: str | None = None,
                 display_name: str | None = None, patient: bool = True, ward: dict | None = None):
        # `ward`: another ward's OA, app and webhook key (`chat --ward`), kept across a restart
        self.ward = ward or {}
        self.info = {**info, **self.ward}
        self.user_id = user_id
        self.display_name = display_name
        self.out = out
        self.sandbox_file = sandbox_file
        # The terminal waits for a restarting serve; the console (inside serve) answers at once.
        self.patient = patient
        self.after_id = 0
        self.buttons: list[str] = []
        self.http = requests.Session()

    def _call(self, request):
        """Run `request()` (which reads self.info); while `serve` is down or restarting, say so
        once and retry. A restarted sandbox has a new fake Zalo (new address, message ids from
        1 again): sandbox.json is read again and the reading position reset."""
        if not self.patient:
            return request()
        down_since = None
        while True:
            try:
                result = request()
            except requests.RequestException:
                if down_since is None:
                    down_since = time.monotonic()
                    self.out.write("(Mất kết nối với bot — đang kết nối lại…)\n")
                    self.out.flush()
                elif time.monotonic() - down_since > GIVE_UP_SECONDS:
                    raise Disconnected from None
                time.sleep(RETRY_SECONDS)
                self._reload()
                continue
            if down_since is not None:
                self.out.write("(Đã kết nối lại với bot.)\n")
                self.out.flush()
            return result

    def _reload(self) -> None:
        if not self.sandbox_file:
            return
        try:
            info = sandbox.read_info(self.sandbox_file)
        except (OSError, ValueError):
            return
        if info.get("fake_zalo_url") != self.info.get("fake_zalo_url"):
            self.info, self.after_id = {**info, **self.ward}, 0

    def _event(self, event_name: str, message: dict) -> dict:
        return payloads.user_event(self.info["app_id"], self.info["oa_id"], self.user_id, event_name,
                                   message)

    # The events Zalo sends when a resident types, sends a photo or a location, or follows.
    def text_event(self, text: str) -> dict:
        return self._event("user_send_text", payloads.text(text))

    def image_event(self, url: str, thumbnail: str | None = None, caption: str = "") -> dict:
        return self._event("user_send_image", payloads.image(url, thumbnail, caption))

    def location_event(self, lat: str, lng: str) -> dict:
        return self._event("user_send_location", payloads.location(lat, lng))

    def follow_event(self) -> dict:
        return payloads.follow_event(self.info["app_id"], self.info["oa_id"], self.user_id,
                                     source="chat")

    def upload_photo(self, content: bytes, filename: str) -> dict:
        """Host a photo on the fake Zalo, as Zalo's CDN holds what residents send: {"url", ...}."""
        resp = self.http.post(f"{self.info['fake_zalo_url']}/_fake/media",
                              files={"file": (filename, content)}, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def send(self, body: dict) -> int:
        """Post the event as Zalo does (signed raw bytes); the webhook's HTTP status."""
        def post():
            # Signed as sent: a retry after an outage carries the time it was delivered, and the
            # same msg_id, so a delivery that did land before the outage is not handled twice.
            body["timestamp"] = payloads.now_ms()
            raw, headers = payloads.signed(body, self.info["oa_secret_key"])
            # Real Zalo knows the resident just wrote; tell the fake so the reply window is open.
            self.http.post(f"{self.info['fake_zalo_url']}/_fake/interaction",
                           json={"user_id": self.user_id, "display_name": self.display_name,
                                 "oa_id": self.info["oa_id"]},
                           timeout=5)
            return self.http.post(self.info["webhook_url"], data=raw, headers=headers, timeout=5)

        resp = self._call(post)
        if resp.status_code != 200:
            self.out.write(f"(bot không nhận tin: mã {resp.status_code})\n")
        return resp.status_code

    def fetch(self) -> list[dict]:
        """The fake's records of what the ward's OA sent this resident since the last fetch."""
        resp = self._call(lambda: self.http.get(
            f"{self.info['fake_zalo_url']}/_fake/messages",
            params={"user_id": self.user_id, "after_id": self.after_id, "oa_id": self.info["oa_id"]},
            timeout=5))
        items = resp.json() if resp.ok else []  # a JSON list of recorded sends
        for item in items:
            self.after_id = max(self.after_id, int(item["id"]))
        return items

    def replies(self) -> list[dict]:
        """Wait for the bot's replies: until a short quiet period after the first one."""
        got: list[dict] = []
        start = last = time.monotonic()
        while True:
            items = self.fetch()
            for item in items:
                got.append(item["message"])
                last = time.monotonic()
            now = time.monotonic()
            if got and now - last > QUIET_AFTER_REPLY:
                return got
            if not got and now - start > MAX_WAIT:
                return got
            time.sleep(0.1)

    def show(self, messages: list[dict]) -> None:
        if not messages:
            self.out.write("(chưa thấy trả lời — bot có đang chạy không?)\n")
        for message in messages:
            self.out.write(f"Phường: {message.get('text', '')}\n")
            payload = (message.get("attachment") or {}).get("payload") or {}
            buttons = [b.get("title", "") for b in payload.get("buttons") or []]
            if buttons:
                self.buttons = buttons
                self.out.write("        " + "  ".join(f"[{i}] {t}" for i, t in enumerate(buttons, 1)) + "\n")
        self.out.flush()

    def handle_line(self, line: str) -> bool:
        line = line.strip()
        if not line:
            return True
        if line in ("/thoat", "/quit", "/exit"):
            return False
        if line == "/anh":
            body = self.image_event("https://example.invalid/anh-minh-hoa.jpg",
                                    "https://example.invalid/anh-minh-hoa-nho.jpg")
        elif line.startswith("/vitri"):
            parts = line.split()
            lat, lng = (parts[1], parts[2]) if len(parts) == 3 else ("21.0285", "105.8542")
            body = self.location_event(lat, lng)
        elif line == "/theodoi":
            body = self.follow_event()
        else:
            if line.isdigit() and 1 <= int(line) <= len(self.buttons):
                line = self.buttons[int(line) - 1]
                self.out.write(f"(bấm nút: {line})\n")
            body = self.text_event(line)
        self.send(body)
        self.show(self.replies())
        return True


def run(sandbox_file: str, user_id: str | None = None, stdin=sys.stdin, out=sys.stdout,
        ward: dict | None = None) -> int:
    try:
        info = sandbox.read_info(sandbox_file)
    except FileNotFoundError:
        out.write("Chưa thấy sandbox: hãy chạy `./dev serve` ở một cửa sổ khác trước.\n")
        return 2
    client = ChatClient(info, user_id or "7000000000000000001", out, sandbox_file=str(sandbox_file),
                        ward=ward)
    try:
        return _loop(client, stdin, out)
    except KeyboardInterrupt:
        out.write("\nTạm biệt.\n")
        return 0
    except Disconnected:
        out.write(f"Không kết nối lại được với bot sau {GIVE_UP_SECONDS / 60:.0f} phút: kiểm tra cửa sổ "
                  "`./dev serve` rồi chạy lại `./dev chat`.\n")
        return 1


def _loop(client: ChatClient, stdin, out) -> int:
    interactive = stdin.isatty()
    ward = f" của {client.ward['name']}" if client.ward.get("name") else ""
    out.write(f"Bạn đang nhắn với Hộp thư số{ward} như một cư dân. Gõ số để bấm nút; /anh gửi ảnh, "
              "/vitri gửi vị trí, /theodoi quan tâm OA, /thoat để thoát.\n")
    while True:
        if interactive:
            out.write("Bạn: ")
            out.flush()
        line = stdin.readline()
        if not line:
            return 0
        if not interactive:
            out.write(f"Bạn: {line.strip()}\n")
        if not client.handle_line(line):
            return 0
