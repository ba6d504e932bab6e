"""The sandbox is a city of two sample wards: `serve` says how to chat with each, `chat --ward
mau-2` is answered by that ward's OA with that ward's ticket numbers, and a restart neither adds
the ward again nor loses it."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import requests

from bot.sandbox import city
from tests.cli_support import ROOT

REPORT = "den duong ngo 12 to 5 hong 3 hom nay r\n1\nGửi phản ánh\n"
CODE = re.compile(r"mã (PA-\d{4}-\d{4,})")


def _cli(serve, *args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=serve.env, text=True,
                          input=stdin, capture_output=True, timeout=120)


def _report(serve, *ward: str) -> str:
    chat = _cli(serve, "chat", *ward, stdin=REPORT)
    assert chat.returncode == 0, chat.stdout + chat.stderr
    found = CODE.search(chat.stdout)
    assert found, chat.stdout
    return found.group(1)


def _sent_by(serve, oa_id: str | None) -> str:
    """Everything the OA sent the chat's resident, as the fake Zalo recorded it."""
    params = {"user_id": "7000000000000000001", **({"oa_id": oa_id} if oa_id else {})}
    sent = requests.get(f"{serve.sandbox['fake_zalo_url']}/_fake/messages", params=params, timeout=5)
    return "\n".join(m["message"].get("text") or "" for m in sent.json())


def _wards(serve) -> list[dict]:
    listed = _cli(serve, "wards", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_two_sample_wards_each_answer_with_its_own_oa_and_codes_across_a_restart(serve):
    serve.start()
    out = serve.output()
    assert "2 phường mẫu đang chạy" in out, out
    assert re.search(r"Phường Mẫu Một \(mã default\):\s+\./dev chat$", out, re.M), out
    assert re.search(r"Phường Mẫu Hai \(mã mau-2\):\s+\./dev chat --ward mau-2$", out, re.M), out

    second = _report(serve, "--ward", city.CODE)
    assert second.endswith("-0001")                                # counted in ward 2
    assert second in _sent_by(serve, city.OA_ID) and second not in _sent_by(serve, None)
    first = _report(serve)                                         # no --ward: the default ward
    assert first == second                                         # PA-…-0001 in both wards
    assert [(w["code"], w["name"], w["tickets"]) for w in _wards(serve)] == [
        ("default", city.DEFAULT_NAME, 1), (city.CODE, city.NAME, 1)]
    status = _cli(serve, "status", "--json")   # the gaps the running sandbox really has: none
    assert [(w["ward"], w["faq_gaps"]) for w in json.loads(status.stdout)["wards"]] == [
        ("default", 0), (city.CODE, 0)], status.stdout + status.stderr

    serve.stop()
    serve.start()                               # a fresh fake Zalo, the same database
    again = _report(serve, "--ward", city.CODE)  # its token pair is the fresh fake's
    assert again.endswith("-0002"), again
    assert [(w["code"], w["tickets"]) for w in _wards(serve)] == [("default", 1), (city.CODE, 2)]
