"""The Zalo OpenAPI client (requests): sending, followers, tags, uploads, token refresh.
The messages it sends are built by bot.zalo.messages.

Facts follow /work/shared/zalo-oa-facts.md. How the client copes with the points marked [check]:
- -235 "API does not support this OA type" on /v3.0/oa/message/cs (seen once, on a government
  OA): retry the same body on POST /v2.0/oa/message and remember it in the flag
  "cs_api_version" = "v2", so later sends go straight to v2. A warning is logged each time the
  flag is set, so a ward's real OA settles the question.
- Refresh: exactly one refresh per token error, through `TokenStore.refresh`, which holds a
  cross-process lock and persists the new pair before it is used (refresh tokens are single
  use). The stale access token is passed so a process that lost the race does not refresh
  again. A second token error after the refresh raises (category "refresh").
- OAuth error codes (-140xx) are not individually documented: every one is category "oauth".
- Error codes whose meaning is uncertain (-209/-212/-223 "not set up", -232, -244) are mapped
  by what an operator should do, in ERROR_TABLE; unknown codes are "invalid" and keep the
  Zalo message, so nothing is swallowed.
- Rate limit (-32, ~4000/min) and HTTP 5xx/timeouts are category "retry". The client never
  sleeps or loops: the outbox owns bounded back-off. A failure after the request reached Zalo
  (read timeout, connection cut mid-answer, HTTP 5xx, garbage) is `outcome_unknown`: Zalo may
  have delivered it, so the outbox waits for the oa_send_* echo before sending again. A
  connection that never opened (refused, connect timeout) and -32 are known not delivered.
- The reply window (48 h free, to 7 days billed, then -230) is not checked here; the server
  answers and the error says "undeliverable".

Personal data: message text, phone numbers and tokens are never logged at INFO; the full
response is logged at DEBUG, without the token (responses never carry the API token; OAuth
responses are logged without their token fields).
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Protocol

import requests

from storage.tokens import Tokens

log = logging.getLogger(__name__)

# ---- Paths (API host unless noted) --------------------------------------------------------
PATH_CS_V3 = "/v3.0/oa/message/cs"
PATH_MESSAGE_V2 = "/v2.0/oa/message"           # the -235 fallback for cs messages
PATH_PROMOTION = "/v3.0/oa/message/promotion"
PATH_GROUP_MESSAGE = "/v3.0/oa/group/message"
PATH_USER_DETAIL = "/v3.0/oa/user/detail"
PATH_USER_LIST = "/v3.0/oa/user/getlist"
PATH_TAG_FOLLOWER = "/v2.0/oa/tag/tagfollower"
PATH_UNTAG_FOLLOWER = "/v2.0/oa/tag/rmfollowerfromtag"
PATH_GET_TAGS = "/v2.0/oa/tag/gettagsofoa"
PATH_QUOTA = "/v3.0/oa/quota/message"
PATH_UPLOAD_IMAGE = "/v2.0/oa/upload/image"
PATH_OAUTH_TOKEN = "/v4/oa/access_token"       # OAuth host

# ---- Limits and names ---------------------------------------------------------------------
PAGE_SIZE = 50                 # user/getlist count ceiling
MAX_LIST_OFFSET = 9951         # user/getlist offset ceiling
FLAG_CS_API_VERSION = "cs_api_version"
DEFAULT_TIMEOUT = (3.05, 10)   # (connect, read) seconds
# Sends: Zalo answers a message in well under a second; a send still unanswered after 8 s is
# settled by its echo instead (the outbox), so a slow Zalo holds a sending thread no longer.
SEND_TIMEOUT = (3.05, 8)

# ---- Errors -------------------------------------------------------------------------------
# code -> (category, reason). Category says what the caller should do:
#   refresh: refresh the token once and retry   fallback_v2: resend on /v2.0/oa/message
#   retry: back off and try later               undeliverable: this user cannot get it now
#   night: try after 06:00                      quota: out of messages, wait or buy
#   setup: an operator must act, alert          invalid: our request is wrong, don't retry
#   oauth: the refresh itself failed, an admin may have to re-authorise
ERROR_TABLE: dict[int, tuple[str, str]] = {
    -216: ("refresh", "token_invalid"),             # access token invalid (also what expiry gives)
    -220: ("refresh", "token_expired"),             # access token expired or removed
    -235: ("fallback_v2", "oa_type_unsupported"),   # API not for this OA type; v2 works [check]
    -32: ("retry", "rate_limited"),                 # requests per minute exceeded
    -230: ("undeliverable", "no_interaction_7d"),   # user silent for more than 7 days
    -213: ("undeliverable", "not_follower"),        # user does not follow the OA
    -227: ("undeliverable", "user_inactive"),       # user banned or inactive > 45 days
    -232: ("undeliverable", "interaction_expired"), # interaction window expired
    -244: ("undeliverable", "user_restricted"),     # user refused this message type
    -234: ("night", "night_ban"),                   # promotion between 22:00 and 06:00
    -211: ("quota", "out_of_quota"),                # message quota used up
    -218: ("quota", "quota_exceeded"),              # quota for this message type exceeded
    -209: ("setup", "app_not_approved"),            # app not approved / not linked [check]
    -212: ("setup", "api_not_registered"),          # OA has not registered this API [check]
    -223: ("setup", "setup_permission"),            # permission not granted to the app [check]
    -237: ("setup", "group_package_expired"),       # GMF group package expired
    -403: ("setup", "oa_not_in_group"),             # OA not in (or did not create) the group
    -201: ("invalid", "invalid_parameter"),         # our request is malformed
}
OAUTH_CODES = range(-14999, -13999)                 # -140xx: every OAuth v4 error
TRANSPORT_CODE = 0   # .code for failures with no Zalo code (timeout, connection, bad HTTP)


class ZaloError(Exception):
    def __init__(self, code: int, message: str = "", *, category: str | None = None,
                 reason: str | None = None, http_status: int | None = None, path: str = "",
                 outcome_unknown: bool = False):
        if category is None:
            if code in ERROR_TABLE:
                category, table_reason = ERROR_TABLE[code]
                reason = reason or table_reason
            elif code in OAUTH_CODES:
                category, reason = "oauth", reason or "oauth_error"
            else:
                category, reason = "invalid", reason or "unknown_error"
        self.code = code
        self.message = message
        self.category = category
        self.reason = reason or "unknown_error"
        self.http_status = http_status
        self.path = path
        # The request reached Zalo and no clear answer came back: it may have taken effect.
        self.outcome_unknown = outcome_unknown
        super().__init__(f"Zalo {path or 'call'} failed: {code} {self.reason} ({message})")

    @property
    def retryable(self) -> bool:
        return self.category == "retry"


# ---- Tokens and flags ---------------------------------------------------------------------
class TokenStore(Protocol):
    def current(self) -> Tokens: ...

    def refresh(self, stale_access_token: str, do_refresh: Callable[[str], Tokens]) -> Tokens:
        """Under a cross-process lock: if the stored access token is no longer
        `stale_access_token`, someone else already refreshed: return the stored pair without
        calling do_refresh. Otherwise call do_refresh(stored_refresh_token) and persist the new
        pair atomically BEFORE returning it (the refresh token is single-use)."""
        ...


class FlagStore(Protocol):
    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...


class MemoryTokenStore:
    """In-process TokenStore for tests and the sandbox; a lock stands in for the DB lock."""

    def __init__(self, access_token: str, refresh_token: str, expires_at: datetime | None = None):
        self._tokens = Tokens(access_token, refresh_token, expires_at)
        self._lock = threading.Lock()
        self.refresh_count = 0

    def current(self) -> Tokens:
        with self._lock:
            return self._tokens

    def refresh(self, stale_access_token: str, do_refresh: Callable[[str], Tokens]) -> Tokens:
        with self._lock:
            if self._tokens.access_token != stale_access_token:
                return self._tokens
            self._tokens = do_refresh(self._tokens.refresh_token)
            self.refresh_count += 1
            return self._tokens


class MemoryFlagStore:
    def __init__(self, initial: dict[str, str] | None = None):
        self._values = dict(initial or {})
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            self._values[name] = value


def parse_interaction_date(value: str | None) -> date | None:
    """user/detail's user_last_interaction_date ("dd/mm/yyyy") -> date, None if absent/odd."""
    try:
        return datetime.strptime(value or "", "%d/%m/%Y").date()
    except ValueError:
        return None


