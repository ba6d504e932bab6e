"""The sandbox's city: beside the `default` ward, a second sample ward `mau-2` with its own OA on
the fake Zalo, its own sheet on the fake Sheets and its own sample duty officer, and a city sheet
whose «Tổng hợp» tab sets the wards side by side — so a newcomer sees a city of wards.

`serve` calls `start` in the full sandbox only (fake Zalo and fake Sheets: nothing of the sample
ward may reach a real OA or a real sheet). The ward is created once; a later start finds it by its
code and its sample OA and only gives it the fresh fake's token pair. A ward of a real deployment
is never written: a `mau-2` with another OA is left alone, and the sandbox runs without the sample.
"""
from __future__ import annotations

import logging

from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_NAME = "Phường Mẫu Một"   # the `default` ward's name in the sandbox, unless WARD_NAME says
CODE, NAME = "mau-2", "Phường Mẫu Hai"
APP_ID = "1000000000000000011"    # an app of its own, as a ward with its own Zalo developer account
OA_ID = "1000000000000000012"
APP_SECRET = "sandbox-app-secret-mau-2"
OA_SECRET = "sandbox-oa-secret-key-mau-2"
ACCESS, REFRESH = "sandbox-access-token-mau-2", "sandbox-refresh-token-mau-2"
SHEET_ID = "sandbox-sheet-mau-2"
OFFICER = "7100000000000000003"   # its duty officer (weekly report, daily reminder), on its OA
CITY_SHEET_ID = "sandbox-city-sheet"


def start(settings: Settings, fake_zalo, fake_sheets, public_url: str) -> Settings:
    """The sample ward on the running fakes, and the city sheet; returns the settings with the
    default ward's sample name and the city sheet (when none is configured)."""
    if settings.is_production:
        raise RuntimeError("the sandbox's sample wards are never created in production")
    if ensure_sample_ward(settings):
        oa = fake_zalo.state.add_oa(OA_ID, app_id=APP_ID, app_secret=APP_SECRET,
                                    access_token=ACCESS, refresh_token=REFRESH)
        # Like the default OA: every message it sends is echoed to its ward's webhook.
        oa.configure_webhook(f"{public_url.rstrip('/')}/webhooks/zalo/{CODE}", OA_SECRET)
        oa.add_user(OFFICER, "Cán bộ Mẫu C")  # the officer wrote to the OA: reports reach them
        fake_sheets.add_spreadsheet(SHEET_ID, title=f"Hộp thư số — {NAME}")
    overrides = {}
    if settings.ward_name == Settings.ward_name:  # WARD_NAME not set
        overrides["ward_name"] = DEFAULT_NAME
    if not settings.city_sheet_id:
        fake_sheets.add_spreadsheet(CITY_SHEET_ID, title="Hộp thư số — thành phố (mẫu)")
        overrides["city_sheet_id"] = CITY_SHEET_ID
    settings = settings.with_overrides(**overrides) if overrides else settings
    from bot.sandbox.setup import remember

    remember(settings, **overrides)  # `wards list`, `report weekly --city` in another terminal
    if "city_sheet_id" in overrides:
        from bot.runtime.sheets import publish_city_week

        publish_city_week(settings)  # the «Tổng hợp» tab from the start, not only after Friday's job
    return settings


def ensure_sample_ward(settings: Settings) -> bool:
    """Add the sample ward if it is missing, else give it the fresh fake's token pair (the pair a
    previous run rotated died with that fake). False when `mau-2` is some other ward."""
    from bot.at_rest import token_cipher
    from bot.cli.ward_values import save
    from storage import wards
    from storage.db import session_scope
    from storage.scoping import ALL_WARDS
    from storage.tokens import DbTokenStore, Tokens

    cipher = token_cipher(settings)
    with session_scope(ALL_WARDS) as session:
        existing = wards.by_code(session, CODE)
        if existing is None:
            try:
                save(session, settings, CODE, dict(
                    name=NAME, zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_id=OA_ID,
                    zalo_oa_secret_key=OA_SECRET, zalo_access_token=ACCESS,
                    zalo_refresh_token=REFRESH, sheet_id=SHEET_ID, officers=OFFICER,
                    ward_profile_file=sample_profile()), cipher)
            except wards.WardError as exc:  # its sample OA id taken by another ward
                log.warning("không tạo phường mẫu %s: %s", CODE, exc)
                return False
            return True
        if existing.zalo_oa_id != OA_ID:
            log.warning("phường %s đã có và không phải phường mẫu: thử nghiệm chạy không có nó", CODE)
            return False
        DbTokenStore("", "", cipher=cipher, ward_id=existing.id).replace(session, Tokens(ACCESS, REFRESH))
        if not existing.ward_profile_file:  # made by an earlier version without its facts
            wards.update(session, CODE, {"ward_profile_file": sample_profile()}, cipher)
        return True


def sample_profile() -> str:
    """The sample ward's facts: the sample profile whose values all say "(mẫu)", as for the
    default ward in the sandbox, so no FAQ answer of either ward is held back."""
    from bot.ward_profile import SAMPLE

    return str(SAMPLE)

