"""bot/cli/status.py: the deployment's queues once, and what depends on the ward per ward;
one ward reports exactly as before wards existed."""
from __future__ import annotations

import json

from storage import inbox
from storage.db import session_scope

PRODUCTION = dict(APP_ENV="production", ZALO_APP_ID="1", ZALO_APP_SECRET="s", ZALO_OA_SECRET_KEY="k",
                  ZALO_OA_ID="2", ZALO_ACCESS_TOKEN="a", ZALO_REFRESH_TOKEN="r")


def _pending(ward_id: int, n: int) -> None:
    with session_scope(ward_id) as s:
        for i in range(n):
            inbox.store_event(s, source="zalo", event_key=f"w{ward_id}-{i}", event_name="user_send_text",
                              user_key=str(i), payload="{}")


def test_one_ward_reports_as_before(cli):
    code, out, err = cli("status", "--json")
    report = json.loads(out)
    assert "wards" not in report
    assert {"urgent_not_alerted", "duty_officers", "duty_officers_reachable", "faq_gaps",
            "problems"} <= report.keys()
    assert "Theo phường" not in cli("status")[1]


def test_several_wards_show_each_wards_figures_and_name_the_ward_of_a_problem(cli, ward_b, monkeypatch):
    _pending(1, 1)
    _pending(ward_b, 3)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    code, out, err = cli("status", "--json")
    report = json.loads(out)
    assert code == 1  # production with no duty officer reachable: a problem
    by_code = {w["ward"]: w for w in report["wards"]}
    assert (by_code["default"]["events_pending"], by_code["an-hai"]["events_pending"]) == (1, 3)
    assert (by_code["default"]["duty_officers"], by_code["an-hai"]["duty_officers"]) == (0, 1)
    assert report["inbox"] == {"pending": 4} and report["duty_officers"] == 1
    messages = [p["message"] for p in report["problems"]]
    assert any(m.startswith("Phường default: Chưa có cán bộ trực") for m in messages)
    assert any(m.startswith("Phường an-hai: Không cán bộ trực nào nhắn") for m in messages)
    code, out, err = cli("status")
    assert "Theo phường (2):" in out and "  an-hai: sự kiện chờ xử lý 3" in out
