"""Secrets and personal data at rest: which key encrypts the Zalo tokens, and owner-only
permissions on every file the service keeps (issue 12, point 4)."""
from __future__ import annotations

import logging
from pathlib import Path

from bot.settings import INSTANCE_DIR, Settings, SettingsError
from storage import files
from storage.token_cipher import TokenCipher, new_key, parse_keys

log = logging.getLogger(__name__)


def token_keys(settings: Settings) -> str:
    """TOKEN_ENCRYPTION_KEY; without it (development, sandbox) a local key kept owner-only in
    token_key_path, generated on first use. Production never gets here without the key:
    load_settings() names it among the missing settings."""
    if settings.token_encryption_key:
        return settings.token_encryption_key
    if settings.is_production:
        raise SettingsError("Thiếu cấu hình bắt buộc khi chạy production (APP_ENV=production): "
                            "TOKEN_ENCRYPTION_KEY. Tạo khóa bằng: python -m bot token-key new")
    path = settings.token_key_path
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if not parse_keys(key):
        key = new_key()
        files.write_private(path, key + "\n")
        log.info("khóa token: đã tạo khóa cục bộ cho môi trường thử (%s)", path.name)
    files.tighten(path)
    return key


def token_cipher(settings: Settings) -> TokenCipher:
    return TokenCipher(token_keys(settings))


def secure_files(settings: Settings) -> None:
    """At start-up: tighten what an older version (or a wide umask) left readable by others."""
    db_file = files.sqlite_path(settings.database_url)
    if db_file is not None:
        files.tighten_sqlite(db_file)
    if INSTANCE_DIR.exists():
        files.private_dir(INSTANCE_DIR)
        for path in INSTANCE_DIR.iterdir():
            if path.is_file():
                files.tighten(path)
    spool = settings.spool_directory
    if spool is not None and spool.exists():
        files.private_dir(spool)
        for path in spool.iterdir():
            files.tighten(path)
    files.tighten(Path(settings.sandbox_file))
    files.tighten(settings.token_key_path)

