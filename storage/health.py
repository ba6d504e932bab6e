"""Is the intake draining? One report for /healthz and `python -m bot status`.

"Healthy" means events acknowledged to Zalo keep reaching the database and the worker: a
spool the drainer cannot move (for longer than INTAKE_STALL_SECONDS), an orphan spool file
nobody recovers, or an inbox whose oldest pending event waits that long. Dead letters are
counted and shown (officers are alerted about them), but do not by themselves make the
service unhealthy: by design they no longer hold anything up.
Reasons are short codes (the same for a Vietnamese or an English reader's monitoring).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import deadletters
from storage.models import InboundEvent, utcnow


def intake_report(session: Session, *, inbox=None, spool_dir: Path | None,
                  stall_seconds: float) -> tuple[dict, list[str]]:
    """(figures, reasons it is unhealthy). `inbox` is this process's SpoolInbox/InboxWriter."""
    from storage.spool import oldest_orphan_seconds, spool_files

    reasons: list[str] = []
    oldest = session.scalar(select(func.min(InboundEvent.received_at))
                            .where(InboundEvent.status == "pending"))
    waiting = max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0
    if waiting > stall_seconds:
        reasons.append("events_not_processed")
    dead = deadletters.counts(session)
    report: dict = {
        "oldest_pending_seconds": round(waiting, 1),
        "dead_letters": {"total": sum(dead.values()), **dead},
    }
    if spool_dir is not None:
        files = spool_files(spool_dir)
        orphan_age = oldest_orphan_seconds(spool_dir)
        stalled = inbox.stalled_seconds() if hasattr(inbox, "stalled_seconds") else 0.0
        report["spool"] = {"files": len(files), "bytes": sum(size for _, size in files),
                           "stalled_seconds": round(stalled, 1),
                           "oldest_orphan_seconds": round(orphan_age, 1)}
        if stalled > stall_seconds or orphan_age > stall_seconds:
            reasons.append("spool_not_draining")
    return report, reasons
