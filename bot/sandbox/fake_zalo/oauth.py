"""OAuth v4: a refresh token (single use, per OA) or an authorization code for a new pair."""
from __future__ import annotations

from flask import Flask, jsonify, request

from bot.sandbox.fake_zalo.checks import current_oa, oauth_error
from bot.sandbox.fake_zalo.facts import (ACCESS_TOKEN_LIFETIME_S, OAUTH_INVALID_APP, OAUTH_INVALID_CODE,
                                         OAUTH_INVALID_GRANT, OAUTH_INVALID_REFRESH, OAUTH_TOKEN)
from bot.sandbox.fake_zalo.state import FakeZaloState


def register(app: Flask, state: FakeZaloState) -> None:
    @app.post(OAUTH_TOKEN)
    def oauth_token():
        oa = current_oa()  # the OA whose refresh token this is (server.py's edge)
        form = request.form
        if form.get("app_id") != oa.app_id or request.headers.get("secret_key") != oa.app_secret:
            return oauth_error(OAUTH_INVALID_APP)
        grant = form.get("grant_type")
        with oa.lock:
            if grant == "refresh_token":
                if not form.get("refresh_token") or form["refresh_token"] != oa.refresh_token:
                    oa.counters["oauth_rejected"] += 1
                    return oauth_error(OAUTH_INVALID_REFRESH)
            elif grant == "authorization_code":
                if form.get("code") not in oa._auth_codes:
                    return oauth_error(OAUTH_INVALID_CODE)
                oa._auth_codes.discard(form["code"])
            else:
                return oauth_error(OAUTH_INVALID_GRANT)
            access, refresh = oa.rotate_tokens()
        return jsonify({"access_token": access, "refresh_token": refresh,
                        "expires_in": str(ACCESS_TOKEN_LIFETIME_S)})
