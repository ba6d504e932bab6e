"""CLI for the officers' desk: `notify-stats`, `forms post`, `jobs` (the sheet commands live in bot/cli/sheets.py)."""
from __future__ import annotations

import json
import sys

from bot.cli.settings import add_ward_option, load, load_ward


def cmd_notify_stats(args) -> int:
    from handlers.ticket_updates import undeliverable_counts
    from storage.db import session_scope

    ward, _ = load_ward(args)
    with session_scope(ward.id) as session:
        counts = undeliverable_counts(session)
    if args.json:
        print(json.dumps({"undeliverable_status_updates": counts}, ensure_ascii=False))
    elif not counts:
        print("Không có tin báo tiến độ nào bị Zalo từ chối.")
    else:
        from bot.cli.wording import reasons_lines

        print(f"Tin báo tiến độ / mời chấm điểm không gửi được: {sum(counts.values())}, theo lý do:")
        print("\n".join(reasons_lines(counts)))
    return 0


SAMPLE_FORM = "webhooks/apps_script/sample_submission.json"


FORMS_POST_TRIES = 20
FORMS_POST_WAIT_SECONDS = 0.5


def cmd_forms_post(args) -> int:
    """Sign and post a sample Google Form submission, as the Apps Script does (sandbox, tests)."""
    from bot.sandbox import setup as sandbox

    settings = load(database=False)  # posts over HTTP: no database needed here
    try:  # the sandbox `serve` running in another terminal: its address and its forms secret
        info = sandbox.read_info(settings.sandbox_file)
    except (FileNotFoundError, ValueError):
        info = {}
    secret = args.secret or settings.forms_shared_secret or info.get("forms_secret")
    if not secret:
        sys.stderr.write(
            "Chưa có khóa ký Google Form. Chế độ thử: chạy `./dev serve` ở cửa sổ khác (không cần "
            "cấu hình gì) rồi chạy lại lệnh này. Máy thật: đặt FORMS_SHARED_SECRET=<chuỗi ngẫu nhiên> "
            "trong .env, khởi động lại `./dev serve`, rồi chạy lại (hoặc thêm --secret <chuỗi đó>).\n")
        return 2
    raw = _read_form_file(args.file)
    if raw is None:
        return 2
    url = args.url or info.get("forms_url") or f"http://127.0.0.1:{settings.port}/webhooks/forms"
    posted = _post_until_coded(url, secret, raw)
    if posted is None:
        return 1
    return _say_how_the_post_went(*posted)


def _read_form_file(name: str) -> bytes | None:
    """The submission's bytes, checked to be JSON; None (and why, on stderr) when they are not."""
    from pathlib import Path

    from bot.settings import ROOT

    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = ROOT / name
    try:
        raw = path.read_bytes()
        json.loads(raw)
    except OSError:
        sys.stderr.write(f"Không đọc được tệp {name}.\n")
        return None
    except ValueError as exc:
        sys.stderr.write(f"{name}: không phải JSON hợp lệ ({exc}).\n")
        return None
    return raw


def _post_until_coded(url: str, secret: str, raw: bytes):
    """(response, its JSON body, whether it was posted again); None when the service is not up."""
    import time

    import requests

    from webhooks.signature import hmac_sha256

    # As the Apps Script does: the service stores the answer and makes its ticket a moment later,
    # so post the same answer again (one ticket per response) until the answer carries the code.
    waited = False
    for _ in range(FORMS_POST_TRIES):
        stamp = str(int(time.time()))
        try:
            resp = requests.post(url, data=raw, timeout=15, headers={
                "Content-Type": "application/json", "X-Hts-Timestamp": stamp,
                "X-Hts-Signature": hmac_sha256(secret, stamp.encode(), b".", raw)})
        except requests.RequestException:
            sys.stderr.write(f"Không kết nối được {url}: dịch vụ có đang chạy không? (`./dev serve`)\n")
            return None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200 or body.get("code"):
            break
        waited = True
        time.sleep(FORMS_POST_WAIT_SECONDS)
    return resp, body, waited


def _say_how_the_post_went(resp, body: dict, waited: bool) -> int:
    if resp.status_code == 200:
        if body.get("code") and not waited:  # known at the first post: sent before
            print(f"Câu trả lời này đã được nhận trước đó (phiếu {body['code']}): không tạo phiếu thứ hai.")
        elif body.get("code"):
            print(f"Đã nhận câu trả lời biểu mẫu: phiếu {body['code']}. Xem bằng `./dev tickets`.")
        else:
            print("Đã nhận câu trả lời biểu mẫu; phiếu được tạo khi dịch vụ xử lý. Xem bằng `./dev tickets`.")
        return 0
    why = {401: "chữ ký bị từ chối: khóa (--secret / FORMS_SHARED_SECRET) khác khóa của dịch vụ đang "
                "chạy, hoặc đồng hồ hai máy lệch quá 5 phút",
           503: "dịch vụ đang chạy chưa có FORMS_SHARED_SECRET: đặt trong .env rồi khởi động lại `./dev serve`",
           422: "không thấy câu trả lời cho câu hỏi nội dung (xem FORMS_FIELD_MAP)",
           400: "tệp thiếu response_id hoặc answers"}.get(resp.status_code, body.get("error") or resp.text[:200])
    sys.stderr.write(f"Không nhận (mã {resp.status_code}): {why}.\n")
    return 1


def cmd_jobs(args) -> int:
    from types import SimpleNamespace

    from bot.runtime.scheduler import build_scheduler

    from storage.leader import leader_lock

    settings = load()
    holder = leader_lock(settings.database_url, settings.scheduler_poll_seconds).holder()
    print(f"Lịch định kỳ đang chạy ở: {holder}" if holder else
          "Chưa worker nào chạy lịch định kỳ (`./dev serve` hoặc `./dev worker` sẽ chạy).")
    scheduler = build_scheduler(SimpleNamespace(settings=settings), runs_jobs=False)  # lists, runs nothing
    for job in scheduler.get_jobs():
        from bot.cli.wording import trigger_label

        when = job.next_run_time.strftime("%d/%m/%Y %H:%M") if job.next_run_time else "-"
        print(f"{job.name:<40} lần tới {when:<17} {trigger_label(job.trigger):<28} ({job.id})")
    scheduler.shutdown(wait=False)
    return 0


def register(sub) -> None:
    p = sub.add_parser("notify-stats", help="số tin báo tiến độ không gửi được, theo lý do")
    p.add_argument("--json", action="store_true", help="in dạng JSON (cho máy đọc)")
    add_ward_option(p)
    p.set_defaults(func=cmd_notify_stats)
    p = sub.add_parser("forms", help="Google Form: forms post FILE gửi thử một câu trả lời đã ký")
    p.add_argument("action", choices=("post",))
    p.add_argument("file", nargs="?", default=SAMPLE_FORM,
                   help=f"JSON: {{response_id, timestamp, answers: {{câu hỏi: trả lời}}, email?}}; "
                        f"mặc định tệp mẫu {SAMPLE_FORM}")
    p.add_argument("--url", default=None, help="mặc định: dịch vụ đang chạy (./dev serve), "
                                               "hoặc http://127.0.0.1:<PORT>/webhooks/forms")
    p.add_argument("--secret", default=None, help="mặc định FORMS_SHARED_SECRET, hoặc khóa của chế độ thử")
    p.set_defaults(func=cmd_forms_post)
    sub.add_parser("jobs", help="các việc định kỳ (chung cho mọi phường), lần chạy tới, worker đang chạy lịch").set_defaults(func=cmd_jobs)
