"""A local fake of the Google Sheets v4 endpoints gspread calls here, over real HTTP.

Tests, the sandbox and the benchmark point the real gspread client at it
(GOOGLE_SHEETS_API_BASE). What it models:

- GET spreadsheets/{id}: sheets (sheetId, title, index, gridProperties with frozenRowCount)
  and their protectedRanges.
- POST spreadsheets/{id}:batchUpdate, validated as a whole before any of it applies (as
  Google does): addSheet, deleteSheet, updateSheetProperties, repeatCell (a TEXT number
  format makes that column keep typed digits as text), setDataValidation (kept, so tests can
  assert the dropdowns), addProtectedRange, updateDimensionProperties, autoResizeDimensions,
  updateBorders, setBasicFilter, addConditionalFormatRule, sortRange (an officer sorting),
  deleteDimension (an officer deleting rows). Anything else: Google's 400 envelope.
- values get / batchGet / update / append / batchUpdate / clear, with valueInputOption RAW
  (strings stay strings: "=IMPORTXML(...)" is text) vs USER_ENTERED ("=..." becomes a formula,
  "0901234567" becomes the number 901234567, "'0901" stays text), valueRenderOption
  FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA, majorDimension ROWS / COLUMNS, A1 ranges
  such as 'Tab name'!A2:Q, 'It''s'!A1, A:C.
- Google's error envelope {"error": {"code", "message", "status"}}.
- Failure injection: `state.fail(429|500|503, times, kind=None)`, `state.hang(seconds, times)`
  (the request is answered late, after being applied: what a client timeout looks like),
  a per-minute quota (`quota_per_minute`, reads and writes counted apart, like Google's
  60 + 60 per user), request counters by kind (`state.requests`), and a call log.
- Officers' hands: `state.set_cell` (typed, USER_ENTERED), `state.sort_by_column`,
  `state.delete_row`, `state.rows(tab)` (what a person sees).

Run standalone:  python -m sheets_sync.fake_sheets --port 8791 [--sheet-id sandbox-sheet]
"""
from __future__ import annotations

import argparse
import itertools
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "BAD_GATEWAY", 503: "UNAVAILABLE",
                504: "DEADLINE_EXCEEDED"}
FAILURE_MESSAGES = {
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute "
         "per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}
_CELL = re.compile(r"^([A-Z]*)(\d*)$")
_RANGE_ONLY = re.compile(r"^[A-Z]{0,3}\d*(:[A-Z]{0,3}\d*)?$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?\d*\.\d+$")
FORMULA_RESULT = "#N/A"   # the fake evaluates nothing; IMPORTXML offline shows #N/A too
KNOWN_REQUESTS = ("addSheet", "deleteSheet", "updateSheetProperties", "repeatCell",
                  "setDataValidation", "addProtectedRange", "updateDimensionProperties",
                  "autoResizeDimensions", "updateBorders", "setBasicFilter",
                  "addConditionalFormatRule", "sortRange", "deleteDimension")


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


def split_a1(a1: str) -> tuple[str | None, str]:
    """"'Tab'!A2:Q" -> ("Tab", "A2:Q"); "Tab" -> ("Tab", ""); "A1:B2" -> (None, "A1:B2")."""
    if "!" in a1:
        tab, _, cells = a1.rpartition("!")
    elif _RANGE_ONLY.match(a1.strip().upper()) and a1.strip():
        return None, a1.strip()
    else:
        tab, cells = a1, ""
    tab = tab.strip()
    if len(tab) >= 2 and tab.startswith("'") and tab.endswith("'"):
        tab = tab[1:-1].replace("''", "'")
    return tab, cells.strip()


def parse_cells(cells: str) -> tuple[int, int, int | None, int | None]:
    """"A2:Q" -> (row0, col0, row1 or None, col1 or None), 0-based inclusive."""
    if not cells:
        return 0, 0, None, None
    start, _, end = cells.partition(":")
    m1, m2 = _CELL.match(start.upper()), _CELL.match((end or start).upper())
    if not m1 or not m2:
        raise ValueError(f"Unable to parse range: {cells}")
    c0 = col_index(m1.group(1)) if m1.group(1) else 0
    r0 = int(m1.group(2)) - 1 if m1.group(2) else 0
    c1 = col_index(m2.group(1)) if m2.group(1) else None
    r1 = int(m2.group(2)) - 1 if m2.group(2) else None
    if not end and m1.group(1) and m1.group(2):  # a single cell
        c1, r1 = c0, r0
    return r0, c0, r1, c1


def parse_a1(a1: str) -> tuple[str | None, int, int, int | None, int | None]:
    tab, cells = split_a1(a1)
    return (tab, *parse_cells(cells))


@dataclass
class Cell:
    value: object = ""          # str | int | float | bool; the formula text when formula
    formula: bool = False

    def render(self, option: str = "FORMATTED_VALUE"):
        if self.formula:
            return self.value if option == "FORMULA" else FORMULA_RESULT
        v = self.value
        if option in ("UNFORMATTED_VALUE", "FORMULA"):
            return v
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            if abs(v) >= 1e15:          # Sheets' automatic format: scientific, digits lost
                return f"{float(v):.2E}"
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v)
        return v

    def shown(self) -> str:
        """What a person looking at the sheet sees."""
        return str(self.render("FORMATTED_VALUE"))


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    rows: list[list[Cell]] = field(default_factory=list)
    frozen_rows: int = 0
    validations: list[dict] = field(default_factory=list)
    protected: list[dict] = field(default_factory=list)
    text_columns: set[int] = field(default_factory=set)
    formats: list[dict] = field(default_factory=list)

    def validation_values(self, col: int) -> list[str] | None:
        """The dropdown values for a column (the last rule set on it), or None."""
        for v in reversed(self.validations):
            rng = v["range"]
            if rng.get("startColumnIndex", 0) <= col < rng.get("endColumnIndex", 10 ** 6):
                rule = v.get("rule") or {}
                return [x.get("userEnteredValue") for x in rule.get("condition", {}).get("values", [])]
        return None


