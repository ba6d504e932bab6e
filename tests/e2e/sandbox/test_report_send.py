"""`report weekly --send` in the sandbox writes the report and sends it for real (to the fakes),
and only then marks the week sent."""
from __future__ import annotations

import subprocess
import sys
from storage.tickets import local_now
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text

from tests.cli_support import ROOT

OFFICER = "900000000000000009"


def _cli(serve, *args, **extra):
    env = dict(serve.env, **extra)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _flags(url: str) -> list[str]:
    from storage.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM flags WHERE name LIKE 'weekly_report:%'"))]
    engine.dispose()
    return names


def test_send_writes_the_sheet_sends_to_officers_then_marks_the_week(serve):
    serve.start()
    info = serve.sandbox
    requests.post(f"{info['fake_zalo_url']}/_fake/interaction", json={"user_id": OFFICER}, timeout=5)

    # The sandbox runs two sample wards: a ward's command names its ward.
    several = _cli(serve, "report", "weekly", "--send")
    assert several.returncode == 2 and "--ward" in several.stderr and "mau-2" in several.stderr
    nobody = _cli(serve, "report", "weekly", "--send", "--ward", "default")
    assert nobody.returncode == 2 and "OFFICER_ZALO_IDS" in nobody.stderr
    assert _flags(serve.env["DATABASE_URL"]) == []              # nothing went anywhere: not marked

    result = _cli(serve, "report", "weekly", "--send", "--ward", "default", OFFICER_ZALO_IDS=OFFICER)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Đã ghi vào tab «Báo cáo tuần»" in result.stdout
    assert "2 đã gửi" in result.stdout                          # the summary and the chart
    assert "Đã đánh dấu báo cáo tuần này là đã gửi" in result.stdout

    sent = requests.get(f"{info['fake_zalo_url']}/_fake/messages", params={"user_id": OFFICER},
                        timeout=5).json()
    assert any("BÁO CÁO TUẦN" in (m["message"].get("text") or "") for m in sent)
    assert any("attachment_id" in repr(m["message"]) for m in sent)  # the PNG chart, uploaded

    tab = quote("'Báo cáo tuần'!A1:D")
    values = requests.get(f"{info['fake_sheets_url']}/v4/spreadsheets/sandbox-sheet/values/{tab}",
                          timeout=5).json().get("values", [])
    assert values and values[0][0].startswith("Tuần ") and values[1][0] == "Tổng"

    week = local_now().date().isocalendar()
    assert _flags(serve.env["DATABASE_URL"]) == [f"weekly_report:{week.year}-W{week.week:02d}"]


def test_forms_post_with_the_sample_works_in_the_sandbox_with_no_setup(serve):
    before = _cli(serve, "forms", "post")  # nothing running yet: says exactly what to do
    assert before.returncode == 2 and "./dev serve" in before.stderr and "FORMS_SHARED_SECRET" in before.stderr
    serve.start()
    result = _cli(serve, "forms", "post", "webhooks/apps_script/sample_submission.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Đã nhận câu trả lời biểu mẫu: phiếu PA-" in result.stdout
    again = _cli(serve, "forms", "post")  # the sample is the default file
    assert again.returncode == 0 and "đã được nhận trước đó" in again.stdout
    tickets = _cli(serve, "tickets", "--ward", "default")
    assert "Cống thoát nước đầu ngõ 12" in tickets.stdout and "1 phiếu." in tickets.stdout
