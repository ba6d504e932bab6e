"""Webhook signatures, checked over the exact raw bytes received."""
from __future__ import annotations

import hashlib
import hmac


def zalo_mac(app_id: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """Zalo's formula: plain SHA-256 (not HMAC) of app_id + raw body + timestamp + secret."""
    return hashlib.sha256(
        app_id.encode() + raw_body + timestamp.encode() + secret.encode()
    ).hexdigest()


def zalo_header(app_id: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    return "mac=" + zalo_mac(app_id, raw_body, timestamp, secret)


def verify_zalo(header: str | None, app_id: str, raw_body: bytes, timestamp: str, secret: str) -> bool:
    if not header or not secret:
        return False
    given = header.strip()
    if given.lower().startswith("mac="):
        given = given[4:]
    expected = zalo_mac(app_id, raw_body, timestamp, secret)
    return hmac.compare_digest(given.strip().lower().encode(), expected.encode())


def hmac_sha256(secret: str, *parts: bytes) -> str:
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.hexdigest()


def verify_hmac(given: str | None, secret: str, *parts: bytes) -> bool:
    if not given or not secret:
        return False
    given = given.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    return hmac.compare_digest(given.lower().encode(), hmac_sha256(secret, *parts).encode())


MAX_SKEW_SECONDS = 300


def check_timestamped_hmac(secret: str, stamp: str, signature: str | None, raw: bytes,
                           now: float, max_skew: int = MAX_SKEW_SECONDS) -> str | None:
    """Our own hooks (Google Form, Sheet): HMAC-SHA256(secret, timestamp + "." + body), with
    the timestamp within `max_skew` seconds. Returns what is wrong, or None when it is good."""
    try:
        skew = abs(now - int(stamp))
    except ValueError:
        return "missing or bad timestamp"
    if skew > max_skew:
        return "stale timestamp"
    if not verify_hmac(signature, secret, stamp.encode(), b".", raw):
        return "invalid signature"
    return None
