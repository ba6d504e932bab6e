"""The real gspread client, with a bounded retry, a request timeout and a request counter.

gspread 6.2.1's own BackOffHTTPClient can retry for hours; ours gives up after a few tries
(and a time budget) and the sync cycle ends with a named error, `SheetsUnavailable`.

GOOGLE_SHEETS_API_BASE (tests, sandbox) redirects every request to another Sheets v4
endpoint, without credentials. Patching gspread.urls would not work (its HTTP client copies
the URLs at import), so the rewrite happens in `BoundedHTTPClient.request`, the one place
every gspread call goes through.

Every request first takes a slot in the deployment's request budget (quota.py): all wards
together stay under SHEETS_REQUESTS_PER_MINUTE.

Retry policy:
- 429 (quota) means "not done": retried, with back-off, for every request; the back-off (or
  the Retry-After the answer gave) pauses the whole deployment's budget, not just this call.
- 5xx and a read timeout mean "maybe done": retried only for idempotent requests (reads,
  values update / batchUpdate, which write fixed ranges). An append or a structural
  batchUpdate that may have landed is never sent twice: the cycle fails, and the next cycle
  reads the sheet first, so it sees whatever did land.
- A connection that never opened is retried for every request.
"""
from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter

import gspread
import requests
from gspread.exceptions import APIError

from sheets_sync.quota import RequestBudget, budget_for

log = logging.getLogger(__name__)

GOOGLE_BASE = "https://sheets.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_TRIES = 4
MAX_ELAPSED = 45.0      # seconds spent on one call, retries included
TIMEOUT = (5, 20)       # (connect, read) seconds per HTTP request
BACKOFF = (0.5, 1.0, 2.0, 4.0)


class SheetsUnavailable(RuntimeError):
    """The Sheets API kept failing (quota, server errors, timeouts): the cycle stops.

    Nothing is half-applied: officers' edits are committed only together with their audit
    rows, and whatever did not reach the sheet is written by the next cycle."""


def _kind(method: str, url: str) -> str:
    """A short name for the request, e.g. values.batchGet, for counters and logs."""
    path = url.split("?", 1)[0]
    if "/values:batchGet" in path:
        return "values.batchGet"
    if "/values:batchUpdate" in path:
        return "values.batchUpdate"
    if "/values/" in path:
        if path.endswith(":append"):
            return "values.append"
        if path.endswith(":clear"):
            return "values.clear"
        return "values.get" if method.upper() == "GET" else "values.update"
    if path.endswith(":batchUpdate"):
        return "batchUpdate"
    return "get" if method.upper() == "GET" else method.lower()


IDEMPOTENT = {"get", "values.get", "values.batchGet", "values.update", "values.batchUpdate",
              "values.clear"}


