"""The command parser: `python -m bot <command>`. Run with no command for the list. Each
command group registers its own subcommands (_register_feature_commands)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from bot.cli.settings import add_ward_option, configure_database, load, load_ward, safe_url
from bot.cli.status import cmd_status
from bot.settings import SettingsError
from storage.base import DEFAULT_WARD_CODE


def cmd_migrate(args) -> int:
    from storage.migrate import upgrade

    settings = load(database=False)
    upgrade(settings.database_url)
    print(f"Đã cập nhật cơ sở dữ liệu: {safe_url(settings.database_url)}")
    return 0


def cmd_serve(args) -> int:
    """Web plus an in-process worker and scheduler: the embedded default for one server."""
    from werkzeug.serving import make_server

    from bot import logs
    from bot.app import create_app
    from bot.runtime.process import Runtime
    from storage import db
    from storage.migrate import upgrade

    settings = load(database=False)  # upgraded below, once the port is known to be free
    port = args.port or settings.port
    logs.configure(settings.log_level)
    if not _port_free(args.host, port):
        # Checked before the sandbox starts: it would overwrite the running one's sandbox.json.
        sys.stderr.write(_port_in_use(port))
        return 2
    upgrade(settings.database_url)
    db.configure(settings.database_url)
    fake_zalo, fake_sheet = not settings.zalo_configured, not settings.sheet_id
    settings, fakes = _start_fakes(settings, port)
    runtime = Runtime(settings)
    app = create_app(settings, wakeup=runtime.wake, sync_now=runtime.sync_now)
    console = len(fakes) == 2  # the officers' console needs both fakes: the full sandbox only
    if console:
        from bot.sandbox import console as sandbox_console
        from bot.sandbox import setup as sandbox

        sandbox_console.install(app, settings, sandbox.read_info(settings.sandbox_file))
    try:
        server = make_server(args.host, port, app, threaded=True)
    except OSError:  # taken between the check and now
        sys.stderr.write(_port_in_use(port))
        for fake in fakes:
            fake.stop()
        return 2
    runtime.start()
    wards = [(w.code, w.name) for w in app.extensions["hts_wards"].all()] if fake_zalo else []
    print(where_it_runs(port, fake_zalo, fake_sheet, console, wards), flush=True)
    _serve_until_signalled(server)
    runtime.stop()
    for fake in fakes:
        fake.stop()
    return 0


def _start_fakes(settings, port: int):
    """Stand-ins for whatever is not configured: the fake Zalo, the fake sheet. Returns the
    settings pointing at them, and the fakes to stop."""
    from bot.sandbox import setup as sandbox

    fakes = []
    public_url = f"http://127.0.0.1:{port}"
    if not settings.zalo_configured:
        settings, fake = sandbox.start(settings, public_url)
        fakes.append(fake)
    if not settings.sheet_id:
        settings, fake = sandbox.start_sheets(settings)
        fakes.append(fake)
    if len(fakes) == 2:  # the full sandbox: a city of two sample wards
        from bot.sandbox import city

        settings = city.start(settings, *fakes, public_url)
    return settings, fakes


def where_it_runs(port: int, fake_zalo: bool, fake_sheet: bool, console: bool,
                  wards: list[tuple[str, str]] = ()) -> str:
    """What the IT officer reads when serve starts: which parts are real and which are local
    stand-ins (a real OA with only the sheet still fake is not a sandbox). `wards`: (code, name)
    of each ward the sandbox runs, each with the command that chats with it."""
    if fake_zalo:
        mode = "THỬ NGHIỆM (Zalo giả lập cục bộ; " + (
            "Google Sheets giả lập cục bộ)" if fake_sheet else "Google Sheets thật)")
    else:
        mode = "THẬT (Zalo OA" + (
            "; Google Sheets giả lập cục bộ vì chưa đặt SHEET_ID)" if fake_sheet else ", Google Sheets)")
    lines = [f"Hộp thư số đang chạy: http://127.0.0.1:{port}  — chế độ {mode}"]
    if fake_zalo and len(wards) > 1:
        lines.append(f"{len(wards)} phường mẫu đang chạy, mỗi phường một OA Zalo và một bảng tính "
                     "(giả lập). Mở một cửa sổ khác và gõ lệnh để nhắn thử như cư dân của phường:")
        labels = [f"{name or code} (mã {code}):" for code, name in wards]
        width = max(len(label) for label in labels)
        for (code, _), label in zip(wards, labels):
            command = "./dev chat" + ("" if code == DEFAULT_WARD_CODE else f" --ward {code}")
            lines.append(f"  {label.ljust(width)}  {command}")
    elif fake_zalo:
        lines.append("Mở một cửa sổ khác và gõ:  ./dev chat   để nhắn thử như cư dân.")
    if console:
        what = ("chọn phường, cư dân nhắn Zalo + cán bộ sửa bảng Phiếu, số liệu cả thành phố"
                if len(wards) > 1 else "cư dân nhắn Zalo + cán bộ sửa bảng Phiếu")
        lines.append(f"Bàn thử nghiệm ({what}): http://127.0.0.1:{port}/console")
    return "\n".join(lines)


def _serve_until_signalled(server) -> None:
    """Serve until SIGINT or SIGTERM; the server shuts down from another thread, as it must."""
    import signal
    import threading

    stop = threading.Event()

    def _shutdown(*_):
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    server.serve_forever()


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _port_in_use(port: int) -> str:
    return (f"Cổng {port} đang được dùng (có thể `./dev serve` đang chạy ở một cửa sổ khác). "
            f"Dừng tiến trình đó, hoặc chạy trên cổng khác: `./dev serve --port {port + 1}` "
            "(hoặc đặt PORT trong .env).\n")


def cmd_worker(args) -> int:
    from bot import logs
    from bot.sandbox import setup as sandbox
    from bot.runtime.process import Runtime

    settings = load(database=False)
    logs.configure(settings.log_level)
    configure_database(settings)
    if not settings.zalo_configured:
        attached = sandbox.attach(settings)
        if attached is None:
            sys.stderr.write("Chưa cấu hình Zalo (ZALO_* trong .env) và không thấy chế độ thử đang "
                             "chạy: chạy `./dev serve` (đã gồm worker), hoặc điền ZALO_* rồi chạy lại.\n")
            return 2
        settings = attached
    Runtime(settings, scheduler=not args.no_scheduler).run_forever()
    return 0


def cmd_tickets(args) -> int:
    from storage import db, tickets

    ward, _ = load_ward(args)
    with db.session_scope(ward.id) as session:
        rows = [{**tickets.as_dict(t), "ward": ward.code} for t in tickets.all_tickets(session)]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif not rows:
        print("Chưa có phiếu nào. Phiếu được tạo khi cư dân nhắn Zalo OA hoặc gửi Google Form "
              "(thử: `./dev serve` rồi `./dev chat`).")
    else:
        from intents.taxonomy import TOPICS
        from storage.vocab import STATUSES, TICKET_KIND_LABELS

        for r in rows:
            print(f"{r['code']:<14} {STATUSES.get(r['status'], r['status'])[:22]:<22} "
                  f"{TICKET_KIND_LABELS.get(r['kind'], r['kind']):<10} "
                  f"{TOPICS.get(r['topic'], r['topic'] or '-')[:22]:<22} {r['text'][:60]}")
        print(f"{len(rows)} phiếu.")
    return 0


def cmd_chat(args) -> int:
    from bot.sandbox.chat import run

    if args.ward is None:  # several wards (the sandbox runs two): the default one unless told
        args.ward = DEFAULT_WARD_CODE
    ward, settings = load_ward(args)
    return run(settings.sandbox_file, args.user, ward=None if ward.is_default else chat_ward(ward, settings))


def chat_ward(ward, settings) -> dict:
    """What `chat` signs with for a ward other than `default` (whose OA is the sandbox's own):
    that ward's app, OA and webhook key, posted to its own webhook URL."""
    from bot.sandbox import setup as sandbox

    try:
        webhook = sandbox.read_info(settings.sandbox_file)["webhook_url"]
    except (OSError, ValueError, KeyError):
        webhook = f"http://127.0.0.1:{settings.port}/webhooks/zalo"
    return {"name": ward.name or ward.code, "app_id": ward.zalo_app_id, "oa_id": ward.zalo_oa_id,
            "oa_secret_key": settings.webhook_secret_of(ward),
            "webhook_url": f"{webhook.rstrip('/')}/{ward.code}"}


def cmd_bench_ingest(args) -> int:
    from bot.bench.ingest import main

    return main(args)


def cmd_bench_typhoon(args) -> int:
    from bot.bench.typhoon import main

    return main(args)


def build_parser() -> argparse.ArgumentParser:
    from bot.cli.wording import vietnamese_argparse

    vietnamese_argparse()
    parser = argparse.ArgumentParser(
        prog="./dev", description="Hộp thư số — các lệnh cho cán bộ CNTT của phường. "
                                  "Gõ `./dev <lệnh> -h` để xem hướng dẫn từng lệnh.")
    sub = parser.add_subparsers(dest="command", title="lệnh", metavar="<lệnh>")

    p = sub.add_parser("serve", help="chạy web + worker trong một tiến trình (mặc định; mọi phường)")
    p.add_argument("--host", default="0.0.0.0", help="địa chỉ lắng nghe (mặc định 0.0.0.0: mọi địa chỉ)")
    p.add_argument("--port", type=int, default=None, metavar="CỔNG", help="cổng (mặc định PORT, 8000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="chạy worker cho mọi phường (hàng đợi; lịch định kỳ khi không worker nào khác chạy)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="worker này không bao giờ chạy lịch định kỳ (mặc định: mọi worker sẵn sàng thay "
                        "worker đang chạy lịch khi nó dừng)")
    p.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="cập nhật cấu trúc cơ sở dữ liệu (chung cho mọi phường)").set_defaults(func=cmd_migrate)

    p = sub.add_parser("tickets", help="liệt kê phiếu")
    p.add_argument("--json", action="store_true", help="in dạng JSON (cho máy đọc); mỗi phiếu có \"ward\"")
    add_ward_option(p)
    p.set_defaults(func=cmd_tickets)

    p = sub.add_parser("chat", help="nhắn thử với bot (sandbox) như một cư dân")
    p.add_argument("--user", default=None, metavar="ZALO_ID", help="Zalo user id giả lập")
    add_ward_option(p, "nhắn với OA của phường này (xem `./dev wards list`; chế độ thử có "
                       "default và mau-2); mặc định: phường default")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("status", help="số sự kiện chờ, tin gửi lỗi (cả dịch vụ, và từng phường)")
    p.add_argument("--json", action="store_true", help="in dạng JSON (cho máy đọc)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("bench-ingest", help="đo hiệu năng nhận webhook và độ trễ đầu-cuối")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rate", type=float, default=100.0, help="sự kiện/giây cho phép đo đầu-cuối")
    p.add_argument("--database-url", default=None)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers for both servers")
    p.set_defaults(func=cmd_bench_ingest)

    p = sub.add_parser("bench-typhoon", help="đo worker khi bão: 10.000 tin trong 60 giây (PostgreSQL)")
    from bot.bench.typhoon import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_bench_typhoon)

    _register_feature_commands(sub)
    return parser


