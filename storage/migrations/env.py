"""Alembic environment: the URL comes from the caller (storage.migrate), never from a file."""
from alembic import context

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from storage.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename). With foreign keys enforced, dropping
        # a table that other rows point at (residents, tickets) fails on any database in use.
        # Off for the migration — set outside the transaction, where SQLite ignores it — and
        # every reference checked before the commit.
        _sqlite_pragma(connection, "foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
    if sqlite:
        _sqlite_pragma(connection, "foreign_keys=ON")


def _sqlite_pragma(connection, pragma: str) -> None:
    connection.connection.dbapi_connection.execute(f"PRAGMA {pragma}")


run_migrations_online()
