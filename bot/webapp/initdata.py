"""Telegram's signed initData: who opened the Mini App, checked as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the secret
key is HMAC-SHA256 of the bot token keyed with "WebAppData"; the hash is HMAC-SHA256 of the
other fields, sorted and joined with newlines, under that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

# Telegram signs initData when the Mini App opens; a day later it no longer counts.
MAX_AGE_SECONDS = 24 * 3600
# A signature dated this far ahead of our clock is still taken (clocks drift a little).
CLOCK_SKEW_SECONDS = 300
MAX_INIT_DATA_CHARS = 4096


class InitDataError(ValueError):
    """initData that is missing, malformed, forged or too old."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """The Telegram user initData was signed for."""

    id: int
    first_name: str
    language_code: str | None


def _secret(token: str) -> bytes:
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()


def verify(init_data: str, token: str, now: float) -> WebAppUser:
    """The signed user of `init_data`; InitDataError unless Telegram signed it within a day."""
    if not init_data or len(init_data) > MAX_INIT_DATA_CHARS:
        raise InitDataError("missing or oversized")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    given = fields.pop("hash", "")
    if len(fields) + 1 != len(pairs):
        raise InitDataError("a field given twice")
    expected = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InitDataError("bad signature")
    try:
        signed_at = int(fields.get("auth_date", ""))
    except ValueError:
        raise InitDataError("no auth_date") from None
    if not -CLOCK_SKEW_SECONDS <= now - signed_at <= MAX_AGE_SECONDS:
        raise InitDataError("expired")
    return _user(fields.get("user", ""))


def _user(raw: str) -> WebAppUser:
    try:
        user = json.loads(raw)
        user_id = user["id"]
    except (ValueError, TypeError, KeyError):
        raise InitDataError("no user") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("no user")
    language = user.get("language_code")
    return WebAppUser(
        user_id, str(user.get("first_name", "")), language if isinstance(language, str) else None
    )


def sign(fields: dict[str, str], token: str) -> str:
    """initData for `fields`, signed with `token` as Telegram signs it (the stand-in's, tests')."""
    digest = hmac.new(_secret(token), _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
