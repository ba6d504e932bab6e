"""Database-backed token and flag stores for the Zalo client.

The refresh token is single use: every refresh returns a new pair and kills the old refresh
token. So the new pair is committed before anyone uses it, and only one process refreshes at
a time (a row lock on PostgreSQL; BEGIN IMMEDIATE on SQLite).

At rest both tokens are encrypted (storage/token_cipher.py) with the key the caller passes in;
a row stored in plain text by an older version is encrypted by seal() at start-up.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import session_scope
from storage.models import DEFAULT_WARD_ID, Flag, OAToken, utcnow
from storage.token_cipher import TokenCipher

log = logging.getLogger(__name__)


@dataclass
class Tokens:
    """An OA's access/refresh pair: what this store keeps and the Zalo client sends with."""
    access_token: str
    refresh_token: str
    expires_at: datetime | None = None


def _aware(value: datetime | None) -> datetime | None:
    """The database keeps naive UTC; the Zalo client compares with an aware clock."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def _naive_utc(value: datetime | None) -> datetime | None:
    """Stored as naive UTC like every time in the database (PostgreSQL would otherwise shift
    an aware value by its session's time zone)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value is not None and value.tzinfo else value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DbTokenStore:
    """One ward's pair (the row of oa_tokens with its ward_id): wards rotate on their own."""

    def __init__(self, env_access_token: str, env_refresh_token: str,
                 env_expires_at: datetime | None = None, *, cipher: TokenCipher | None = None,
                 ward_id: int = DEFAULT_WARD_ID):
        self._env = Tokens(env_access_token, env_refresh_token, env_expires_at)
        self.ward_id = ward_id
        self._cipher = cipher
        # Read once, then kept in memory: every send needs the token, and a database read per
        # send (a write-locked transaction on SQLite) cost more than the send. Another process
        # refreshing is noticed through the -216 it causes: refresh() re-reads under the lock.
        self._cached: Tokens | None = None

    def _enc(self, value: str) -> str:
        return self._cipher.encrypt(value) if self._cipher and value else value

    def _dec(self, value: str) -> str:
        return self._cipher.decrypt(value) if self._cipher and value else value

    def _tokens(self, row: OAToken) -> Tokens:
        return Tokens(self._dec(row.access_token), self._dec(row.refresh_token), _aware(row.expires_at))

    def _store(self, row: OAToken, access: str, refresh: str) -> None:
        row.access_token = self._enc(access)
        row.refresh_token = self._enc(refresh)

    def seal(self) -> bool:
        """Encrypt a stored pair that is in plain text or under an older key with the current
        key (start-up; `token-key rotate`). Returns True when the row was rewritten. Raises
        TokenKeyError when no configured key opens it."""
        if self._cipher is None:
            return False
        with session_scope(self.ward_id) as session:
            row = session.execute(
                select(OAToken).where(OAToken.ward_id == self.ward_id).with_for_update()
            ).scalar_one_or_none()
            if row is None or not (self._cipher.needs_sealing(row.access_token)
                                   or self._cipher.needs_sealing(row.refresh_token)):
                return False
            self._store(row, self._dec(row.access_token), self._dec(row.refresh_token))
        self._cached = None
        log.info("zalo tokens: stored pair encrypted with the current key")
        return True

    def _env_digest(self) -> str | None:
        return _digest(self._env.refresh_token) if self._env.refresh_token else None

    def _locked_row(self, session) -> OAToken:
        """This ward's row, locked until the transaction ends; seeded from the environment's
        pair when there is none yet."""
        row = session.execute(
            select(OAToken).where(OAToken.ward_id == self.ward_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            # Several threads or processes may start at once: insert-if-absent, then lock it.
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            session.execute(insert(OAToken).values(
                ward_id=self.ward_id, access_token=self._enc(self._env.access_token),
                refresh_token=self._enc(self._env.refresh_token),
                expires_at=_naive_utc(self._env.expires_at), seeded_from=self._env_digest(), rotations=0,
                updated_at=utcnow()).on_conflict_do_nothing(index_elements=["ward_id"]))
            row = session.execute(
                select(OAToken).where(OAToken.ward_id == self.ward_id).with_for_update()
            ).scalar_one()
        return row

    def _load_or_seed(self, session) -> OAToken:
        row = self._locked_row(session)
        env_digest = self._env_digest()
        if env_digest and row.seeded_from != env_digest:
            # An administrator re-authorised the OA and put a fresh pair in the environment.
            log.warning("token Zalo: có cặp token mới trong cấu hình (.env), thay cặp đang lưu")
            self._store(row, self._env.access_token, self._env.refresh_token)
            row.expires_at = _naive_utc(self._env.expires_at)
            row.seeded_from = env_digest
            row.updated_at = utcnow()
        return row

    def replace(self, session, tokens: Tokens) -> None:
        """An administrator's new pair for this ward (`wards add/set/import`), in the caller's
        transaction. The row keeps the digest of the environment's pair, so that pair, unchanged
        in .env, does not take the new one back at the next start; a fresh pair put in .env
        later still wins, as after any re-authorisation."""
        row = self._locked_row(session)
        self._store(row, tokens.access_token, tokens.refresh_token)
        row.expires_at = tokens.expires_at
        row.seeded_from = self._env_digest()
        row.updated_at = utcnow()
        self._cached = None

    def current(self) -> Tokens:
        if self._cached is None:
            with session_scope(self.ward_id) as session:
                row = self._load_or_seed(session)
                self._cached = self._tokens(row)
        return self._cached

    def reload(self) -> Tokens:
        self._cached = None
        return self.current()

    def refresh(self, stale_access_token: str, do_refresh: Callable[[str], Tokens]) -> Tokens:
        with session_scope(self.ward_id) as session:
            row = self._load_or_seed(session)  # locked until commit
            stored = self._tokens(row)
            if stored.access_token != stale_access_token:
                self._cached = stored
                return self._cached
            fresh = do_refresh(stored.refresh_token)
            self._store(row, fresh.access_token, fresh.refresh_token)
            row.expires_at = _naive_utc(fresh.expires_at)
            row.rotations += 1
            row.updated_at = utcnow()
        self._cached = fresh
        log.info("token Zalo: đã làm mới và lưu (lần %s)", row.rotations)
        return fresh

    def expires_at(self) -> datetime | None:
        return self.reload().expires_at


class DbFlagStore:
    """One ward's flags. They change rarely (once per OA, at most): cached per process after
    the first read."""

    def __init__(self, ward_id: int = DEFAULT_WARD_ID) -> None:
        self.ward_id = ward_id
        self._cache: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        if name not in self._cache:
            with session_scope(self.ward_id) as session:
                row = session.get(Flag, (self.ward_id, name))
                self._cache[name] = row.value if row else None
        return self._cache[name]

    def set(self, name: str, value: str) -> None:
        self._cache[name] = value
        with session_scope(self.ward_id) as session:
            row = session.get(Flag, (self.ward_id, name))
            if row is None:
                session.add(Flag(name=name, value=value, updated_at=utcnow()))
            else:
                row.value = value
