"""/healthz and the worker's start-up checks see every ward: an urgent report nobody in ward
`an-hai` was alerted to, or an event of that ward waiting, counts as much as the default ward's."""
from __future__ import annotations

import logging

from bot.sandbox import payloads
from storage import wards
from storage.db import session_scope
from tests.e2e.wards.conftest import B_CODE, RESIDENT

URGENT = "day dien dut roi xuong duong truoc ngo 8 dang toe lua"


def _without_officers(city) -> None:
    with session_scope() as s:
        wards.update(s, B_CODE, {"officer_zalo_ids": ""}, cipher=None)
    city.client.application.extensions["hts_wards"].reload()
    city.runtime.ward_settings.directory.reload()


def test_healthz_counts_an_urgent_report_of_another_ward_that_nobody_was_told_of(city):
    _without_officers(city)
    assert "114" in city.say_text(city.b, URGENT)
    body = city.client.get("/healthz").get_json()
    assert body["urgent_not_alerted"] == 1
    assert body["duty_officers"] == 1  # the default ward's one; an-hai has none


def test_healthz_names_the_ward_of_a_broken_promise_in_production(city):
    _without_officers(city)
    city.say(city.b, URGENT)
    app = city.client.application
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(app_env="production")
    app.extensions["hts_ward_settings"].base = app.config["SETTINGS"]
    app.extensions["hts_ward_settings"]._built.clear()
    body = city.client.get("/healthz").get_json()
    assert body["ok"] is False
    named = {(p["code"], p["ward"]) for p in body["problems"]}
    assert ("urgent_not_alerted", B_CODE) in named and ("no_duty_officer", B_CODE) in named
    assert all(p["message"].startswith(f"Phường {p['ward']}: ") for p in body["problems"])


def test_healthz_queue_depth_counts_every_wards_waiting_events(city):
    ward = city.b
    city.post(ward, payloads.user_event(ward.app_id, ward.oa_id, RESIDENT, "user_send_text",
                                        payloads.text("cho hỏi giờ làm việc")))
    assert city.client.get("/healthz").get_json()["queue_depth"] == 1


def test_start_up_warns_of_a_ward_with_no_duty_officer_by_its_code(city, caplog):
    _without_officers(city)
    with caplog.at_level(logging.WARNING):
        city.runtime._startup_checks()
    warnings = [r.getMessage() for r in caplog.records if "OFFICER_ZALO_IDS trống" in r.getMessage()]
    assert warnings == [w for w in warnings if w.startswith(f"Phường {B_CODE}: ")] and len(warnings) == 1
