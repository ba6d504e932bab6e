"""A send has its own deadline and never holds up other residents' replies."""
from __future__ import annotations

import time

from bot.runtime.process import Runtime
from bot.zalo.client import PATH_CS_V3
from bot.zalo.messages import text_message
from storage import outbox
from storage.db import session_scope
from tests.bot.runtime.conftest import StubNlu


def _run(settings, fake, users: list[str], hung: list[str], hang: float = 0.0) -> float:
    """Seconds from queueing until every reply to `users` reached the fake Zalo."""
    for u in hung:
        fake.state.fail(PATH_CS_V3, hang_seconds=hang, recipient=u)
    rt = Runtime(settings.with_overrides(outbox_stale_seconds=int(hang) + 30), scheduler=False,
                 nlu=StubNlu())
    # The hung sends are answered (and delivered) before the client gives up on them.
    rt.client.send_timeout = (3.05, hang + 5)
    rt.sender.send_deadline = hang + 10
    try:
        with session_scope() as s:  # the hung replies first: they are claimed first
            for u in hung + users:
                outbox.enqueue(s, u, text_message(f"Dạ, phường đã nhận phản ánh của bác {u[-3:]} ạ."))
        started = time.monotonic()
        rt.start()
        want = set(users)
        while time.monotonic() - started < 120:
            if want <= {m.user_id for m in fake.state.messages()}:
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError("replies not delivered in 120 s")
    finally:
        rt.stop()


def test_six_hanging_sends_do_not_hold_up_500_other_replies(settings, app, fake_zalo):
    baseline_users = [f"52000000000000{i:04d}" for i in range(500)]
    users = [f"53000000000000{i:04d}" for i in range(500)]
    hung = [f"54000000000000{i:04d}" for i in range(6)]
    for u in baseline_users + users + hung:
        fake_zalo.state.add_user(u)
    baseline = _run(settings, fake_zalo, baseline_users, [])
    # Longer than the 500 can take twice over, whatever this machine's speed.
    hang = 2 * baseline + 2
    with_hangs = _run(settings, fake_zalo, users, hung, hang)
    print(f"500 replies: {baseline:.2f} s alone, {with_hangs:.2f} s beside 6 sends hanging "
          f"{hang:.1f} s (ratio {with_hangs / baseline:.2f})")
    # Before: one batch waited for its slowest send, so the 500 waited for the hang.
    assert with_hangs < 2 * baseline + 1 < hang
    hung_sent = [m for m in fake_zalo.state.messages() if m.user_id in hung]
    assert len(hung_sent) == 6   # the hung ones still arrive, once each
