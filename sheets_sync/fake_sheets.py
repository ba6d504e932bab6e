"""A local fake of the Google Sheets v4 endpoints gspread uses here, over real HTTP.

Tests, the sandbox and the benchmark point the real gspread client at it (GOOGLE_SHEETS_API_BASE).
What it models: spreadsheets.get (sheet properties, protected ranges), spreadsheets.batchUpdate
(addSheet, updateSheetProperties, setDataValidation, addProtectedRange, repeatCell,
updateDimensionProperties, sortRange, deleteDimension), values get / batchGet / update / append
/ batchUpdate with RAW vs USER_ENTERED (a "=..." string entered USER_ENTERED becomes a formula,
RAW keeps it text), Google's error envelope, failure injection (429/500) and request counts.

Run standalone:  python -m sheets_sync.fake_sheets --port 8791
"""
from __future__ import annotations

import argparse
import itertools
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

STATUS_NAMES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 503: "UNAVAILABLE"}
_CELL = re.compile(r"^([A-Z]*)(\d*)$")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def col_letters(index: int) -> str:
    s, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s


def parse_a1(a1: str) -> tuple[str, int, int, int | None, int | None]:
    """'Tab'!A2:Q -> (tab, row0, col0, row1 or None, col1 or None), all 0-based inclusive."""
    if "!" in a1:
        tab, _, cells = a1.rpartition("!")
    else:
        tab, cells = a1, ""
    tab = tab.strip()
    if tab.startswith("'") and tab.endswith("'"):
        tab = tab[1:-1].replace("''", "'")
    if not cells:
        return tab, 0, 0, None, None
    start, _, end = cells.partition(":")
    m1, m2 = _CELL.match(start.upper()), _CELL.match((end or start).upper())
    if not m1 or not m2:
        raise ValueError(f"bad range {a1!r}")
    c0 = col_index(m1.group(1)) if m1.group(1) else 0
    r0 = int(m1.group(2)) - 1 if m1.group(2) else 0
    c1 = col_index(m2.group(1)) if m2.group(1) else None
    r1 = int(m2.group(2)) - 1 if m2.group(2) else None
    return tab, r0, c0, r1, c1


@dataclass
class Cell:
    value: str = ""
    formula: bool = False

    def shown(self) -> str:
        # A live formula's result; a resident's "=IMPORTXML(...)" here would be an injection.
        return "#FORMULA!" if self.formula else self.value


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    rows: list[list[Cell]] = field(default_factory=list)
    frozen_rows: int = 0
    validations: list[dict] = field(default_factory=list)
    protected: list[dict] = field(default_factory=list)
    formats: int = 0


class FakeSheetsState:
    def __init__(self, spreadsheet_id: str = "sandbox-sheet"):
        self.lock = threading.RLock()
        self.spreadsheet_id = spreadsheet_id
        self.sheets: dict[str, Sheet] = {}
        self._ids = itertools.count(1000)
        self.requests: Counter[str] = Counter()
        self.failures: list[tuple[int, int]] = []  # (http status, times)
        self.add_sheet("Sheet1")

    # -- helpers for tests --
    def add_sheet(self, title: str) -> Sheet:
        with self.lock:
            sheet = Sheet(next(self._ids), title, len(self.sheets))
            self.sheets[title] = sheet
            return sheet

    def fail(self, status: int, times: int = 1) -> None:
        with self.lock:
            self.failures.append((status, times))

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def rows(self, title: str) -> list[list[str]]:
        with self.lock:
            return [[c.shown() for c in row] for row in self.sheets[title].rows]

    def raw_cell(self, title: str, row: int, col: int) -> Cell:
        return self.sheets[title].rows[row][col]

    def set_cell(self, title: str, row: int, col: int, value: str) -> None:
        """An officer types into a cell (row/col 0-based)."""
        with self.lock:
            self._write(self.sheets[title], row, col, [[value]], raw=False)

    def delete_row(self, title: str, row: int) -> None:
        with self.lock:
            del self.sheets[title].rows[row]

    def sort_by_column(self, title: str, col: int, reverse: bool = False) -> None:
        with self.lock:
            sheet = self.sheets[title]
            head, body = sheet.rows[: sheet.frozen_rows or 1], sheet.rows[sheet.frozen_rows or 1:]
            body.sort(key=lambda r: r[col].value if col < len(r) else "", reverse=reverse)
            sheet.rows = head + body

    # -- internals --
    def _take_failure(self) -> int | None:
        with self.lock:
            if not self.failures:
                return None
            status, times = self.failures[0]
            if times <= 1:
                self.failures.pop(0)
            else:
                self.failures[0] = (status, times - 1)
            return status

    def _write(self, sheet: Sheet, r0: int, c0: int, values: list[list], raw: bool) -> None:
        for i, row_values in enumerate(values):
            r = r0 + i
            while len(sheet.rows) <= r:
                sheet.rows.append([])
            row = sheet.rows[r]
            for j, v in enumerate(row_values):
                c = c0 + j
                while len(row) <= c:
                    row.append(Cell())
                text = "" if v is None else (v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v))
                row[c] = Cell(text, formula=(not raw and text.startswith("=")))

    def _read(self, sheet: Sheet, r0: int, c0: int, r1: int | None, c1: int | None) -> list[list[str]]:
        out = []
        last = len(sheet.rows) - 1 if r1 is None else min(r1, len(sheet.rows) - 1)
        for r in range(r0, last + 1):
            row = sheet.rows[r]
            end = len(row) - 1 if c1 is None else min(c1, len(row) - 1)
            vals = [row[c].shown() for c in range(c0, end + 1)]
            while vals and vals[-1] == "":
                vals.pop()
            out.append(vals)
        while out and not out[-1]:
            out.pop()
        return out


