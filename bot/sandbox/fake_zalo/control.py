"""The control endpoints under /_fake/ (no auth; only the fake has them), for tests, the sandbox
and a terminal chat client in another process.

An endpoint about one OA takes `oa_id` (in the query string or the JSON body); without it, it
is about the first OA, as on a fake with one OA. POST /_fake/oa adds an OA."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, abort, jsonify, make_response, request

from bot.sandbox.fake_zalo.checks import json_body
from bot.sandbox.fake_zalo.facts import IMAGE_EXTENSIONS, MAX_RESIDENT_PHOTO_BYTES
from bot.sandbox.fake_zalo.oa import FakeOA
from bot.sandbox.fake_zalo.state import FakeZaloState


def register(app: Flask, state: FakeZaloState) -> None:
    """Unauthenticated endpoints for tests, the sandbox and a terminal chat client."""
    _register_oas(app, state)
    _register_inspection(app, state)
    _register_faults(app, state)
    _register_people(app, state)
    _register_media(app, state)
    _register_webhook(app, state)


def _oa(state: FakeZaloState) -> FakeOA:
    """The OA a control request names (`oa_id`), else the first; an unknown one is a 404."""
    oa_id = request.args.get("oa_id") or (json_body() or {}).get("oa_id")
    oa = state.oa(str(oa_id) if oa_id else None)
    if oa is None:
        abort(make_response(jsonify({"ok": False, "error": f"no OA {oa_id} on this fake"}), 404))
    return oa


def _register_oas(app: Flask, state: FakeZaloState) -> None:
    """The OAs the fake hosts, and adding one."""

    @app.post("/_fake/oa")
    def fake_add_oa():
        """{"oa_id"?, "app_id"? (an existing app's id links the OA to it), "app_secret"?,
        "access_token"?, "refresh_token"?, "oa_type"?, "rate_limit_per_minute"?}"""
        body = json_body() or {}
        try:
            oa = state.add_oa(body.get("oa_id"), app_id=body.get("app_id"),
                              app_secret=str(body.get("app_secret") or "fake-app-secret"),
                              access_token=body.get("access_token"), refresh_token=body.get("refresh_token"),
                              oa_type=body.get("oa_type", "normal"),
                              rate_limit_per_minute=body.get("rate_limit_per_minute"))
        except ValueError as exc:
            return jsonify({"ok": False, "error": str(exc)}), 400
        with oa.lock:
            return jsonify({"ok": True, "oa_id": oa.oa_id, "app_id": oa.app_id,
                            "access_token": oa.access_token, "refresh_token": oa.refresh_token})

    @app.get("/_fake/oas")
    def fake_oas():
        with state.lock:
            return jsonify([{"oa_id": o.oa_id, "app_id": o.app_id} for o in state.oas])


def _register_inspection(app: Flask, state: FakeZaloState) -> None:
    """What the fake has seen and holds: sent messages, counters, the current tokens."""

    @app.get("/_fake/messages")
    def fake_messages():
        after = request.args.get("after_id", "0")
        return jsonify([m.to_json() for m in _oa(state).messages(request.args.get("user_id") or None,
                                                              int(after) if after.isdigit() else 0)])

    @app.get("/_fake/stats")
    def fake_stats():
        if request.args.get("oa_id"):
            return jsonify(_oa(state).stats())
        return jsonify(state.stats(all_oas=True))

    @app.get("/_fake/tokens")
    def fake_tokens():
        """The current pair, so a sandbox started after a rotation can pick it up."""
        oa = _oa(state)
        with oa.lock:
            return jsonify({"access_token": oa.access_token, "refresh_token": oa.refresh_token,
                            "app_id": oa.app_id, "oa_id": oa.oa_id})


def _register_faults(app: Flask, state: FakeZaloState) -> None:
    """Faults to inject, a reset, and how the fake behaves: failures, expired tokens, latency, rate
    limits."""

    @app.post("/_fake/fail")
    def fake_fail():
        body = json_body() or {}
        try:
            _oa(state).fail(body.get("path", "*"), code=body.get("code"), http_status=body.get("http_status"),
                       hang_seconds=body.get("hang_seconds"), times=int(body.get("times", 1)),
                       after_delivery=bool(body.get("after_delivery")), drop=bool(body.get("drop")),
                       recipient=body.get("recipient"))
        except (ValueError, TypeError) as exc:
            return jsonify({"ok": False, "error": str(exc)}), 400
        return jsonify({"ok": True})

    @app.post("/_fake/expire_token")
    def fake_expire_token():
        body = json_body() or {}
        _oa(state).expire_access_tokens(int(body.get("code", -216)))
        return jsonify({"ok": True})

    @app.post("/_fake/reset")
    def fake_reset():
        state.reset(tokens=bool((json_body() or {}).get("tokens")))
        return jsonify({"ok": True})

    @app.post("/_fake/config")
    def fake_config():
        """The OA's type, latency, groups' package; the rate limit of the OA's app."""
        body = json_body() or {}
        oa = _oa(state)
        with oa.lock:
            if body.get("oa_type") in ("normal", "government"):
                oa.oa_type = body["oa_type"]
            if "latency_ms" in body:
                oa.latency_ms = int(body["latency_ms"])
            if "rate_limit_per_minute" in body:
                oa.rate_limit_per_minute = int(body["rate_limit_per_minute"])
            if "group_package_expired" in body:
                oa.group_package_expired = bool(body["group_package_expired"])
        return jsonify({"ok": True, **oa.stats()})


def _register_people(app: Flask, state: FakeZaloState) -> None:
    """Followers, groups, and what they or an officer do in the Zalo app."""

    @app.post("/_fake/interaction")
    def fake_interaction():
        body = json_body() or {}
        oa = _oa(state)
        user_id = str(body.get("user_id") or oa.new_numeric_id())
        user = oa.touch_interaction(user_id, body.get("display_name"))
        return jsonify({"ok": True, "user_id": user.user_id, "display_name": user.display_name})

    @app.post("/_fake/user")
    def fake_user():
        """{"user_id"?, "display_name"?, "is_follower"?, "last_interaction_hours_ago"? (null =
        never), "tags"?, "shared_info"?}"""
        body = json_body() or {}
        hours = body.get("last_interaction_hours_ago", 0)
        oa = _oa(state)
        when = None if hours is None else oa.clock() - timedelta(hours=float(hours))
        user_id = oa.add_user(body.get("user_id"), body.get("display_name", ""),
                                 is_follower=bool(body.get("is_follower", True)),
                                 last_interaction=when, tags=body.get("tags", ()),
                                 shared_info=body.get("shared_info"))
        return jsonify({"ok": True, "user_id": user_id})

    @app.post("/_fake/group")
    def fake_group():
        body = json_body() or {}
        group_id = _oa(state).add_group(body.get("group_id"), oa_in_group=bool(body.get("oa_in_group", True)),
                                   package_expired=bool(body.get("package_expired", False)))
        return jsonify({"ok": True, "group_id": group_id})

    @app.post("/_fake/officer_message")
    def fake_officer_message():
        body = json_body() or {}
        if not body.get("user_id") or not body.get("text"):
            return jsonify({"ok": False, "error": "user_id and text required"}), 400
        return jsonify({"ok": True, "msg_id": _oa(state).officer_message(str(body["user_id"]), str(body["text"]))})


def _register_media(app: Flask, state: FakeZaloState) -> None:
    """Photos a resident sends, hosted as Zalo's CDN would."""

    @app.post("/_fake/media")
    def fake_media_upload():
        """A photo a resident sends (multipart `file`): hosted here as Zalo's CDN would, so a
        `user_send_image` webhook can carry its URL. Answers {"url", "thumbnail"}."""
        upload = request.files.get("file")
        content = upload.read() if upload is not None else b""
        ext = (upload.filename or "").rsplit(".", 1)[-1].lower() if upload is not None else ""
        if ext not in IMAGE_EXTENSIONS or not content or len(content) > MAX_RESIDENT_PHOTO_BYTES:
            return jsonify({"ok": False, "error": "jpg, png or gif, 1 byte to 10 MB"}), 400
        with state.lock:
            name = f"{state._token('photo')}.{ext}"
            state.media[name] = (content, upload.mimetype or f"image/{ext}")
        url = f"{request.host_url.rstrip('/')}/_fake/media/{name}"
        return jsonify({"ok": True, "url": url, "thumbnail": url})

    @app.get("/_fake/media/<name>")
    def fake_media(name: str):
        with state.lock:
            item = state.media.get(name)
        if item is None:
            return jsonify({"ok": False, "error": "no such photo"}), 404
        return Response(item[0], mimetype=item[1])


def _register_webhook(app: Flask, state: FakeZaloState) -> None:
    """Where and how the fake posts its webhooks."""

    @app.post("/_fake/webhook")
    def fake_webhook():
        """{"url", "secret", "oa_id"?, "echoes"? (false: not subscribed to oa_send_*),
        "echo_delay_ms"?}: where and how the fake posts an OA's oa_send_* echoes."""
        body = json_body() or {}
        oa = _oa(state)
        oa.configure_webhook(body.get("url"), str(body.get("secret") or ""))
        with oa.lock:
            if "echoes" in body:
                oa.echoes = bool(body["echoes"])
            if "echo_delay_ms" in body:
                oa.echo_delay_ms = int(body["echo_delay_ms"])
        return jsonify({"ok": True})
