"""Logging: one line per event, and never the bot token."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redactor:
    """Replaces secrets, as written and URL-encoded, with a placeholder naming what was there.

    A last net, not a way to write messages: whatever is built from a secret (a database URL)
    is built without it. The token is replaced wherever it occurs (it is long and unlike any
    word); another secret only where it stands whole, never inside a longer run of letters,
    digits, "_" or "-": a one-letter secret must not turn every "p" of a line into a
    placeholder, which would garble the line and show the secret.
    """

    def __init__(self, token: str | None, also_hide: Iterable[str | None] = ()) -> None:
        self._replacements: list[tuple[re.Pattern[str], str]] = []
        for secret, label, whole in (
            (token, "<token>", False),
            *((secret, "<secret>", True) for secret in also_hide),
        ):
            if not secret:
                continue
            for variant in dict.fromkeys((secret, quote(secret, safe=""))):
                pattern = re.escape(variant)
                if whole:
                    pattern = f"(?<![\\w-]){pattern}(?![\\w-])"
                self._replacements.append((re.compile(pattern), label))

    def __call__(self, text: str) -> str:
        for secret, label in self._replacements:
            text = secret.sub(label, text)
        return text


def one_line(message: object, redact: Redactor) -> str:
    """A problem as one line for the terminal: line breaks folded, secrets redacted."""
    return " ".join(redact(str(message)).split())


class StartupAbortFilter(logging.Filter):
    """Drops python-telegram-bot's traceback for a start-up step it gives up on.

    The same error then leaves `run_polling` and `warta run` reports it in one line, so logging
    it here too would print the problem twice, once as a traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or record.name != "telegram.ext":
            return True
        message = record.getMessage()
        # Only start-up ("Bootstrap …") steps: a give-up while running must stay in the log.
        return not ("(Bootstrap " in message and "Aborting" in message)


class RedactingFormatter(logging.Formatter):
    """key=value text, one line per event (tracebacks folded in), secrets redacted."""

    def __init__(self, secret: str | None, also_hide: Iterable[str | None] = ()) -> None:
        super().__init__(LOG_FORMAT)
        self._redact = Redactor(secret, also_hide)

    def format(self, record: logging.LogRecord) -> str:
        # A multi-line event would read as several events to line-based log tools.
        return self._redact(super().format(record)).replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per event: time, level, logger, message and exception; secrets redacted."""

    def __init__(self, secret: str | None, also_hide: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._redact = Redactor(secret, also_hide)

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        redacted = {key: self._redact(value) for key, value in event.items()}
        return json.dumps(redacted, ensure_ascii=False)


def configure_logging(
    level: str,
    token: str | None,
    log_format: str = "text",
    also_hide: Iterable[str | None] = (),
) -> None:
    """Log to standard error at the given level and format, token and other secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(StartupAbortFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter(token, also_hide))
    else:
        handler.setFormatter(RedactingFormatter(token, also_hide))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
