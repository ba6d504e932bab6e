"""bot/cli/desk.py: `notify-stats` counts the chosen ward's undelivered status updates."""
from __future__ import annotations

import json

from storage import outbox
from storage.db import session_scope
from storage.messages import Reply


def _refused(ward_id: int, reason: str) -> None:
    with session_scope(ward_id) as s:
        row = outbox.enqueue(s, "700000000000000001", Reply("Phiếu đã xử lý xong").payload(),
                             purpose="status_update")
        row.status, row.reason = "failed", reason


def test_notify_stats_counts_one_ward(cli, ward_b):
    _refused(1, "no_interaction_7d")
    _refused(ward_b, "not_follower")
    _refused(ward_b, "not_follower")
    code, out, err = cli("notify-stats", "--json", "--ward", "an-hai")
    assert code == 0, err
    assert json.loads(out) == {"undeliverable_status_updates": {"not_follower": 2}}
    code, out, err = cli("notify-stats", "--ward", "default")
    assert "không nhắn OA quá 7 ngày" in out and "chưa quan tâm OA" not in out
