"""CLI for the officers' desk: `notify-stats`, `forms post`, `jobs` (the sheet commands live in sheets_sync/cli.py)."""
from __future__ import annotations

import json
import sys


def _settings():
    from bot.__main__ import _database

    return _database()


def cmd_notify_stats(args) -> int:
    from handlers.ticket_updates import undeliverable_counts
    from storage.db import session_scope

    _settings()
    with session_scope() as session:
        counts = undeliverable_counts(session)
    if args.json:
        print(json.dumps({"undeliverable_status_updates": counts}, ensure_ascii=False))
    elif not counts:
        print("Không có tin báo tiến độ nào bị Zalo từ chối.")
    else:
        from bot.cli_format import reasons_lines

        print(f"Tin báo tiến độ / mời chấm điểm không gửi được: {sum(counts.values())}, theo lý do:")
        print("\n".join(reasons_lines(counts)))
    return 0


def cmd_forms_post(args) -> int:
    """Sign and post a sample Google Form submission, as the Apps Script does (sandbox, tests)."""
    import time
    from pathlib import Path

    import requests

    from webhooks.signature import hmac_sha256

    settings = _settings()
    secret = args.secret or settings.forms_shared_secret
    if not secret:
        sys.stderr.write("Chưa đặt FORMS_SHARED_SECRET (hoặc --secret).\n")
        return 2
    raw = Path(args.file).read_bytes()
    try:
        json.loads(raw)
    except ValueError as exc:
        sys.stderr.write(f"{args.file}: không phải JSON hợp lệ ({exc}).\n")
        return 2
    stamp = str(int(time.time()))
    url = args.url or f"http://127.0.0.1:{settings.port}/webhooks/forms"
    resp = requests.post(url, data=raw, timeout=15, headers={
        "Content-Type": "application/json", "X-Hts-Timestamp": stamp,
        "X-Hts-Signature": hmac_sha256(secret, stamp.encode(), b".", raw)})
    print(resp.status_code, resp.text.strip())
    return 0 if resp.status_code == 200 else 1


def cmd_jobs(args) -> int:
    from types import SimpleNamespace

    from bot.scheduler import build_scheduler

    settings = _settings()
    scheduler = build_scheduler(SimpleNamespace(settings=settings))  # paused: lists, runs nothing
    for job in scheduler.get_jobs():
        from bot.cli_format import trigger_label

        when = job.next_run_time.strftime("%d/%m/%Y %H:%M") if job.next_run_time else "-"
        print(f"{job.name:<40} lần tới {when:<17} {trigger_label(job.trigger):<28} ({job.id})")
    scheduler.shutdown(wait=False)
    return 0


def register(sub) -> None:
    p = sub.add_parser("notify-stats", help="số tin báo tiến độ không gửi được, theo lý do")
    p.add_argument("--json", action="store_true", help="in dạng JSON (cho máy đọc)")
    p.set_defaults(func=cmd_notify_stats)
    p = sub.add_parser("forms", help="Google Form: forms post FILE gửi thử một câu trả lời đã ký")
    p.add_argument("action", choices=("post",))
    p.add_argument("file", help="JSON: {response_id, timestamp, answers: {câu hỏi: trả lời}, email?}")
    p.add_argument("--url", default=None, help="mặc định http://127.0.0.1:<PORT>/webhooks/forms")
    p.add_argument("--secret", default=None, help="mặc định FORMS_SHARED_SECRET")
    p.set_defaults(func=cmd_forms_post)
    sub.add_parser("jobs", help="các việc định kỳ").set_defaults(func=cmd_jobs)
