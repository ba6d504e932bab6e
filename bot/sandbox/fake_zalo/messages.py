"""Sending: cs (v3), v2, promotion, group messages."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response

from bot.sandbox.fake_zalo.checks import check_message, current_oa, error, json_body, ok
from bot.sandbox.fake_zalo.facts import (CS_V3, FREE_REPLIES_PER_WINDOW, FREE_REPLY_WINDOW, GROUP_V3,
                                         MESSAGE_V2, PROMOTION_V3, REPLY_WINDOW)
from bot.sandbox.fake_zalo.oa import FakeOA
from bot.sandbox.fake_zalo.records import FakeUser
from bot.sandbox.fake_zalo.state import FakeZaloState


def _check_recipient_user(state: FakeOA, user_id: Any, *,
                          window: bool) -> tuple[int, FakeUser | None, bool]:
    """(error code or 0, user, billed)."""
    with state.lock:
        user = state.users.get(str(user_id)) if user_id else None
        if user is None or not user.is_follower:
            return -213, None, False
        if not window:
            return 0, user, False
        if user.last_interaction is None:
            return -230, None, False
        age = state.clock() - user.last_interaction
        if age > REPLY_WINDOW:
            return -230, None, False
        return 0, user, age > FREE_REPLY_WINDOW


def _send_to_user(state: FakeOA, path: str, *, window: bool) -> Response:
    body = json_body()
    if body is None:
        return error(-201, "Body must be a JSON object")
    recipient = body.get("recipient")
    user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
    if not user_id or not isinstance(user_id, str):
        return error(-201, "recipient.user_id is required")
    with state.lock:
        problem = check_message(body.get("message"), state.uploads)
    if problem:
        return error(-201, problem)
    code, user, billed = _check_recipient_user(state, user_id, window=window)
    if code:
        return error(code)
    sent = state.record(path, body["message"], user_id=user_id, billed=billed)
    data: dict[str, Any] = {"message_id": sent.message_id, "user_id": user_id}
    if path == CS_V3:
        with state.lock:
            user.replies_since_interaction += 1
            remain = max(0, FREE_REPLIES_PER_WINDOW - user.replies_since_interaction)
        data["quota"] = {"quota_type": "sub_quota" if billed else "reply",
                         "remain": remain, "total": FREE_REPLIES_PER_WINDOW}
    return ok(data)


def register(app: Flask, state: FakeZaloState) -> None:
    _register_user_messages(app, state)
    _register_group_messages(app, state)


def _register_user_messages(app: Flask, state: FakeZaloState) -> None:
    """Messages to one follower: cs (v3), v2, promotion."""

    @app.post(CS_V3)
    def message_cs():
        oa = current_oa()
        if oa.oa_type == "government":
            return error(-235)
        return _send_to_user(oa, CS_V3, window=True)

    @app.post(MESSAGE_V2)
    def message_v2():
        return _send_to_user(current_oa(), MESSAGE_V2, window=True)

    @app.post(PROMOTION_V3)
    def message_promotion():
        # Promotions go to followers regardless of the 7-day window (that is what they are
        # for), but never at night.
        oa = current_oa()
        if oa.is_night():
            return error(-234)
        return _send_to_user(oa, PROMOTION_V3, window=False)


def _register_group_messages(app: Flask, state: FakeZaloState) -> None:
    """Messages to a Zalo group the OA is in."""

    @app.post(GROUP_V3)
    def message_group():
        oa = current_oa()
        body = json_body()
        recipient = body.get("recipient") if body else None
        group_id = recipient.get("group_id") if isinstance(recipient, dict) else None
        if not group_id or not isinstance(group_id, str):
            return error(-201, "recipient.group_id is required")
        with oa.lock:
            problem = check_message(body.get("message"), oa.uploads)
            group = oa.groups.get(group_id)
            expired = oa.group_package_expired or (group is not None and group.package_expired)
        if problem:
            return error(-201, problem)
        if group is None or not group.oa_in_group:
            return error(-403)
        if expired:
            return error(-237)
        sent = oa.record(GROUP_V3, body["message"], group_id=group_id)
        return ok({"message_id": sent.message_id, "group_id": group_id})
