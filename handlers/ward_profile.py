"""The ward profile: facts only the ward knows (office hours, addresses, phone numbers) that
FAQ answers name as {slots} (intents/slots.py).

WARD_PROFILE_FILE is a plain `tên_mục=giá trị` file, the same syntax as .env (read with
python-dotenv, already a dependency): an IT officer edits it in any text editor, and a wrong
line cannot break anything but its own value. bot/ward_profile.py checks it against the FAQ.
"""
from __future__ import annotations

import logging
import os

from dotenv import dotenv_values

log = logging.getLogger(__name__)

_cache: dict[str, tuple[float, dict[str, str]]] = {}


def load(path: str | os.PathLike | None) -> dict[str, str]:
    """The profile at `path` ({} when unset). Re-read when the file changes, so an officer's
    edit applies to the next question without a restart."""
    if not path:
        return {}
    key = str(path)
    try:
        mtime = os.stat(key).st_mtime
    except OSError:
        log.warning("Không đọc được tệp hồ sơ phường WARD_PROFILE_FILE=%s", key)
        return {}
    cached = _cache.get(key)
    if cached and cached[0] == mtime:
        return cached[1]
    values = {k.strip().lower(): (v or "").strip() for k, v in dotenv_values(key, encoding="utf-8").items()}
    _cache[key] = (mtime, values)
    return values
