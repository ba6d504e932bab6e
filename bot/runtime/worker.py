"""The queue consumer: one inbound event per transaction, resident by resident, in order.

Handlers run inside the same transaction that marks the event done, and their replies are
outbox rows in that transaction too. Killed at any point, the process either committed all of
it (event done, ticket made, reply queued) or none of it (event still pending): no lost event,
no second ticket, no second reply.
"""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from bot.runtime import failpoints
from bot.runtime.dispatcher import dispatch
from bot.settings import Settings
from bot.wards import WardSettings
from handlers import forms, registry, texts, urgent
from handlers.context import Nlu
from storage import deadletters, inbox, outbox, raw_json, residents, zalo_events
from storage.clean import redact_error
from storage.db import session_scope
from storage.scoping import ALL_WARDS, use_ward
from storage.models import InboundEvent, utcnow

log = logging.getLogger(__name__)


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

    def process_next(self) -> bool:
        """Handle the next event. Returns False when nothing was waiting."""
        self.nlu.refresh()  # outside the event's transaction (see NluService.refresh)
        with session_scope(ALL_WARDS) as session:  # the inbox serves every ward
            row = inbox.claim_next(session)
            if row is None:
                return False
            event_id = row.id
            use_ward(session, row.ward_id)  # from here on, everything is this ward's
            settings = self.ward_settings(row.ward_id, session)
            stage = self._alert_first(session, row, settings)
            if stage is None:
                return True  # another worker thread took the event while the alert committed
            try:
                with session.begin_nested():  # a failing handler rolls back only its own work
                    if stage.urgent:
                        failpoints.hit("worker.after_urgent_alert")
                    event = parse_stored(row, settings)
                    if isinstance(event, forms.Submission):
                        forms.file_submission(session, settings, self.nlu, event, event_id)
                    else:
                        dispatch(session, settings, self.nlu, event, event_id)
                inbox.mark(session, event_id, "done")
            except Exception as exc:
                # Kind, masked first line and place only: exception text can carry what the
                # resident wrote (and SQL parameters), the code lines of the stack cannot.
                error = redact_error(exc)
                log.error("sự kiện %s xử lý lỗi: %s\n%s", event_id, error,
                          "".join(traceback.format_tb(exc.__traceback__)).rstrip())
                status = inbox.record_failure(session, event_id, error, settings.event_max_attempts)
                if status == "failed":
                    # A dead letter: counted by /healthz and `status`, officers are told.
                    deadletters.record(session, source="worker", reason=error,
                                       event_key=row.event_key)
                if status == "failed" and row.user_key:
                    # Never silence: the resident hears that something went wrong, and only
                    # what is true (an urgent message: whether officers were alerted).
                    reply = urgent.failure_reply(stage) or texts.system_error(
                        bool(settings.officer_zalo_ids))
                    outbox.enqueue(session, row.user_key, reply.payload(),
                                   purpose="error", event_id=event_id)
            failpoints.hit("worker.before_commit")
        self.on_reply()
        return True

    def _alert_first(self, session, row: InboundEvent, settings: Settings) -> urgent.Stage | None:
        """An urgent message's officer alert, queued and committed before the event's handlers
        run (handlers/urgent.py). Returns None when, during that commit, another worker thread
        claimed and finished the event."""
        if row.source != "zalo":
            return urgent.Stage()  # a form's urgent ticket alerts officers as it is filed
        try:
            event = parse_stored(row, settings)
        except Exception:  # the handlers' turn fails the same way and records it
            return urgent.Stage()
        try:
            with session.begin_nested():
                stage = urgent.alert_first(session, settings, self.nlu, event, row.id)
        except Exception as exc:  # the handlers still run; only the early alert is lost
            log.error("event %s: urgent check failed (%s)", row.id, type(exc).__name__)
            return urgent.Stage()
        if not stage.queued:
            return stage
        session.commit()  # the alert is durable from here on, whatever happens next
        self.on_reply()
        # Committing released the claim (PostgreSQL's row lock): take it again and check that
        # no other thread handled the event meanwhile (it would have found the alert queued).
        row = session.get(InboundEvent, row.id, with_for_update=True, populate_existing=True)
        return stage if row is not None and row.status == "pending" else None

    def drain(self, limit: int = 1_000_000) -> int:
        n = 0
        while n < limit and self.process_next():
            n += 1
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
