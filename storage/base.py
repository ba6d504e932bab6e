"""The declarative base, and what every other model shares: wards and the ward scope.

Times are naive UTC everywhere; display code converts to Asia/Ho_Chi_Minh.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# BigInteger ids on PostgreSQL; SQLite only autoincrements a plain INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


# The ward every deployment has: one configured only by the environment is this ward alone.
DEFAULT_WARD_ID = 1
DEFAULT_WARD_CODE = "default"


class Ward(Base):
    """A ward (phường/xã) served by this deployment: its own Zalo OA, sheet and officers.

    Secrets are stored encrypted (storage/token_cipher.py), never in plain text. The `default`
    ward's empty fields mean "from the environment" (.env), so a single-ward deployment keeps
    its configuration where it always was."""

    __tablename__ = "wards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    zalo_app_id: Mapped[str | None] = mapped_column(String(64), index=True)
    zalo_app_secret: Mapped[str | None] = mapped_column(Text)
    zalo_oa_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    zalo_oa_secret_key: Mapped[str | None] = mapped_column(Text)
    sheet_id: Mapped[str | None] = mapped_column(String(200))
    officer_zalo_ids: Mapped[str | None] = mapped_column(Text)  # comma-separated
    ward_profile_file: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WardScoped:
    """A record that belongs to one ward. Sessions are scoped to a ward (storage/scoping.py):
    queries see only that ward's rows and new rows get its id, so a lookup, a rating or a
    reopening can never reach another ward. The server default is the `default` ward: rows
    of a database from before wards existed belong to it."""

    @declared_attr
    def ward_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("wards.id"), nullable=False,
                             server_default=str(DEFAULT_WARD_ID))
