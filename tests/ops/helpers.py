"""Starting `warta` as operators do, and waiting for what they would wait for."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from bot.standin import FeedServer, TelegramStandIn
from tests.e2e.harness import bot_environment, write_feeds_file


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_listening(port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on a loopback port."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


def operator_environment(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of `warta run` against the stand-ins, with one (empty) Banten feed."""
    feeds.publish("/banten.xml", [])
    feeds_toml = write_feeds_file(
        tmp_path / "feeds.toml", feeds, [("ANTARA Banten", "/banten.xml", "Banten")]
    )
    return bot_environment(tmp_path, telegram, feeds_toml, extra or {})


async def start_warta(
    args: Sequence[str], env: dict[str, str], cwd: Path, log: Path
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` with its standard error (the log) going to a file."""
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=cwd, env=env, stdout=sink, stderr=sink
        )


async def scrape(port: int, path: str) -> httpx.Response:
    """GET a path of the bot's monitoring server."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        return await client.get(path)
