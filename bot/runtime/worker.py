"""The queue consumer: events in batches, each resident's in order, few commits.

A batch is up to WORKER_BATCH pending events, each the oldest pending event of its resident
(storage.inbox.claim_batch: one event per resident, locked with SKIP LOCKED, so two workers
never handle one resident's events at once or out of order). Each event's handlers run inside
their own SAVEPOINT: a failing handler rolls back only its own work and its failure is recorded
(bounded attempts, then `failed` with an apology), the rest of the batch goes on. An event's
work (tickets, replies as outbox rows) and its `done` mark are committed together: killed at
any point, the process committed both or neither, so no lost event, no second ticket, no second
reply. One commit ends the batch; two things commit sooner: an urgent message's officer alert,
before its handlers run (_commit_alert), and on PostgreSQL a ticket code, whose counter row
other workers wait for (_holds_ticket_counter).

Why batches: every commit waits for the write-ahead log to reach the disk, and a commit per
event was the larger part of a worker's time (figures: bot/README.md, bench-typhoon).
"""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from sqlalchemy import event as sa_event

from bot.runtime import failpoints
from bot.runtime.dispatcher import dispatch
from bot.settings import Settings
from bot.wards import WardSettings
from handlers import forms, registry, texts, urgent
from handlers.context import Nlu
from storage import deadletters, inbox, outbox, raw_json, residents, zalo_events
from storage.clean import redact_error
from storage.db import session_scope
from storage.models import InboundEvent, TicketSequence, utcnow
from storage.scoping import ALL_WARDS, use_ward

log = logging.getLogger(__name__)
_TICKET_COUNTER = "took_ticket_counter"


@sa_event.listens_for(TicketSequence, "load")
@sa_event.listens_for(TicketSequence, "refresh")
def _note_ticket_counter(_target, context, *_attrs) -> None:
    """Marks the session that read (and so locked) a ticket counter row: see
    EventWorker._holds_ticket_counter. A flag, since the row leaves the session's identity map
    (weakly held) as soon as it is flushed."""
    context.session.info[_TICKET_COUNTER] = True


def parse_stored(row: InboundEvent, settings: Settings):
    """A Zalo event as the neutral Inbound, or a Google Form submission."""
    body = raw_json.parse(row.payload)  # the webhook's bounded reading, the same numbers
    if row.source == "zalo":
        return zalo_events.parse(body)
    if row.source == "form":
        return forms.read(body, settings.forms_field_map)
    raise ValueError(f"no parser for source {row.source!r}")