def user_entered(text, text_column: bool = False) -> Cell:
    """What Sheets stores when a person types `text` (valueInputOption USER_ENTERED)."""
    if not isinstance(text, str):
        return Cell(text)
    if text.startswith("'"):
        return Cell(text[1:])
    if text_column:
        return Cell(text)
    if text.startswith("=") and len(text) > 1:
        return Cell(text, formula=True)
    stripped = text.strip()
    if _INT.match(stripped):
        n = int(stripped)
        return Cell(float(n) if abs(n) >= 1e15 else n)
    if _FLOAT.match(stripped):
        return Cell(float(stripped))
    if stripped.upper() in ("TRUE", "FALSE"):
        return Cell(stripped.upper() == "TRUE")
    return Cell(text)


class FakeSheetsState:
    def __init__(self, spreadsheet_id: str = "sandbox-sheet", *, quota_per_minute: int | None = None,
                 title: str = "Hộp thư số"):
        self.lock = threading.RLock()
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.sheets: dict[str, Sheet] = {}
        self._ids = itertools.count(1000)
        self.requests: Counter[str] = Counter()
        self.calls: list[tuple[str, str]] = []          # (kind, detail), in order
        self.failures: list[dict] = []                   # injected, consumed in order
        self.quota_per_minute = quota_per_minute
        self._window = {"read": deque(), "write": deque()}
        self.add_sheet("Sheet1")

    # -- helpers for tests --
    def add_sheet(self, title: str, sheet_id: int | None = None) -> Sheet:
        with self.lock:
            sheet = Sheet(next(self._ids) if sheet_id is None else sheet_id, title, len(self.sheets))
            self.sheets[title] = sheet
            return sheet

    def fail(self, status: int, times: int = 1, kind: str | None = None) -> None:
        """The next `times` requests (of `kind`, e.g. "values.append", if given) answer `status`."""
        with self.lock:
            self.failures.append({"status": status, "times": times, "kind": kind})

    def hang(self, seconds: float, times: int = 1, kind: str | None = None) -> None:
        """The next `times` requests are applied, then answered `seconds` late."""
        with self.lock:
            self.failures.append({"hang": seconds, "times": times, "kind": kind})

    def total_requests(self) -> int:
        return sum(v for k, v in self.requests.items() if k not in ("failed", "quota"))

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.calls.clear()

    def rows(self, title: str) -> list[list[str]]:
        """The tab as a person sees it (formatted values; formulas show their result)."""
        with self.lock:
            return [[c.shown() for c in row] for row in self.sheets[title].rows]

    def raw_cell(self, title: str, row: int, col: int) -> Cell:
        return self.sheets[title].rows[row][col]

    def set_cell(self, title: str, row: int, col: int, value: str) -> None:
        """An officer types into a cell (row/col 0-based), as USER_ENTERED."""
        with self.lock:
            self._write(self.sheets[title], row, col, [[value]], raw=False)

    def delete_row(self, title: str, row: int) -> None:
        with self.lock:
            del self.sheets[title].rows[row]

    def sort_by_column(self, title: str, col: int, reverse: bool = False) -> None:
        """An officer sorts the data rows (below the frozen header) by a column."""
        with self.lock:
            sheet = self.sheets[title]
            keep = sheet.frozen_rows or 1
            head, body = sheet.rows[:keep], sheet.rows[keep:]
            body.sort(key=lambda r: _sort_key(r[col] if col < len(r) else Cell()), reverse=reverse)
            sheet.rows = head + body

    # -- internals --
    def _take_failure(self, kind: str) -> dict | None:
        with self.lock:
            for i, f in enumerate(self.failures):
                if f["kind"] in (None, kind):
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self.failures.pop(i)
                    return f
            return None

    def _over_quota(self, bucket: str) -> bool:
        if not self.quota_per_minute:
            return False
        now = time.monotonic()
        window = self._window[bucket]
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.quota_per_minute:
            return True
        window.append(now)
        return False

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
                if v is None:
                    continue  # null leaves the cell as it is
                if raw:
                    row[c] = Cell(v)
                else:
                    row[c] = user_entered(v, c in sheet.text_columns)

    def _read(self, sheet: Sheet, r0: int, c0: int, r1: int | None, c1: int | None,
              render: str) -> list[list]:
        out = []
        last = len(sheet.rows) - 1 if r1 is None else min(r1, len(sheet.rows) - 1)
        for r in range(r0, last + 1):
            row = sheet.rows[r]
            end = len(row) - 1 if c1 is None else min(c1, len(row) - 1)
            vals = [row[c].render(render) for c in range(c0, end + 1)]
            while vals and vals[-1] == "":
                vals.pop()
            out.append(vals)
        while out and not out[-1]:
            out.pop()
        return out


