"""Fixtures shared by the whole suite.

The database is real: SQLite by default, PostgreSQL when TEST_DATABASE_URL points at one
(each test session gets its own throw-away PostgreSQL database, so parallel runs don't
collide). Tables are emptied between tests. No test may reach the internet.
"""
from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import text

# Before bot.settings is imported; inherited by every subprocess a test starts (tempfile: the
# session's pytest tmp folder does not exist yet at import time).
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

os.environ["HTS_INSTANCE_DIR"] = tempfile.mkdtemp(prefix="hts-instance-")
atexit.register(shutil.rmtree, os.environ["HTS_INSTANCE_DIR"], True)

from bot.settings import Settings  # noqa: E402
from storage import db
from storage.models import Base
from storage.wards import ensure_default as ensure_default_ward
from tests.support import APP_ID, APP_SECRET, OA_ID, OA_SECRET, Harness

# The network guard. A connection or name lookup beyond this machine raises pytest's own
# failure, which `except Exception` (the sender's, a retry loop's) cannot swallow; and since a
# bare `except:` or a background thread still could, every attempt is also recorded and the
# test fails at teardown whatever the code did with the exception.
_LOCAL = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "")
_attempts: list[str] = []
_real_connect, _real_connect_ex = socket.socket.connect, socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host) -> bool:
    return host is None or host in _LOCAL or str(host).startswith("127.")


def _blocked(what: str):
    _attempts.append(what)
    pytest.fail(f"tests must not reach the network (tried {what})", pytrace=False)


def _guarded_connect(self, address):
    if isinstance(address, tuple) and not _is_local(address[0]):
        _blocked(f"to connect to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if isinstance(address, tuple) and not _is_local(address[0]):
        _blocked(f"to connect to {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    # socket.create_connection and every HTTP client resolve first: stop them before DNS.
    if not _is_local(host.decode() if isinstance(host, bytes) else host):
        _blocked(f"to resolve {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def _no_network():
    _attempts.clear()
    yield
    if _attempts:
        tried = "; ".join(_attempts)
        _attempts.clear()
        pytest.fail(f"tests must not reach the network (tried {tried})", pytrace=False)


def _postgres_database(base_url: str):
    import psycopg

    name = f"hts_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = admin.rpartition("/")
    return f"{head}/{name}", (admin, name)


def _drop_postgres(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgres"):
        url, cleanup = _postgres_database(base)
        yield url
        db.get_engine().dispose()
        _drop_postgres(*cleanup)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    engine = db.configure(database_url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        ensure_default_ward(conn)
    # Recorded as migrated, so CLI commands run against it (which upgrade an embedded SQLite
    # database on first use) see it as up to date instead of re-creating its tables.
    from storage.migrate import stamp

    stamp(database_url)
    return engine


@pytest.fixture()
def clean_db(_schema, database_url):
    """An empty database for each test (same schema, all rows deleted)."""
    engine = db.configure(database_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        ensure_default_ward(conn)
    yield engine


@pytest.fixture()
def fake_zalo():
    from bot.sandbox.fake_zalo.server import FakeZaloServer
    from bot.sandbox.fake_zalo.state import FakeZaloState

    state = FakeZaloState(app_id=APP_ID, app_secret=APP_SECRET,
                          access_token="test-access-token", refresh_token="test-refresh-token")
    with FakeZaloServer(state) as server:
        yield server


@pytest.fixture()
def fake_sheets():
    """The fake Google Sheets v4 API with one spreadsheet, "sheet-1", served over HTTP."""
    from bot.sandbox.fake_sheets.server import FakeSheetsServer
    from bot.sandbox.fake_sheets.state import FakeSheetsState

    with FakeSheetsServer(FakeSheetsState("sheet-1")) as server:
        yield server


@pytest.fixture()
def no_backoff(monkeypatch):
    """The Sheets client retries at once instead of sleeping between tries, and a 429 does not
    pause the deployment's request budget (sheets_sync/quota.py, tested on its own)."""
    monkeypatch.setattr("sheets_sync.client.BoundedHTTPClient.sleep", staticmethod(lambda s: None))
    monkeypatch.setattr("sheets_sync.quota.RequestBudget.back_off", lambda self, retry_after=None: 0.0)


@pytest.fixture()
def settings(clean_db, database_url, fake_zalo) -> Settings:
    return Settings(
        database_url=database_url,
        zalo_app_id=APP_ID,
        zalo_app_secret=APP_SECRET,
        zalo_oa_secret_key=OA_SECRET,
        zalo_oa_id=OA_ID,
        zalo_access_token="test-access-token",
        zalo_refresh_token="test-refresh-token",
        zalo_api_base=fake_zalo.base_url,
        zalo_oauth_base=fake_zalo.base_url,
        officer_zalo_ids=("900000000000000001",),
    )


@pytest.fixture()
def sheet_settings(settings, fake_sheets):
    """`settings` pointed at the fake Sheets API's "sheet-1"."""
    return settings.with_overrides(sheet_id="sheet-1", google_sheets_api_base=fake_sheets.base_url)


@pytest.fixture()
def app(settings):
    from bot.app import create_app

    app = create_app(settings)
    yield app
    app.extensions["hts_inbox"].close()  # stop its spool drainer; drains what is left


@pytest.fixture()
def client(app):
    return app.test_client()


_PRISTINE_NLU: dict[str, tuple] = {}


def pristine_nlu(settings):
    """The worker's NLU as a fresh Runtime would build it, built once per FAQ file: building it
    takes about two seconds, and hundreds of dialog tests each need one. Rebuilt whenever a test
    taught it something (officers' corrections), so no test sees another's learning."""
    from bot.runtime.nlu import NluService

    key = settings.faq_file or ""
    nlu, pristine_count = _PRISTINE_NLU.get(key, (None, None))
    if nlu is None or nlu.classifier.example_count != pristine_count:
        nlu = NluService(settings)
        _PRISTINE_NLU[key] = (nlu, nlu.classifier.example_count)
    # Each test starts on an empty database, whose learned-example ids start again at 1.
    nlu.classifier._last_id = 0
    nlu.classifier._checked_at = 0.0
    return nlu


@pytest.fixture()
def runtime(settings, app):
    """Worker pieces driven synchronously by the test (no threads, no scheduler)."""
    from bot.runtime.process import Runtime

    rt = Runtime(settings, scheduler=False, nlu=pristine_nlu(settings))
    yield rt
    rt.sender.close()


@pytest.fixture()
def live_webhook(app, fake_zalo):
    """The app served over real HTTP, with the fake Zalo posting its signed events (oa_send_*
    echoes) to its /webhooks/zalo, as Zalo does. Yields the server's base URL."""
    from bot.bench.live import LiveServer

    with LiveServer(app) as server:
        fake_zalo.state.configure_webhook(server.url + "/webhooks/zalo", OA_SECRET, OA_ID)
        yield server.url
        fake_zalo.state.configure_webhook(None, "")


@pytest.fixture()
def bot(client, runtime, fake_zalo) -> Harness:
    return Harness(client, runtime, fake_zalo)


@pytest.fixture()
def session(clean_db):
    with db.session_scope() as s:
        yield s


def count(table: str) -> int:
    with db.session_scope() as s:
        return s.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
