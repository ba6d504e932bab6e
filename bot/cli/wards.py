"""CLI for the city's IT officer: the wards one deployment serves.

  wards add CODE --name … --zalo-app-id … (every field)   a new ward, its secrets encrypted
  wards list [--json]                                      who is served (no secret shown)
  wards set CODE --field value …                           change any field, tokens included
  wards import FILE                                        a TOML file of wards, all or nothing

Secrets (the app secret, the OA secret key) and the token pair are encrypted with the key that
protects the Zalo tokens (TOKEN_ENCRYPTION_KEY). `wards set default …` stores values for the
ward configured by .env: stored values win over .env, empty ones fall back to it.
"""
from __future__ import annotations

import json
import sys

from bot.cli.settings import load, with_running_sandbox
from bot.cli.ward_values import FIELDS, NAMES, field_problems, flag, save
from storage.wards import WardError

def _fail(lines) -> int:
    sys.stderr.write("\n".join([lines] if isinstance(lines, str) else lines) + "\n")
    return 2


def _given(args) -> dict:
    return {name: getattr(args, name) for name in NAMES if getattr(args, name) is not None}


def cmd_wards(args) -> int:
    if args.action == "list":
        return _list(args)
    if args.action == "import":
        from bot.cli.wards_import import run_import

        return run_import(args.target)
    return _add_or_set(args)


def _add_or_set(args) -> int:
    from bot.at_rest import token_cipher
    from storage.base import DEFAULT_WARD_CODE
    from storage.db import session_scope
    from storage.scoping import ALL_WARDS
    from storage.wards import by_code, check_code

    code, values, new = args.target, _given(args), args.action == "add"
    try:
        check_code(code)
    except WardError as exc:
        return _fail(str(exc))
    if not new and not values:
        return _fail("Không có gì để sửa: thêm ít nhất một trường, ví dụ --sheet-id … "
                     "(xem `./dev wards set -h`).")
    problems = field_problems(values, new=new, default=code == DEFAULT_WARD_CODE)
    if problems:
        return _fail([f"{flag(name)}: {why}" for name, why in problems] + ["Chưa lưu gì."])
    settings = load()
    cipher = token_cipher(settings)
    try:
        with session_scope(ALL_WARDS) as session:
            if new and by_code(session, code) is not None:
                raise WardError(f"Phường {code} đã có; sửa bằng lệnh `./dev wards set {code} …`.")
            if not new and by_code(session, code) is None:
                raise WardError(f"Không có phường {code}. Xem danh sách bằng `./dev wards list`, "
                                f"thêm bằng `./dev wards add {code} …`.")
            config = save(session, settings, code, values, cipher)
    except WardError as exc:
        return _fail([str(exc), "Chưa lưu gì."])
    print(_saved_line(config, values, new))
    return 0


def _saved_line(config, values: dict, new: bool) -> str:
    what = "Đã thêm" if new else "Đã cập nhật"
    changed = ", ".join(flag(name) for name in values)
    line = f"{what} phường {config.code}" + (f" ({config.name})" if config.name else "") + f": {changed}."
    if values.get("zalo_access_token"):
        line += " Cặp token Zalo đã được lưu (mã hóa)."
    if new:
        line += (f"\nWebhook của OA: https://<tên-miền>/webhooks/zalo (dịch vụ nhận ra phường theo OA), "
                 f"hoặc https://<tên-miền>/webhooks/zalo/{config.code}.")
    return line + "\nDịch vụ đang chạy áp dụng trong vòng 30 giây, không cần khởi động lại."


def ward_rows(settings) -> list[dict]:
    """Every ward as `wards list` shows it: no secret, the default ward completed by .env."""
    from sqlalchemy import func, select

    from storage.db import session_scope
    from storage.models import Ticket
    from storage.scoping import ALL_WARDS
    from storage.wards import all_wards

    with session_scope(ALL_WARDS) as session:
        configs = all_wards(session)  # no key: secrets are not read, only whether they are set
        tickets = dict(session.execute(select(Ticket.ward_id, func.count()).group_by(Ticket.ward_id)).all())
    rows = []
    for config in configs:
        shown = settings.default_ward(config) if config.is_default else config
        rows.append({"code": shown.code, "name": shown.name, "zalo_oa_id": shown.zalo_oa_id,
                     "zalo_app_id": shown.zalo_app_id, "sheet": bool(shown.sheet_id),
                     "officers": len(shown.officer_zalo_ids), "tickets": tickets.get(config.id, 0)})
    return rows


HEADINGS = (("code", "Mã phường", 16), ("name", "Tên", 24), ("zalo_oa_id", "OA ID", 20),
            ("zalo_app_id", "App ID", 20), ("sheet", "Bảng tính", 10), ("officers", "Cán bộ trực", 12),
            ("tickets", "Số phiếu", 8))


def _list(args) -> int:
    rows = ward_rows(with_running_sandbox(load()))  # the sandbox's default ward as `serve` runs it
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0

    def cell(row, key, width):
        value = row[key]
        text = ("có" if value else "chưa có") if key == "sheet" else str(value if value != "" else "-")
        return (text[: width - 1] + "…" if len(text) > width else text).ljust(width)

    print(" ".join(title.ljust(width) for _, title, width in HEADINGS).rstrip())
    for row in rows:
        print(" ".join(cell(row, key, width) for key, _, width in HEADINGS).rstrip())
    print(f"{len(rows)} phường.")
    return 0


def register(sub) -> None:
    p = sub.add_parser("wards", help="các phường của dịch vụ: add | list | set | import "
                                     "(chung cho mọi phường)")
    p.add_argument("action", choices=("add", "list", "set", "import"), help="việc cần làm")
    p.add_argument("target", nargs="?", default=None, metavar="MÃ_PHƯỜNG_HOẶC_TỆP",
                   help="add/set: mã phường (chữ thường không dấu, chữ số, dấu gạch ngang, ví dụ "
                        "an-hai; `default` là phường cấu hình trong .env); import: tệp TOML")
    for name, text in FIELDS:
        p.add_argument(flag(name), dest=name, default=None, metavar="GIÁ_TRỊ", help=text)
    p.add_argument("--json", action="store_true", help="list: in dạng JSON (cho máy đọc)")
    p.set_defaults(func=_checked)


def _checked(args) -> int:
    if args.action != "list" and not args.target:
        what = "tệp TOML" if args.action == "import" else "mã phường"
        return _fail(f"Cần {what}: ./dev wards {args.action} "
                     + ("TỆP.toml" if args.action == "import" else "MÃ_PHƯỜNG …"))
    return cmd_wards(args)
