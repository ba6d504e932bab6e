"""Encryption of the Zalo tokens at rest (cryptography's Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from the caller (bot passes TOKEN_ENCRYPTION_KEY in; storage never reads the
environment). Several keys, newest first, make a MultiFernet: anything encrypted with any of
them is read, and everything written uses the first, so a rotation is "new,old" for a while.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every Fernet token starts with its version byte 0x80 then a timestamp, which base64 makes
# "gAAAAA": a stored value that starts otherwise is a plain token from before encryption.
FERNET_PREFIX = "gAAAAA"


class TokenKeyError(RuntimeError):
    """A key that is malformed, or that does not open the stored tokens (message in Vietnamese,
    for the IT officer; it never contains the key or a token)."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


class TokenCipher:
    def __init__(self, keys: str | list[str]):
        items = parse_keys(keys) if isinstance(keys, str) else list(keys)
        if not items:
            raise TokenKeyError("Chưa có khóa mã hóa token (TOKEN_ENCRYPTION_KEY).")
        fernets = []
        for i, key in enumerate(items, 1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise TokenKeyError(
                    f"TOKEN_ENCRYPTION_KEY không hợp lệ (khóa thứ {i}): phải là khóa Fernet 44 ký tự, "
                    "tạo bằng lệnh: python -m bot token-key new") from None
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)

    @staticmethod
    def is_encrypted(value: str | None) -> bool:
        return bool(value) and value.startswith(FERNET_PREFIX)

    def encrypt(self, value: str) -> str:
        return self._primary.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        """The plain token. A value stored before encryption comes back as it is."""
        if not self.is_encrypted(value):
            return value
        try:
            return self._all.decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenKeyError(
                "Không giải mã được token Zalo đã lưu: TOKEN_ENCRYPTION_KEY không đúng với khóa đã "
                "dùng để mã hóa. Đặt lại khóa cũ, hoặc khi đổi khóa thì đặt \"khóa_mới,khóa_cũ\" "
                "rồi chạy: python -m bot token-key rotate") from None

    def needs_sealing(self, value: str | None) -> bool:
        """True when `value` is plain text or encrypted with an older key."""
        if not value:
            return False
        if not self.is_encrypted(value):
            return True
        try:
            self._primary.decrypt(value.encode("ascii"))
            return False
        except InvalidToken:
            return True

    def seal(self, value: str) -> str:
        """`value` (plain, or under any known key) encrypted with the newest key."""
        return self.encrypt(self.decrypt(value))