class BoundedHTTPClient(gspread.HTTPClient):
    base_url: str | None = None
    sleep = staticmethod(time.sleep)

    def __init__(self, auth, session=None):
        super().__init__(auth, session)
        self.timeout = TIMEOUT
        self.count = 0            # HTTP requests sent, retries included
        self.retries = 0
        self.by_kind: Counter[str] = Counter()
        self.budget: RequestBudget | None = None   # the deployment's (quota.py), set by make_client

    def request(self, method, endpoint, *args, **kwargs):
        if self.base_url and endpoint.startswith(GOOGLE_BASE):
            endpoint = self.base_url.rstrip("/") + endpoint[len(GOOGLE_BASE):]
        kind = _kind(method, endpoint)
        idempotent = kind in IDEMPOTENT
        started = time.monotonic()
        for attempt in range(1, MAX_TRIES + 1):
            self._take_slot(kind, started)
            self.count += 1
            self.by_kind[kind] += 1
            retry_after = None
            try:
                response = super().request(method, endpoint, *args, **kwargs)
                if self.budget is not None:
                    self.budget.succeeded()
                return response
            except APIError as err:
                status = err.response.status_code
                if status not in RETRY_STATUSES:
                    raise
                retry = status == 429 or idempotent
                why = f"HTTP {status}"
                retry_after = _retry_after(err.response) if status == 429 else None
                if status == 429 and self.budget is not None:
                    retry_after = self.budget.back_off(retry_after)   # every ward waits, not just us
            except requests.ConnectionError as err:
                # A refused/failed connection sent nothing; a dropped one may have.
                retry = idempotent or isinstance(err, requests.ConnectTimeout) or _never_sent(err)
                why = type(err).__name__
            except requests.Timeout as err:  # read timeout: the request may have landed
                retry = idempotent
                why = type(err).__name__
            elapsed = time.monotonic() - started
            pause = BACKOFF[min(attempt - 1, len(BACKOFF) - 1)] * (0.8 + 0.4 * random.random())
            pause = max(pause, retry_after or 0.0)
            if not retry or attempt == MAX_TRIES or elapsed + pause > MAX_ELAPSED:
                raise SheetsUnavailable(
                    f"Sheets API {kind}: {why} after {attempt} "
                    f"{'try' if attempt == 1 else 'tries'}"
                    + ("" if retry else " (not retried: the request may have been applied)"))
            log.warning("Google Sheets %s: %s, thử lại lần %d sau %.1f giây", kind, why, attempt, pause)
            self.retries += 1
            if not (why == "HTTP 429" and self.budget is not None):
                self.sleep(pause)   # after a 429 the budget holds this request back, with all others
        raise AssertionError("unreachable")

    def _take_slot(self, kind: str, started: float) -> None:
        """Wait for the deployment's budget to let one more request out."""
        if self.budget is None:
            return
        left = MAX_ELAPSED - (time.monotonic() - started)
        if not self.budget.acquire(max(0.0, left)):
            raise SheetsUnavailable(f"Sheets API {kind}: the request budget "
                                    f"({self.budget.per_minute}/minute) had no room in time")


def _retry_after(response) -> float | None:
    """Seconds from a Retry-After header, when the answer has one (Google does not promise it)."""
    try:
        value = float(response.headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _never_sent(err: Exception) -> bool:
    text = str(err)
    return "Connection refused" in text or "Name or service not known" in text \
        or "Failed to establish a new connection" in text


def make_client(settings) -> gspread.Client:
    """A gspread client whose every request passes the deployment's budget (quota.py)."""
    if settings.google_sheets_api_base:
        http = type("RedirectedHTTPClient", (BoundedHTTPClient,),
                    {"base_url": settings.google_sheets_api_base})
        client = gspread.Client(auth=None, session=requests.Session(), http_client=http)
    else:
        from google.oauth2.service_account import Credentials

        if settings.google_service_account_json:
            info = json.loads(settings.google_service_account_json)
            creds = Credentials.from_service_account_info(info, scopes=SCOPES)
        else:
            creds = Credentials.from_service_account_file(settings.google_service_account_file, scopes=SCOPES)
        client = gspread.Client(auth=creds, http_client=BoundedHTTPClient)
    client.http_client.budget = budget_for(settings)
    return client


def is_configured(settings) -> bool:
    return bool(settings.sheet_id and (settings.google_sheets_api_base or
                                       settings.google_service_account_file or
                                       settings.google_service_account_json))


def open_spreadsheet(settings, sheet_id: str | None = None) -> gspread.Spreadsheet:
    """The ward's spreadsheet (or `sheet_id`) through the real gspread client (one metadata read)."""
    return make_client(settings).open_by_key(sheet_id or settings.sheet_id)


class _Unread(gspread.Spreadsheet):
    """A spreadsheet handle that has not read anything yet: gspread's constructor reads the
    metadata (one request), which a sync cycle that checks the layout reads anyway."""

    def __init__(self, http_client, properties):
        self.client = http_client
        self._properties = properties


def attach_spreadsheet(settings, sheet_id: str | None = None) -> gspread.Spreadsheet:
    """The spreadsheet, without a request: its first use is the first request."""
    return _Unread(make_client(settings).http_client, {"id": sheet_id or settings.sheet_id})


def request_count(spreadsheet: gspread.Spreadsheet) -> int:
    """HTTP requests this spreadsheet's client has sent so far, retries included."""
    return spreadsheet.client.count
