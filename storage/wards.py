"""The wards a deployment serves: who they are, their OA, their secrets (encrypted at rest).

The `default` ward (id 1) always exists. Configured only by the environment, a deployment is
that ward alone and its empty fields here mean "as in .env". Other wards are added with
`python -m bot wards add`; their secrets are encrypted with the key that protects the Zalo
tokens (storage/token_cipher.py) and shown to nobody (`wards list` prints no secret).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from storage.base import DEFAULT_WARD_CODE, DEFAULT_WARD_ID, Ward
from storage.token_cipher import TokenCipher

CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
SECRET_FIELDS = ("zalo_app_secret", "zalo_oa_secret_key")
# What `wards add/set/import` may set (the tokens go to oa_tokens, see storage/tokens.py).
FIELDS = ("name", "zalo_app_id", "zalo_app_secret", "zalo_oa_id", "zalo_oa_secret_key",
          "sheet_id", "officer_zalo_ids", "ward_profile_file")


class WardError(ValueError):
    """A ward's data is refused; str() says why, in Vietnamese, for the IT officer."""


@dataclass(frozen=True)
class WardConfig:
    """One ward as the runtime uses it: secrets decrypted, officers as a tuple."""
    id: int
    code: str
    name: str = ""
    zalo_app_id: str = ""
    zalo_app_secret: str = field(default="", repr=False)
    zalo_oa_id: str = ""
    zalo_oa_secret_key: str = field(default="", repr=False)
    sheet_id: str = ""
    officer_zalo_ids: tuple[str, ...] = ()
    ward_profile_file: str = ""

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_WARD_ID


def ensure_default(conn) -> None:
    """The `default` ward row (a fresh schema, or a test that emptied every table)."""
    if conn.execute(select(Ward.id).where(Ward.id == DEFAULT_WARD_ID)).first() is None:
        conn.execute(insert(Ward).values(id=DEFAULT_WARD_ID, code=DEFAULT_WARD_CODE, name=""))
        if conn.dialect.name == "postgresql":  # an id given explicitly does not move the sequence
            conn.execute(text(SYNC_ID_SEQUENCE))


# The next ward's id comes after the highest one (PostgreSQL; SQLite takes MAX(id)+1 anyway).
SYNC_ID_SEQUENCE = ("SELECT setval(pg_get_serial_sequence('wards', 'id'), "
                    "(SELECT MAX(id) FROM wards))")


def check_code(code: str) -> str:
    if not CODE.match(code or ""):
        raise WardError(f"Mã phường {code!r} không hợp lệ: chỉ dùng chữ thường không dấu, chữ số "
                        "và dấu gạch ngang (ví dụ: an-hai), tối đa 40 ký tự.")
    return code


def officers_of(raw: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (raw or "").split(",") if x.strip())


def _config(row: Ward, cipher: TokenCipher | None) -> WardConfig:
    def secret(value):
        return cipher.decrypt(value) if cipher and value else (value or "")

    return WardConfig(
        id=row.id, code=row.code, name=row.name or "", zalo_app_id=row.zalo_app_id or "",
        zalo_app_secret=secret(row.zalo_app_secret), zalo_oa_id=row.zalo_oa_id or "",
        zalo_oa_secret_key=secret(row.zalo_oa_secret_key), sheet_id=row.sheet_id or "",
        officer_zalo_ids=officers_of(row.officer_zalo_ids),
        ward_profile_file=row.ward_profile_file or "")


def all_wards(session: Session, cipher: TokenCipher | None = None) -> list[WardConfig]:
    return [_config(w, cipher) for w in session.scalars(select(Ward).order_by(Ward.id))]


def by_code(session: Session, code: str, cipher: TokenCipher | None = None) -> WardConfig | None:
    row = session.scalar(select(Ward).where(Ward.code == code))
    return _config(row, cipher) if row else None


def _apply(row: Ward, values: dict, cipher: TokenCipher | None) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise WardError("Không có trường: " + ", ".join(sorted(unknown)))
    for name, value in values.items():
        value = (value or "").strip() if isinstance(value, str) else value
        if name == "officer_zalo_ids" and not isinstance(value, str):
            value = ",".join(value or ())
        if name in SECRET_FIELDS and value and cipher is not None:
            value = cipher.encrypt(value)
        setattr(row, name, value or None)


