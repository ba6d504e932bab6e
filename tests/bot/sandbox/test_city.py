"""bot/sandbox/city.py: the sandbox's second sample ward and its city sheet, created once, never
over a real ward, never in production."""
from __future__ import annotations

import pytest

from bot.sandbox import city
from storage import wards
from storage.db import session_scope
from storage.models import OAToken
from storage.scoping import ALL_WARDS


@pytest.fixture()
def sandbox_settings(sheet_settings, tmp_path):
    return sheet_settings.with_overrides(sandbox_file=str(tmp_path / "sandbox.json"),
                                         token_key_file=str(tmp_path / "token.key"))


def _wards():
    with session_scope(ALL_WARDS) as s:
        return {w.code: w for w in wards.all_wards(s)}


class _Store:
    def __init__(self, settings, ward_id):
        from bot.at_rest import token_cipher
        from storage.tokens import DbTokenStore

        self.ward_id = ward_id
        self.store = DbTokenStore("", "", cipher=token_cipher(settings), ward_id=ward_id)

    def replace_pair(self, access, refresh):
        from storage.tokens import Tokens

        with session_scope(self.ward_id) as s:
            self.store.replace(s, Tokens(access, refresh))

    def current(self):
        return self.store.current()


def _store(settings, ward_id) -> _Store:
    return _Store(settings, ward_id)


def _ward_2_token_rows(ward_id):
    with session_scope(ward_id) as s:
        return s.query(OAToken).count()


def test_a_restart_finds_the_sample_ward_and_only_resets_its_token_pair(sandbox_settings, fake_zalo,
                                                                         fake_sheets):
    settings = city.start(sandbox_settings, fake_zalo, fake_sheets, "http://127.0.0.1:9")
    first = _wards()
    assert list(first) == ["default", city.CODE]
    ward = first[city.CODE]
    assert (ward.name, ward.zalo_oa_id, ward.sheet_id, ward.officer_zalo_ids) == (
        city.NAME, city.OA_ID, city.SHEET_ID, (city.OFFICER,))
    assert _ward_2_token_rows(ward.id) == 1
    oa = fake_zalo.state.oa(city.OA_ID)
    assert oa.webhook_url == f"http://127.0.0.1:9/webhooks/zalo/{city.CODE}"
    assert settings.ward_name == city.DEFAULT_NAME and settings.city_sheet_id == city.CITY_SHEET_ID
    # the city tab is there from the start, one row per ward
    tab = fake_sheets.spreadsheets[city.CITY_SHEET_ID].rows("Tổng hợp")
    assert [r[3] for r in tab[1:3]] == ["default", city.CODE]

    # the runtime rotated the pair on that fake; the next serve has a fresh fake Zalo and fake
    # Sheets, the same database: the pair the fresh fake knows is stored again
    _store(sandbox_settings, ward.id).replace_pair("rotated-access", "rotated-refresh")
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    with FakeZaloServer(FakeZaloState()) as zalo2, FakeSheetsServer() as sheets2:
        city.start(sandbox_settings, zalo2, sheets2, "http://127.0.0.1:9")
        assert zalo2.state.oa(city.OA_ID) is not None
    assert _wards() == first   # not added twice, not changed
    assert _ward_2_token_rows(ward.id) == 1
    current = _store(sandbox_settings, ward.id).current()
    assert (current.access_token, current.refresh_token) == (city.ACCESS, city.REFRESH)


def test_a_real_ward_with_the_sample_code_is_left_alone(sandbox_settings, fake_zalo, fake_sheets):
    with session_scope(ALL_WARDS) as s:
        wards.add(s, city.CODE, {"name": "Phường thật", "zalo_oa_id": "555"}, None)
    before = _wards()
    city.start(sandbox_settings, fake_zalo, fake_sheets, "http://127.0.0.1:9")
    assert _wards() == before
    assert fake_zalo.state.oa(city.OA_ID) is None
    assert _ward_2_token_rows(before[city.CODE].id) == 0


def test_a_configured_ward_name_and_city_sheet_win(sandbox_settings, fake_zalo, fake_sheets):
    mine = sandbox_settings.with_overrides(ward_name="Phường Hải Châu", city_sheet_id="real-city")
    settings = city.start(mine, fake_zalo, fake_sheets, "http://127.0.0.1:9")
    assert (settings.ward_name, settings.city_sheet_id) == ("Phường Hải Châu", "real-city")
    assert city.CITY_SHEET_ID not in fake_sheets.spreadsheets


def test_never_in_production(sandbox_settings, fake_zalo, fake_sheets):
    with pytest.raises(RuntimeError):
        city.start(sandbox_settings.with_overrides(app_env="production"), fake_zalo, fake_sheets,
                   "http://127.0.0.1:9")
    assert list(_wards()) == ["default"]


def test_the_sample_ward_answers_with_the_sample_facts_not_with_gaps(sandbox_settings, fake_zalo,
                                                                      fake_sheets):
    """Like the default ward in the sandbox: no FAQ answer of `mau-2` is held back for a gap."""
    from bot.ward_profile import faq_gaps
    from bot.wards import WardSettings
    from intents.faq import read_csv

    city.start(sandbox_settings, fake_zalo, fake_sheets, "http://127.0.0.1:9")
    ward = _wards()[city.CODE]
    settings = WardSettings(sandbox_settings)(ward.id)
    assert faq_gaps(settings, read_csv(settings.faq_path)) == []
    with session_scope() as s:  # made by an earlier version, without its facts: given them
        wards.update(s, city.CODE, {"ward_profile_file": ""}, cipher=None)
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    with FakeZaloServer(FakeZaloState()) as zalo2, FakeSheetsServer() as sheets2:  # the next serve
        city.start(sandbox_settings, zalo2, sheets2, "http://127.0.0.1:9")
    assert _wards()[city.CODE].ward_profile_file == city.sample_profile()
