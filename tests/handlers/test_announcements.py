"""Issue 5: groups, announcements, reach, deadlines, reminders, weekly report, jobs."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from PIL import Image
from sqlalchemy import select

from bot.runtime import jobs
from handlers import announcements as ann_mod
from handlers import deadlines, reports
from intents.when import LOCAL_TZ
from storage import tickets
from storage.db import session_scope
from storage.models import (Announcement, OutboundMessage, Resident, ResidentialGroup, TicketEvent, utcnow)
from tests.support import message_buttons, message_text

OFF = deadlines.holidays()
# A daytime moment in the past, so announcement tests never depend on the hour they run at.
NOON = ann_mod.to_utc(datetime.combine(date.today() - timedelta(days=1), datetime.min.time()).replace(hour=12))


def test_due_dates_skip_weekends_and_holidays_and_depend_on_topic():
    table = {"default": 3, "urgent": 1, "topics": {"land_construction": 10}}
    assert deadlines.due_date(date(2026, 11, 20), None, False, table, OFF) == date(2026, 11, 25)  # Fri -> Wed
    assert deadlines.due_date(date(2026, 4, 29), None, False, table, OFF) == date(2026, 5, 6)  # 30/4, 1/5
    assert deadlines.due_date(date(2026, 11, 20), "land_construction", False, table, OFF) == date(2026, 12, 4)
    assert deadlines.due_date(date(2026, 11, 20), "land_construction", True, table, OFF) == date(2026, 11, 23)


def test_every_year_of_the_holiday_file_has_the_legal_holidays():
    """Bộ luật Lao động 2019 Điều 112: 1/1, Tết, Giỗ Tổ (10/3 âm lịch, or the day in lieu),
    30/4, 1/5, 2/9 — a year missing one would put a deadline on a day the office is closed."""
    import csv
    with open(deadlines.DATA / "holidays_vn.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    years = sorted({r["date"][:4] for r in rows})
    for year in years:
        names = " | ".join(r["name"] for r in rows if r["date"].startswith(year))
        days = {r["date"][5:] for r in rows if r["date"].startswith(year)}
        for name in ("Tết Dương lịch", "Tết Nguyên đán", "Giỗ Tổ Hùng Vương", "Chiến thắng",
                     "lao động", "Quốc khánh"):
            assert name in names, (year, name)
        assert {"01-01", "04-30", "05-01", "09-02"} <= days, year
    # 10/3 âm lịch Đinh Mùi is Friday 16 April 2027 (a working day, so no day in lieu).
    assert date(2027, 4, 16) in OFF and date(2027, 4, 16).weekday() == 4


def test_waiting_for_the_resident_stops_the_clock():
    due = datetime(2026, 11, 25)
    assert deadlines.extend_for_pause(due, date(2026, 11, 20), date(2026, 11, 24), OFF) == datetime(2026, 11, 27)
    assert deadlines.extend_for_pause(due, date(2026, 11, 21), date(2026, 11, 22), OFF) == due  # a weekend


def test_repeat_rules_and_night_hold():
    assert ann_mod.next_run("monthly:15:08:00", datetime(2026, 11, 22, 9)) == datetime(2026, 12, 15, 8)
    assert ann_mod.next_run("monthly:31:08:00", datetime(2026, 11, 1)) == datetime(2026, 11, 30, 8)
    assert ann_mod.next_run("weekly:fri:09:00", datetime(2026, 11, 22, 9)) == datetime(2026, 11, 27, 9)
    night = ann_mod.to_utc(datetime(2026, 11, 22, 23, 10))
    assert ann_mod.to_local(ann_mod.not_before(night)) == datetime(2026, 11, 23, 6, 0)
    day = ann_mod.to_utc(datetime(2026, 11, 22, 10, 0))
    assert ann_mod.not_before(day) == day


def _setup_group(session, leader="800000000000000001", oa_group=None, now=None):
    """Tổ 5 with residents who last wrote now, 2 and 10 days before `now` (the run's clock:
    a test that fixes the run's time must fix this one too, or it fails a week later)."""
    session.add(ResidentialGroup(code="5", name="Tổ dân phố 5", leader_zalo_id=leader,
                                 oa_group_id=oa_group, member_count=120))
    now = now or utcnow()
    for i, last in enumerate((now, now - timedelta(days=2), now - timedelta(days=10))):
        session.add(Resident(zalo_user_id=f"70000000000000000{i}", group_code="5", is_follower=True,
                             last_interaction_at=last))
    session.add(Resident(zalo_user_id="709999999999999999", group_code="6", is_follower=True,
                         last_interaction_at=now))


def _announce(session, **kw) -> Announcement:
    a = Announcement(title="Tiêm chủng", content="Thứ Bảy tiêm chủng mở rộng tại trạm y tế.",
                     targets=kw.pop("targets", ["5"]), next_run_at=kw.pop("at", utcnow() - timedelta(minutes=1)),
                     status="scheduled", **kw)
    session.add(a)
    session.flush()
    return a


def test_broadcast_routes_window_and_no_duplicates(runtime, fake_zalo, clean_db):
    noon = ann_mod.to_utc(datetime(2026, 11, 23, 12, 0))
    with session_scope() as s:
        _setup_group(s, oa_group="600000000000000001", now=noon)
        a = _announce(s, at=noon - timedelta(minutes=1))
        [run_id] = ann_mod.run_due(s, now=noon)
        assert ann_mod.run_due(s, now=noon) == []            # planned once
        assert ann_mod.plan_run(s, a, noon - timedelta(minutes=1), noon) is None
        rows = s.scalars(select(OutboundMessage).where(OutboundMessage.announcement_run_id == run_id)).all()
    routes = sorted((r.route, r.status, r.reason) for r in rows)
    assert routes == [("group_chat", "pending", None), ("leader", "pending", None),
                      ("resident", "failed", "window_closed"), ("resident", "pending", None),
                      ("resident", "pending", None)]
    assert all(r.recipient_id != "709999999999999999" for r in rows)  # tổ 6 not targeted


def test_night_announcements_wait_for_morning(clean_db):
    late = ann_mod.to_utc(datetime(2026, 11, 23, 22, 30))
    with session_scope() as s:
        _setup_group(s)
        _announce(s, at=late - timedelta(minutes=1))
        [run_id] = ann_mod.run_due(s, now=late)
        holds = {r.next_attempt_at for r in s.scalars(select(OutboundMessage).where(
            OutboundMessage.announcement_run_id == run_id, OutboundMessage.status == "pending"))}
    assert holds == {ann_mod.to_utc(datetime(2026, 11, 24, 6, 0))}


def test_reach_counts_and_leader_confirmation(bot, fake_zalo, clean_db):
    leader = bot.user_id
    fake_zalo.state.touch_interaction(leader)
    with session_scope() as s:
        _setup_group(s, leader=leader)
        _announce(s, at=NOON - timedelta(minutes=1))
        [run_id] = ann_mod.run_due(s, now=NOON)
    for i in range(3):
        fake_zalo.state.touch_interaction(f"70000000000000000{i}")
    bot.run_until_idle()
    [leader_msg] = bot.new_messages()
    assert message_buttons(leader_msg) == ["Đã chuyển vào nhóm tổ"]
    assert "Tiêm chủng" in message_text(leader_msg)
    assert "ghi nhận" in message_text(bot.say("Đã chuyển vào nhóm tổ")[0])
    with session_scope() as s:
        r = ann_mod.reach(s, [run_id])
    assert r["residents_reached"] == 2 and r["leaders_confirmed"] == 1
    assert r["members_via_confirmed_groups"] == 120 and r["failures"] == {"window_closed": 1}


def test_crash_mid_broadcast_resumes_without_duplicates(runtime, fake_zalo, clean_db):
    with session_scope() as s:
        s.add(ResidentialGroup(code="1", name="Tổ 1"))
        for i in range(40):
            uid = f"71{i:016d}"
            s.add(Resident(zalo_user_id=uid, group_code="1", last_interaction_at=utcnow()))
            fake_zalo.state.add_user(uid)
        _announce(s, targets=["1"], at=NOON - timedelta(minutes=1))
        [_run_id] = ann_mod.run_due(s, now=NOON)
    runtime.sender.batch = 10
    runtime.sender.send_due()          # part of the broadcast goes out, then the process "dies"
    from bot.runtime.process import Runtime

    restarted = Runtime(runtime.settings, scheduler=False)
    try:
        while restarted.sender.send_due():
            pass
        with session_scope() as s:   # planning the same run again (a restarted job) adds nothing
            a = s.scalar(select(Announcement))
            assert ann_mod.plan_run(s, a, NOON - timedelta(minutes=1), NOON) is None
    finally:
        restarted.sender.close()
    sent = [m.user_id for m in fake_zalo.state.messages()]
    assert len(sent) == 40 and len(set(sent)) == 40


def test_resident_chooses_their_group_and_it_becomes_a_tag(bot, fake_zalo, clean_db):
    with session_scope() as s:
        s.add(ResidentialGroup(code="5", name="Tổ dân phố 5"))
    replies = bot.say("tôi ở tổ 5")
    assert "Tổ dân phố 5" in message_text(replies[0])
    assert "to_5" in fake_zalo.state.users[bot.user_id].tags
    with session_scope() as s:
        assert s.scalar(select(Resident.group_code).where(Resident.zalo_user_id == bot.user_id)) == "5"
    assert "chưa có tổ 9" in message_text(bot.say("to 9")[0])


def _ticket(s, code_kind="complaint", created=None, due=None, status="new", topic="environment", **kw):
    t = tickets.create_ticket(s, kind=code_kind, text="x", actor="test", status=status, topic=topic,
                              due_date=due, **kw)
    if created:
        t.created_at = created
    return t


def test_weekly_report_numbers_and_png(clean_db, settings):
    mon = datetime(2026, 11, 16, 3)  # 10:00 local, Monday
    with session_scope() as s:
        a = _ticket(s, created=mon, due=datetime(2026, 11, 19), channel="zalo", group_code="5")
        b = _ticket(s, created=mon + timedelta(days=1), due=datetime(2026, 11, 18), topic="security", channel="form")
        _ticket(s, created=mon + timedelta(days=2), due=datetime(2026, 11, 17))  # open, overdue
        _ticket(s, created=mon - timedelta(days=7))  # last week
        for t, at in ((a, datetime(2026, 11, 18, 2)), (b, datetime(2026, 11, 20, 2))):
            tickets.change(s, t, "test", status="resolved")
            s.flush()
            s.execute(TicketEvent.__table__.update().where(TicketEvent.ticket_id == t.id,
                                                           TicketEvent.field == "status").values(at=at))
        a.rating = 5
        rep = reports.weekly(s, date(2026, 11, 20))
    assert (rep.received, rep.resolved, rep.overdue) == (3, 2, 1)
    assert rep.on_time_rate == 0.5 and rep.average_rating == 5
    assert rep.by_topic["security"]["received"] == 1 and rep.by_channel == {"Zalo": 2, "Google Form": 1}
    assert rep.daily_received[:3] == [1, 1, 1]
    png = Image.open(io.BytesIO(reports.chart_png(rep)))
    assert png.format == "PNG" and png.size == (800, 450)
    assert "Tiếp nhận 3 phiếu" in rep.summary()


def test_weekly_report_is_sent_once_with_chart(clean_db, settings, runtime, fake_zalo):
    fake_zalo.state.add_user(settings.officer_zalo_ids[0])
    assert jobs.send_weekly(settings, runtime.client, date(2026, 11, 20)) is not None
    assert jobs.send_weekly(settings, runtime.client, date(2026, 11, 20)) is None  # once a week
    while runtime.sender.send_due():
        pass
    sent = fake_zalo.state.messages(settings.officer_zalo_ids[0])
    assert len(sent) == 2 and "BÁO CÁO TUẦN" in sent[0].message["text"]
    assert sent[1].message["attachment"]["payload"]["elements"][0]["media_type"] == "image"


def test_daily_reminder_per_assignee(clean_db, settings):
    from storage.models import Officer

    today = date(2026, 11, 23)
    with session_scope() as s:
        s.add(Officer(name="Chị Hoa", zalo_user_id="900000000000000009"))
        late = _ticket(s, due=datetime(2026, 11, 20), assignee="Chị Hoa")
        soon = _ticket(s, due=datetime(2026, 11, 24), assignee="Chị Hoa")
        _ticket(s, due=datetime(2026, 12, 10), assignee="Chị Hoa")
        unassigned = _ticket(s, due=datetime(2026, 11, 21))
        out = reports.reminders(s, settings, today)
    assert late.code in out["900000000000000009"] and soon.code in out["900000000000000009"]
    assert "Quá hạn: " + late.code in out["900000000000000009"]
    assert unassigned.code in out[settings.officer_zalo_ids[0]]


def test_jobs_have_ids_and_a_missed_run_happens_once_after_restart(clean_db, settings):
    from types import SimpleNamespace

    from bot.runtime import jobs, scheduler

    calls = []
    runtime = SimpleNamespace(settings=settings)
    sched = scheduler.build_scheduler(runtime)
    ids = {j.id for j in sched.get_jobs()}
    assert {"sheet_sync", "announcements", "weekly_report", "daily_reminder", "token_refresh"} <= ids
    sched.shutdown(wait=True)
    # The worker was down over Friday 15:30: the stored next run time is in the past.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from storage.db import get_engine

    store = SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    job = store.lookup_job("weekly_report")
    job.next_run_time = datetime.now(job.trigger.timezone) - timedelta(minutes=20)
    store.update_job(job)
    jobs_weekly = jobs.weekly_report
    try:
        jobs.weekly_report = lambda: calls.append("weekly")
        again = scheduler.build_scheduler(runtime)  # the restart keeps the stored run time
        again.resume()
        import time

        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        again.shutdown(wait=True)
    finally:
        jobs.weekly_report = jobs_weekly
    assert calls == ["weekly"]


def test_a_job_stored_under_its_old_path_keeps_its_missed_run(clean_db, settings):
    """Jobs stored before bot.jobs became bot.runtime.jobs: the worker still starts, and a run
    that fell due while it was being upgraded still happens, once."""
    import pickle
    import time
    from types import SimpleNamespace

    from sqlalchemy import update

    from bot.runtime import jobs, scheduler

    runtime = SimpleNamespace(settings=settings)
    scheduler.build_scheduler(runtime).shutdown(wait=True)
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from storage.db import get_engine

    store = SQLAlchemyJobStore(engine=get_engine(), tablename="apscheduler_jobs")
    store.start(BackgroundScheduler(timezone=LOCAL_TZ), "default")
    job = store.lookup_job("weekly_report")
    job.next_run_time = datetime.now(job.trigger.timezone) - timedelta(minutes=20)
    store.update_job(job)
    state = job.__getstate__()
    state["func"] = state["func"].replace("bot.runtime.jobs:", "bot.jobs:")  # stored before the move
    with get_engine().begin() as connection:
        connection.execute(update(store.jobs_t).where(store.jobs_t.c.id == "weekly_report")
                           .values(job_state=pickle.dumps(state, store.pickle_protocol)))
    calls = []
    jobs_weekly = jobs.weekly_report
    try:
        jobs.weekly_report = lambda: calls.append("weekly")
        again = scheduler.build_scheduler(runtime)
        assert again.get_job("weekly_report").func_ref == "bot.runtime.jobs:weekly_report"
        again.resume()
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        again.shutdown(wait=True)
    finally:
        jobs.weekly_report = jobs_weekly
    assert calls == ["weekly"]

def test_cli_groups_set_leader_and_announce_create(monkeypatch, capsys, clean_db, database_url):
    from bot.cli.main import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["groups", "set-leader", "--code", "7", "--leader", "L7"]) == 1  # no such tổ yet
    assert main(["groups", "add", "--code", "7", "--name", "Tổ 7"]) == 0
    assert main(["groups", "set-leader", "--code", "7", "--leader", "L7"]) == 0
    assert main(["announce", "create", "--title", "T", "--content", "C", "--groups", "7",
                 "--at", "01/12/2030 08:00"]) == 0
    out = capsys.readouterr().out
    assert "01/12/2030 08:00 (giờ Việt Nam)" in out
    with session_scope() as s:
        assert s.scalar(select(ResidentialGroup.leader_zalo_id).where(ResidentialGroup.code == "7")) == "L7"
        ann = s.scalar(select(Announcement))
        assert ann.targets == ["7"] and ann.next_run_at == datetime(2030, 12, 1, 1, 0)


