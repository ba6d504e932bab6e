"""Apply Alembic migrations programmatically (`python -m bot migrate`), no alembic.ini needed."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def stamp(url: str, revision: str = "heads") -> None:
    """Record `revision` as applied without running it (a schema built by create_all, in tests)."""
    command.stamp(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str) -> None:
    """Developer helper: autogenerate a migration against a database at head."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


class SchemaBehind(RuntimeError):
    """The database's schema is older than the code's (or absent) and was not upgraded."""


class DatabaseUnreachable(RuntimeError):
    """Could not connect to read the schema version; str() is the driver's first line."""


def is_current(url: str) -> bool:
    """True when the database is at every head revision of storage/migrations."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import make_engine

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current == heads


def ensure_schema(url: str, *, auto: bool) -> None:
    """Bring the schema up to date before a command uses it.

    `auto` (the embedded SQLite file): upgrade on first use, so every command works on a fresh
    checkout. Otherwise (PostgreSQL) raise SchemaBehind: there a migration is a release step
    (Procfile `release`, `./dev migrate`) run once, deliberately, by whoever deploys — not a side
    effect of an officer listing tickets, possibly from an older or newer copy of the code."""
    from sqlalchemy.exc import OperationalError

    try:
        current = is_current(url)
    except OperationalError as exc:
        raise DatabaseUnreachable(str(exc.orig).strip().splitlines()[0]) from exc
    if current:
        return
    if not auto:
        raise SchemaBehind(url)
    upgrade(url)