def _sort_key(cell: Cell):
    v = cell.value
    if v == "":
        return (2, "")          # blanks last, as Sheets does
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, str(v).casefold())


def _error(status: int, message: str):
    return jsonify({"error": {"code": status, "message": message,
                              "status": STATUS_NAMES.get(status, "UNKNOWN")}}), status


def _transpose(values: list[list]) -> list[list]:
    width = max((len(r) for r in values), default=0)
    return [[r[i] if i < len(r) else "" for r in values] for i in range(width)]


class _BadRequest(Exception):
    pass


def create_fake_sheets_app(state: FakeSheetsState) -> Flask:
    app = Flask("fake_sheets")

    def sheet_props(s: Sheet) -> dict:
        return {"sheetId": s.sheet_id, "title": s.title, "index": s.index, "sheetType": "GRID",
                "gridProperties": {"rowCount": max(1000, len(s.rows)), "columnCount": 26,
                                   **({"frozenRowCount": s.frozen_rows} if s.frozen_rows else {})}}

    def by_id(sheet_id) -> Sheet | None:
        return next((s for s in state.sheets.values() if s.sheet_id == sheet_id), None)

    def metadata():
        sheets = []
        for s in sorted(state.sheets.values(), key=lambda s: s.index):
            entry = {"properties": sheet_props(s)}
            if s.protected:
                entry["protectedRanges"] = s.protected
            sheets.append(entry)
        return jsonify({"spreadsheetId": state.spreadsheet_id,
                        "properties": {"title": state.title, "locale": "vi_VN",
                                       "timeZone": "Asia/Ho_Chi_Minh"},
                        "sheets": sheets,
                        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{state.spreadsheet_id}/edit"})

    def target_sheet(kind: str, args: dict, i: int) -> Sheet:
        if kind == "autoResizeDimensions":
            sid = args.get("dimensions", {}).get("sheetId")
        elif kind == "addConditionalFormatRule":
            sid = (args.get("rule", {}).get("ranges") or [{}])[0].get("sheetId")
        elif kind in ("updateSheetProperties",):
            sid = args.get("properties", {}).get("sheetId")
        elif kind == "addProtectedRange":
            sid = args.get("protectedRange", {}).get("range", {}).get("sheetId")
        elif kind == "setBasicFilter":
            sid = args.get("filter", {}).get("range", {}).get("sheetId")
        elif kind == "deleteSheet":
            sid = args.get("sheetId")
        else:
            sid = args.get("range", {}).get("sheetId")
        sheet = by_id(sid if sid is not None else 0)
        if sheet is None:
            raise _BadRequest(f"Invalid requests[{i}].{kind}: No grid with id: {sid if sid is not None else 0}")
        return sheet

    def batch_update():
        body = request.get_json(force=True, silent=True) or {}
        reqs = body.get("requests", [])
        # Validate everything first: Google applies a batch atomically or not at all.
        plan, new_titles = [], set()
        for i, req in enumerate(reqs):
            if not isinstance(req, dict) or len(req) != 1:
                raise _BadRequest(f"Invalid requests[{i}]: exactly one kind of request is expected")
            (kind, args), = req.items()
            if kind not in KNOWN_REQUESTS:
                raise _BadRequest(f"Invalid JSON payload received. Unknown name \"{kind}\" at "
                                  f"'requests[{i}]': Cannot find field.")
            if kind == "addSheet":
                title = args.get("properties", {}).get("title") or f"Sheet{len(state.sheets) + 1}"
                if title in state.sheets or title in new_titles:
                    raise _BadRequest(f"Invalid requests[{i}].addSheet: A sheet with the name "
                                      f"\"{title}\" already exists. Please enter another name.")
                sid = args.get("properties", {}).get("sheetId")
                if sid is not None and by_id(sid) is not None:
                    raise _BadRequest(f"Invalid requests[{i}].addSheet: Sheet with id {sid} already exists.")
                new_titles.add(title)
                plan.append((kind, args, title))
            else:
                # A request may target a sheet added earlier in the same batch.
                if kind != "addSheet" and not new_titles:
                    plan.append((kind, args, target_sheet(kind, args, i)))
                else:
                    plan.append((kind, args, None))
        replies = []
        for i, (kind, args, target) in enumerate(plan):
            if kind == "addSheet":
                s = state.add_sheet(target, args.get("properties", {}).get("sheetId"))
                grid = args.get("properties", {}).get("gridProperties", {})
                s.frozen_rows = grid.get("frozenRowCount", 0)
                replies.append({"addSheet": {"properties": sheet_props(s)}})
                continue
            sheet = target or target_sheet(kind, args, i)
            replies.append(apply_request(kind, args, sheet))
        return jsonify({"spreadsheetId": state.spreadsheet_id, "replies": replies})

    def apply_request(kind: str, args: dict, sheet: Sheet) -> dict:
        if kind == "updateSheetProperties":
            props = args.get("properties", {})
            sheet.frozen_rows = props.get("gridProperties", {}).get("frozenRowCount", sheet.frozen_rows)
            if "title" in props and props["title"] != sheet.title:
                state.sheets.pop(sheet.title)
                sheet.title = props["title"]
                state.sheets[sheet.title] = sheet
        elif kind == "deleteSheet":
            state.sheets.pop(sheet.title)
        elif kind == "setDataValidation":
            sheet.validations.append({"range": args["range"], "rule": args.get("rule")})
        elif kind == "addProtectedRange":
            pr = dict(args["protectedRange"], protectedRangeId=next(state._ids))
            sheet.protected.append(pr)
            return {"addProtectedRange": {"protectedRange": pr}}
        elif kind == "deleteDimension":
            rng = args["range"]
            if rng.get("dimension", "ROWS") == "ROWS":
                del sheet.rows[rng["startIndex"]:rng["endIndex"]]
            else:
                for row in sheet.rows:
                    del row[rng["startIndex"]:rng["endIndex"]]
        elif kind == "sortRange":
            spec = args["sortSpecs"][0]
            rng = args["range"]
            start = rng.get("startRowIndex", 0)
            head, body = sheet.rows[:start], sheet.rows[start:rng.get("endRowIndex", len(sheet.rows))]
            tail = sheet.rows[rng.get("endRowIndex", len(sheet.rows)):]
            col = spec["dimensionIndex"]
            body.sort(key=lambda r: _sort_key(r[col] if col < len(r) else Cell()),
                      reverse=spec.get("sortOrder") == "DESCENDING")
            sheet.rows = head + body + tail
        elif kind == "repeatCell":
            sheet.formats.append(args)
            fmt = args.get("cell", {}).get("userEnteredFormat", {}).get("numberFormat", {})
            if fmt.get("type") == "TEXT":
                rng = args["range"]
                sheet.text_columns.update(range(rng.get("startColumnIndex", 0),
                                                rng.get("endColumnIndex", 26)))
        else:
            sheet.formats.append({kind: args})
        return {}

    def resolve(a1: str):
        tab, r0, c0, r1, c1 = parse_a1(a1)
        sheet = (state.sheets.get(tab) if tab is not None
                 else min(state.sheets.values(), key=lambda s: s.index, default=None))
        if sheet is None:
            raise _BadRequest(f"Unable to parse range: {a1}")
        return sheet, r0, c0, r1, c1

    def value_range(a1: str, render: str, major: str) -> dict:
        sheet, r0, c0, r1, c1 = resolve(a1)
        vals = state._read(sheet, r0, c0, r1, c1, render)
        out = {"range": a1, "majorDimension": major}
        if vals:
            out["values"] = _transpose(vals) if major == "COLUMNS" else vals
        return out

    def write(a1: str, values: list, raw: bool, major: str = "ROWS") -> dict:
        sheet, r0, c0, _, _ = resolve(a1)
        if major == "COLUMNS":
            values = _transpose(values)
        state._write(sheet, r0, c0, values, raw)
        return {"spreadsheetId": state.spreadsheet_id, "updatedRange": a1,
                "updatedRows": len(values), "updatedCells": sum(len(r) for r in values)}

    def input_option(value: str | None) -> bool:
        if value not in ("RAW", "USER_ENTERED"):
            raise _BadRequest("'valueInputOption' is required but not specified"
                              if not value else f"Invalid value at 'value_input_option' ({value})")
        return value == "RAW"

    def classify(rest: str, method: str) -> tuple[str, str, str]:
        sid, _, tail = rest.partition("/")
        sid, _, verb = sid.partition(":")
        if not tail and not verb and method == "GET":
            return sid, "get", ""
        if verb == "batchUpdate" and not tail:
            return sid, "batchUpdate", ""
        if tail in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
            return sid, tail.replace(":", "."), ""
        if tail.startswith("values/"):
            a1 = tail[len("values/"):]
            for action in ("append", "clear"):
                if a1.endswith(":" + action):
                    return sid, f"values.{action}", a1[: -len(action) - 1]
            return sid, "values.get" if method == "GET" else "values.update", a1
        return sid, "unknown", ""

    @app.route("/v4/spreadsheets/<path:rest>", methods=["GET", "POST", "PUT"])
    def dispatch(rest: str):
        sid, kind, a1 = classify(rest, request.method)
        failure = state._take_failure(kind)
        if failure and "hang" in failure:
            time.sleep(failure["hang"])     # applied below, answered late
        elif failure:
            with state.lock:
                state.requests["failed"] += 1
            return _error(failure["status"], FAILURE_MESSAGES.get(failure["status"], "Error"))
        with state.lock:
            if state._over_quota("read" if request.method == "GET" else "write"):
                state.requests["quota"] += 1
                return _error(429, FAILURE_MESSAGES[429].replace(
                    "Write", "Read" if request.method == "GET" else "Write"))
            if sid != state.spreadsheet_id:
                return _error(404, "Requested entity was not found.")
            if kind == "unknown":
                return _error(404, "Not found")
            state.requests[kind] += 1
            state.calls.append((kind, a1 or ",".join(request.args.getlist("ranges"))))
            render = request.args.get("valueRenderOption", "FORMATTED_VALUE")
            major = request.args.get("majorDimension", "ROWS")
            try:
                if kind == "get":
                    return metadata()
                if kind == "batchUpdate":
                    return batch_update()
                if kind == "values.batchGet":
                    return jsonify({"spreadsheetId": sid, "valueRanges": [
                        value_range(r, render, major) for r in request.args.getlist("ranges")]})
                body = request.get_json(force=True, silent=True) or {}
                if kind == "values.batchUpdate":
                    raw = input_option(body.get("valueInputOption"))
                    data = body.get("data", [])
                    for item in data:
                        resolve(item["range"])  # all ranges valid before any write
                    responses = [write(item["range"], item.get("values", []), raw,
                                       item.get("majorDimension", "ROWS")) for item in data]
                    return jsonify({"spreadsheetId": sid, "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                                    "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                                    "responses": responses})
                if kind == "values.batchClear":
                    for r in body.get("ranges", []):
                        clear(r)
                    return jsonify({"spreadsheetId": sid, "clearedRanges": body.get("ranges", [])})
                if kind == "values.get":
                    return jsonify(value_range(a1, render, major))
                if kind == "values.clear":
                    clear(a1)
                    return jsonify({"spreadsheetId": sid, "clearedRange": a1})
                raw = input_option(request.args.get("valueInputOption"))
                if kind == "values.append":
                    sheet, _r0, c0, _, _ = resolve(a1)
                    start = len(sheet.rows)
                    while start > 0 and not any(c.value != "" for c in sheet.rows[start - 1]):
                        start -= 1
                    values = body.get("values", [])
                    state._write(sheet, start, c0, values, raw)
                    return jsonify({"spreadsheetId": sid, "tableRange": a1, "updates": {
                        "spreadsheetId": sid,
                        "updatedRange": f"'{sheet.title}'!{col_letters(c0)}{start + 1}:"
                                        f"{col_letters(c0 + max((len(v) for v in values), default=1) - 1)}"
                                        f"{start + len(values)}",
                        "updatedRows": len(values), "updatedCells": sum(len(v) for v in values)}})
                return jsonify(write(a1, body.get("values", []), raw, body.get("majorDimension", "ROWS")))
            except _BadRequest as exc:
                return _error(400, str(exc))
            except (KeyError, ValueError, TypeError) as exc:
                return _error(400, f"Invalid request: {exc}")

    def clear(a1: str) -> None:
        sheet, r0, c0, r1, c1 = resolve(a1)
        last = len(sheet.rows) - 1 if r1 is None else min(r1, len(sheet.rows) - 1)
        for r in range(r0, last + 1):
            row = sheet.rows[r]
            for c in range(c0, (len(row) - 1 if c1 is None else min(c1, len(row) - 1)) + 1):
                row[c] = Cell()

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # tests and the sandbox don't want access logs
        pass


class FakeSheetsServer:
    """Context manager: a threaded werkzeug server on an ephemeral 127.0.0.1 port."""

    def __init__(self, state: FakeSheetsState | None = None, host: str = "127.0.0.1", port: int = 0):
        self.state = state or FakeSheetsState()
        self._server = make_server(host, port, create_fake_sheets_app(self.state), threaded=True,
                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSheetsServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-sheets")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


SANDBOX_SHEET_ID = "sandbox-sheet"


def start_sandbox(spreadsheet_id: str = SANDBOX_SHEET_ID) -> FakeSheetsServer:
    """For `serve` without Google credentials: a running fake; point GOOGLE_SHEETS_API_BASE at
    its .base_url and SHEET_ID at SANDBOX_SHEET_ID (the lead's bot/sandbox.py does this)."""
    return FakeSheetsServer(FakeSheetsState(spreadsheet_id)).start()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fake Google Sheets v4 API")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sheet-id", default=SANDBOX_SHEET_ID)
    parser.add_argument("--quota-per-minute", type=int, default=None)
    args = parser.parse_args(argv)
    server = FakeSheetsServer(FakeSheetsState(args.sheet_id, quota_per_minute=args.quota_per_minute),
                              host=args.host, port=args.port)
    print(f"fake Sheets on {server.base_url}  (GOOGLE_SHEETS_API_BASE={server.base_url} "
          f"SHEET_ID={args.sheet_id})", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
