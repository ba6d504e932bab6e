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


def test_a_migrated_database_takes_a_second_ward(empty_database):
    """Ward `default` was inserted with its id given: PostgreSQL's sequence must not hand
    out id 1 again to the next ward."""
    from sqlalchemy.orm import Session

    from storage.wards import add

    upgrade(empty_database)
    engine = make_engine(empty_database)
    with Session(engine) as session:
        assert add(session, "an-hai", {"name": "Phường An Hải"}, cipher=None).id == 2
        session.commit()
    engine.dispose()
