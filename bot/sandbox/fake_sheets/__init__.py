"""A local fake of the Google Sheets v4 endpoints gspread calls here, over real HTTP.

Tests, the sandbox and the benchmark point the real gspread client at it
(GOOGLE_SHEETS_API_BASE). What it models:

- Several spreadsheets on one server (`FakeSheetsServer.add_spreadsheet`: one per ward, the
  city's), an unknown id answered 404 as Google does.
- GET spreadsheets/{id}: sheets (sheetId, title, index, gridProperties with frozenRowCount)
  and their protectedRanges and charts.
- POST spreadsheets/{id}:batchUpdate, validated as a whole before any of it applies (as
  Google does): addSheet, deleteSheet, updateSheetProperties, repeatCell (a TEXT number
  format makes that column keep typed digits as text), setDataValidation (kept, so tests can
  assert the dropdowns), addProtectedRange, updateDimensionProperties, autoResizeDimensions,
  updateBorders, setBasicFilter, addConditionalFormatRule, sortRange (an officer sorting),
  deleteDimension (an officer deleting rows), addChart, updateChartSpec. Anything else:
  Google's 400 envelope.
- values get / batchGet / update / append / batchUpdate / clear, with valueInputOption RAW
  (strings stay strings: "=IMPORTXML(...)" is text) vs USER_ENTERED ("=..." becomes a formula,
  "0901234567" becomes the number 901234567, "'0901" stays text), valueRenderOption
  FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA, majorDimension ROWS / COLUMNS, A1 ranges
  such as 'Tab name'!A2:Q, 'It''s'!A1, A:C.
- Google's error envelope {"error": {"code", "message", "status"}}.
- Failure injection: `state.fail(429|500|503, times, kind=None)`, `state.hang(seconds, times)`
  (the request is answered late, after being applied: what a client timeout looks like),
  request counters by kind (`state.requests`), and a call log.
- Google's quota (quota.py, off unless `FakeSheetsServer(quota=GoogleQuota.google())`):
  read and write requests per user and per project per minute, 429 RESOURCE_EXHAUSTED past
  a limit, optionally with Retry-After; a shorter window for a scaled clock.
- Officers' hands: `state.set_cell` (typed, USER_ENTERED), `state.sort_by_column`,
  `state.delete_row`, `state.rows(tab)` (what a person sees).

Run standalone:  python -m bot.sandbox.fake_sheets.server --port 8791 [--sheet-id sandbox-sheet] [--quota]

By API area: cells (A1 ranges, what a cell holds and shows), state (one spreadsheet, failure
injection, the officers' hands), quota (Google's per-minute limits), spreadsheet (get,
batchUpdate), values (get, update, append, clear and their batches), server (routing, the
spreadsheets, the HTTP server).
"""
