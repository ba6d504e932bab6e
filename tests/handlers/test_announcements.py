"""handlers/announcements.py (issue 5): repeat rules and the night hold, broadcast routes (group
chat, residents, the tổ leader), reach, a crash mid-broadcast, choosing one's tổ, posters."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from handlers import announcements as ann_mod
from storage.db import session_scope
from storage.models import Announcement, OutboundMessage, Resident, ResidentialGroup, utcnow
from tests.support import message_buttons, message_text

# A daytime moment in the past, so announcement tests never depend on the hour they run at.
NOON = ann_mod.to_utc(datetime.combine(date.today() - timedelta(days=1), datetime.min.time()).replace(hour=12))


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
