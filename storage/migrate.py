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


def revision(url: str, message: str, rev_id: str) -> None:
    """Developer helper: autogenerate a migration against a database at head."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)
