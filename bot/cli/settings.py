"""The one settings loader of the command line: every command gets its settings here, and every
command that reads or writes the database gets them with storage.db configured on an up-to-date
schema. What goes wrong is a SettingsError with one sentence for the officer: main() prints it
and exits with code 2."""
from __future__ import annotations

from bot.settings import Settings, SettingsError, load_settings
from storage.wards import WardConfig


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


# --- wards: which ward a command works for ------------------------------------------------

def add_ward_option(parser, help: str = "phường mà lệnh làm việc (xem `./dev wards list`); bắt "
                                        "buộc khi dịch vụ phục vụ nhiều phường") -> None:
    parser.add_argument("--ward", metavar="MÃ_PHƯỜNG", default=None, help=help)


def load_ward(args) -> tuple[WardConfig, Settings]:
    """The ward `--ward` names, and the settings as that ward's handlers see them; storage.db
    configured. Without --ward: the only ward, if there is one. A SettingsError (exit code 2)
    names the wards when --ward is missing or unknown."""
    from bot.wards import ward_directory

    settings = load()
    directory = ward_directory(settings)
    wards = directory.all()
    code = getattr(args, "ward", None)
    if code is None and len(wards) == 1:
        ward = wards[0]
    else:
        ward = directory.by_code(code) if code else None
        if ward is None:
            codes = ", ".join(w.code for w in wards)
            raise SettingsError(
                (f"Không có phường «{code}». " if code else
                 f"Dịch vụ đang phục vụ {len(wards)} phường: cần chọn một bằng --ward MÃ_PHƯỜNG. ")
                + f"Các phường: {codes}.")
    return ward, settings.for_ward(ward)


def with_running_sandbox(settings: Settings) -> Settings:
    """The running sandbox's settings (its fakes, its sample names, its city sheet) when nothing
    real is configured; else `settings` as they are."""
    if settings.zalo_configured or settings.sheet_id:
        return settings
    from bot.sandbox import setup as sandbox

    return sandbox.attach(settings) or settings


def default_ward_only(ward: WardConfig, what: str) -> None:
    """Refuse `what` for a ward other than `default`: it runs code of bot/runtime or
    sheets_sync that opens its own sessions, in the default ward, so another ward's sheet or
    officers would get the default ward's tickets."""
    if not ward.is_default:
        raise SettingsError(f"{what} cho phường {ward.code} chưa làm được từ dòng lệnh trong bản này "
                            "(mới làm được cho phường default).")
