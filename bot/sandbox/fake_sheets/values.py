"""The values endpoints: get / batchGet / update / append / batchUpdate / clear / batchClear,
with valueInputOption RAW vs USER_ENTERED, valueRenderOption and majorDimension."""
from __future__ import annotations

from flask import jsonify, request

from bot.sandbox.fake_sheets.cells import Cell, col_letters, parse_a1
from bot.sandbox.fake_sheets.errors import BadRequest
from bot.sandbox.fake_sheets.state import FakeSheetsState


def handle(state: FakeSheetsState, sid: str, kind: str, a1: str, render: str, major: str):
    """Answer a values.* request (the caller holds state.lock)."""
    if kind == "values.batchGet":
        return jsonify({"spreadsheetId": sid, "valueRanges": [
            value_range(state, r, render, major) for r in request.args.getlist("ranges")]})
    body = request.get_json(force=True, silent=True) or {}
    if kind == "values.batchUpdate":
        raw = input_option(body.get("valueInputOption"))
        data = body.get("data", [])
        for item in data:
            resolve(state, item["range"])  # all ranges valid before any write
        responses = [write(state, item["range"], item.get("values", []), raw,
                           item.get("majorDimension", "ROWS")) for item in data]
        return jsonify({"spreadsheetId": sid, "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                        "responses": responses})
    if kind == "values.batchClear":
        for r in body.get("ranges", []):
            clear(state, r)
        return jsonify({"spreadsheetId": sid, "clearedRanges": body.get("ranges", [])})
    if kind == "values.get":
        return jsonify(value_range(state, a1, render, major))
    if kind == "values.clear":
        clear(state, a1)
        return jsonify({"spreadsheetId": sid, "clearedRange": a1})
    raw = input_option(request.args.get("valueInputOption"))
    if kind == "values.append":
        sheet, _r0, c0, _, _ = resolve(state, a1)
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
    return jsonify(write(state, a1, body.get("values", []), raw, body.get("majorDimension", "ROWS")))


def transpose(values: list[list]) -> list[list]:
    width = max((len(r) for r in values), default=0)
    return [[r[i] if i < len(r) else "" for r in values] for i in range(width)]


def resolve(state: FakeSheetsState, a1: str):
    tab, r0, c0, r1, c1 = parse_a1(a1)
    sheet = (state.sheets.get(tab) if tab is not None
             else min(state.sheets.values(), key=lambda s: s.index, default=None))
    if sheet is None:
        raise BadRequest(f"Unable to parse range: {a1}")
    return sheet, r0, c0, r1, c1


def value_range(state: FakeSheetsState, a1: str, render: str, major: str) -> dict:
    sheet, r0, c0, r1, c1 = resolve(state, a1)
    vals = state._read(sheet, r0, c0, r1, c1, render)
    out = {"range": a1, "majorDimension": major}
    if vals:
        out["values"] = transpose(vals) if major == "COLUMNS" else vals
    return out


def write(state: FakeSheetsState, a1: str, values: list, raw: bool, major: str = "ROWS") -> dict:
    sheet, r0, c0, _, _ = resolve(state, a1)
    if major == "COLUMNS":
        values = transpose(values)
    state._write(sheet, r0, c0, values, raw)
    return {"spreadsheetId": state.spreadsheet_id, "updatedRange": a1,
            "updatedRows": len(values), "updatedCells": sum(len(r) for r in values)}


def input_option(value: str | None) -> bool:
    if value not in ("RAW", "USER_ENTERED"):
        raise BadRequest("'valueInputOption' is required but not specified"
                          if not value else f"Invalid value at 'value_input_option' ({value})")
    return value == "RAW"


def clear(state: FakeSheetsState, a1: str) -> None:
    sheet, r0, c0, r1, c1 = resolve(state, a1)
    last = len(sheet.rows) - 1 if r1 is None else min(r1, len(sheet.rows) - 1)
    for r in range(r0, last + 1):
        row = sheet.rows[r]
        for c in range(c0, (len(row) - 1 if c1 is None else min(c1, len(row) - 1)) + 1):
            row[c] = Cell()
