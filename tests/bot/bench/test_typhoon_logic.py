"""bench-typhoon's own logic, without running it: who writes when to which ward's OA, and how a
run's rows and the fake Zalo's log become the checks (lost, doubled, out of order) and figures."""
from __future__ import annotations

import os
from collections import defaultdict
from types import SimpleNamespace

import pytest

from bot.bench import typhoon_checks as checks
from bot.bench.typhoon import memory_figures, summarise
from bot.bench.typhoon_plan import (MIN_GAP_SECONDS, Planned, Ward, apps, city, expected_tickets,
                                    plan, script_of)
from bot.bench.typhoon_stack import rss_mib


def test_a_city_has_one_oa_per_ward_and_wards_share_apps_in_groups():
    wards = city(25, wards_per_app=10)
    assert len({w.oa_id for w in wards}) == 25 and len({w.oa_secret for w in wards}) == 25
    assert len({w.access_token for w in wards}) == 25 and len({w.officer for w in wards}) == 25
    assert apps(wards) == 3 and wards[9].app_id == wards[0].app_id != wards[10].app_id
    assert wards[9].app_secret == wards[0].app_secret
    assert [w.code for w in wards[:2]] == ["default", "typhoon-001"]  # ward 0: the environment's
    assert apps(city(3, wards_per_app=1)) == 3


def test_the_plan_spreads_events_over_every_ward_within_each_wards_residents():
    events = plan(3000, 30.0, per_ward=40, wards=20)
    assert len(events) == 3000 and len({p.msg_id for p in events}) == 3000
    assert {p.ward for p in events} == set(range(20))
    assert all(int(p.user[3:]) < 40 and p.user[1:3] == f"{p.ward:02d}" for p in events)
    by_user = defaultdict(list)
    for p in events:
        by_user[p.user].append(p)
    for mine in by_user.values():  # a person types: one message at a time, in script order
        assert [p.step for p in mine] == list(range(len(mine)))
        assert all(b.at - a.at >= MIN_GAP_SECONDS for a, b in zip(mine, mine[1:]))
        assert all(p.text.split()[0] == script_of(int(p.user[3:]))[0][p.step].split()[0] for p in mine)


def test_too_few_residents_for_the_events_is_refused():
    with pytest.raises(ValueError):
        plan(500, 1.0, per_ward=2, wards=2)


def test_expected_tickets_counts_residents_whose_script_reached_its_ticket():
    report = next(n for n in range(100) if script_of(n)[1] == 3)
    urgent = next(n for n in range(100) if script_of(n)[1] == 1)
    ward = Ward.numbered(4)

    def says(n, step):
        return Planned(0.0, ward.index, f"7{ward.index:02d}{n:015d}", step, "x", f"m{n}x{step}")

    assert expected_tickets([says(report, 0), says(report, 1), says(urgent, 0)]) == 1
    assert expected_tickets([says(report, 0), says(report, 1), says(report, 2)]) == 1


def _event(i, status="done"):
    return SimpleNamespace(id=i, status=status)


def _reply(event_id, user, message_id, status="sent"):
    return SimpleNamespace(event_id=event_id, recipient_id=user, status=status, zalo_message_id=message_id)


def test_figures_name_a_lost_an_unreplied_a_doubled_and_an_out_of_order_event():
    a, b = "700000000000000000", "700000000000000001"
    planned = [Planned(0.0, 0, a, 0, "x", "m1"), Planned(1.0, 0, b, 0, "x", "m2"),
               Planned(2.0, 0, a, 1, "x", "m3"), Planned(3.0, 0, b, 1, "x", "m4"),
               Planned(4.0, 0, b, 2, "x", "m5")]
    sent_at = [100.0, 101.0, 102.0, 103.0, 104.0]
    events = {"m1": _event(1), "m2": _event(2), "m3": _event(3), "m4": _event(4, "pending")}  # m5: lost
    outbox = [_reply(1, a, "z1"), _reply(2, b, "z2"), _reply(3, a, "z3")]
    # Zalo's log (fake id, user, message id, time): a's replies arrive in reverse order, b's
    # first reply twice; m4 never answered.
    messages = [(1, a, "z3", 110.0), (2, a, "z1", 111.0), (3, b, "z2", 105.0), (4, b, "z2", 106.0),
                (5, "officer", "z9", 106.0)]
    f = checks.figures(planned, sent_at, [200, 200, 200, 200, 200],
                       {"events": events, "outbox": outbox, "tickets": 0}, messages, 1)
    assert (f["lost_events"], f["not_done"], f["unreplied"], f["doubled_replies"]) == (1, 1, 1, 1)
    assert (f["residents_out_of_order"], f["residents_with_several_messages"]) == (1, 2)
    assert f["drain_s"] == pytest.approx(111.0 - 100.0)
    latencies = sorted([111.0 - 100.0, 105.0 - 101.0, 110.0 - 102.0])
    assert f["p50_s"] == pytest.approx(latencies[1]) and f["p99_s"] == pytest.approx(latencies[2])


def test_capacity_counts_only_what_was_handled_and_sent_after_the_backlog_was_in():
    from datetime import datetime, timezone

    def at(t):
        return datetime.fromtimestamp(t, timezone.utc).replace(tzinfo=None)

    planned = [Planned(0.0, 0, "7", 0, "x", f"m{i}") for i in range(4)]
    events = {f"m{i}": SimpleNamespace(processed_at=at(t)) for i, t in enumerate((99.0, 102.0, 104.0, 110.0))}
    c = checks.capacity(planned, {"events": events}, 100.0, [(1, "u", "z", 99.5), (2, "u", "z", 105.0),
                                                            (3, "u", "z", 110.0)])
    assert c["handled"] == 4
    assert c["events_per_s"] == pytest.approx(3 / 10.0) and c["sends_per_s"] == pytest.approx(2 / 10.0)


def _run(workers, drain, web, worker_rss):
    return {"workers": workers, "batch": 32, "settled": True, "p50_s": 1.0, "p99_s": 2.0,
            "drain_s": drain, "events_per_s": 80.0, "sends_per_s": 90.0, "load": 1.0,
            "rss_mib": {"web": web, "workers": worker_rss}, "lost_events": 0, "unreplied": 0,
            "not_done": 0, "doubled_replies": 0, "residents_out_of_order": 0,
            "residents_with_several_messages": 10, "tickets": 5, "tickets_expected": 5, "rate_limited": 0}


def test_the_summary_says_whether_every_run_replied_within_two_minutes_and_each_process_memory():
    runs = [_run(2, 100.0, [26.0, 80.0], [200.0, 210.0]), _run(2, 130.0, [27.0, 82.0], [205.0, 220.0]),
            _run(4, 90.0, [26.0, 81.0], [200.0, None, 204.0, 201.0])]
    two, four = summarise(runs)
    assert (two["workers"], two["repeats"], two["all_within"], four["all_within"]) == (2, 2, False, True)
    assert (two["rss_web_master"], two["rss_web_worker"], two["rss_worker"]) == (26.5, 81.0, 215.0)
    assert memory_figures(runs[2])["rss_worker"] == 204.0  # a process gone at the end: left out


def test_resident_memory_is_read_from_proc():
    assert rss_mib(os.getpid()) > 1.0
    assert rss_mib(2 ** 22 + 12345) is None
