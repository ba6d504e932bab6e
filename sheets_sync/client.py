"""The real gspread client, with a bounded retry, a request timeout and a request counter.

gspread 6.2.1's own BackOffHTTPClient can retry for hours; ours gives up after a few tries
and the sync cycle ends with a named error instead. GOOGLE_SHEETS_API_BASE (tests, sandbox)
redirects every request to another Sheets v4 endpoint: patching gspread.urls would not work,
because its HTTP client copies the URLs at import, so the rewrite happens in `request`.
"""
from __future__ import annotations

import json
import logging
import time

import gspread
import requests
from gspread.exceptions import APIError

log = logging.getLogger(__name__)

GOOGLE_BASE = "https://sheets.googleapis.com"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_TRIES = 4
TIMEOUT = (5, 30)


class SheetsUnavailable(RuntimeError):
    """The Sheets API kept failing (quota, server errors): the cycle stops, nothing half-applied."""


class BoundedHTTPClient(gspread.HTTPClient):
    base_url: str | None = None
    sleep = staticmethod(time.sleep)

    def __init__(self, auth, session=None):
        super().__init__(auth, session)
        self.timeout = TIMEOUT
        self.count = 0

    def request(self, method, endpoint, *args, **kwargs):
        if self.base_url and endpoint.startswith(GOOGLE_BASE):
            endpoint = self.base_url.rstrip("/") + endpoint[len(GOOGLE_BASE):]
        for attempt in range(1, MAX_TRIES + 1):
            self.count += 1
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as err:
                status = err.response.status_code
                if status not in RETRY_STATUSES or attempt == MAX_TRIES:
                    if status in RETRY_STATUSES:
                        raise SheetsUnavailable(f"Sheets API {status} after {attempt} tries") from err
                    raise
            except (requests.ConnectionError, requests.Timeout) as err:
                if attempt == MAX_TRIES:
                    raise SheetsUnavailable(f"Sheets API unreachable: {type(err).__name__}") from err
            self.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")


def make_client(settings) -> gspread.Client:
    if settings.google_sheets_api_base:
        http = type("RedirectedHTTPClient", (BoundedHTTPClient,),
                    {"base_url": settings.google_sheets_api_base})
        return gspread.Client(auth=None, session=requests.Session(), http_client=http)
    from google.oauth2.service_account import Credentials

    if settings.google_service_account_json:
        info = json.loads(settings.google_service_account_json)
        creds = Credentials.from_service_account_info(info, scopes=SCOPES)
    else:
        creds = Credentials.from_service_account_file(settings.google_service_account_file, scopes=SCOPES)
    return gspread.Client(auth=creds, http_client=BoundedHTTPClient)


def is_configured(settings) -> bool:
    return bool(settings.sheet_id and (settings.google_sheets_api_base or
                                       settings.google_service_account_file or
                                       settings.google_service_account_json))


def open_spreadsheet(settings) -> gspread.Spreadsheet:
    return make_client(settings).open_by_key(settings.sheet_id)


def request_count(spreadsheet: gspread.Spreadsheet) -> int:
    return spreadsheet.client.count
