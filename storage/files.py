"""Owner-only files and folders for everything that holds secrets or personal data.

The SQLite database (+ its -wal, -shm and .lock files) holds phones, names and the Zalo tokens;
spool files hold raw webhook bodies; sandbox.json holds the OA secret key; the token key file
holds the key itself. All of them are created 0600 inside 0700 folders, whatever the umask,
and files left 0644 by an older version are tightened when the service starts.
"""
from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", ".lock")


def private_dir(path: str | Path) -> Path:
    """Create `path` (and missing parents) and make the folder itself owner-only.

    Only the last folder is tightened: a parent such as /var/lib may be shared on purpose."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def tighten(path: str | Path, mode: int = FILE_MODE) -> bool:
    """chmod an existing file to owner-only. Returns False when there is no such file."""
    return _chmod(Path(path), mode)


def _chmod(path: Path, mode: int) -> bool:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
        return True
    except FileNotFoundError:
        return False


def open_private(path: str | Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """os.open with owner-only permissions from the first instant (no window at 0644)."""
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # the file may have existed with wider permissions
    return fd


def write_private(path: str | Path, text: str) -> None:
    """Replace `path` with `text`, owner-only, atomically (a reader never sees half a file)."""
    path = Path(path)
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_private(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None (PostgreSQL, in-memory)."""
    if not url.startswith("sqlite"):
        return None
    raw = url.split("///", 1)[-1] if "///" in url else ""
    if not raw or raw == ":memory:" or raw.startswith("file:"):
        return None
    return Path(raw)


def prepare_sqlite(url: str) -> None:
    """Before SQLite opens the database: a missing folder made 0700, the file created 0600 (SQLite then
    creates -wal and -shm with the database file's permissions), and existing files tightened."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        private_dir(path.parent)  # an existing folder (a home, /var/lib) is the owner's choice
    if not path.exists():
        os.close(open_private(path, os.O_WRONLY | os.O_CREAT))
    tighten_sqlite(path)


def tighten_sqlite(path: str | Path) -> None:
    for suffix in SQLITE_COMPANIONS:
        tighten(f"{path}{suffix}")
