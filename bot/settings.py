"""Typed settings read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://api.telegram.org"


class SettingsError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment, validated."""

    token: str | None
    api_url: str = DEFAULT_API_URL
    db_path: Path = Path("warta.db")
    feeds_file: Path | None = None
    poll_seconds: float = 300.0
    admins: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    retention_days: int = 30
    fetch_concurrency: int = 16
    fetch_timeout: float = 20.0
    max_feed_bytes: int = 5 * 1024 * 1024

    def require_token(self) -> str:
        """Return the bot token or explain how to get one."""
        if not self.token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                "and put its token in TELEGRAM_BOT_TOKEN (or in a .env file)."
            )
        return self.token


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple KEY=VALUE `.env` file; missing file means no values."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build settings from the environment, with `.env` values as fallbacks."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)
    feeds = env.get("WARTA_FEEDS", "").strip()
    return Settings(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_url=_api_url(env.get("TELEGRAM_API_URL", DEFAULT_API_URL)),
        db_path=Path(env.get("WARTA_DB", "").strip() or "warta.db"),
        feeds_file=Path(feeds) if feeds else None,
        poll_seconds=_number(env, "WARTA_POLL_SECONDS", 300.0, minimum=1.0),
        admins=_admins(env.get("WARTA_ADMINS", "")),
        log_level=_log_level(env.get("WARTA_LOG_LEVEL", "INFO")),
        retention_days=int(_number(env, "WARTA_RETENTION_DAYS", 30, minimum=1)),
    )


def _api_url(value: str) -> str:
    url = value.strip().rstrip("/") or DEFAULT_API_URL
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"TELEGRAM_API_URL must start with http:// or https://, got {url!r}")
    return url


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _admins(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise SettingsError(
                f"WARTA_ADMINS must be comma-separated Telegram user ids, got {part!r}"
            ) from None
    return frozenset(ids)


def _log_level(raw: str) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"WARTA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level