def _error(status: int, message: str):
    return jsonify({"error": {"code": status, "message": message,
                              "status": STATUS_NAMES.get(status, "UNKNOWN")}}), status


def create_fake_sheets_app(state: FakeSheetsState) -> Flask:
    app = Flask("fake_sheets")

    def sheet_props(s: Sheet) -> dict:
        return {"sheetId": s.sheet_id, "title": s.title, "index": s.index, "sheetType": "GRID",
                "gridProperties": {"rowCount": max(1000, len(s.rows)), "columnCount": 26,
                                   "frozenRowCount": s.frozen_rows}}

    def by_id(sheet_id: int) -> Sheet | None:
        return next((s for s in state.sheets.values() if s.sheet_id == sheet_id), None)

    def metadata():
        return jsonify({"spreadsheetId": state.spreadsheet_id,
                        "properties": {"title": "Hộp thư số", "locale": "vi_VN",
                                       "timeZone": "Asia/Ho_Chi_Minh"},
                        "sheets": [{"properties": sheet_props(s), "protectedRanges": s.protected}
                                   for s in sorted(state.sheets.values(), key=lambda s: s.index)]})

    def batch_update():
        body = request.get_json(force=True) or {}
        replies = []
        for req in body.get("requests", []):
            (kind, args), = req.items()
            if kind == "addSheet":
                title = args["properties"]["title"]
                if title in state.sheets:
                    return _error(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists.')
                s = state.add_sheet(title)
                replies.append({"addSheet": {"properties": sheet_props(s)}})
                continue
            sheet_id = (args.get("properties") or args.get("range") or args.get("protectedRange", {}).get("range")
                        or args.get("rule", {}) or {}).get("sheetId")
            if sheet_id is None and "range" in args:
                sheet_id = args["range"].get("sheetId")
            sheet = by_id(sheet_id) if sheet_id is not None else None
            if kind in ("updateSheetProperties", "setDataValidation", "addProtectedRange", "repeatCell",
                        "updateDimensionProperties", "autoResizeDimensions", "sortRange",
                        "deleteDimension", "updateBorders", "setBasicFilter", "addConditionalFormatRule"):
                if kind == "autoResizeDimensions":
                    sheet = by_id(args["dimensions"]["sheetId"])
                if kind == "addConditionalFormatRule":
                    sheet = by_id(args["rule"]["ranges"][0]["sheetId"])
                if sheet is None:
                    return _error(400, f"Invalid requests.{kind}: No grid with id: {sheet_id}")
                if kind == "updateSheetProperties":
                    sheet.frozen_rows = args["properties"].get("gridProperties", {}).get(
                        "frozenRowCount", sheet.frozen_rows)
                elif kind == "setDataValidation":
                    sheet.validations.append({"range": args["range"], "rule": args.get("rule")})
                elif kind == "addProtectedRange":
                    pr = dict(args["protectedRange"], protectedRangeId=next(state._ids))
                    sheet.protected.append(pr)
                    replies.append({"addProtectedRange": {"protectedRange": pr}})
                    continue
                elif kind == "deleteDimension":
                    rng = args["range"]
                    del sheet.rows[rng["startIndex"]:rng["endIndex"]]
                elif kind == "sortRange":
                    spec = args["sortSpecs"][0]
                    state.sort_by_column(sheet.title, spec["dimensionIndex"],
                                         spec.get("sortOrder") == "DESCENDING")
                else:
                    sheet.formats += 1
                replies.append({})
                continue
            return _error(400, f"Invalid JSON payload: unknown request {kind!r}")
        return jsonify({"spreadsheetId": state.spreadsheet_id, "replies": replies})

    def resolve(a1: str):
        tab, r0, c0, r1, c1 = parse_a1(a1)
        sheet = state.sheets.get(tab)
        if sheet is None:
            raise LookupError(f"Unable to parse range: {a1}")
        return sheet, r0, c0, r1, c1

    def value_range(a1: str) -> dict:
        sheet, r0, c0, r1, c1 = resolve(a1)
        vals = state._read(sheet, r0, c0, r1, c1)
        out = {"range": a1, "majorDimension": "ROWS"}
        if vals:
            out["values"] = vals
        return out

    @app.route("/v4/spreadsheets/<path:rest>", methods=["GET", "POST", "PUT"])
    def dispatch(rest: str):
        failure = state._take_failure()
        with state.lock:
            if failure:
                state.requests["failed"] += 1
                return _error(failure, "Quota exceeded" if failure == 429 else "Internal error")
            sid, _, tail = rest.partition("/")
            sid, _, verb = sid.partition(":")
            if sid != state.spreadsheet_id:
                return _error(404, "Requested entity was not found.")
            try:
                if not tail and not verb and request.method == "GET":
                    state.requests["get"] += 1
                    return metadata()
                if verb == "batchUpdate" and not tail:
                    state.requests["batchUpdate"] += 1
                    return batch_update()
                if tail == "values:batchGet":
                    state.requests["values.batchGet"] += 1
                    return jsonify({"spreadsheetId": sid,
                                    "valueRanges": [value_range(r) for r in request.args.getlist("ranges")]})
                if tail == "values:batchUpdate":
                    state.requests["values.batchUpdate"] += 1
                    body = request.get_json(force=True) or {}
                    raw = body.get("valueInputOption", "RAW") == "RAW"
                    for item in body.get("data", []):
                        sheet, r0, c0, _, _ = resolve(item["range"])
                        state._write(sheet, r0, c0, item.get("values", []), raw)
                    return jsonify({"spreadsheetId": sid, "totalUpdatedRows": len(body.get("data", []))})
                if tail.startswith("values/"):
                    a1, action = tail[len("values/"):], ""
                    for verb_name in ("append", "clear"):
                        if a1.endswith(":" + verb_name):
                            a1, action = a1[: -len(verb_name) - 1], verb_name
                    raw = request.args.get("valueInputOption", "RAW") == "RAW"
                    if request.method == "GET":
                        state.requests["values.get"] += 1
                        return jsonify(value_range(a1))
                    body = request.get_json(force=True) or {}
                    sheet, r0, c0, _, _ = resolve(a1)
                    if action == "append":
                        state.requests["values.append"] += 1
                        start = len(sheet.rows)
                        while start > 0 and not any(c.value for c in sheet.rows[start - 1]):
                            start -= 1
                        state._write(sheet, start, c0, body.get("values", []), raw)
                        return jsonify({"spreadsheetId": sid, "updates": {
                            "updatedRange": f"'{sheet.title}'!A{start + 1}",
                            "updatedRows": len(body.get("values", []))}})
                    state.requests["values.update"] += 1
                    state._write(sheet, r0, c0, body.get("values", []), raw)
                    return jsonify({"spreadsheetId": sid, "updatedRange": a1})
            except LookupError as exc:
                return _error(400, str(exc))
            except (KeyError, ValueError) as exc:
                return _error(400, f"Invalid request: {exc}")
        return _error(404, "Not found")

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests and the sandbox don't want access logs
        pass


class FakeSheetsServer:
    def __init__(self, state: FakeSheetsState | None = None, host: str = "127.0.0.1", port: int = 0):
        self.state = state or FakeSheetsState()
        self._server = make_server(host, port, create_fake_sheets_app(self.state), threaded=True,
                                   request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeSheetsServer":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fake Google Sheets v4 API")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--sheet-id", default="sandbox-sheet")
    args = parser.parse_args(argv)
    server = FakeSheetsServer(FakeSheetsState(args.sheet_id), port=args.port)
    print(f"fake Sheets on {server.base_url} (GOOGLE_SHEETS_API_BASE), SHEET_ID={args.sheet_id}")
    server._server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
