"""Test helpers: Zalo-shaped payloads, real signatures, and a transcript harness.

`Harness.say("...")` does what Zalo and a resident would: it tells the fake Zalo that the
resident interacted, posts a correctly signed `user_send_text` webhook with the raw bytes,
runs the worker and the outbox sender until both are idle, and returns the texts (and
buttons) the fake Zalo API received for that resident.
"""
from __future__ import annotations

import itertools
from pathlib import Path

from bot.sandbox import payloads

# The repository root, for subprocesses (cwd, PYTHONPATH) and files; test modules import it
# rather than count parents from their own depth.
ROOT = Path(__file__).resolve().parents[1]

OA_ID = "388613280878808645"
APP_ID = "360846524940903967"
OA_SECRET = "test-oa-secret-key"
APP_SECRET = "test-app-secret"

_seq = itertools.count(1)


def zalo_event(event_name: str, user_id: str, message: dict | None = None, **extra) -> dict:
    return payloads.user_event(APP_ID, OA_ID, user_id, event_name, message,
                               user_id_by_app="5521772797175877" + str(next(_seq)).zfill(2), **extra)


def text_event(user_id: str, text: str, msg_id: str | None = None) -> dict:
    return zalo_event("user_send_text", user_id, payloads.text(text, msg_id))


def image_event(user_id: str, url: str = "https://photo.zdn.vn/x.jpg", caption: str = "") -> dict:
    return zalo_event("user_send_image", user_id, payloads.image(url, caption=caption))


def location_event(user_id: str, lat="21.0285", lng="105.8542") -> dict:
    return zalo_event("user_send_location", user_id, payloads.location(lat, lng))


def follow_event(user_id: str) -> dict:
    return payloads.follow_event(APP_ID, OA_ID, user_id, source="oa_profile", user_id_by_app="55")


def signed(body: dict, secret: str = OA_SECRET) -> tuple[bytes, dict]:
    return payloads.signed(body, secret)


def post_raw(client, data: bytes, headers: dict | None = None):
    resp = client.post("/webhooks/zalo", data=data, headers=headers or {})
    # With the inbox spool (SQLite's default) the event reaches the database a few
    # milliseconds after the 200; tests look at it at once.
    client.application.extensions["hts_inbox"].flush()
    return resp


def post_event(client, body: dict, secret: str = OA_SECRET):
    raw, headers = signed(body, secret)
    return post_raw(client, raw, headers)


def message_text(message: dict) -> str:
    return message.get("text") or ""


def message_buttons(message: dict) -> list[str]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return [b.get("title") for b in payload.get("buttons") or []]


def texts(messages: list[dict]) -> str:
    """The texts of several messages, one a line (what a resident reads of a reply)."""
    return "\n".join(message_text(m) for m in messages)


def buttons(messages: list[dict]) -> list[str]:
    """Every button title of several messages, in order."""
    return [b for m in messages for b in message_buttons(m)]


class Harness:
    def __init__(self, client, runtime, fake, user_id: str = "246845883529197922"):
        self.client = client
        self.runtime = runtime
        self.fake = fake
        self.user_id = user_id
        self._seen = 0

    def run_until_idle(self) -> None:
        for _ in range(1000):
            worked = self.runtime.worker.process_next()
            worked = self.runtime.sender.send_due() > 0 or worked
            if not worked:
                return
        raise AssertionError("worker did not become idle")

    def deliver(self, body: dict, expect_status: int = 200) -> list[dict]:
        self.fake.state.touch_interaction(self.user_id)
        resp = post_event(self.client, body)
        assert resp.status_code == expect_status, resp.get_data(as_text=True)
        self.run_until_idle()
        return self.new_messages()

    def new_messages(self) -> list[dict]:
        sent = self.fake.state.messages(user_id=self.user_id, after_id=self._seen)
        if sent:
            self._seen = sent[-1].id
        return [m.message for m in sent]

    def say(self, text: str) -> list[dict]:
        return self.deliver(text_event(self.user_id, text))

    def say_text(self, text: str) -> str:
        """The bot's reply texts joined, for transcript-style assertions."""
        return "\n".join(message_text(m) for m in self.say(text))


class FormsClient:
    """The Google Form webhook and the worker behind it, as the service runs them: a post is
    stored in the inbox, then the worker makes the ticket (handlers/forms.py)."""

    def __init__(self, app, nlu):
        from bot.runtime.worker import EventWorker

        self.app = app
        self.http = app.test_client()
        self.worker = EventWorker(app.config["SETTINGS"], nlu)

    def post(self, path: str, **kwargs):
        resp = self.http.post(path, **kwargs)
        self.app.extensions["hts_inbox"].flush()
        self.worker.drain()
        return resp
