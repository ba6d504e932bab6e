"""A hostile-body corpus (Hypothesis) against every webhook: /webhooks/zalo, /webhooks/forms,
/webhooks/sheets; signed and unsigned; random JSON, deep nesting, huge and odd numbers, odd
unicode (NUL, lone surrogates, BOM, bidi overrides), other encodings, wrong content types.

Never a 500; an unsigned body stores nothing; a signed one is stored or refused with a 4xx, and
what is stored is handled by the worker without a dead letter.
Profiles: "ci" (100 examples per test) and "soak" (HYPOTHESIS_PROFILE=soak), tests/e2e/faults/conftest.py.
"""
from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from storage.db import session_scope
from tests.conftest import count
from tests.support import APP_ID, OA_ID, OA_SECRET
from webhooks.signature import hmac_sha256, zalo_header

FORMS_SECRET = "forms-secret"
SHEETS_SECRET = "sheet-secret"
FIGURES = {"examples": 0, "5xx": 0, "stored": 0, "refused": 0}

ODD_TOKENS = ["1e400", "-1e400", "-Infinity", "Infinity", "NaN", "9" * 5000, "-0", "1E-400",
              "123456789012345678901234567890123456789012345", "0.0000000001"]
ODD_CHARS = "\u0000\ud800\udfff\ufeff\ufffe\u202a\u202e\u2066\u2069\u200b\x07\x7f\u0085\n\r\t\"\\"
EVENTS = ["user_send_text", "user_send_image", "user_send_file", "user_send_location", "follow",
          "unfollow", "user_submit_info", "oa_send_text", "user_seen_message", "anonymous_send_text",
          "user_send_text\nFORGED 10:00 INFO ok", "", "x" * 300]

odd_text = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(ODD_CHARS)), max_size=60)
odd_token = st.sampled_from(ODD_TOKENS).map(lambda t: f"__ODD__{t}__ODD__")
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), odd_text, odd_token)
json_values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                       st.dictionaries(odd_text, c, max_size=4)),
                           max_leaves=12)
ids = st.one_of(st.from_regex(r"\A[0-9]{18,19}\Z"), odd_text, st.integers(), odd_token,
                st.just("9" * 300), st.just("2468458835\u000029197922"))


@st.composite
def zalo_bodies(draw):
    message = {"msg_id": draw(st.one_of(st.uuids().map(str), odd_text, json_values)),
               "text": draw(st.one_of(odd_text, json_values))}
    if draw(st.booleans()):
        message["attachments"] = draw(st.lists(st.fixed_dictionaries({
            "type": st.sampled_from(["image", "file", "location", "sticker", "x"]),
            "payload": st.fixed_dictionaries({}, optional={
                "url": odd_text, "size": st.one_of(odd_token, json_values), "name": odd_text,
                "coordinates": st.fixed_dictionaries({"latitude": st.one_of(odd_token, json_values),
                                                      "longitude": st.one_of(odd_token, json_values)})})}),
            max_size=3))
    body = {"app_id": APP_ID, "event_name": draw(st.one_of(st.sampled_from(EVENTS), odd_text)),
            "timestamp": draw(st.one_of(st.integers(0, 2 * 10**12).map(str), odd_token, json_values)),
            "sender": {"id": draw(ids)}, "recipient": {"id": OA_ID}, "message": message}
    if draw(st.booleans()):
        body["follower"] = {"id": draw(ids)}
    if draw(st.booleans()):
        body["info"] = draw(st.dictionaries(st.sampled_from(["name", "phone", "address", "x"]), json_values))
    if draw(st.booleans()):
        body[draw(odd_text)] = draw(json_values)
    return body


@st.composite
def form_bodies(draw):
    answers = draw(st.dictionaries(
        st.one_of(st.sampled_from(["Họ và tên", "Số điện thoại", "Địa chỉ", "Tổ dân phố", "Loại",
                                   "Nội dung phản ánh, kiến nghị"]), odd_text),
        st.one_of(odd_text, json_values, st.text(min_size=300, max_size=700)), max_size=7))
    return {"response_id": draw(st.one_of(odd_text, json_values)), "email": draw(json_values),
            "answers": draw(st.one_of(st.just(answers), json_values))}