# ---- The client ---------------------------------------------------------------------------
def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ZaloClient:
    def __init__(self, api_base: str, oauth_base: str, app_id: str, app_secret: str,
                 tokens: TokenStore, flags: FlagStore, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None, *, clock: Callable[[], datetime] = _utcnow,
                 send_timeout: tuple[float, float] | None = None):
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = str(app_id)
        self._app_secret = app_secret
        self.tokens = tokens
        self.flags = flags
        self.timeout = timeout
        # Never longer than the general timeout (tests shorten that one for every call).
        self.send_timeout = send_timeout or (min(timeout[0], SEND_TIMEOUT[0]), min(timeout[1], SEND_TIMEOUT[1]))
        self.session = session or requests.Session()
        self._clock = clock

    # -- messages --
    def send_message(self, user_id: str, message: dict) -> dict:
        """A cs ("tư vấn") message; returns data with message_id (and quota on v3)."""
        body = {"recipient": {"user_id": str(user_id)}, "message": message}
        if self.flags.get(FLAG_CS_API_VERSION) == "v2":
            return self._api("POST", PATH_MESSAGE_V2, json=body, timeout=self.send_timeout)
        try:
            return self._api("POST", PATH_CS_V3, json=body, timeout=self.send_timeout)
        except ZaloError as exc:
            if exc.category != "fallback_v2":
                raise
        log.warning("zalo: %s trả -235 (API không dành cho loại OA này); từ nay dùng %s",
                    PATH_CS_V3, PATH_MESSAGE_V2)
        self.flags.set(FLAG_CS_API_VERSION, "v2")
        return self._api("POST", PATH_MESSAGE_V2, json=body, timeout=self.send_timeout)

    def send_promotion(self, user_id: str, message: dict) -> dict:
        return self._api("POST", PATH_PROMOTION,
                         json={"recipient": {"user_id": str(user_id)}, "message": message})

    def send_group_message(self, group_id: str, message: dict) -> dict:
        return self._api("POST", PATH_GROUP_MESSAGE, timeout=self.send_timeout,
                         json={"recipient": {"group_id": str(group_id)}, "message": message})

    # -- users and tags --
    def get_user_detail(self, user_id: str) -> dict:
        return self._api("GET", PATH_USER_DETAIL, data={"user_id": str(user_id)})

    def get_followers(self, tag_name: str | None = None, offset: int = 0, count: int = PAGE_SIZE) -> dict:
        """One page: {"total", "count", "offset", "users": [{"user_id"}]}."""
        data: dict[str, Any] = {"offset": offset, "count": count}
        if tag_name:
            data["tag_name"] = tag_name
        return self._api("GET", PATH_USER_LIST, data=data)

    def iter_followers(self, tag_name: str | None = None) -> Iterator[str]:
        """Every follower's user_id (optionally with a tag), page by page."""
        offset = 0
        while offset <= MAX_LIST_OFFSET:
            page = self.get_followers(tag_name, offset, PAGE_SIZE)
            users = page.get("users") or []
            for user in users:
                yield str(user["user_id"])
            offset += len(users)
            if not users or offset >= int(page.get("total", 0)):
                return
        log.warning("zalo: danh sách người quan tâm dừng ở vị trí %s (giới hạn API); phần còn lại không liệt kê được",
                    MAX_LIST_OFFSET)

    def tag_follower(self, user_id: str, tag_name: str) -> dict:
        return self._api("POST", PATH_TAG_FOLLOWER, json={"user_id": str(user_id), "tag_name": tag_name})

    def untag_follower(self, user_id: str, tag_name: str) -> dict:
        return self._api("POST", PATH_UNTAG_FOLLOWER, json={"user_id": str(user_id), "tag_name": tag_name})

    def get_tags(self) -> list[str]:
        data = self._api("GET", PATH_GET_TAGS)
        return list(data) if isinstance(data, list) else list(data.get("tags", []) if data else [])

    def get_quota(self, user_id: str) -> dict:
        return self._api("POST", PATH_QUOTA, json={"user_id": str(user_id)})

    def upload_image(self, content: bytes, filename: str) -> str:
        """Upload an image (jpg/png, about 1 MB at most [check]); returns its attachment_id."""
        data = self._api("POST", PATH_UPLOAD_IMAGE, files={"file": (filename, content)})
        return str(data["attachment_id"])

    # -- tokens --
    def refresh_tokens_via_oauth(self, refresh_token: str) -> Tokens:
        """Trade the (single-use) refresh token for a new pair. Meant to be passed to
        TokenStore.refresh, which persists the result before anyone uses it."""
        url = self.oauth_base + PATH_OAUTH_TOKEN
        form = {"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"}
        body = self._send("POST", url, PATH_OAUTH_TOKEN, headers={"secret_key": self._app_secret}, data=form)
        safe = {k: v for k, v in body.items() if k not in ("access_token", "refresh_token")}
        log.debug("zalo oauth response %s", safe)
        code = _int_code(body.get("error"))
        if code:
            raise ZaloError(code, str(body.get("error_description") or body.get("message") or ""),
                            category="oauth", reason=str(body.get("error_name") or "oauth_error"),
                            path=PATH_OAUTH_TOKEN)
        if not body.get("access_token") or not body.get("refresh_token"):
            raise ZaloError(TRANSPORT_CODE, "OAuth answer without a token pair", category="oauth",
                            reason="oauth_bad_response", path=PATH_OAUTH_TOKEN)
        expires_at = None
        try:
            expires_at = self._clock() + timedelta(seconds=int(body.get("expires_in")))
        except (TypeError, ValueError):
            log.warning("zalo oauth: thiếu expires_in hoặc không phải số: %r", body.get("expires_in"))
        log.info("zalo: đã làm mới access token (hết hạn %s)", expires_at)
        return Tokens(body["access_token"], body["refresh_token"], expires_at)

    def refresh_if_expiring(self, within: timedelta = timedelta(hours=2)) -> bool:
        """For the scheduler: refresh ahead of expiry. True if a refresh happened."""
        current = self.tokens.current()
        if current.expires_at is None or current.expires_at - self._clock() > within:
            return False
        self.tokens.refresh(current.access_token, self.refresh_tokens_via_oauth)
        return True

    # -- plumbing --
    def _api(self, method: str, path: str, *, json: dict | None = None, data: dict | None = None,
             files: dict | None = None, timeout: tuple[float, float] | None = None) -> Any:
        """One API call with the token-error rule: refresh once, retry once, then raise."""
        stale = self.tokens.current().access_token
        try:
            return self._api_once(method, path, stale, json=json, data=data, files=files,
                                  timeout=timeout)
        except ZaloError as exc:
            if exc.category != "refresh":
                raise
            log.info("zalo: %s trả %s; làm mới access token", path, exc.code)
        fresh = self.tokens.refresh(stale, self.refresh_tokens_via_oauth)
        return self._api_once(method, path, fresh.access_token, json=json, data=data, files=files,
                              timeout=timeout)

    def _api_once(self, method: str, path: str, access_token: str, *, json: dict | None,
                  data: dict | None, files: dict | None, timeout: tuple[float, float] | None) -> Any:
        params = {"data": _dumps(data)} if data is not None else None
        body = self._send(method, self.api_base + path, path, headers={"access_token": access_token},
                          params=params, json=json, files=files, timeout=timeout or self.timeout)
        log.debug("zalo %s %s -> %s", method, path, body)
        code = _int_code(body.get("error"))
        if code:
            raise ZaloError(code, str(body.get("message", "")), path=path)
        return body.get("data") if body.get("data") is not None else {}

    def _send(self, method: str, url: str, path: str, *, timeout=None, **kwargs) -> dict:
        """HTTP round trip -> the JSON object; transport trouble becomes ZaloError."""
        try:
            resp = self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.ConnectTimeout as exc:  # never connected: nothing reached Zalo
            raise ZaloError(TRANSPORT_CODE, type(exc).__name__, category="retry",
                            reason="connect_timeout", path=path) from exc
        except requests.Timeout as exc:
            raise ZaloError(TRANSPORT_CODE, type(exc).__name__, category="retry",
                            reason="timeout", path=path, outcome_unknown=True) from exc
        except requests.ConnectionError as exc:
            raise ZaloError(TRANSPORT_CODE, type(exc).__name__, category="retry",
                            reason="connection_error", path=path,
                            outcome_unknown=not _never_connected(exc)) from exc
        except requests.RequestException as exc:
            raise ZaloError(TRANSPORT_CODE, type(exc).__name__, category="retry",
                            reason="transport_error", path=path, outcome_unknown=True) from exc
        status = resp.status_code
        if status >= 500 or status == 429:
            # A 5xx may come from a gateway after Zalo acted on the request; a 429 is a refusal.
            raise ZaloError(status, f"HTTP {status}", category="retry",
                            reason="server_error" if status >= 500 else "rate_limited",
                            http_status=status, path=path, outcome_unknown=status >= 500)
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # HTTP 200 with garbage is most likely a proxy or a glitch: retry; 4xx is our bug.
            raise ZaloError(status, f"HTTP {status}, not a JSON object",
                            category="retry" if status == 200 else "invalid",
                            reason="bad_response" if status == 200 else "http_error",
                            http_status=status, path=path, outcome_unknown=status == 200)
        return body


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Refused or unresolvable: the request never left us (urllib3's NewConnectionError, or
    a name resolution error, somewhere in the cause chain)."""
    seen, cause = 0, exc
    while cause is not None and seen < 6:
        if type(cause).__name__ in ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError"):
            return True
        cause = getattr(cause, "reason", None) or (cause.args[0] if getattr(cause, "args", None)
                                                   and isinstance(cause.args[0], BaseException) else None)
        seen += 1
    return False


def _int_code(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return -1  # an unreadable error field is still an error


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
