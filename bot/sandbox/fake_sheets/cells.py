"""Cells: A1 ranges ('Tab name'!A2:Q, 'It''s'!A1, A:C), what a cell holds (a value or a
formula) and what it shows, as Google Sheets does."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_CELL = re.compile(r"^([A-Z]*)(\d*)$")
_RANGE_ONLY = re.compile(r"^[A-Z]{0,3}\d*(:[A-Z]{0,3}\d*)?$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?\d*\.\d+$")
FORMULA_RESULT = "#N/A"   # the fake evaluates nothing; IMPORTXML offline shows #N/A too


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
    charts: list[dict] = field(default_factory=list)     # {"chartId", "spec", "position"}

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


def sort_key(cell: Cell):
    v = cell.value
    if v == "":
        return (2, "")          # blanks last, as Sheets does
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    return (1, str(v).casefold())