def dump(value, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    text = text.replace('"__ODD__', "").replace('__ODD__"', "")  # the odd tokens, bare
    return text.encode("utf-8", "surrogatepass" if not ascii_only else "strict")


deep = st.integers(33, 20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n) | \
    st.integers(33, 20_000).map(lambda n: b"[" * n + b"]" * n)
garbage = st.one_of(st.binary(max_size=200), deep,
                    st.sampled_from([b"", b"null", b"[]", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00",
                                     b'{"a": NaN}', b'{"a": 1e400}', b"\x00" * 10, b"{" * 50]))
encodings = st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"])
content_types = st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=utf-16"])


@st.composite
def requests_(draw):
    endpoint = draw(st.sampled_from(["/webhooks/zalo", "/webhooks/forms", "/webhooks/sheets"]))
    signed = draw(st.booleans())
    kind = draw(st.sampled_from(["shaped", "shaped", "random", "garbage"]))
    if kind == "garbage":
        raw = draw(garbage)
    else:
        value = draw(zalo_bodies() if endpoint == "/webhooks/zalo" else form_bodies()) \
            if kind == "shaped" else draw(json_values)
        ascii_only = draw(st.booleans())
        raw = dump(value, ascii_only)
        encoding = draw(encodings)
        if encoding != "utf-8":
            try:
                raw = raw.decode("utf-8").encode(encoding)
            except UnicodeError:
                pass
    return endpoint, signed, raw, draw(content_types)


def _token(text: str):
    return text  # a number's text as the body carries it: what Zalo's mac would cover


def sign(endpoint: str, raw: bytes) -> dict:
    if endpoint == "/webhooks/zalo":
        # As Zalo does: over app_id + body + timestamp, both as the body carries them.
        try:
            body = json.loads(raw, parse_constant=str, parse_float=_token, parse_int=_token)
        except (ValueError, RecursionError):
            body = {}
        body = body if isinstance(body, dict) else {}
        return {"X-ZEvent-Signature": zalo_header(str(body.get("app_id") or ""), raw,
                                                  str(body.get("timestamp") or ""), OA_SECRET)}
    stamp = str(int(time.time()))
    secret = FORMS_SECRET if endpoint == "/webhooks/forms" else SHEETS_SECRET
    return {"X-Hts-Timestamp": stamp, "X-Hts-Signature": hmac_sha256(secret, stamp.encode(), b".", raw)}


@pytest.fixture()
def hostile(settings, runtime):
    from bot.app import create_app

    app = create_app(settings.with_overrides(forms_shared_secret=FORMS_SECRET,
                                             sheets_webhook_secret=SHEETS_SECRET, inbox_spool="on"))
    yield app, app.test_client(), runtime
    app.extensions["hts_inbox"].close()


def _stored() -> int:
    return count("inbound_events") + count("tickets")


@given(req=requests_())
def test_no_hostile_body_gets_a_500_or_stores_anything_unsigned(hostile, req):
    app, client, runtime = hostile
    endpoint, signed, raw, content_type = req
    headers = {"Content-Type": content_type} if content_type else {}
    if signed:
        headers.update(sign(endpoint, raw))
    before = _stored()
    resp = client.post(endpoint, data=raw, headers=headers)
    app.extensions["hts_inbox"].flush()
    FIGURES["examples"] += 1
    FIGURES["5xx"] += resp.status_code >= 500
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True))
    after = _stored()
    if not signed:
        assert after == before, "an unsigned body was stored"
        assert resp.status_code in (200, 400, 401, 413, 422)
    else:
        FIGURES["stored" if after > before else "refused"] += 1
        assert resp.status_code in (200, 202, 400, 401, 413, 422)
    runtime.worker.drain()  # what was stored is handled, not dead-lettered
    from storage.models import DeadLetter

    with session_scope() as s:
        letter = s.scalar(select(DeadLetter))
    assert letter is None, letter.reason


def test_zz_corpus_figures(capsys):
    """Prints the corpus figures for the README (run after the corpus, same module)."""
    with capsys.disabled():
        print(f"\nhostile corpus: {FIGURES['examples']} requests, {FIGURES['5xx']} answered 5xx, "
              f"signed stored {FIGURES['stored']}, signed refused {FIGURES['refused']}")
    assert FIGURES["5xx"] == 0