class EventWorker:
    def __init__(self, settings: Settings, nlu: Nlu, on_reply=None, ward_settings=None):
        self.settings = settings
        # Each event is handled with its ward's settings (its OA, officers, sheet, name).
        self.ward_settings = ward_settings or WardSettings(settings)
        self.nlu = nlu
        self.on_reply = on_reply or (lambda: None)  # wakes an in-process sender

    def process_next(self) -> int:
        """Handle the next batch of events. Returns how many were handled or failed (0: none
        was waiting, or the batch's events went to other workers meanwhile)."""
        self.nlu.refresh()  # outside the batch's transaction (see NluService.refresh)
        with session_scope(ALL_WARDS) as session:  # the inbox serves every ward
            queue = inbox.claim_batch(session, max(1, self.settings.worker_batch))
            if not queue:
                return 0
            handled: list[int] = []
            attempted = 0
            while queue:
                row = queue.pop(0)
                settings = self._enter_ward(session, row)
                stage = self._stage(session, row, settings)
                if stage.queued:
                    queue = self._commit_alert(session, handled, [row, *queue])
                    if not queue or queue[0].id != row.id:
                        continue  # another worker took it meanwhile (and found the alert queued)
                    row = queue.pop(0)
                    settings = self._enter_ward(session, row)
                outcome = self._handle(session, row, stage, settings)
                if outcome is None:
                    break  # lost a lock race: commit what is done, let the other batch go on
                attempted += 1
                if outcome:
                    handled.append(row.id)
                failpoints.hit("worker.after_event")  # the kill -9 tests: mid-batch
                if self._holds_ticket_counter(session):
                    break  # the events not reached go back to the queue, untouched
            use_ward(session, ALL_WARDS)
            inbox.mark_done(session, handled)
            failpoints.hit("worker.before_commit")
        self.on_reply()
        return attempted

    def _commit_alert(self, session, handled: list[int], rest: list[InboundEvent]) -> list[InboundEvent]:
        """An urgent message's officer alert is committed before its handlers run
        (handlers/urgent.py), so a failure or a crash later cannot take it back. The events the
        batch handled so far are marked done in that same commit (a kill after it cannot handle
        them again). Committing released the claim (PostgreSQL's row locks): `rest` is taken
        again, less what another worker took meanwhile, and the batch goes on.

        Why not end the batch at an urgent message, or give it a transaction of its own: in a
        storm many messages are urgent; ending the batch would hand the rest of the claim back
        to be claimed and checked again, and a transaction of its own costs two commits. This
        costs one commit per alert and nothing for the other messages."""
        use_ward(session, ALL_WARDS)  # the batch's rows are of several wards
        inbox.mark_done(session, handled)
        handled.clear()
        session.commit()  # the alert is durable from here on, whatever happens next
        self.on_reply()
        return inbox.reclaim(session, [row.id for row in rest])

    def _enter_ward(self, session, row: InboundEvent) -> Settings:
        """From here on the session is the row's ward's, and so are the settings."""
        use_ward(session, row.ward_id)
        return self.ward_settings(row.ward_id, session)

    def _holds_ticket_counter(self, session) -> bool:
        """Ticket codes come from one counter row per kind and year, locked until the commit
        (storage.tickets.next_code), so every worker filing a ticket waits for it. Held to the
        end of a batch, it made the batches of all workers wait on each other (measured with
        bench-typhoon: 8 threads, one at work); committing as soon as an event took a code
        holds it about as briefly as one event per transaction did. SQLite has one writer
        anyway: there the batch goes on."""
        return session.info.get(_TICKET_COUNTER, False) and session.get_bind().dialect.name != "sqlite"

    def _handle(self, session, row: InboundEvent, stage: urgent.Stage, settings: Settings) -> bool | None:
        """One event's handlers, in a savepoint of the batch's transaction. Returns True when
        they ran, False when they failed (recorded), None when the event lost a lock race with
        another batch (left pending, its attempt not counted: the event is not at fault)."""
        try:
            with session.begin_nested():  # a failing handler rolls back only its own work
                if stage.urgent:
                    failpoints.hit("worker.after_urgent_alert")
                event = parse_stored(row, settings)
                if isinstance(event, forms.Submission):
                    forms.file_submission(session, settings, self.nlu, event, row.id)
                else:
                    dispatch(session, settings, self.nlu, event, row.id)
            return True
        except Exception as exc:
            if inbox.lost_lock_race(exc):
                log.warning("sự kiện %s: tranh khóa với một lô khác, sẽ xử lý lại", row.id)
                return None
            self._record_failure(session, row, stage, exc, settings)
            return False

    def _record_failure(self, session, row: InboundEvent, stage: urgent.Stage, exc: Exception,
                        settings: Settings) -> None:
        # Kind, masked first line and place only: exception text can carry what the resident
        # wrote (and SQL parameters), the code lines of the stack cannot.
        error = redact_error(exc)
        log.error("sự kiện %s xử lý lỗi: %s\n%s", row.id, error,
                  "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        try:
            with session.begin_nested():  # recording it must not take the batch down either
                status = inbox.record_failure(session, row.id, error, settings.event_max_attempts)
                if status == "failed":
                    # A dead letter: counted by /healthz and `status`, officers are told.
                    deadletters.record(session, source="worker", reason=error, event_key=row.event_key)
                if status == "failed" and row.user_key:
                    # Never silence: the resident hears that something went wrong, and only
                    # what is true (an urgent message: whether officers were alerted).
                    reply = urgent.failure_reply(stage) or texts.system_error(
                        bool(settings.officer_zalo_ids))
                    outbox.enqueue(session, row.user_key, reply.payload(), purpose="error",
                                   event_id=row.id)
        except Exception as again:  # stays pending, attempt uncounted; the others still commit
            log.error("sự kiện %s: không ghi được lỗi (%s), sẽ thử lại", row.id, type(again).__name__)

    def _stage(self, session, row: InboundEvent, settings: Settings) -> urgent.Stage:
        """alert_first for one event, in a savepoint: its failure only loses the early alert,
        the handlers still run."""
        if row.source != "zalo":
            return urgent.Stage()  # a form's urgent ticket alerts officers as it is filed
        try:
            event = parse_stored(row, settings)
        except Exception:  # the handlers' turn fails the same way and records it
            return urgent.Stage()
        try:
            with session.begin_nested():
                return urgent.alert_first(session, settings, self.nlu, event, row.id)
        except Exception as exc:
            log.error("event %s: urgent check failed (%s)", row.id, type(exc).__name__)
            return urgent.Stage()

    def drain(self, limit: int = 1_000_000) -> int:
        """Handle events until none is waiting (or about `limit` were taken); returns how many."""
        n = 0
        while n < limit:
            taken = self.process_next()
            if not taken:
                break
            n += taken
        return n

    def expire_stalled_conversations(self) -> int:
        """Save every ward's stalled conversations as drafts, each in its ward's scope and in a
        savepoint of its own: one that fails is logged with its ward and the others are saved
        (it stays stalled and is tried again at the next run)."""
        cutoff = utcnow() - timedelta(minutes=self.settings.conversation_timeout_minutes)
        saved = 0
        with session_scope(ALL_WARDS) as session:
            for conversation in residents.stalled_conversations(session, cutoff):
                ward_id = conversation.ward_id
                use_ward(session, ward_id)
                try:
                    with session.begin_nested():
                        registry.expire(session, self.ward_settings(ward_id, session), conversation)
                    saved += 1
                except Exception as exc:
                    ward = self.ward_settings.directory.get(ward_id, session)
                    log.error("lưu nháp hội thoại quá hạn: phường %s lỗi: %s (các phường khác vẫn chạy; "
                              "lần chạy sau thử lại)", ward.code if ward else ward_id, redact_error(exc))
        if saved:
            log.info("hội thoại: %s hội thoại bỏ dở được lưu thành phiếu nháp", saved)
        return saved
