"""Start `warta run` as operators do, against the Telegram stand-in and a feed server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.standin import FeedServer, TelegramStandIn
from tests.factories import news

ADMIN_ID = 900001
NATIONAL_FEED = "/nasional.xml"


@dataclass
class BotProcess:
    """A running `warta run` process and where its log goes."""

    workdir: Path
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    runs: int = field(default=0)

    async def start(self) -> None:
        """Start the bot; return once it asked Telegram for updates."""
        self.runs += 1
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send a signal and wait for the process to end; return its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        self.process = None
        return code

    def log_text(self) -> str:
        """Everything the bot logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, text: str, timeout: float = 30.0) -> None:
        """Wait until the bot has logged `text` (the log is a file: it is read again and again)."""
        async with asyncio.timeout(timeout):
            while text not in self.log_text():  # noqa: ASYNC110 - a file announces nothing
                await asyncio.sleep(0.05)


def bot_environment(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds_toml: Path,
    extra: Mapping[str, str] = {},
    *,
    database: Path | str | None = None,
) -> dict[str, str]:
    """The environment an operator would set, pointing at the loopback stand-ins.

    The database is a file in tmp_path unless the test gives one (a PostgreSQL URL, say).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "WARTA_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
        WARTA_DB=str(tmp_path / "warta.db" if database is None else database),
        WARTA_FEEDS=str(feeds_toml),
        WARTA_POLL_SECONDS="1",
        WARTA_ADMINS=str(ADMIN_ID),
        WARTA_LOG_LEVEL="DEBUG",
        WARTA_ALLOW_PRIVATE_FEEDS="127.0.0.1",  # the feed server's address, and no other
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    env.update(extra)
    # Every feed at the one interval (a fixed schedule): the tests publish and wait for alerts.
    env.setdefault("WARTA_POLL_MAX_SECONDS", env["WARTA_POLL_SECONDS"])
    return env


@contextlib.asynccontextmanager
async def started_bot(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds_toml: Path,
    extra: Mapping[str, str] = {},
    *,
    database: Path | str | None = None,
) -> AsyncIterator[BotProcess]:
    """`warta run` started as an operator would; killed at the end if the test left it running."""
    environment = bot_environment(tmp_path, telegram, feeds_toml, extra, database=database)
    process = BotProcess(tmp_path, environment, tmp_path / "bot.log")
    await process.start()
    try:
        yield process
    finally:
        if process.process is not None:
            await process.stop(signal.SIGKILL)


@contextlib.asynccontextmanager
async def national_desk_bot(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer, database: Path | str
) -> AsyncIterator[BotProcess]:
    """`warta run` with one national feed (one old story in it), as regional readers meet it."""
    feeds.publish(NATIONAL_FEED, [news("awal", "Presiden resmikan bendungan")])
    feeds_toml = write_feeds_file(
        tmp_path / "feeds.toml", feeds, [("ANTARA Nasional", NATIONAL_FEED, "Nasional")]
    )
    async with started_bot(tmp_path, telegram, feeds_toml, database=database) as process:
        yield process


def write_feeds_file(path: Path, feeds: FeedServer, entries: list[tuple[str, str, str]]) -> Path:
    """A feeds TOML with (name, path on the feed server, region) entries."""
    blocks = [
        f'[[feeds]]\nname = "{name}"\nurl = "{feeds.url(route)}"\nregion = "{region}"\n'
        for name, route, region in entries
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path
