"""`warta run --webhook` takes WebSub pushes on the webhook's own port, as an operator runs it."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.standin import FeedServer, HubStandIn, TelegramStandIn, render_atom
from tests.factories import news
from tests.inprocess import alert_titles
from tests.ops.helpers import (
    free_port,
    operator_environment,
    start_warta,
    wait_until_listening,
    write_feeds_file,
)
from tests.ops.test_webhook import update_from

SECRET = "websub_hook-secret"
PUBLIC_URL = "https://warta.example/telegram/updates"
FEED = "/nasional.xml"
READER = 7301
HUNG = 60.0


def atom_with_hub(feeds: FeedServer, hub: HubStandIn, titles: list[str]) -> bytes:
    """The feed as Atom, naming the hub."""
    items = [news(title.split()[0].lower(), title) for title in titles]
    body = render_atom("ANTARA Nasional", feeds.url(FEED), items, datetime.now(UTC))
    hub_link = f'<link rel="hub" href="{hub.url}"/><link rel="self"'.encode()
    return body.replace(b'<link rel="self"', hub_link, 1)


@pytest.mark.slow
async def test_a_push_reaches_the_reader_through_warta_run_webhook(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    port = free_port()
    env = operator_environment(
        tmp_path,
        telegram,
        feeds,
        {
            "WARTA_WEBHOOK_URL": PUBLIC_URL,
            "WARTA_WEBHOOK_SECRET": SECRET,
            "WARTA_WEBHOOK_PORT": str(port),
            "WARTA_POLL_SECONDS": "3600",  # only the first poll at start: the rest is pushed
        },
    )
    # A national feed (no region): every reader's topics are matched against it.
    nasional = [("ANTARA Nasional", FEED, "")]
    env["WARTA_FEEDS"] = str(write_feeds_file(tmp_path / "nasional.toml", feeds, nasional))
    async with HubStandIn(reach={"https://warta.example": f"http://127.0.0.1:{port}"}) as hub:
        feeds.set_raw(FEED, atom_with_hub(feeds, hub, ["Jembatan lama"]),
                      content_type="application/atom+xml")  # fmt: skip
        process = await start_warta(["run", "--webhook"], env, tmp_path, tmp_path / "bot.log")
        try:
            await wait_until_listening(port, HUNG)
            async with httpx.AsyncClient(timeout=HUNG) as client:
                answer = await client.post(
                    f"http://127.0.0.1:{port}/telegram/updates",
                    json=update_from(telegram, READER, "/subscribe banjir"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            assert answer.status_code == 200
            await telegram.wait_for_messages(READER, 1, timeout=HUNG)
            # The first poll finds the hub; the scheduler's first round subscribes.
            await hub.wait_for(lambda h: len(h.subscribers(feeds.url(FEED))) == 1, HUNG)
            pushed = atom_with_hub(feeds, hub, ["Banjir rendam Serang", "Jembatan lama"])
            assert await hub.publish(feeds.url(FEED), pushed, "application/atom+xml") == [202]
            await telegram.wait_for(lambda tg: bool(alert_titles(tg, READER)), timeout=HUNG)
            assert alert_titles(telegram, READER) == ["Banjir rendam Serang"]
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), HUNG)
    assert code == 0
    assert feeds.hits(FEED) == 1
