"""Two wards on one deployment, end to end: the `default` ward (the suite's settings, its OA
the fake's first) and `an-hai`, added with storage.wards.add, its token pair stored, its OA a
second one on the same fake Zalo under an app of its own. The same Zalo user id writes to both.

`city.say(ward, text)` does what Zalo and a resident would: the resident writes to that ward's
OA, the signed user_send_text reaches POST /webhooks/zalo, the worker and the sender run until
idle, and what that OA sent the resident comes back."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.sandbox import payloads
from storage.base import DEFAULT_WARD_ID
from storage.db import session_scope
from tests.support import APP_ID, APP_SECRET, OA_ID, OA_SECRET, post_raw

RESIDENT = "246845883529197922"   # one Zalo user id, writing to both OAs
A_OFFICER = "900000000000000001"  # the suite's OFFICER_ZALO_IDS: the default ward's
B_OFFICER = "900000000000000002"
B_CODE, B_NAME = "an-hai", "Phường An Hải"
B_APP, B_APP_SECRET = "460000000000000001", "b-app-secret"
B_OA, B_OA_SECRET = "499999999999999001", "b-oa-secret-key"
B_ACCESS, B_REFRESH = "b-access-token", "b-refresh-token"


@dataclass
class Ward:
    id: int
    code: str
    app_id: str
    oa_id: str
    secret: str      # the OA secret key its webhook events are signed with
    oa: object       # its OA on the fake Zalo (bot.sandbox.fake_zalo.oa.FakeOA)
    officer: str


class City:
    def __init__(self, client, runtime, a: Ward, b: Ward):
        self.client, self.runtime = client, runtime
        self.a, self.b = a, b
        self._seen: dict[tuple[str, str], int] = {}

    def run_until_idle(self) -> None:
        for _ in range(1000):
            worked = self.runtime.worker.process_next()
            worked = self.runtime.sender.send_due() > 0 or worked
            if not worked:
                return
        raise AssertionError("worker did not become idle")

    def post(self, ward: Ward, body: dict) -> None:
        raw, headers = payloads.signed(body, ward.secret)
        resp = post_raw(self.client, raw, headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)

    def say(self, ward: Ward, text: str, user: str = RESIDENT) -> list[dict]:
        ward.oa.touch_interaction(user)
        self.post(ward, payloads.user_event(ward.app_id, ward.oa_id, user, "user_send_text",
                                            payloads.text(text)))
        self.run_until_idle()
        return self.new_messages(ward, user)

    def say_text(self, ward: Ward, text: str, user: str = RESIDENT) -> str:
        return "\n".join(m.get("text") or "" for m in self.say(ward, text, user))

    def new_messages(self, ward: Ward, user: str = RESIDENT) -> list[dict]:
        sent = ward.oa.messages(user_id=user, after_id=self._seen.get((ward.code, user), 0))
        if sent:
            self._seen[(ward.code, user)] = sent[-1].id
        return [m.message for m in sent]

    def file_report(self, ward: Ward, text: str, user: str = RESIDENT) -> str:
        """A report filed as residents do it; returns the bot's last reply (it has the code)."""
        self.say(ward, text, user)
        self.say(ward, "Không có ảnh", user)
        return self.say_text(ward, "Gửi phản ánh", user)


def add_ward_b(settings) -> int:
    """Ward `an-hai` as `wards add` would make it: secrets sealed, its pair stored."""
    from bot.at_rest import token_cipher
    from storage import wards
    from storage.tokens import DbTokenStore

    cipher = token_cipher(settings)
    with session_scope() as s:
        ward_id = wards.add(s, B_CODE, dict(
            name=B_NAME, zalo_app_id=B_APP, zalo_app_secret=B_APP_SECRET, zalo_oa_id=B_OA,
            zalo_oa_secret_key=B_OA_SECRET, officer_zalo_ids=B_OFFICER), cipher).id
    DbTokenStore(B_ACCESS, B_REFRESH, cipher=cipher, ward_id=ward_id).current()  # stored, sealed
    return ward_id


@pytest.fixture()
def city(settings, client, runtime, fake_zalo) -> City:
    b_id = add_ward_b(settings)
    b_oa = fake_zalo.state.add_oa(B_OA, app_id=B_APP, app_secret=B_APP_SECRET,
                                  access_token=B_ACCESS, refresh_token=B_REFRESH)
    # The webhook's and the runtime's views of the wards (each re-reads within 30 s anyway).
    client.application.extensions["hts_wards"].reload()
    runtime.ward_settings.directory.reload()
    a = Ward(DEFAULT_WARD_ID, "default", APP_ID, OA_ID, OA_SECRET, fake_zalo.state, A_OFFICER)
    b = Ward(b_id, B_CODE, B_APP, B_OA, B_OA_SECRET, b_oa, B_OFFICER)
    for ward in (a, b):  # each duty officer wrote to their own ward's OA this week
        ward.oa.add_user(ward.officer)
    assert APP_SECRET != B_APP_SECRET
    return City(client, runtime, a, b)
