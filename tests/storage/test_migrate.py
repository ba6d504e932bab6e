"""storage/migrate.py: the migrations build exactly the models' schema, and running them again
changes nothing."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base


@pytest.fixture()
def empty_database(tmp_path, database_url):
    if database_url.startswith("postgresql"):
        from tests.conftest import _drop_postgres, _postgres_database

        url, cleanup = _postgres_database(database_url)
        yield url
        _drop_postgres(*cleanup)
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


def test_migrations_build_exactly_the_models_schema(empty_database):
    upgrade(empty_database)
    upgrade(empty_database)  # idempotent
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"inbound_events", "outbound_messages", "tickets", "oa_tokens"} <= tables
