"""Followers: user detail and list, tags, the message quota."""
from __future__ import annotations

from flask import Flask, Response

from bot.sandbox.fake_zalo.checks import current_oa, data_param, error, json_body, ok
from bot.sandbox.fake_zalo.facts import (FREE_REPLIES_PER_WINDOW, FREE_REPLY_WINDOW, GET_TAGS,
                                         MAX_LIST_COUNT, MAX_LIST_OFFSET, QUOTA, REMOVE_TAG,
                                         REPLY_WINDOW, TAG_FOLLOWER, UNTAG_FOLLOWER, USER_DETAIL,
                                         USER_LIST)
from bot.sandbox.fake_zalo.state import FakeZaloState
from intents.when import LOCAL_TZ


def _tag_args(*keys: str) -> dict | Response:
    """The JSON body when each of `keys` is a non-empty string; otherwise Zalo's -201 error."""
    body = json_body()
    if body is None or any(not isinstance(body.get(k), str) or not body[k] for k in keys):
        return error(-201, f"{', '.join(keys)} required")
    return body


def register(app: Flask, state: FakeZaloState) -> None:
    _register_users(app, state)
    _register_tags(app, state)
    _register_quota(app, state)


def _register_users(app: Flask, state: FakeZaloState) -> None:
    """A follower's details, and the follower list (optionally by tag)."""

    @app.get(USER_DETAIL)
    def user_detail():
        oa = current_oa()
        data = data_param()
        if data is None or not data.get("user_id"):
            return error(-201, "data must be a JSON object with user_id")
        with oa.lock:
            user = oa.users.get(str(data["user_id"]))
            if user is None:
                return error(-201, "user_id is invalid")
            last = user.last_interaction
            info = {
                "user_id": user.user_id,
                "user_id_by_app": str(int(user.user_id) // 3),
                "display_name": user.display_name,
                "user_alias": user.display_name,
                "is_sensitive": False,
                "user_is_follower": user.is_follower,
                "user_last_interaction_date": last.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") if last else "",
                "avatar": f"https://s120-ava-talk.zadn.vn/fake/{user.user_id}.jpg",
                "tags_and_notes_info": {"tag_names": sorted(user.tags), "notes": []},
            }
            if user.shared_info:
                info["shared_info"] = dict(user.shared_info)
        return ok(info)

    @app.get(USER_LIST)
    def user_list():
        oa = current_oa()
        data = data_param()
        if data is None:
            return error(-201, "data must be a JSON object")
        offset, count = data.get("offset", 0), data.get("count", MAX_LIST_COUNT)
        if not isinstance(offset, int) or not isinstance(count, int):
            return error(-201, "offset and count must be integers")
        if not 0 < count <= MAX_LIST_COUNT or not 0 <= offset <= MAX_LIST_OFFSET:
            return error(-201, f"count must be 1..{MAX_LIST_COUNT}, offset 0..{MAX_LIST_OFFSET}")
        tag = data.get("tag_name")
        with oa.lock:
            users = [u for u in oa.users.values()
                     if u.is_follower and (not tag or tag in u.tags)]
        page = users[offset:offset + count]
        return ok({"total": len(users), "count": len(page), "offset": offset,
                    "users": [{"user_id": u.user_id} for u in page]})


def _register_tags(app: Flask, state: FakeZaloState) -> None:
    """Tagging followers, and the OA's tags."""

    @app.post(TAG_FOLLOWER)
    def tag_follower():
        oa = current_oa()
        body = _tag_args("user_id", "tag_name")
        if isinstance(body, Response):
            return body
        with oa.lock:
            user = oa.users.get(body["user_id"])
            if user is None or not user.is_follower:
                return error(-213)
            user.tags.add(body["tag_name"])
            oa.tags.add(body["tag_name"])
        return ok()

    @app.post(UNTAG_FOLLOWER)
    def untag_follower():
        oa = current_oa()
        body = _tag_args("user_id", "tag_name")
        if isinstance(body, Response):
            return body
        with oa.lock:
            user = oa.users.get(body["user_id"])
            if user is None:
                return error(-213)
            if body["tag_name"] not in oa.tags:
                return error(-201, "tag does not exist")
            user.tags.discard(body["tag_name"])
        return ok()

    @app.post(REMOVE_TAG)
    def remove_tag():
        oa = current_oa()
        body = _tag_args("tag_name")
        if isinstance(body, Response):
            return body
        with oa.lock:
            if body["tag_name"] not in oa.tags:
                return error(-201, "tag does not exist")
            oa.tags.discard(body["tag_name"])
            for user in oa.users.values():
                user.tags.discard(body["tag_name"])
        return ok()

    @app.get(GET_TAGS)
    def get_tags():
        oa = current_oa()
        with oa.lock:
            return ok(sorted(oa.tags))


def _register_quota(app: Flask, state: FakeZaloState) -> None:
    """How many free replies a follower's last interaction still allows."""

    @app.post(QUOTA)
    def quota():
        oa = current_oa()
        body = json_body()
        user_id = body.get("user_id") if body else None
        with oa.lock:
            user = oa.users.get(str(user_id)) if user_id else None
            if user is None:
                return error(-201, "user_id is invalid")
            if user.last_interaction is None or oa.clock() - user.last_interaction > REPLY_WINDOW:
                return ok({"user_id": user.user_id, "quota_type": "none", "remain": 0, "total": 0})
            free_until = user.last_interaction + FREE_REPLY_WINDOW
            in_free = oa.clock() <= free_until
            return ok({
                "user_id": user.user_id,
                "quota_type": "reply" if in_free else "sub_quota",
                "remain": max(0, FREE_REPLIES_PER_WINDOW - user.replies_since_interaction) if in_free else None,
                "total": FREE_REPLIES_PER_WINDOW if in_free else None,
                "expired_date": str(int((free_until if in_free else user.last_interaction + REPLY_WINDOW)
                                        .timestamp() * 1000)),
            })