def test_a_poster_link_is_sent_as_an_image_with_the_text_as_caption(runtime, fake_zalo, clean_db):
    noon = ann_mod.to_utc(datetime(2026, 11, 23, 12, 0))
    poster = "https://phuong.example.vn/thong-bao/tiem-chung.JPG?v=2"
    with session_scope() as s:
        _setup_group(s, leader=None, now=noon)
        _announce(s, at=noon - timedelta(minutes=1), link=poster)
        _announce(s, at=noon - timedelta(minutes=1), link="https://dichvucong.gov.vn/huong-dan")
        ann_mod.run_due(s, now=noon)
    for u in ("700000000000000000", "700000000000000001"):
        fake_zalo.state.touch_interaction(u)
    while runtime.sender.send_due():
        pass
    sent = [m.message for m in fake_zalo.state.messages(user_id="700000000000000000")]
    image = [m for m in sent if "attachment" in m]
    assert len(image) == 1 and len(sent) == 2
    payload = image[0]["attachment"]["payload"]
    assert payload["template_type"] == "media"
    assert payload["elements"] == [{"media_type": "image", "url": poster}]
    assert "Tiêm chủng" in image[0]["text"] and poster not in image[0]["text"]
    [page] = [m for m in sent if "attachment" not in m]
    assert "https://dichvucong.gov.vn/huong-dan" in page["text"]  # not a picture: a link in the text
    assert not ann_mod.is_image_link("ftp://x/y.png") and not ann_mod.is_image_link(None)
