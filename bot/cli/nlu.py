"""Command-line tools for language understanding (registered by bot/cli/main.py):

  classify            one message per line on stdin -> one JSON object per line
  faq ask             one question per line on stdin -> one JSON object per line
  faq import FILE     check a knowledge-base CSV and copy it to FAQ_FILE
  faq export FILE     write the knowledge base in use to FILE
  faq check           list answers with gaps the ward profile does not fill (exit 1 if any)
  eval                accuracy figures on the labelled sets (held-out TEST and DEV)
  learn               add a labelled example (takes effect in running workers at once)
  correct CODE        correct a ticket's kind/topic; the correction becomes an example
  bench-nlu           throughput benchmark

Every command returns an exit code; errors go to stderr in Vietnamese and English.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

from bot.cli.settings import add_ward_option, load, load_ward
from intents.taxonomy import KINDS, TOPIC_IDS


def _out(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _err(msg: str) -> int:
    sys.stderr.write(msg.rstrip() + "\n")
    return 2


def _db_session_factory(required: bool):
    """storage.db configured from settings, or None when the database is not usable and the
    command can do without it (classify still works, without learned examples)."""
    try:
        from sqlalchemy import inspect

        from storage import db

        load()  # the embedded SQLite upgrades itself on first use, as for every other command
        if not inspect(db.get_engine()).has_table("learned_examples"):
            raise RuntimeError("bảng learned_examples chưa có: chạy `./dev migrate`")
        return db.session_scope
    except Exception as exc:  # noqa: BLE001
        if required:
            raise
        sys.stderr.write(f"(không đọc được ví dụ đã học: {exc})\n")
        return None


def _classifier(with_learned: bool = True):
    from intents.classify import Classifier

    factory = _db_session_factory(required=False) if with_learned else None
    if factory is None:
        return Classifier()
    from storage.learning import LearningClassifier

    return LearningClassifier(factory)


def _lines():
    for line in sys.stdin:
        yield line.rstrip("\r\n")


# --- classify / faq ---------------------------------------------------------------

def cmd_classify(args) -> int:
    clf = _classifier(with_learned=not args.no_learned)
    for line in _lines():
        c = clf.classify(line)
        obj = {"kind": c.kind, "topic": c.topic, "urgent": c.urgent, "confidence": c.confidence}
        if args.verbose:
            obj.update(needs_clarification=c.needs_clarification, candidates=list(c.candidates),
                       kind_confidence=c.kind_confidence, topic_confidence=c.topic_confidence,
                       out_of_scope=c.out_of_scope, off_topic=c.off_topic, reasons=list(c.reasons))
        _out(obj)
        sys.stdout.flush()
    return 0


def _load_index():
    from intents.faq import FaqError, load_faq

    try:
        return load_faq(load(database=False).faq_path)
    except (OSError, FaqError) as exc:
        raise SystemExit(_err(f"Không đọc được tệp hỏi đáp: {exc}"))


def cmd_faq_ask(args) -> int:
    index = _load_index()
    if args.threshold is not None:
        index.threshold = args.threshold
    for line in _lines():
        m = index.ask(line)
        if m is None:
            best = index.best(line)
            _out({"question": None, "answer": None, "score": best.score if best else 0.0})
        else:
            _out({"question": m.question, "answer": m.answer, "score": m.score, "source": m.source})
        sys.stdout.flush()
    return 0


def cmd_faq_import(args) -> int:
    from intents.faq import FaqError, read_csv

    target = args.to or load(database=False).faq_file
    if not target:
        return _err("Chưa đặt FAQ_FILE (đường dẫn tệp FAQ mà bot dùng) trong .env, hoặc dùng --to.\n"
                    "FAQ_FILE is not set: set it in .env or pass --to PATH.")
    try:
        entries = read_csv(args.file)
    except (OSError, FaqError) as exc:
        return _err(f"Tệp không hợp lệ, chưa nhập gì: {exc}")
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    tmp = target + ".tmp"
    shutil.copyfile(args.file, tmp)
    os.replace(tmp, target)  # atomic: a worker never reads half a file
    print(f"Đã nhập {len(entries)} câu hỏi vào {target}. Khởi động lại worker để áp dụng.")
    return 0


def cmd_faq_check(args) -> int:
    from bot.settings import SettingsError
    from bot.ward_profile import check_report
    from intents.faq import FaqError

    _, settings = load_ward(args)  # the ward's profile: its local facts fill the answers
    try:
        text, n = check_report(settings)
    except (SettingsError, FaqError, OSError) as exc:
        print(f"Không kiểm tra được: {exc}")
        return 2
    print(text)
    return 1 if n else 0


def cmd_faq_export(args) -> int:
    index = _load_index()
    index.to_csv(args.file)
    print(f"Đã xuất {len(index.entries)} câu hỏi ra {args.file}")
    return 0


# --- learning ---------------------------------------------------------------------

def _write(action, ward_id: int | None = None) -> tuple[object, int | None]:
    """Run `action(session)` in one committed transaction (of `ward_id`'s session, for what
    touches tickets); (its result, None) or (None, the exit code after saying in Vietnamese
    what went wrong)."""
    try:
        with _db_session_factory(required=True)(ward_id) as session:
            return action(session), None
    except LookupError as exc:
        return None, _err(f"Không tìm thấy phiếu: {exc}")
    except ValueError as exc:
        return None, _err(f"Không hợp lệ: {exc}")
    except Exception as exc:  # noqa: BLE001
        return None, _err(f"Lỗi cơ sở dữ liệu: {exc}")


def cmd_learn(args) -> int:
    from storage.learning import add_example

    row_id, failed = _write(lambda s: add_example(s, args.text, args.kind, args.topic, source=args.source).id)
    if failed is not None:
        return failed
    print(f"Đã học ví dụ #{row_id}: kind={args.kind} topic={args.topic}")
    return 0


def cmd_correct(args) -> int:
    from storage.learning import correct_ticket

    def correct(session) -> str:
        t = correct_ticket(session, args.code, kind=args.kind, topic=args.topic, actor=args.actor)
        return f"{t.code}: kind={t.kind} topic={t.topic}"

    ward, _ = load_ward(args)  # codes count per ward: PA-2026-0001 is one ticket in each
    summary, failed = _write(correct, ward.id)
    if failed is not None:
        return failed
    print(f"Đã sửa {summary}; bot sẽ dùng ví dụ này ngay.")
    return 0


# --- eval / bench -----------------------------------------------------------------

def cmd_eval(args) -> int:
    from intents.evaluate import run_all

    report, figures = run_all(splits=args.split, show_errors=args.errors)
    sys.stdout.write(report)
    _out(figures)
    return 0


def bench_nlu(args) -> int:
    from intents.bench import run_bench

    for line in run_bench(repeats=args.repeats, learned=args.learned, faq_entries=args.faq_entries):
        print(line, flush=True)
    return 0


# --- registration -----------------------------------------------------------------

def register(subparsers) -> None:
    p = subparsers.add_parser("classify", help="phân loại tin nhắn (mỗi dòng stdin một tin) -> JSON")
    p.add_argument("--verbose", action="store_true", help="thêm needs_clarification, candidates và lý do quyết định (reasons: cụm từ, câu mẫu gần nhất, luật)")
    p.add_argument("--no-learned", action="store_true", help="không dùng ví dụ đã học trong CSDL")
    p.set_defaults(func=cmd_classify)

    p = subparsers.add_parser("faq", help="hỏi đáp: ask / import / export / check")
    fsub = p.add_subparsers(dest="faq_command")
    q = fsub.add_parser("ask", help="tìm câu trả lời (mỗi dòng stdin một câu hỏi) -> JSON")
    q.add_argument("--threshold", type=float, default=None)
    q.set_defaults(func=cmd_faq_ask)
    q = fsub.add_parser("import", help="kiểm tra tệp CSV rồi chép vào FAQ_FILE")
    q.add_argument("file")
    q.add_argument("--to", default=None, help="đích (mặc định FAQ_FILE)")
    q.set_defaults(func=cmd_faq_import)
    q = fsub.add_parser("export", help="xuất FAQ đang dùng ra tệp CSV")
    q.add_argument("file")
    q.set_defaults(func=cmd_faq_export)
    q = fsub.add_parser("check", help="liệt kê câu trả lời còn chỗ trống (thiếu thông tin của phường)")
    add_ward_option(q)
    q.set_defaults(func=cmd_faq_check)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])

    from intents.evaluate import SPLIT_NAMES

    p = subparsers.add_parser("eval", help="đánh giá độ chính xác trên tập kiểm thử")
    p.add_argument("--split", choices=SPLIT_NAMES + ("both",), default="both")
    p.add_argument("--errors", action="store_true", help="in các tin bị phân loại sai")
    p.set_defaults(func=cmd_eval)

    p = subparsers.add_parser("learn", help="thêm một ví dụ đã gán nhãn (chung cho mọi phường)")
    p.add_argument("--text", required=True)
    p.add_argument("--kind", choices=KINDS, default=None)
    p.add_argument("--topic", choices=TOPIC_IDS, default=None)
    p.add_argument("--source", default="cli")
    p.set_defaults(func=cmd_learn)

    p = subparsers.add_parser("correct", help="sửa loại/lĩnh vực của phiếu; bot học ngay")
    p.add_argument("code")
    p.add_argument("--kind", choices=KINDS, default=None)
    p.add_argument("--topic", choices=TOPIC_IDS, default=None)
    p.add_argument("--actor", default="cli")
    add_ward_option(p)
    p.set_defaults(func=cmd_correct)

    p = subparsers.add_parser("bench-nlu", help="đo tốc độ phân loại và hỏi đáp")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--learned", type=int, default=20000)
    p.add_argument("--faq-entries", type=int, default=500)
    p.set_defaults(func=bench_nlu)
