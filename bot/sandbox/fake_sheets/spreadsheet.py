"""The spreadsheet endpoints: GET spreadsheets/{id} (tabs, frozen rows, protected ranges) and
:batchUpdate, validated as a whole before any of it applies (as Google does)."""
from __future__ import annotations

from flask import jsonify, request

from bot.sandbox.fake_sheets.cells import Cell, Sheet, sort_key
from bot.sandbox.fake_sheets.errors import BadRequest
from bot.sandbox.fake_sheets.state import FakeSheetsState

KNOWN_REQUESTS = ("addSheet", "deleteSheet", "updateSheetProperties", "repeatCell",
                  "setDataValidation", "addProtectedRange", "updateDimensionProperties",
                  "autoResizeDimensions", "updateBorders", "setBasicFilter",
                  "addConditionalFormatRule", "sortRange", "deleteDimension", "addChart",
                  "updateChartSpec")


def sheet_props(s: Sheet) -> dict:
    return {"sheetId": s.sheet_id, "title": s.title, "index": s.index, "sheetType": "GRID",
            "gridProperties": {"rowCount": max(1000, len(s.rows)), "columnCount": 26,
                               **({"frozenRowCount": s.frozen_rows} if s.frozen_rows else {})}}


def by_id(state: FakeSheetsState, sheet_id) -> Sheet | None:
    return next((s for s in state.sheets.values() if s.sheet_id == sheet_id), None)


def metadata(state: FakeSheetsState):
    sheets = []
    for s in sorted(state.sheets.values(), key=lambda s: s.index):
        entry = {"properties": sheet_props(s)}
        if s.protected:
            entry["protectedRanges"] = s.protected
        if s.charts:
            entry["charts"] = s.charts
        sheets.append(entry)
    return jsonify({"spreadsheetId": state.spreadsheet_id,
                    "properties": {"title": state.title, "locale": "vi_VN",
                                   "timeZone": "Asia/Ho_Chi_Minh"},
                    "sheets": sheets,
                    "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{state.spreadsheet_id}/edit"})


def target_sheet(state: FakeSheetsState, kind: str, args: dict, i: int) -> Sheet:
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
    elif kind == "addChart":
        position = args.get("chart", {}).get("position", {})
        sid = position.get("sheetId", position.get("overlayPosition", {}).get("anchorCell", {}).get("sheetId"))
    elif kind == "updateChartSpec":
        owner = next((s for s in state.sheets.values()
                      if any(c["chartId"] == args.get("chartId") for c in s.charts)), None)
        if owner is None:
            raise BadRequest(f"Invalid requests[{i}].updateChartSpec: No chart with id: {args.get('chartId')}")
        return owner
    else:
        sid = args.get("range", {}).get("sheetId")
    sheet = by_id(state, sid if sid is not None else 0)
    if sheet is None:
        raise BadRequest(f"Invalid requests[{i}].{kind}: No grid with id: {sid if sid is not None else 0}")
    return sheet


def batch_update(state: FakeSheetsState):
    body = request.get_json(force=True, silent=True) or {}
    reqs = body.get("requests", [])
    # Validate everything first: Google applies a batch atomically or not at all.
    plan, new_titles = [], set()
    for i, req in enumerate(reqs):
        if not isinstance(req, dict) or len(req) != 1:
            raise BadRequest(f"Invalid requests[{i}]: exactly one kind of request is expected")
        (kind, args), = req.items()
        if kind not in KNOWN_REQUESTS:
            raise BadRequest(f"Invalid JSON payload received. Unknown name \"{kind}\" at "
                              f"'requests[{i}]': Cannot find field.")
        if kind == "addSheet":
            title = args.get("properties", {}).get("title") or f"Sheet{len(state.sheets) + 1}"
            if title in state.sheets or title in new_titles:
                raise BadRequest(f"Invalid requests[{i}].addSheet: A sheet with the name "
                                  f"\"{title}\" already exists. Please enter another name.")
            sid = args.get("properties", {}).get("sheetId")
            if sid is not None and by_id(state, sid) is not None:
                raise BadRequest(f"Invalid requests[{i}].addSheet: Sheet with id {sid} already exists.")
            new_titles.add(title)
            plan.append((kind, args, title))
        else:
            # A request may target a sheet added earlier in the same batch.
            if kind != "addSheet" and not new_titles:
                plan.append((kind, args, target_sheet(state, kind, args, i)))
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
        sheet = target or target_sheet(state, kind, args, i)
        replies.append(apply_request(state, kind, args, sheet))
    return jsonify({"spreadsheetId": state.spreadsheet_id, "replies": replies})


def apply_request(state: FakeSheetsState, kind: str, args: dict, sheet: Sheet) -> dict:
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
        body.sort(key=lambda r: sort_key(r[col] if col < len(r) else Cell()),
                  reverse=spec.get("sortOrder") == "DESCENDING")
        sheet.rows = head + body + tail
    elif kind == "addChart":
        chart = dict(args["chart"], chartId=args["chart"].get("chartId", next(state._ids)))
        sheet.charts.append(chart)
        return {"addChart": {"chart": chart}}
    elif kind == "updateChartSpec":
        chart = next(c for c in sheet.charts if c["chartId"] == args["chartId"])
        chart["spec"] = args["spec"]
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
