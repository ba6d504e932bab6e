"""The wards this process serves, as the composition root hands them to the webhook and the
runtime: storage.wards.WardDirectory, with the `default` ward filled from the environment and
secrets opened with the token key."""
from __future__ import annotations

from bot.at_rest import token_cipher
from bot.settings import Settings
from storage import db
from storage.wards import WardDirectory


def ward_directory(settings: Settings) -> WardDirectory:
    return WardDirectory(db.new_session, lambda: token_cipher(settings), overlay=settings.default_ward)


class WardSettings:
    """Settings as each ward's handlers see them (Settings.for_ward), built once per version
    of the ward's row."""

    def __init__(self, settings: Settings, directory: WardDirectory | None = None):
        self.base = settings
        self.directory = directory or ward_directory(settings)
        self._built: dict[int, tuple[object, Settings]] = {}

    def __call__(self, ward_id: int, session=None) -> Settings:
        """`session`: the caller's open transaction, if any (WardDirectory says why)."""
        config = self.directory.get(ward_id, session)
        if config is None:
            raise LookupError(f"no ward with id {ward_id}")
        cached = self._built.get(ward_id)
        if cached is None or cached[0] != config:
            cached = self._built[ward_id] = (config, self.base.for_ward(config))
        return cached[1]
