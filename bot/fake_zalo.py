"""A local fake of Zalo's OpenAPI and OAuth v4 servers, over real HTTP.

Tests, the offline sandbox and benchmarks point the real client (bot/zalo/client.py) at it
through ZALO_API_BASE / ZALO_OAUTH_BASE; both are served on the same base URL.

It models what /work/shared/zalo-oa-facts.md says Zalo does: errors are HTTP 200 with a
non-zero "error"; `access_token` header on every API call; GET parameters as one JSON object
in `data`; ids as large numeric strings; 2,000 NFC characters per text; -230 after 7 days
without interaction (48 h to 7 days still delivered, but billed); -235 on v3 cs for a
"government" OA while v2 works; -234 for promotions at night; -32 over the rate limit;
single-use refresh tokens. Where the facts sheet says [check], the fake picks one answer and
makes it configurable (constants below, or FakeZaloState attributes).

Like Zalo, it echoes every message it delivers as a signed oa_send_* webhook event to the
webhook URL it is given (`configure_webhook`, or POST /_fake/webhook), and can fail a send
after delivering it (hang past the client's timeout, a 5xx, a dropped connection).

Control endpoints under /_fake/ (no auth; only the fake has them) let tests, the sandbox and
a terminal chat client in another process script it: see `_register_control_routes`.

Run standalone:  python -m bot.fake_zalo --port 8790
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import socket
import threading
import time
import unicodedata
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

log = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# ---- What Zalo enforces (as far as the facts sheet knows) -------------------------------
MAX_TEXT_CHARS = 2000                  # NFC characters per text [sure]
MAX_BUTTONS = 5                        # "about 5" [sure-ish]
MAX_BUTTON_TITLE = 100                 # third-party docs of the same API
MAX_BUTTON_PAYLOAD = 1000
MAX_LIST_COUNT = 50                    # user/getlist [sure]
MAX_LIST_OFFSET = 9951
MAX_IMAGE_BYTES = 1024 * 1024          # upload/image, jpg/png, 1 MB [check]
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif"}
MAX_RESIDENT_PHOTO_BYTES = 10 * 1024 * 1024   # what a phone camera sends; Zalo compresses [check]
FREE_REPLY_WINDOW = timedelta(hours=48)
REPLY_WINDOW = timedelta(days=7)
FREE_REPLIES_PER_WINDOW = 8            # helpdesk: 8 free replies per 48 h [check]; reported only
NIGHT_START_HOUR, NIGHT_END_HOUR = 22, 6
ACCESS_TOKEN_LIFETIME_S = 90000        # ~25 h; sent back as a string
DEFAULT_RATE_LIMIT_PER_MINUTE = 4000   # [check]
BUTTON_TYPES = {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms"}
TEMPLATE_TYPES = {"button", "media", "request_user_info"}

# ---- Paths ------------------------------------------------------------------------------
CS_V3 = "/v3.0/oa/message/cs"
MESSAGE_V2 = "/v2.0/oa/message"
PROMOTION_V3 = "/v3.0/oa/message/promotion"
GROUP_V3 = "/v3.0/oa/group/message"
USER_DETAIL = "/v3.0/oa/user/detail"
USER_LIST = "/v3.0/oa/user/getlist"
TAG_FOLLOWER = "/v2.0/oa/tag/tagfollower"
UNTAG_FOLLOWER = "/v2.0/oa/tag/rmfollowerfromtag"
REMOVE_TAG = "/v2.0/oa/tag/rmtag"
GET_TAGS = "/v2.0/oa/tag/gettagsofoa"
QUOTA = "/v3.0/oa/quota/message"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
OAUTH_TOKEN = "/v4/oa/access_token"

# ---- Error codes and the messages the fake answers with ---------------------------------
ERRORS = {
    -32: "Reached the limit of requests per minute",
    -201: "Parameters are invalid",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "Access token has expired or has been removed",
    -230: "User has not interacted with the OA in the last 7 days",
    -234: "Cannot send this message type at night (22:00-06:00)",
    -235: "API does not support this OA type",
    -237: "Group package has expired",
    -403: "OA is not a member of this group",
}
# OAuth v4 answers with its own envelope and -140xx codes. Exact codes are [check].
OAUTH_INVALID_APP = (-14002, "invalid_app", "Invalid app_id or secret_key")
OAUTH_INVALID_REFRESH = (-14014, "invalid_refresh_token", "Refresh token is invalid or was already used")
OAUTH_INVALID_CODE = (-14019, "invalid_code", "Authorization code is invalid or expired")
OAUTH_INVALID_GRANT = (-14001, "invalid_param", "Unsupported grant_type or missing parameter")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ---- State --------------------------------------------------------------------------------
@dataclass
class FakeUser:
    user_id: str
    display_name: str
    is_follower: bool = True
    last_interaction: datetime | None = None
    tags: set[str] = field(default_factory=set)
    shared_info: dict | None = None
    replies_since_interaction: int = 0


@dataclass
class FakeGroup:
    group_id: str
    oa_in_group: bool = True
    package_expired: bool = False


@dataclass
class SentMessage:
    id: int                    # recording order, for ?after_id=
    path: str
    api_version: str           # "v2" | "v3"
    user_id: str | None
    group_id: str | None
    message: dict              # the `message` object exactly as received
    timestamp: datetime
    message_id: str
    billed: bool = False       # sent between 48 h and 7 days after the user's last message

    def to_json(self) -> dict:
        return {
            "id": self.id, "path": self.path, "api_version": self.api_version,
            "user_id": self.user_id, "group_id": self.group_id, "message": self.message,
            "timestamp": self.timestamp.isoformat(), "message_id": self.message_id,
            "billed": self.billed,
        }


@dataclass
class FailRule:
    path: str                  # exact path, or "*" for every path, the OAuth one included
    code: int | None = None
    http_status: int | None = None
    hang_seconds: float | None = None
    times: int = 1
    # after_delivery: the message is delivered (recorded, echoed) and THEN the answer hangs,
    # is a 5xx, or the connection is dropped ("drop"): the client cannot know it went out.
    after_delivery: bool = False
    drop: bool = False
    recipient: str | None = None   # only sends to this user or group id


# ---- Echoes (Zalo -> our webhook) ---------------------------------------------------------
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


class FakeZaloState:
    """Everything the fake knows. Every read and write of mutable state holds `self.lock`."""

    def __init__(self, *, app_id: str = "1234567890123456789", app_secret: str = "fake-app-secret",
                 access_token: str | None = None, refresh_token: str | None = None,
                 clock: Callable[[], datetime] = _utcnow, oa_type: str = "normal",
                 latency_ms: int = 0, rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
                 seed: int | None = None):
        self.lock = threading.RLock()
        self.stopping = threading.Event()   # set on server stop: releases hung requests
        self.app_id = app_id
        self.app_secret = app_secret
        self.clock = clock
        self._rng = random.Random(seed)
        self._initial = dict(oa_type=oa_type, latency_ms=latency_ms,
                             rate_limit_per_minute=rate_limit_per_minute)
        # Access token -> (expires_at, revoked_code or None). Old access tokens stay valid
        # until they expire after a refresh [check]; only the refresh token is single use.
        self._access: dict[str, tuple[datetime, int | None]] = {}
        self.refresh_token = ""
        self.expired_token_code = -216        # what a naturally expired token gets
        self._auth_codes: set[str] = set()
        self.access_token = self._issue_access(access_token)
        self.refresh_token = refresh_token or self._token("rt")
        # Echo delivery: set webhook_url (and the OA secret key the webhook checks) to turn on.
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self.oa_id = "388613280878808645"
        self._echo_queue: deque[tuple[bytes, dict]] = deque()
        self._echo_wakeup = threading.Event()
        self._echo_thread: threading.Thread | None = None
        self._reset_data()

    # -- ids and tokens --
    def new_numeric_id(self) -> str:
        return str(self._rng.randrange(10**17, 10**19))

    def _token(self, prefix: str) -> str:
        return f"{prefix}-" + "".join(self._rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=40))

    def _issue_access(self, token: str | None = None) -> str:
        token = token or self._token("at")
        self._access[token] = (self.clock() + timedelta(seconds=ACCESS_TOKEN_LIFETIME_S), None)
        return token

    def _reset_data(self) -> None:
        self.oa_type = self._initial["oa_type"]
        self.latency_ms = self._initial["latency_ms"]
        self.rate_limit_per_minute = self._initial["rate_limit_per_minute"]
        self.group_package_expired = False
        self.users: dict[str, FakeUser] = {}
        self.tags: set[str] = set()
        self.groups: dict[str, FakeGroup] = {}
        self.uploads: dict[str, int] = {}      # attachment_id -> size
        # Photos residents send: Zalo hosts them on its CDN and the webhook carries the URL.
        self.media: dict[str, tuple[bytes, str]] = {}   # file name -> (bytes, mimetype)
        self.sent: list[SentMessage] = []
        self.failures: list[FailRule] = []
        self.requests: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()   # refreshes, rate_limited, auth_failures ...
        self._window: deque[float] = deque()     # monotonic times of recent API calls
        self._msg_seq = itertools.count(1)
        self.echoes = True             # False: an OA whose webhook is not subscribed to oa_send_*
        self.echo_delay_ms = 0

    def reset(self, *, tokens: bool = False) -> None:
        """Forget users, messages, failures, counters and config. Tokens survive unless asked:
        a client that already rotated them keeps working after a test resets the data."""
        with self.lock:
            self._reset_data()
            if tokens:
                self._access.clear()
                self.access_token = self._issue_access()
                self.refresh_token = self._token("rt")

    # -- users, groups --
    def add_user(self, user_id: str | None = None, display_name: str = "", *,
                 is_follower: bool = True, last_interaction: datetime | None | str = "now",
                 tags: tuple[str, ...] | list[str] = (), shared_info: dict | None = None) -> str:
        """Add or replace a user. last_interaction="now" (default), a datetime, or None (never)."""
        with self.lock:
            user_id = str(user_id or self.new_numeric_id())
            when = self.clock() if last_interaction == "now" else last_interaction
            self.users[user_id] = FakeUser(user_id, display_name or f"Cư dân {user_id[-4:]}",
                                           is_follower, when, set(tags), shared_info)
            self.tags.update(tags)
            return user_id

    def touch_interaction(self, user_id: str, display_name: str | None = None) -> FakeUser:
        """The user wrote to the OA just now (real Zalo learns this from their message)."""
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                self.add_user(user_id, display_name or "")
                user = self.users[user_id]
            user.is_follower = True
            user.last_interaction = self.clock()
            user.replies_since_interaction = 0
            if display_name:
                user.display_name = display_name
            return user

    def add_group(self, group_id: str | None = None, *, oa_in_group: bool = True,
                  package_expired: bool = False) -> str:
        with self.lock:
            group_id = str(group_id or self.new_numeric_id())
            self.groups[group_id] = FakeGroup(group_id, oa_in_group, package_expired)
            return group_id

    # -- tokens --
    def expire_access_tokens(self, code: int = -216) -> None:
        """Make every access token issued so far fail with `code` (-216 or -220)."""
        with self.lock:
            for token, (expires_at, _) in list(self._access.items()):
                self._access[token] = (expires_at, code)

    def check_access(self, token: str | None) -> int:
        """0 if the token is good, else the error code Zalo would answer."""
        with self.lock:
            entry = self._access.get(token or "")
            if entry is None:
                return -216
            expires_at, revoked = entry
            if revoked:
                return revoked
            if self.clock() >= expires_at:
                return self.expired_token_code
            return 0

    def rotate_tokens(self) -> tuple[str, str]:
        with self.lock:
            self.access_token = self._issue_access()
            self.refresh_token = self._token("rt")
            self.counters["token_refreshes"] += 1
            return self.access_token, self.refresh_token

    def new_authorization_code(self) -> str:
        """For the optional grant_type=authorization_code exchange."""
        with self.lock:
            code = self._token("code")
            self._auth_codes.add(code)
            return code

    # -- failure injection, rate limit --
    def fail(self, path: str, *, code: int | None = None, http_status: int | None = None,
             hang_seconds: float | None = None, times: int = 1, after_delivery: bool = False,
             drop: bool = False, recipient: str | None = None) -> None:
        """Inject a failure. Before delivery (default): a Zalo error `code`, an `http_status`,
        or a hang (then carry on). after_delivery=True: deliver, then hang past the client's
        timeout, answer `http_status`, or `drop` the connection without an answer."""
        if (code, http_status, hang_seconds, drop or None).count(None) != 3:
            raise ValueError("give exactly one of code, http_status, hang_seconds, drop")
        if after_delivery and code is not None:
            raise ValueError("after_delivery takes http_status, hang_seconds or drop")
        if drop and not after_delivery:
            raise ValueError("drop is an after_delivery failure")
        with self.lock:
            self.failures.append(FailRule(path, code, http_status, hang_seconds, times,
                                          after_delivery, drop, recipient))

    def take_failure(self, path: str, after_delivery: bool = False,
                     recipient: str | None = None) -> FailRule | None:
        with self.lock:
            for rule in self.failures:
                if (rule.path in (path, "*") and rule.after_delivery == after_delivery
                        and rule.recipient in (None, recipient)):
                    rule.times -= 1
                    if rule.times <= 0:
                        self.failures.remove(rule)
                    return rule
            return None

    def admit(self) -> bool:
        """Sliding one-minute window over all API calls (real time, not the injectable clock)."""
        now = time.monotonic()
        with self.lock:
            while self._window and self._window[0] <= now - 60:
                self._window.popleft()
            if len(self._window) >= self.rate_limit_per_minute:
                self.counters["rate_limited"] += 1
                return False
            self._window.append(now)
            return True

    # -- recording --
    def record(self, path: str, message: dict, *, user_id: str | None = None,
               group_id: str | None = None, billed: bool = False) -> SentMessage:
        with self.lock:
            sent = SentMessage(next(self._msg_seq), path, path.split("/")[1][:2], user_id,
                               group_id, message, self.clock(), self.new_numeric_id(), billed)
            self.sent.append(sent)
        self.echo(sent.group_id or sent.user_id, message, sent.message_id, group=bool(group_id))
        return sent

    # -- echoes --
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

    def messages(self, user_id: str | None = None, after_id: int = 0) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.sent
                    if m.id > after_id and (user_id is None or user_id in (m.user_id, m.group_id))]

    def stats(self) -> dict:
        with self.lock:
            return {"requests": dict(self.requests), "messages_sent": len(self.sent),
                    **{k: v for k, v in self.counters.items()},
                    "oa_type": self.oa_type, "latency_ms": self.latency_ms,
                    "rate_limit_per_minute": self.rate_limit_per_minute,
                    "pending_failures": len(self.failures)}

    def is_night(self) -> bool:
        hour = self.clock().astimezone(VN_TZ).hour
        return hour >= NIGHT_START_HOUR or hour < NIGHT_END_HOUR


# ---- Validation helpers -------------------------------------------------------------------
def _err(code: int, message: str | None = None) -> Response:
    return jsonify({"error": code, "message": message or ERRORS.get(code, "Error")})


def _ok(data: Any = None) -> Response:
    body: dict[str, Any] = {"error": 0, "message": "Success"}
    if data is not None:
        body["data"] = data
    return jsonify(body)


def _oauth_err(err: tuple[int, str, str]) -> Response:
    code, name, description = err
    return jsonify({"error": code, "error_name": name, "error_description": description})


def _json_body() -> dict | None:
    body = request.get_json(force=True, silent=True)
    return body if isinstance(body, dict) else None


def _recipient_of_request() -> str | None:
    body = request.get_json(force=True, silent=True) if request.method == "POST" and not request.files else None
    recipient = body.get("recipient") if isinstance(body, dict) else None
    if isinstance(recipient, dict):
        return str(recipient.get("user_id") or recipient.get("group_id") or "") or None
    return None


def _data_param() -> dict | None:
    raw = request.args.get("data")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _check_buttons(buttons: Any) -> str | None:
    if not isinstance(buttons, list) or not buttons:
        return "buttons must be a non-empty list"
    if len(buttons) > MAX_BUTTONS:
        return f"at most {MAX_BUTTONS} buttons"
    for b in buttons:
        if not isinstance(b, dict) or b.get("type") not in BUTTON_TYPES:
            return "button type is invalid"
        if not isinstance(b.get("title"), str) or not b["title"] or len(b["title"]) > MAX_BUTTON_TITLE:
            return "button title is invalid"
        payload = b.get("payload")
        if b["type"].startswith("oa.query."):
            if not isinstance(payload, str) or not payload or len(payload) > MAX_BUTTON_PAYLOAD:
                return "button payload is invalid"
        elif not isinstance(payload, dict):
            return "button payload must be an object"
    return None


def _check_template(payload: Any, uploads: dict[str, int]) -> str | None:
    if not isinstance(payload, dict):
        return "attachment.payload is required"
    kind = payload.get("template_type")
    if kind is None:  # v3 text + buttons: buttons straight under payload
        return _check_buttons(payload.get("buttons"))
    if kind not in TEMPLATE_TYPES:
        return f"template_type {kind!r} is not supported"
    if kind == "button":  # the older shape with the text inside the payload
        if not isinstance(payload.get("text"), str):
            return "button template needs text"
        return _check_buttons(payload.get("buttons"))
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        return "exactly one element is required"
    element = elements[0]
    if kind == "media":
        if element.get("media_type") not in ("image", "gif"):
            return "media_type must be image or gif"
        if "attachment_id" in element:
            return None if element["attachment_id"] in uploads else "unknown attachment_id"
        return None if str(element.get("url", "")).startswith(("http://", "https://")) else "url is invalid"
    for key in ("title", "subtitle", "image_url"):  # request_user_info
        if not isinstance(element.get(key), str) or not element[key]:
            return f"request_user_info element needs {key}"
    return None


def check_message(message: Any, uploads: dict[str, int]) -> str | None:
    """None if Zalo would accept this `message` object, else why not (answered as -201)."""
    if not isinstance(message, dict):
        return "message is required"
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        return "message needs text or attachment"
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            return "text is invalid"
        if len(unicodedata.normalize("NFC", text)) > MAX_TEXT_CHARS:
            return f"text is longer than {MAX_TEXT_CHARS} characters"
    if attachment is not None:
        if not isinstance(attachment, dict):
            return "attachment is invalid"
        if attachment.get("type") == "template":
            return _check_template(attachment.get("payload"), uploads)
        if attachment.get("type") == "file":
            payload = attachment.get("payload")
            return None if isinstance(payload, dict) and payload.get("token") else "file token is required"
        return "attachment type is invalid"
    return None


# ---- The app ------------------------------------------------------------------------------
def create_fake_zalo_app(state: FakeZaloState) -> Flask:
    app = Flask("fake_zalo")
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    app.extensions["fake_zalo_state"] = state

    @app.before_request
    def _edge():
        """Counting, latency, injected failures and the rate limit, in that order."""
        path = request.path
        if path.startswith("/_fake/"):
            return None
        with state.lock:
            state.requests[path] += 1
            latency = state.latency_ms
        if latency:
            time.sleep(latency / 1000)  # configured latency, on the server side only
        rule = state.take_failure(path, recipient=_recipient_of_request())
        if rule is not None:
            if rule.hang_seconds is not None:
                # Hang, then carry on normally: like a slow Zalo, the call may still take
                # effect after the client gave up (a retry can then duplicate a message).
                if state.stopping.wait(rule.hang_seconds):
                    return Response("server stopping", status=503)
            elif rule.http_status is not None:
                return Response("<html><body>Internal error</body></html>",
                                status=rule.http_status, mimetype="text/html")
            else:
                return _err(rule.code)
        if path != OAUTH_TOKEN:
            if not state.admit():
                return _err(-32)
            code = state.check_access(request.headers.get("access_token"))
            if code:
                with state.lock:
                    state.counters["auth_failures"] += 1
                return _err(code)
        return None

    @app.after_request
    def _after_delivery(response: Response) -> Response:
        """Failures injected after_delivery: only once the message really went out."""
        if request.path.startswith("/_fake/") or response.status_code != 200:
            return response
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or body.get("error") != 0 or "message_id" not in (body.get("data") or {}):
            return response
        rule = state.take_failure(request.path, after_delivery=True, recipient=_recipient_of_request())
        if rule is None:
            return response
        with state.lock:
            state.counters["failed_after_delivery"] += 1
        if rule.hang_seconds is not None:
            state.stopping.wait(rule.hang_seconds)  # the client times out meanwhile
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

    def _check_recipient_user(user_id: Any, *, window: bool) -> tuple[int, FakeUser | None, bool]:
        """(error code or 0, user, billed)."""
        with state.lock:
            user = state.users.get(str(user_id)) if user_id else None
            if user is None or not user.is_follower:
                return -213, None, False
            if not window:
                return 0, user, False
            if user.last_interaction is None:
                return -230, None, False
            age = state.clock() - user.last_interaction
            if age > REPLY_WINDOW:
                return -230, None, False
            return 0, user, age > FREE_REPLY_WINDOW

    def _send_to_user(path: str, *, window: bool) -> Response:
        body = _json_body()
        if body is None:
            return _err(-201, "Body must be a JSON object")
        recipient = body.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not user_id or not isinstance(user_id, str):
            return _err(-201, "recipient.user_id is required")
        with state.lock:
            problem = check_message(body.get("message"), state.uploads)
        if problem:
            return _err(-201, problem)
        code, user, billed = _check_recipient_user(user_id, window=window)
        if code:
            return _err(code)
        sent = state.record(path, body["message"], user_id=user_id, billed=billed)
        data: dict[str, Any] = {"message_id": sent.message_id, "user_id": user_id}
        if path == CS_V3:
            with state.lock:
                user.replies_since_interaction += 1
                remain = max(0, FREE_REPLIES_PER_WINDOW - user.replies_since_interaction)
            data["quota"] = {"quota_type": "sub_quota" if billed else "reply",
                             "remain": remain, "total": FREE_REPLIES_PER_WINDOW}
        return _ok(data)

    @app.post(CS_V3)
    def message_cs():
        if state.oa_type == "government":
            return _err(-235)
        return _send_to_user(CS_V3, window=True)

    @app.post(MESSAGE_V2)
    def message_v2():
        return _send_to_user(MESSAGE_V2, window=True)

    @app.post(PROMOTION_V3)
    def message_promotion():
        # Promotions go to followers regardless of the 7-day window (that is what they are
        # for), but never at night.
        if state.is_night():
            return _err(-234)
        return _send_to_user(PROMOTION_V3, window=False)

    @app.post(GROUP_V3)
    def message_group():
        body = _json_body()
        recipient = body.get("recipient") if body else None
        group_id = recipient.get("group_id") if isinstance(recipient, dict) else None
        if not group_id or not isinstance(group_id, str):
            return _err(-201, "recipient.group_id is required")
        with state.lock:
            problem = check_message(body.get("message"), state.uploads)
            group = state.groups.get(group_id)
            expired = state.group_package_expired or (group is not None and group.package_expired)
        if problem:
            return _err(-201, problem)
        if group is None or not group.oa_in_group:
            return _err(-403)
        if expired:
            return _err(-237)
        sent = state.record(GROUP_V3, body["message"], group_id=group_id)
        return _ok({"message_id": sent.message_id, "group_id": group_id})

    @app.get(USER_DETAIL)
    def user_detail():
        data = _data_param()
        if data is None or not data.get("user_id"):
            return _err(-201, "data must be a JSON object with user_id")
        with state.lock:
            user = state.users.get(str(data["user_id"]))
            if user is None:
                return _err(-201, "user_id is invalid")
            last = user.last_interaction
            info = {
                "user_id": user.user_id,
                "user_id_by_app": str(int(user.user_id) // 3),
                "display_name": user.display_name,
                "user_alias": user.display_name,
                "is_sensitive": False,
                "user_is_follower": user.is_follower,
                "user_last_interaction_date": last.astimezone(VN_TZ).strftime("%d/%m/%Y") if last else "",
                "avatar": f"https://s120-ava-talk.zadn.vn/fake/{user.user_id}.jpg",
                "tags_and_notes_info": {"tag_names": sorted(user.tags), "notes": []},
            }
            if user.shared_info:
                info["shared_info"] = dict(user.shared_info)
        return _ok(info)

    @app.get(USER_LIST)
    def user_list():
        data = _data_param()
        if data is None:
            return _err(-201, "data must be a JSON object")
        offset, count = data.get("offset", 0), data.get("count", MAX_LIST_COUNT)
        if not isinstance(offset, int) or not isinstance(count, int):
            return _err(-201, "offset and count must be integers")
        if not 0 < count <= MAX_LIST_COUNT or not 0 <= offset <= MAX_LIST_OFFSET:
            return _err(-201, f"count must be 1..{MAX_LIST_COUNT}, offset 0..{MAX_LIST_OFFSET}")
        tag = data.get("tag_name")
        with state.lock:
            users = [u for u in state.users.values()
                     if u.is_follower and (not tag or tag in u.tags)]
        page = users[offset:offset + count]
        return _ok({"total": len(users), "count": len(page), "offset": offset,
                    "users": [{"user_id": u.user_id} for u in page]})

    def _tag_args(*keys: str) -> dict | Response:
        body = _json_body()
        if body is None or any(not isinstance(body.get(k), str) or not body[k] for k in keys):
            return _err(-201, f"{', '.join(keys)} required")
        return body

    @app.post(TAG_FOLLOWER)
    def tag_follower():
        body = _tag_args("user_id", "tag_name")
        if isinstance(body, Response):
            return body
        with state.lock:
            user = state.users.get(body["user_id"])
            if user is None or not user.is_follower:
                return _err(-213)
            user.tags.add(body["tag_name"])
            state.tags.add(body["tag_name"])
        return _ok()

    @app.post(UNTAG_FOLLOWER)
    def untag_follower():
        body = _tag_args("user_id", "tag_name")
        if isinstance(body, Response):
            return body
        with state.lock:
            user = state.users.get(body["user_id"])
            if user is None:
                return _err(-213)
            if body["tag_name"] not in state.tags:
                return _err(-201, "tag does not exist")
            user.tags.discard(body["tag_name"])
        return _ok()

    @app.post(REMOVE_TAG)
    def remove_tag():
        body = _tag_args("tag_name")
        if isinstance(body, Response):
            return body
        with state.lock:
            if body["tag_name"] not in state.tags:
                return _err(-201, "tag does not exist")
            state.tags.discard(body["tag_name"])
            for user in state.users.values():
                user.tags.discard(body["tag_name"])
        return _ok()

    @app.get(GET_TAGS)
    def get_tags():
        with state.lock:
            return _ok(sorted(state.tags))

    @app.post(QUOTA)
    def quota():
        body = _json_body()
        user_id = body.get("user_id") if body else None
        with state.lock:
            user = state.users.get(str(user_id)) if user_id else None
            if user is None:
                return _err(-201, "user_id is invalid")
            if user.last_interaction is None or state.clock() - user.last_interaction > REPLY_WINDOW:
                return _ok({"user_id": user.user_id, "quota_type": "none", "remain": 0, "total": 0})
            free_until = user.last_interaction + FREE_REPLY_WINDOW
            in_free = state.clock() <= free_until
            return _ok({
                "user_id": user.user_id,
                "quota_type": "reply" if in_free else "sub_quota",
                "remain": max(0, FREE_REPLIES_PER_WINDOW - user.replies_since_interaction) if in_free else None,
                "total": FREE_REPLIES_PER_WINDOW if in_free else None,
                "expired_date": str(int((free_until if in_free else user.last_interaction + REPLY_WINDOW)
                                        .timestamp() * 1000)),
            })

    @app.post(UPLOAD_IMAGE)
    def upload_image():
        upload = request.files.get("file")
        if upload is None:
            return _err(-201, "file is required")
        content = upload.read()
        ext = (upload.filename or "").rsplit(".", 1)[-1].lower()
        if ext not in IMAGE_EXTENSIONS:
            return _err(-201, "only jpg, png or gif images")
        if not content or len(content) > MAX_IMAGE_BYTES:
            return _err(-201, f"image must be 1..{MAX_IMAGE_BYTES} bytes")
        with state.lock:
            attachment_id = state._token("att")
            state.uploads[attachment_id] = len(content)
        return _ok({"attachment_id": attachment_id})

    @app.post(OAUTH_TOKEN)
    def oauth_token():
        form = request.form
        if form.get("app_id") != state.app_id or request.headers.get("secret_key") != state.app_secret:
            return _oauth_err(OAUTH_INVALID_APP)
        grant = form.get("grant_type")
        with state.lock:
            if grant == "refresh_token":
                if not form.get("refresh_token") or form["refresh_token"] != state.refresh_token:
                    state.counters["oauth_rejected"] += 1
                    return _oauth_err(OAUTH_INVALID_REFRESH)
            elif grant == "authorization_code":
                if form.get("code") not in state._auth_codes:
                    return _oauth_err(OAUTH_INVALID_CODE)
                state._auth_codes.discard(form["code"])
            else:
                return _oauth_err(OAUTH_INVALID_GRANT)
            access, refresh = state.rotate_tokens()
        return jsonify({"access_token": access, "refresh_token": refresh,
                        "expires_in": str(ACCESS_TOKEN_LIFETIME_S)})

    _register_control_routes(app, state)
    return app


def _register_control_routes(app: Flask, state: FakeZaloState) -> None:
    """Unauthenticated endpoints for tests, the sandbox and a terminal chat client."""

    @app.get("/_fake/messages")
    def fake_messages():
        after = request.args.get("after_id", "0")
        return jsonify([m.to_json() for m in state.messages(request.args.get("user_id") or None,
                                                              int(after) if after.isdigit() else 0)])

    @app.post("/_fake/fail")
    def fake_fail():
        body = _json_body() or {}
        try:
            state.fail(body.get("path", "*"), code=body.get("code"), http_status=body.get("http_status"),
                       hang_seconds=body.get("hang_seconds"), times=int(body.get("times", 1)),
                       after_delivery=bool(body.get("after_delivery")), drop=bool(body.get("drop")),
                       recipient=body.get("recipient"))
        except (ValueError, TypeError) as exc:
            return jsonify({"ok": False, "error": str(exc)}), 400
        return jsonify({"ok": True})

    @app.post("/_fake/expire_token")
    def fake_expire_token():
        body = _json_body() or {}
        state.expire_access_tokens(int(body.get("code", -216)))
        return jsonify({"ok": True})

    @app.post("/_fake/reset")
    def fake_reset():
        state.reset(tokens=bool((_json_body() or {}).get("tokens")))
        return jsonify({"ok": True})

    @app.post("/_fake/interaction")
    def fake_interaction():
        body = _json_body() or {}
        user_id = str(body.get("user_id") or state.new_numeric_id())
        user = state.touch_interaction(user_id, body.get("display_name"))
        return jsonify({"ok": True, "user_id": user.user_id, "display_name": user.display_name})

    @app.post("/_fake/user")
    def fake_user():
        """{"user_id"?, "display_name"?, "is_follower"?, "last_interaction_hours_ago"? (null =
        never), "tags"?, "shared_info"?}"""
        body = _json_body() or {}
        hours = body.get("last_interaction_hours_ago", 0)
        when = None if hours is None else state.clock() - timedelta(hours=float(hours))
        user_id = state.add_user(body.get("user_id"), body.get("display_name", ""),
                                 is_follower=bool(body.get("is_follower", True)),
                                 last_interaction=when, tags=body.get("tags", ()),
                                 shared_info=body.get("shared_info"))
        return jsonify({"ok": True, "user_id": user_id})

    @app.post("/_fake/group")
    def fake_group():
        body = _json_body() or {}
        group_id = state.add_group(body.get("group_id"), oa_in_group=bool(body.get("oa_in_group", True)),
                                   package_expired=bool(body.get("package_expired", False)))
        return jsonify({"ok": True, "group_id": group_id})

    @app.post("/_fake/config")
    def fake_config():
        body = _json_body() or {}
        with state.lock:
            if body.get("oa_type") in ("normal", "government"):
                state.oa_type = body["oa_type"]
            if "latency_ms" in body:
                state.latency_ms = int(body["latency_ms"])
            if "rate_limit_per_minute" in body:
                state.rate_limit_per_minute = int(body["rate_limit_per_minute"])
            if "group_package_expired" in body:
                state.group_package_expired = bool(body["group_package_expired"])
        return jsonify({"ok": True, **state.stats()})

    @app.post("/_fake/media")
    def fake_media_upload():
        """A photo a resident sends (multipart `file`): hosted here as Zalo's CDN would, so a
        `user_send_image` webhook can carry its URL. Answers {"url", "thumbnail"}."""
        upload = request.files.get("file")
        content = upload.read() if upload is not None else b""
        ext = (upload.filename or "").rsplit(".", 1)[-1].lower() if upload is not None else ""
        if ext not in IMAGE_EXTENSIONS or not content or len(content) > MAX_RESIDENT_PHOTO_BYTES:
            return jsonify({"ok": False, "error": "jpg, png or gif, 1 byte to 10 MB"}), 400
        with state.lock:
            name = f"{state._token('photo')}.{ext}"
            state.media[name] = (content, upload.mimetype or f"image/{ext}")
        url = f"{request.host_url.rstrip('/')}/_fake/media/{name}"
        return jsonify({"ok": True, "url": url, "thumbnail": url})

    @app.get("/_fake/media/<name>")
    def fake_media(name: str):
        with state.lock:
            item = state.media.get(name)
        if item is None:
            return jsonify({"ok": False, "error": "no such photo"}), 404
        return Response(item[0], mimetype=item[1])

    @app.post("/_fake/webhook")
    def fake_webhook():
        """{"url", "secret", "oa_id"?, "echoes"? (false: not subscribed to oa_send_*),
        "echo_delay_ms"?}: where and how the fake posts oa_send_* echoes."""
        body = _json_body() or {}
        state.configure_webhook(body.get("url"), str(body.get("secret") or ""), body.get("oa_id"))
        with state.lock:
            if "echoes" in body:
                state.echoes = bool(body["echoes"])
            if "echo_delay_ms" in body:
                state.echo_delay_ms = int(body["echo_delay_ms"])
        return jsonify({"ok": True})

    @app.post("/_fake/officer_message")
    def fake_officer_message():
        body = _json_body() or {}
        if not body.get("user_id") or not body.get("text"):
            return jsonify({"ok": False, "error": "user_id and text required"}), 400
        return jsonify({"ok": True, "msg_id": state.officer_message(str(body["user_id"]), str(body["text"]))})

    @app.get("/_fake/stats")
    def fake_stats():
        return jsonify(state.stats())

    @app.get("/_fake/tokens")
    def fake_tokens():
        """The current pair, so a sandbox started after a rotation can pick it up."""
        with state.lock:
            return jsonify({"access_token": state.access_token, "refresh_token": state.refresh_token,
                            "app_id": state.app_id})


# ---- Serving ------------------------------------------------------------------------------
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
    parser = argparse.ArgumentParser(prog="python -m bot.fake_zalo",
                                     description="Fake Zalo OpenAPI + OAuth server (offline sandbox)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--app-id", default="1234567890123456789")
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
