"""Command line: `python -m bot <command>`. Run with no command for the list."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.settings import SettingsError, load_settings

log = logging.getLogger("bot")


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2)


def cmd_migrate(args) -> int:
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print(f"Đã cập nhật cơ sở dữ liệu: {_safe_url(settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    if "@" in url:  # hide a password in postgresql://user:pass@host/db
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_serve(args) -> int:
    """Web plus an in-process worker and scheduler: the embedded default for one server."""
    import signal
    import threading

    from werkzeug.serving import make_server

    from bot import sandbox
    from bot.app import create_app
    from bot.runtime import Runtime
    from storage import db
    from storage.migrate import upgrade

    settings = _settings()
    port = args.port or settings.port
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade(settings.database_url)
    db.configure(settings.database_url)
    fakes = []
    if not settings.zalo_configured:
        settings, fake = sandbox.start(settings, f"http://127.0.0.1:{port}")
        fakes.append(fake)
    if not settings.sheet_id:
        settings, fake = sandbox.start_sheets(settings)
        fakes.append(fake)
    runtime = Runtime(settings)
    app = create_app(settings, wakeup=runtime.wake, sync_now=runtime.sync_now)
    server = make_server(args.host, port, app, threaded=True)
    runtime.start()
    mode = "THỬ NGHIỆM (sandbox, Zalo giả lập cục bộ)" if fakes else "THẬT (Zalo OA)"
    print(f"Hộp thư số đang chạy: http://127.0.0.1:{port}  — chế độ {mode}", flush=True)
    if fakes:
        print("Mở một cửa sổ khác và gõ:  .venv/bin/python -m bot chat   để nhắn thử như cư dân.",
              flush=True)
    stop = threading.Event()

    def _shutdown(*_):
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, _shutdown)
    signal.signal(signal.SIGTERM, _shutdown)
    server.serve_forever()
    runtime.stop()
    for fake in fakes:
        fake.stop()
    return 0


def cmd_worker(args) -> int:
    from bot import sandbox
    from bot.runtime import Runtime
    from storage import db

    settings = _settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db.configure(settings.database_url)
    if not settings.zalo_configured:
        try:
            info = sandbox.read_info(settings.sandbox_file)
        except FileNotFoundError:
            sys.stderr.write("Chưa cấu hình Zalo (ZALO_*) và không có sandbox đang chạy.\n")
            return 2
        settings = settings.with_overrides(
            zalo_app_id=info["app_id"], zalo_app_secret=sandbox.APP_SECRET,
            zalo_oa_secret_key=info["oa_secret_key"], zalo_access_token=sandbox.ACCESS,
            zalo_refresh_token=sandbox.REFRESH, zalo_api_base=info["fake_zalo_url"],
            zalo_oauth_base=info["fake_zalo_url"], ward_profile_file=sandbox.sandbox_profile(settings))
    Runtime(settings, scheduler=not args.no_scheduler).run_forever()
    return 0


def cmd_tickets(args) -> int:
    from storage import db, tickets

    settings = _settings()
    db.configure(settings.database_url)
    with db.session_scope() as session:
        rows = [tickets.as_dict(t) for t in tickets.all_tickets(session)]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for r in rows:
            print(f"{r['code']:<14} {r['status']:<16} {r['kind']:<10} {r['topic'] or '-':<18} "
                  f"{r['text'][:60]}")
    return 0


def cmd_chat(args) -> int:
    from bot.chat import run

    return run(_settings().sandbox_file, args.user)


def cmd_status(args) -> int:
    """Queue and outbox counts, for the IT officer."""
    from handlers import urgent
    from storage import db, inbox, outbox

    settings = _settings()
    db.configure(settings.database_url)
    with db.session_scope() as session:
        report = {"inbox": inbox.counts(session), "outbox": outbox.counts(session),
                  "outbox_failed_reasons": outbox.failure_reasons(session),
                  **urgent.health(session, settings)}
    from bot.ward_profile import faq_gaps

    try:  # answers the bot holds back for a gap in the ward's facts (`faq check` lists them)
        report["faq_gaps"] = len(faq_gaps(settings))
    except Exception as exc:  # noqa: BLE001 - a broken FAQ file: say so, keep the rest
        report["faq_gaps"] = f"không đọc được tệp hỏi đáp ({type(exc).__name__})"
    spool_dir = settings.spool_directory
    if spool_dir is not None:
        from storage.spool import spool_files

        files = spool_files(spool_dir)
        report["spool"] = {"directory": str(spool_dir), "files": len(files),
                           "bytes": sum(size for _, size in files)}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def cmd_bench_ingest(args) -> int:
    from bot.bench.ingest import main

    return main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Hộp thư số")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("serve", help="chạy web + worker trong một tiến trình (mặc định)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="chạy worker (hàng đợi + lịch)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="thêm worker trên PostgreSQL: chỉ một tiến trình được chạy lịch")
    p.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="cập nhật cấu trúc cơ sở dữ liệu").set_defaults(func=cmd_migrate)

    p = sub.add_parser("tickets", help="liệt kê phiếu")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tickets)

    p = sub.add_parser("chat", help="nhắn thử với bot (sandbox) như một cư dân")
    p.add_argument("--user", default=None, help="Zalo user id giả lập")
    p.set_defaults(func=cmd_chat)

    sub.add_parser("status", help="số sự kiện chờ, tin gửi lỗi").set_defaults(func=cmd_status)

    p = sub.add_parser("bench-ingest", help="đo hiệu năng nhận webhook và độ trễ đầu-cuối")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--rate", type=float, default=100.0, help="sự kiện/giây cho phép đo đầu-cuối")
    p.add_argument("--database-url", default=None)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers for both servers")
    p.set_defaults(func=cmd_bench_ingest)

    _register_feature_commands(sub)
    return parser


def _register_feature_commands(sub) -> None:
    """Feature modules add their own subcommands, listed here explicitly."""
    from bot import cli_announce, cli_desk, cli_nlu
    from sheets_sync import cli as cli_sheets

    cli_nlu.register(sub)
    cli_sheets.register(sub)
    cli_desk.register(sub)
    cli_announce.register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    return args.func(args) or 0


if __name__ == "__main__":
    raise SystemExit(main())
