"""One fake spreadsheet's state: its tabs, injected failures, request counters, and what
officers do by hand (type into a cell, sort, delete a row). The quota is the server's
(quota.py): Google counts it per user and project, not per spreadsheet."""
from __future__ import annotations

import itertools
import threading
from collections import Counter

from bot.sandbox.fake_sheets.cells import Cell, Sheet, sort_key, user_entered


class FakeSheetsState:
    def __init__(self, spreadsheet_id: str = "sandbox-sheet", *, title: str = "Hộp thư số"):
        self.lock = threading.RLock()
        self.spreadsheet_id = spreadsheet_id
        self.title = title
        self.sheets: dict[str, Sheet] = {}
        self._ids = itertools.count(1000)
        self.requests: Counter[str] = Counter()
        self.calls: list[tuple[str, str]] = []          # (kind, detail), in order
        self.failures: list[dict] = []                   # injected, consumed in order
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
            body.sort(key=lambda r: sort_key(r[col] if col < len(r) else Cell()), reverse=reverse)
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
