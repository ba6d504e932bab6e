"""`status`: the deployment's health for the IT officer, and each ward's where it differs.

The queues (inbox, outbox, dead letters, the spool) are one for the whole deployment, so the
command takes no --ward: it shows every ward at once. What depends on the ward — urgent
tickets no duty officer heard of, the duty officers, FAQ answers held back for a gap in the
ward's facts, what is waiting — is counted per ward; with one ward the report is the same as
before wards existed. Exit code 1 when something is wrong (the same reasons /healthz gives).
"""
from __future__ import annotations

import json
import sys

from bot.cli.settings import load, with_running_sandbox

# Per-ward figures added up in the deployment's totals (one ward: its own figures).
SUMMED = ("urgent_not_alerted", "duty_officers", "duty_officers_reachable")


def cmd_status(args) -> int:
    from storage import db, inbox, outbox
    from storage.health import intake_report
    from storage.scoping import ALL_WARDS

    settings = with_running_sandbox(load())  # the sandbox's own facts, when one runs
    spool_dir = settings.spool_directory
    with db.session_scope(ALL_WARDS) as session:  # one inbox and one outbox for every ward
        intake, reasons = intake_report(session, spool_dir=spool_dir,
                                        stall_seconds=settings.intake_stall_seconds)
        report = {"ok": not reasons, "reasons": reasons,
                  "inbox": inbox.counts(session), "outbox": outbox.counts(session),
                  "outbox_failed_reasons": outbox.failure_reasons(session),
                  "dead_letters": intake["dead_letters"],
                  "oldest_pending_seconds": intake["oldest_pending_seconds"],
                  "echo": outbox.echo_health(session)}
        waiting = _waiting_per_ward(session)
    report.update(ward_health(settings, waiting))
    report["ok"] = not reasons and not report["problems"]
    if spool_dir is not None:
        report["spool"] = {"directory": str(spool_dir), **intake["spool"]}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        from bot.cli.wording import status_lines

        print("\n".join(status_lines(report)))
    if report["echo"]["warning"]:
        sys.stderr.write("CẢNH BÁO: " + report["echo"]["warning"] + "\n")
    return 0 if report["ok"] else 1


def _waiting_per_ward(session) -> dict[int, dict[str, int]]:
    """Events waiting to be handled and messages waiting to be sent, by ward id."""
    from sqlalchemy import func, select

    from storage.models import InboundEvent, OutboundMessage

    waiting: dict[int, dict[str, int]] = {}
    for key, model, states in (("events_pending", InboundEvent, ("pending",)),
                               ("outbox_pending", OutboundMessage, ("pending", "sending"))):
        rows = session.execute(select(model.ward_id, func.count()).where(model.status.in_(states))
                               .group_by(model.ward_id))
        for ward_id, n in rows:
            waiting.setdefault(ward_id, {})[key] = n
    return waiting


def ward_health(settings, waiting: dict[int, dict[str, int]]) -> dict:
    """Urgent tickets, duty officers and FAQ gaps of every ward: as they were for one ward;
    with several, the totals plus `wards` (one entry per ward) and problems naming their ward."""
    from bot.wards import WardSettings
    from intents.faq import read_csv

    try:  # one FAQ for every ward: read once (each ward's profile fills its own gaps)
        faq = read_csv(settings.faq_path)
    except Exception as exc:  # noqa: BLE001 - a broken FAQ file: say so, keep the rest
        faq = exc
    ward_settings = WardSettings(settings)
    wards = ward_settings.directory.all()
    entries = [_one_ward(ward, ward_settings(ward.id), waiting.get(ward.id, {}), faq) for ward in wards]
    if len(entries) == 1:
        [entry] = entries
        return {k: v for k, v in entry.items() if k not in ("ward", "name", "events_pending", "outbox_pending")}
    problems = [{**p, "ward": e["ward"], "message": f"Phường {e['ward']}: {p['message']}"}
                for e in entries for p in e["problems"]]
    gaps = [e["faq_gaps"] for e in entries]
    return {**{key: sum(e[key] for e in entries) for key in SUMMED},
            "faq_gaps": sum(gaps) if all(isinstance(g, int) for g in gaps) else "xem từng phường",
            "problems": problems,
            "wards": [{k: v for k, v in e.items() if k != "problems"} for e in entries]}


def _one_ward(ward, settings, waiting: dict[str, int], faq) -> dict:
    from bot.ward_profile import faq_gaps
    from handlers import urgent
    from storage.db import session_scope

    with session_scope(ward.id) as session:
        health = urgent.health(session, settings)
    # Answers the bot holds back for a gap in the ward's facts (`faq check` lists them).
    if isinstance(faq, Exception):
        gaps = f"không đọc được tệp hỏi đáp ({type(faq).__name__})"
    else:
        try:
            gaps = len(faq_gaps(settings, faq))
        except Exception as exc:  # noqa: BLE001 - a broken profile file: say so, keep the rest
            gaps = f"không đọc được hồ sơ phường ({type(exc).__name__})"
    return {"ward": ward.code, "name": ward.name, "events_pending": waiting.get("events_pending", 0),
            "outbox_pending": waiting.get("outbox_pending", 0), **health, "faq_gaps": gaps}