def _register_feature_commands(sub) -> None:
    """Feature modules add their own subcommands, listed here explicitly."""
    from bot.cli import (announce as cli_announce, desk as cli_desk, nlu as cli_nlu,
                         privacy as cli_privacy)
    from bot.cli import sheets as cli_sheets, wards as cli_wards

    cli_nlu.register(sub)
    cli_sheets.register(sub)
    cli_desk.register(sub)
    cli_announce.register(sub)
    cli_privacy.register(sub)
    cli_wards.register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    from storage.token_cipher import TokenKeyError

    try:
        return args.func(args) or 0
    except (SettingsError, TokenKeyError) as exc:  # a wrong key: one clear line, no traceback
        sys.stderr.write(f"{exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\nĐã dừng.\n")
        return 130
    except Exception as exc:  # noqa: BLE001 — an officer's console gets a sentence, not a traceback
        if os.environ.get("LOG_LEVEL", "").strip().upper() == "DEBUG":
            raise
        sys.stderr.write(f"Lỗi không mong đợi khi chạy `./dev {args.command}`: {type(exc).__name__}: {exc}\n"
                         "Chạy lại với LOG_LEVEL=DEBUG để xem chi tiết, hoặc gửi dòng này cho người "
                         "phát triển.\n")
        return 1
