"""Typed configuration read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from bot.net.addresses import PUBLIC_ONLY, AddressPolicy

DEFAULT_API_URL = "https://api.telegram.org"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOG_FORMATS = ("text", "json")
# WARTA_DB in one of these schemes names a PostgreSQL server (the storage's engine for it).
POSTGRES_SCHEMES = ("postgresql", "postgres")
# Telegram's most for a bot paying for messages beyond the free 30 a second (allow_paid_broadcast).
MAX_SEND_RATE = 1000


class Role(StrEnum):
    """A share of the bot's work that a process may run (`warta run --role`)."""

    UPDATES = "updates"  # receive Telegram updates and answer commands
    POLLER = "poller"  # fetch, parse, clean, store, match, queue
    SENDER = "sender"  # the outbox to Telegram
    SCHEDULER = "scheduler"  # digests, retention and other periodic duties


ALL_ROLES = frozenset(Role)


class PaidRule(StrEnum):
    """How Telegram's free 30 messages a second are read (WARTA_PAID_RULE): it does not say
    whether messages sent with allow_paid_broadcast count toward them."""

    # A message without the flag is refused once 30 of any kind left within the last second:
    # above 30 a second nearly every alert is paid. Never draws a 429 under either reading.
    STRICT = "strict"
    # Only free messages count: 30 a second go free, only the rest are paid.
    LENIENT = "lenient"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Where Telegram delivers updates in webhook mode, and the secret it must present."""

    url: str
    secret: str
    port: int

    @property
    def path(self) -> str:
        """The path of the public address: the one the bot's webhook server answers on."""
        return urlsplit(self.url).path or "/"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the bot reads from its environment, validated."""

    token: str | None
    api_url: str = DEFAULT_API_URL
    # An SQLite file, or a PostgreSQL URL (its password is never shown).
    database: Path | str = field(default=Path("warta.db"), repr=False)
    feeds_file: Path | None = None
    poll_seconds: float = 300.0  # the shortest interval between two polls of one feed
    # The longest; None polls every feed every poll_seconds (a fixed schedule).
    poll_max_seconds: float | None = None
    admins: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    retention_days: int = 30
    fetch_concurrency: int = 16
    parse_workers: int | None = None  # processes parsing feeds; None: one per CPU, up to 4
    # Processes extracting article pages' text; None: one per two CPUs, at least 1, up to 2.
    article_workers: int | None = None
    fetch_timeout: float = 20.0
    max_feed_bytes: int = 5 * 1024 * 1024
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_port: int = 8443
    # The Mini App's public address (WARTA_WEBAPP_URL); None: WARTA_WEBHOOK_URL's origin.
    webapp_address: str | None = None
    metrics_port: int | None = None
    listen_address: str = "127.0.0.1"
    log_format: str = "text"
    fetch_addresses: AddressPolicy = PUBLIC_ONLY  # where feeds may be fetched from
    send_rate: int = 30  # bot-wide messages a second; beyond Telegram's free 30 they are paid
    paid_rule: PaidRule = PaidRule.STRICT  # what the free 30 a second count (WARTA_PAID_RULE)
    roles: frozenset[Role] = ALL_ROLES  # what this process runs (`warta run --role`)
    # WebSub on: `warta run --webhook`, or a process without the updates role in a deployment
    # whose updates processes serve it (WARTA_WEBHOOK_URL set).
    push: bool = False

    @property
    def longest_poll(self) -> float:
        """The longest interval between two polls of one feed (WARTA_POLL_MAX_SECONDS)."""
        if self.poll_max_seconds is None:
            return self.poll_seconds
        return max(self.poll_max_seconds, self.poll_seconds)

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What logs and error lines must never show, beside the token.

        Not the database's password: no message is ever built with it (storage shows its URL
        without it), and looking for it in every line would garble lines that happen to hold
        its letters (a one-letter password, every "p" of "port").
        """
        return (self.webhook_secret,)

    @property
    def push_callback_base(self) -> str | None:
        """The public origin WebSub hubs call back (WARTA_WEBHOOK_URL's), when push is on."""
        if not self.push or not self.webhook_url:
            return None
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webapp_url(self) -> str | None:
        """The Mini App page's public https:// address, or None when the Mini App is off.

        WARTA_WEBAPP_URL if set, else /app/ at WARTA_WEBHOOK_URL's origin: the webhook's server
        serves the page and its API.
        """
        if self.webapp_address:
            return self.webapp_address
        if not self.webhook_url:
            return None
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}/app/"

    def require_webhook(self) -> WebhookConfig:
        """What `warta run --webhook` needs, or a one-line explanation of what is missing."""
        if not self.webhook_url:
            raise ConfigError(
                "WARTA_WEBHOOK_URL is not set: `warta run --webhook` needs the public https:// "
                "address Telegram calls, e.g. https://bot.example.com/telegram/warta"
            )
        if not self.webhook_secret:
            raise ConfigError(
                "WARTA_WEBHOOK_SECRET is not set: `warta run --webhook` needs a secret "
                "(1-256 letters, digits, _ or -) that Telegram sends with every update"
            )
        return WebhookConfig(self.webhook_url, self.webhook_secret, self.webhook_port)

    def require_token(self) -> str:
        """Return the bot token or explain how to get one."""
        if not self.token:
            raise ConfigError(
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


def load_config(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Config:
    """Build the configuration from the environment, with `.env` values as fallbacks."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)
    feeds = env.get("WARTA_FEEDS", "").strip()
    poll_seconds = _number(env, "WARTA_POLL_SECONDS", 60.0, minimum=1.0)
    return Config(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_url=_api_url(env.get("TELEGRAM_API_URL", DEFAULT_API_URL)),
        database=_database(env.get("WARTA_DB", "")),
        feeds_file=Path(feeds) if feeds else None,
        poll_seconds=poll_seconds,
        poll_max_seconds=_poll_max_seconds(env, poll_seconds),
        admins=_admins(env.get("WARTA_ADMINS", "")),
        log_level=_log_level(env.get("WARTA_LOG_LEVEL", "INFO")),
        retention_days=int(_number(env, "WARTA_RETENTION_DAYS", 30, minimum=1)),
        webhook_url=_webhook_url(env.get("WARTA_WEBHOOK_URL", "")),
        webhook_secret=_webhook_secret(env.get("WARTA_WEBHOOK_SECRET", "")),
        webhook_port=_port(env, "WARTA_WEBHOOK_PORT") or 8443,
        webapp_address=_webapp_url(env.get("WARTA_WEBAPP_URL", "")),
        metrics_port=_port(env, "WARTA_METRICS_PORT"),
        listen_address=env.get("WARTA_LISTEN_ADDRESS", "").strip() or "127.0.0.1",
        log_format=_log_format(env.get("WARTA_LOG_FORMAT", "text")),
        fetch_addresses=_fetch_addresses(env.get("WARTA_ALLOW_PRIVATE_FEEDS", "")),
        send_rate=_send_rate(env.get("WARTA_SEND_RATE", "")),
        paid_rule=_paid_rule(env.get("WARTA_PAID_RULE", "")),
    )


def _database(value: str) -> Path | str:
    location = value.strip() or "warta.db"
    try:
        parts = urlsplit(location)
    except ValueError:  # an unclosed "[" of an IPv6 host; the URL is never echoed
        raise ConfigError(
            "WARTA_DB: cannot read the address; write it as a file path or as "
            "postgresql://user:password@host:port/database"
        ) from None
    if parts.scheme in POSTGRES_SCHEMES:
        if "@" in parts.path + parts.query + parts.fragment or parts.netloc.count("@") > 1:
            # A "/", "?", "#" or "@" in the password ends the address early or twice: what
            # follows would be read as the database's name, the server named wrongly, and the
            # rest of the password shown with it. Never echo it.
            raise ConfigError(
                "WARTA_DB: the password in the PostgreSQL URL must be percent-encoded "
                "(/ as %2F, @ as %40, ? as %3F, # as %23)"
            )
        return location
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location):
        scheme = location.split("://", 1)[0]
        raise ConfigError(
            f"WARTA_DB must be an SQLite file path or a postgresql:// URL, got a {scheme}:// URL"
        )
    return Path(location)


def _api_url(value: str) -> str:
    url = value.strip().rstrip("/") or DEFAULT_API_URL
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"TELEGRAM_API_URL must start with http:// or https://, got {url!r}")
    return url


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _poll_max_seconds(env: Mapping[str, str], poll_seconds: float) -> float:
    """WARTA_POLL_MAX_SECONDS, never below WARTA_POLL_SECONDS (the shortest interval)."""
    longest = _number(env, "WARTA_POLL_MAX_SECONDS", max(1800.0, poll_seconds), minimum=1.0)
    if longest < poll_seconds:
        raise ConfigError(
            f"WARTA_POLL_MAX_SECONDS ({longest:g}) must be at least WARTA_POLL_SECONDS "
            f"({poll_seconds:g})"
        )
    return longest


def _send_rate(raw: str) -> int:
    value = raw.strip()
    if not value:
        return 30
    if not value.isdigit() or not 1 <= int(value) <= MAX_SEND_RATE:
        raise ConfigError(
            f"WARTA_SEND_RATE must be a whole number of messages a second from 1 to "
            f"{MAX_SEND_RATE}, got {raw!r}"
        )
    return int(value)


def _paid_rule(raw: str) -> PaidRule:
    value = raw.strip().lower() or PaidRule.STRICT
    if value not in set(PaidRule):
        raise ConfigError(f"WARTA_PAID_RULE must be strict or lenient, got {raw!r}")
    return PaidRule(value)


def _admins(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"WARTA_ADMINS must be comma-separated Telegram user ids, got {part!r}"
            ) from None
    return frozenset(ids)


def _log_level(raw: str) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"WARTA_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level


def _webhook_url(raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    parts = urlsplit(url)
    # Telegram delivers updates only to HTTPS addresses.
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"WARTA_WEBHOOK_URL must be an https:// address, got {url!r}")
    return url


def _webapp_url(raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    parts = urlsplit(url)
    # Telegram opens Mini Apps only from https:// addresses.
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"WARTA_WEBAPP_URL must be an https:// address, got {url!r}")
    return url


def _webhook_secret(raw: str) -> str | None:
    secret = raw.strip()
    if secret and not WEBHOOK_SECRET.fullmatch(secret):
        # The value itself is a credential: describe it, never echo it.
        raise ConfigError(
            "WARTA_WEBHOOK_SECRET must be 1-256 characters, only letters, digits, _ and -"
        )
    return secret or None


def _port(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"{name} must be a TCP port number (1-65535), got {raw!r}")
    return int(raw)


def _log_format(raw: str) -> str:
    log_format = raw.strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"WARTA_LOG_FORMAT must be text or json, got {raw!r}")
    return log_format


def _fetch_addresses(raw: str) -> AddressPolicy:
    value = raw.strip()
    if value.lower() in {"", "0", "false", "no", "off"}:
        return PUBLIC_ONLY
    if value.lower() in {"1", "true", "yes", "on"}:
        return AddressPolicy(any_address=True)
    try:
        return AddressPolicy.allowing(value)
    except ValueError as error:
        raise ConfigError(
            "WARTA_ALLOW_PRIVATE_FEEDS must be 1, true, yes or on (any address), or addresses "
            f"and networks separated by commas (127.0.0.1, 10.20.0.0/16, ::1): {error}"
        ) from None


def program_environment(**extra: str) -> dict[str, str]:
    """The environment of a program Warta starts (pg_dump): Warta's own, with these added."""
    return {**os.environ, **extra}
