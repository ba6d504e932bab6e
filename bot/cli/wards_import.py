"""`wards import FILE`: many wards at once from a TOML file (read with the standard library),
all or nothing: one transaction, and every problem of the file named at once (its line, the
ward's code, the field), so the IT officer fixes the file in one go.

    [[ward]]
    code = "an-hai"
    name = "Phường An Hải"
    zalo_app_id = "…"          # and every other field of `wards add`, with _ for -
    officers = ["…", "…"]      # or "…,…"

A code already served is updated with the fields given; a new one needs every required field.
"""
from __future__ import annotations

import re
import sys
import tomllib

from bot.cli.settings import load
from bot.cli.ward_values import NAMES, TOKENS, field_problems, save
from storage.wards import WardError

WARD_HEADER = re.compile(r"^\s*\[\[\s*\"?ward\"?\s*\]\]")
TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")


class _Refused(Exception):
    """Raised inside the transaction so that nothing of the file is kept."""


def read_wards(path: str) -> tuple[list[tuple[str, dict]], list[str]]:
    """([(where, entry)], problems): each [[ward]] table with where it starts ("dòng 12")."""
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"Không đọc được tệp {path} ({type(exc).__name__})."]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = TOML_WHERE.search(str(exc))
        where = f" ở dòng {found.group(1)}, cột {found.group(2)}" if found else ""
        return [], [f"{path}: không đúng cú pháp TOML{where} (xem lại dấu ngoặc kép, dấu = và "
                    "tên mục [[ward]])."]
    problems = [f"{path}: mục «{key}» không dùng được; mỗi phường là một mục [[ward]]."
                for key in data if key != "ward"]
    entries = data.get("ward")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
        return [], problems + [f"{path}: không có mục [[ward]] nào."]
    lines = [n for n, line in enumerate(text.splitlines(), 1) if WARD_HEADER.match(line)]
    if len(lines) != len(entries):  # written as an inline array: count them instead
        lines = [None] * len(entries)
    return [(f"dòng {line}" if line else f"phường thứ {i}", entry)
            for i, (line, entry) in enumerate(zip(lines, entries), 1)], problems


def _entry_problems(where: str, entry: dict, known: set[str], seen: set[str]) -> list[str]:
    from storage.base import DEFAULT_WARD_CODE
    from storage.wards import check_code

    code = entry.get("code")
    label = f"{where} (phường {code})" if isinstance(code, str) and code else where
    if not isinstance(code, str) or not code:
        return [f"{label}: thiếu code (mã phường, ví dụ code = \"an-hai\")."]
    try:
        check_code(code)
    except WardError as exc:
        return [f"{label}: {exc}"]
    if code in seen:
        return [f"{label}: mã {code} có hai lần trong tệp."]
    seen.add(code)
    values = {k: v for k, v in entry.items() if k != "code"}
    return [f"{label}, {name}: {why}." for name, why in
            field_problems(values, new=code not in known, default=code == DEFAULT_WARD_CODE)]


def _code_ok(entry: dict) -> bool:
    from storage.wards import CODE

    return isinstance(entry.get("code"), str) and bool(CODE.match(entry["code"]))


def _savable(entry: dict) -> dict:
    """The entry's well-formed fields: a ward with other problems is still saved (and rolled
    back with the whole file) so that the database's own checks, an OA already taken, are
    named too. A half token pair is left out."""
    values = {k: v for k, v in entry.items() if k in NAMES and k != "code"
              and (isinstance(v, str) or (k == "officers" and isinstance(v, list)
                                          and all(isinstance(x, str) for x in v)))}
    if not all(isinstance(values.get(t), str) and values[t] for t in TOKENS):
        values = {k: v for k, v in values.items() if k not in TOKENS}
    return values


def run_import(path: str) -> int:
    from bot.at_rest import token_cipher
    from storage.db import session_scope
    from storage.scoping import ALL_WARDS
    from storage.wards import all_wards

    entries, problems = read_wards(path)
    if not entries:
        return _refuse(problems)
    settings = load()
    cipher = token_cipher(settings)
    added = updated = 0
    try:
        with session_scope(ALL_WARDS) as session:
            known = {w.code for w in all_wards(session)}
            seen: set[str] = set()
            for where, entry in entries:
                bad = _entry_problems(where, entry, known, seen)
                problems += bad
                if bad and not _code_ok(entry):
                    continue
                try:  # each ward in a savepoint: the checks of every other ward still run
                    with session.begin_nested():
                        save(session, settings, entry["code"], _savable(entry), cipher)
                except WardError as exc:
                    problems.append(f"{where} (phường {entry['code']}): {exc}")
                    continue
                if not bad:
                    updated, added = (updated + 1, added) if entry["code"] in known else (updated, added + 1)
            if problems:
                raise _Refused
    except _Refused:
        return _refuse(problems)
    print(f"Đã nhập {path}: thêm {added} phường, cập nhật {updated} phường. Dịch vụ đang chạy áp dụng "
          "trong vòng 30 giây. Xem bằng `./dev wards list`.")
    return 0


def _refuse(problems: list[str]) -> int:
    sys.stderr.write(f"Không nhập phường nào: tệp có {len(problems)} lỗi. Sửa hết rồi chạy lại.\n"
                     + "\n".join(f"  - {p}" for p in problems) + "\n")
    return 2
