"""A resident's data rights in the chat: "dữ liệu của tôi" (what the ward keeps) and
"xóa dữ liệu của tôi" (erase it, after a button confirmation).

Registered before the conversation states and the report/question entry points, so these
words are never taken as the content of a report; in the confirmation state any other longer
message drops the request (nothing erased) and is handled as usual.
"""
from __future__ import annotations

import re

from handlers import states, texts
from handlers.context import Context
from intents.normalize import fold
from storage import privacy
from storage.messages import Inbound
from storage.tickets import to_local

ACTOR = "cư dân qua Zalo"

VIEW = ("du lieu cua toi", "xem du lieu cua toi", "du lieu ca nhan cua toi", "phuong luu gi ve toi",
        "phuong luu gi cua toi", "phuong luu thong tin gi ve toi", "thong tin ca nhan cua toi",
        "phuong giu gi ve toi", "luu gi ve toi")
ERASE = ("xoa du lieu cua toi", "xoa du lieu", "xoa du lieu ca nhan", "xoa thong tin cua toi",
         "xoa thong tin ca nhan", "xoa het du lieu", "xoa toan bo du lieu", "xoa thong tin ca nhan cua toi",
         "xoa du lieu ca nhan cua toi", "xoa het thong tin cua toi")
YES = ("dong y xoa", "dong y", "xoa", "xoa di", "co", "co xoa", "vang", "da vang", "u", "ok",
       "xac nhan", "dong y a", "co a", "xoa a")
NO = ("khong xoa", "khong", "ko", "k", "huy", "thoi", "khong dong y", "giu nguyen", "khong a",
      "thoi khong xoa", "huy bo")
_PUNCT = re.compile(r"[^\w\s]+")
EXTRA_WORDS = 3  # "cho tôi xem dữ liệu của tôi với ạ" still asks; a long report does not


def _clean(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


def _asks(clean: str, phrases: tuple[str, ...]) -> bool:
    words = clean.split()
    padded = f" {clean} "
    return any(f" {p} " in padded and len(words) - len(p.split()) <= EXTRA_WORDS for p in phrases)


def request_of(text: str) -> str | None:
    """"erase", "view" or None (pure)."""
    clean = _clean(text)
    if not clean:
        return None
    if _asks(clean, ERASE):
        return "erase"
    if _asks(clean, VIEW):
        return "view"
    return None


def _date(value) -> str | None:
    local = to_local(value)
    return local.strftime("%d/%m/%Y") if local else None


def on_request(event: Inbound, ctx: Context) -> bool:
    """Entry point: "dữ liệu của tôi" shows, "xóa dữ liệu của tôi" asks to confirm."""
    if event.kind != "text":
        return False
    request = request_of(event.text)
    if request == "view":
        _show(ctx)
        return True
    if request == "erase":
        subject = privacy.find_subject(ctx.session, ctx.resident.zalo_user_id)
        ctx.conversation.state = states.PRIVACY_ERASE
        ctx.conversation.data = {}
        ctx.conversation.updated_at = ctx.now
        ctx.reply(texts.erase_confirm(len(subject.tickets)))
        return True
    return False


def _show(ctx: Context) -> None:
    r = ctx.resident
    subject = privacy.find_subject(ctx.session, r.zalo_user_id)
    ctx.reply(texts.privacy_summary(
        r.display_name, r.phone, r.address, [t.code for t in subject.tickets],
        privacy.group_name(ctx.session, r.group_code), _date(r.privacy_notice_at)))
    privacy.audit(ctx.session, ACTOR, "privacy_view", subject.reference())


def on_erase_answer(event: Inbound, ctx: Context) -> bool:
    """Conversation state PRIVACY_ERASE: the answer to "xóa hết ạ?"."""
    if event.kind != "text":
        return False
    clean = _clean(event.text)
    if clean in YES:
        _erase(ctx)
        return True
    if clean in NO:
        ctx.conversation.state = states.IDLE
        ctx.conversation.data = {}
        ctx.reply(texts.erase_cancelled())
        return True
    if request_of(event.text) == "erase" or len(clean.split()) <= 3:
        ctx.reply(texts.erase_confirm_again())
        return True
    # A new subject: the request is dropped, nothing erased, and the message handled as usual.
    ctx.conversation.state = states.IDLE
    ctx.conversation.data = {}
    return False


def _erase(ctx: Context) -> None:
    subject = privacy.find_subject(ctx.session, ctx.resident.zalo_user_id)
    reference = subject.reference()
    keep = (ctx.event_id,) if ctx.event_id is not None else ()
    done = privacy.erase(ctx.session, subject, ACTOR, keep_event_ids=keep)
    privacy.audit(ctx.session, ACTOR, "privacy_erase", reference, done.as_dict())
    # The resident row is gone; this last reply still goes to the Zalo id the context holds.
    ctx.reply(texts.erased(done.codes, done.photos, ctx.settings.retention_days_outbox_payload))
