"""What the typhoon benchmark sends: who writes what, when, signed for which ward's OA.

Residents follow short scripts, one message at a time, at least MIN_GAP_SECONDS apart (a person
types): a report that becomes a ticket on its third message, an urgent report (officers
alerted, a ticket at once), or greetings and questions. So the number of tickets the run must
end with is known in advance: a missing one is a lost event, an extra one a doubled event.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from bot.sandbox import payloads

MIN_GAP_SECONDS = 2.0
# Zalo answers -32 past ~4,000 requests a minute per app; the service keeps 5% under.
OA_LIMIT_PER_MINUTE = 3800

REPORT = ("Cống thoát nước ngõ {lane} tổ {group} bị tắc, nước tràn lên đường", "Không có ảnh",
          "Gửi phản ánh", "cảm ơn")
URGENT = ("Nước ngập sâu ngõ {lane} tổ {group}, nước đã vào nhà, có người già mắc kẹt", "cảm ơn",
          "xin chào", "cảm ơn")
CHAT = ("xin chào", "Giờ làm việc của phường?", "cảm ơn", "xin chào")
# (script, share of residents, how many of its messages make one ticket)
SCRIPTS = ((REPORT, 0.60, 3), (URGENT, 0.15, 1), (CHAT, 0.25, None))


@dataclass(frozen=True)
class Ward:
    """One ward's Zalo OA as the fake Zalo and the service know it. Ward 0 is the service's
    `default` ward (configured by the environment); the others are added with `wards import`."""
    index: int
    app_id: str
    app_secret: str
    oa_id: str
    oa_secret: str
    officer: str

    @classmethod
    def numbered(cls, index: int, wards_per_app: int = 1) -> "Ward":
        """Ward `index`; every `wards_per_app` wards in a row share one Zalo app (its secret
        and its ~4,000 requests a minute), as a city that registers one app per district."""
        app = index // max(1, wards_per_app)
        return cls(index, f"3608465249409{app:05d}", f"typhoon-app-secret-{app}",
                   f"3886132808788{index:05d}", f"typhoon-oa-secret-{index}", f"9{index:02d}{0:015d}")

    @property
    def code(self) -> str:
        return "default" if self.index == 0 else f"typhoon-{self.index:03d}"

    @property
    def access_token(self) -> str:
        return f"typhoon-access-{self.index}"

    @property
    def refresh_token(self) -> str:
        return f"typhoon-refresh-{self.index}"


def city(wards: int, wards_per_app: int) -> list[Ward]:
    return [Ward.numbered(i, wards_per_app) for i in range(wards)]


def apps(wards: list[Ward]) -> int:
    return len({w.app_id for w in wards})


@dataclass(frozen=True)
class Planned:
    at: float          # seconds after the start of the burst
    ward: int
    user: str
    step: int          # the resident's n-th message (0-based)
    text: str
    msg_id: str


def resident_id(ward: int, n: int) -> str:
    return f"7{ward:02d}{n:015d}"


def script_of(resident: int) -> tuple[tuple[str, ...], int | None]:
    """A resident's script, spread by share over the residents (the same for every run)."""
    point = (resident * 0.6180339887) % 1.0  # golden-ratio spread: shares hold for any count
    for script, share, ticket_at in SCRIPTS:
        if point < share:
            return script, ticket_at
        point -= share
    return SCRIPTS[-1][0], SCRIPTS[-1][2]


def plan(events: int, seconds: float, per_ward: int, wards: int, seed: int = 2026) -> list[Planned]:
    """`events` messages at an even rate over `seconds`, from residents picked at random (each
    of the `wards` holds `per_ward` of them), a resident's messages at least MIN_GAP_SECONDS
    apart and at most as many as its script has."""
    rng = random.Random(seed)
    last: dict[tuple[int, int], tuple[float, int]] = {}
    out: list[Planned] = []
    for i in range(events):
        at = i * seconds / events
        for _ in range(100):
            ward, n = rng.randrange(wards), rng.randrange(per_ward)
            prev_at, step = last.get((ward, n), (-MIN_GAP_SECONDS, -1))
            if at - prev_at >= MIN_GAP_SECONDS and step + 1 < len(script_of(n)[0]):
                break
        else:
            raise ValueError("too few residents for that many events")
        last[(ward, n)] = (at, step + 1)
        script, _ = script_of(n)
        text = script[step + 1].format(lane=n % 97 + 1, group=n % 12 + 1)
        out.append(Planned(at, ward, resident_id(ward, n), step + 1, text, f"typhoon{seed}x{i:07d}"))
    return out


def expected_tickets(planned: list[Planned]) -> int:
    """Tickets the run must end with: one per resident whose script reached its ticket."""
    reached: dict[str, int] = {}
    for p in planned:
        reached[p.user] = max(reached.get(p.user, -1), p.step)
    total = 0
    for user, step in reached.items():
        _, ticket_at = script_of(int(user[3:]))
        total += ticket_at is not None and step + 1 >= ticket_at
    return total


def signed_body(ward: Ward, p: Planned) -> tuple[bytes, dict]:
    body = payloads.user_event(ward.app_id, ward.oa_id, p.user, "user_send_text",
                               payloads.text(p.text, p.msg_id))
    return payloads.signed(body, ward.oa_secret)
