"""Image uploads (the attachment_id an image message can carry)."""
from __future__ import annotations

from flask import Flask, request

from bot.sandbox.fake_zalo.checks import current_oa, error, ok
from bot.sandbox.fake_zalo.facts import IMAGE_EXTENSIONS, MAX_IMAGE_BYTES, UPLOAD_IMAGE
from bot.sandbox.fake_zalo.state import FakeZaloState


def register(app: Flask, state: FakeZaloState) -> None:
    @app.post(UPLOAD_IMAGE)
    def upload_image():
        oa = current_oa()
        upload = request.files.get("file")
        if upload is None:
            return error(-201, "file is required")
        content = upload.read()
        ext = (upload.filename or "").rsplit(".", 1)[-1].lower()
        if ext not in IMAGE_EXTENSIONS:
            return error(-201, "only jpg, png or gif images")
        if not content or len(content) > MAX_IMAGE_BYTES:
            return error(-201, f"image must be 1..{MAX_IMAGE_BYTES} bytes")
        with oa.lock:
            attachment_id = oa._token("att")
            oa.uploads[attachment_id] = len(content)
        return ok({"attachment_id": attachment_id})
