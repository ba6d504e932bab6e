"""Broadcast with a kill -9 mid-run: every resident reached, none twice (the CI-sized run of
`python -m bot bench-broadcast`, which does 10,000)."""
from __future__ import annotations

from bot.bench.broadcast import run


def test_broadcast_to_1000_with_a_kill_reaches_everyone_exactly_once(clean_db, database_url):
    figures = run(1000, limit=100_000, latency_ms=20, database_url=database_url,
                  stale_seconds=2, echo_window_seconds=2, timeout=120)
    assert figures["sent_before_kill"] < 1000           # the kill landed mid-broadcast
    assert figures["residents_reached"] == 1000
    assert figures["duplicates"] == 0                    # today: 8 lost as interrupted_during_send
    assert figures["outbox"] == {"sent": 1000}
