"""The Mini App's tests: initData signed as Telegram signs it, and requests carrying it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from bot.standin import FeedServer, TelegramStandIn
from bot.webapp.initdata import sign
from tests.inprocess import RunningBot, running_bot
from tests.ops.helpers import free_port

READER = 5101
OTHER_READER = 5102


def init_data(
    token: str,
    user_id: int = READER,
    *,
    signed_at: float | None = None,
    language: str = "id",
    first_name: str = "Budi",
) -> str:
    """initData Telegram would give the Mini App opened by this user."""
    user = {"id": user_id, "first_name": first_name, "language_code": language}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(time.time() if signed_at is None else signed_at)),
    }
    return sign(fields, token)


def signed(init: str) -> dict[str, str]:
    """The header every Mini App request carries."""
    return {"Authorization": f"tma {init}"}


@asynccontextmanager
async def mini_app(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> AsyncIterator[tuple[RunningBot, httpx.AsyncClient]]:
    """The bot serving its Mini App on the webhook's port, and a client for that port."""
    feeds.publish("/banten.xml", [])
    port = free_port()
    async with (
        running_bot(
            tmp_path, telegram, feeds, [("ANTARA Banten", "/banten.xml", "Banten")],
            webhook_port=port,
        ) as warta,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/app/api", timeout=30) as client,
    ):  # fmt: skip
        yield warta, client