def add(session: Session, code: str, values: dict, cipher: TokenCipher | None) -> WardConfig:
    check_code(code)
    if session.scalar(select(Ward.id).where(Ward.code == code)) is not None:
        raise WardError(f"Phường {code} đã có; sửa bằng lệnh `wards set {code} ...`.")
    row = Ward(code=code, name="")
    _apply(row, values, cipher)
    _check_oa_free(session, row)
    session.add(row)
    session.flush()
    return _config(row, cipher)


def update(session: Session, code: str, values: dict, cipher: TokenCipher | None) -> WardConfig:
    row = session.scalar(select(Ward).where(Ward.code == code).with_for_update())
    if row is None:
        raise WardError(f"Không có phường {code}. Xem danh sách bằng lệnh `wards list`.")
    _apply(row, values, cipher)
    _check_oa_free(session, row)
    session.flush()
    return _config(row, cipher)


def _check_oa_free(session: Session, row: Ward) -> None:
    if not row.zalo_oa_id:
        return
    with session.no_autoflush:  # the changed row must not reach the database before this check
        other = session.scalar(select(Ward.code).where(Ward.zalo_oa_id == row.zalo_oa_id,
                                                       Ward.code != row.code))
    if other:
        raise WardError(f"OA {row.zalo_oa_id} đã thuộc phường {other}: mỗi phường một OA.")


class WardDirectory:
    """The wards by id, code and OA, as one process sees them: read from the database, kept
    for `ttl` seconds (wards change rarely; a webhook must not read the table per event), read
    again at once when an unknown OA or code comes — at most every `miss_interval` seconds, so
    a flood of forged OA ids cannot turn into a flood of queries.

    `overlay` fills the `default` ward's empty fields from the environment (.env). A caller
    inside a transaction passes its session, so a reload reads through it: on SQLite a second
    connection would wait for the write lock that very transaction holds."""

    def __init__(self, session_factory, cipher=lambda: None, *, overlay=None,
                 ttl: float = 30.0, miss_interval: float = 5.0, clock=None):
        import threading
        import time

        self._session_factory = session_factory
        self._cipher = cipher  # built when first needed: the key may be read from a file
        self._overlay = overlay or (lambda config: config)
        self._ttl, self._miss_interval = ttl, miss_interval
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_id: dict[int, WardConfig] = {}

    def _load(self, session: Session | None) -> None:
        if session is None:
            with self._session_factory() as own:
                configs = all_wards(own, self._cipher())
        else:
            configs = all_wards(session, self._cipher())
        self._by_id = {c.id: (self._overlay(c) if c.is_default else c) for c in configs}
        self._loaded_at = self._clock()

    def _fresh(self, *, missed: bool = False, session: Session | None = None) -> dict[int, WardConfig]:
        with self._lock:
            age = self._clock() - self._loaded_at
            if age >= self._ttl or (missed and age >= self._miss_interval):
                self._load(session)
            return self._by_id

    def reload(self) -> None:
        with self._lock:
            self._load(None)

    def all(self, session: Session | None = None) -> list[WardConfig]:
        return list(self._fresh(session=session).values())

    def several(self) -> bool:
        return len(self._fresh()) > 1

    def get(self, ward_id: int, session: Session | None = None) -> WardConfig | None:
        found = self._fresh(session=session).get(ward_id)
        return found if found is not None else self._fresh(missed=True, session=session).get(ward_id)

    def by_code(self, code: str) -> WardConfig | None:
        return self._find(lambda c: c.code == code)

    def by_sheet(self, sheet_id: str) -> WardConfig | None:
        """The ward whose officers' spreadsheet this is (the Apps Script ping names it)."""
        return self._find(lambda c: bool(sheet_id) and c.sheet_id == sheet_id)

    def for_event(self, oa_id: str, app_id: str) -> WardConfig | None:
        """The ward an event is for: its OA; else the one ward on its app. A deployment with
        one ward takes every event as today (the signature still decides)."""
        wards = self._fresh()
        if len(wards) == 1:
            return next(iter(wards.values()))
        return (self._find(lambda c: bool(oa_id) and c.zalo_oa_id == oa_id)
                or self._only(lambda c: bool(app_id) and c.zalo_app_id == app_id))

    def _find(self, match) -> WardConfig | None:
        for missed in (False, True):
            for config in self._fresh(missed=missed).values():
                if match(config):
                    return config
        return None

    def _only(self, match) -> WardConfig | None:
        found = [c for c in self._fresh(missed=True).values() if match(c)]
        return found[0] if len(found) == 1 else None
