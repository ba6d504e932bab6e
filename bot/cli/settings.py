"""The one settings loader of the command line: every command gets its settings here, and every
command that reads or writes the database gets them with storage.db configured on an up-to-date
schema. What goes wrong is a SettingsError with one sentence for the officer: main() prints it
and exits with code 2."""
from __future__ import annotations

from bot.settings import Settings, SettingsError, load_settings


def load(*, database: bool = True) -> Settings:
    """Settings from the environment and .env; with `database`, storage.db is configured too.
    See storage.migrate.ensure_schema for the schema policy (the embedded SQLite upgrades
    itself; PostgreSQL waits for `./dev migrate`)."""
    settings = load_settings()
    if database:
        configure_database(settings)
    return settings


def configure_database(settings: Settings) -> None:
    from storage import db
    from storage.migrate import DatabaseUnreachable, SchemaBehind, ensure_schema

    try:
        ensure_schema(settings.database_url, auto=settings.is_sqlite)
    except DatabaseUnreachable as exc:
        raise SettingsError(f"Không kết nối được cơ sở dữ liệu {safe_url(settings.database_url)}: "
                            f"{exc}. Kiểm tra DATABASE_URL và máy chủ CSDL.") from None
    except SchemaBehind:
        raise SettingsError("Cơ sở dữ liệu chưa có cấu trúc mới nhất. Chạy `./dev migrate` một lần "
                            "rồi chạy lại lệnh này.") from None
    db.configure(settings.database_url)


def safe_url(url: str) -> str:
    if "@" in url:  # hide a password in postgresql://user:pass@host/db
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
