"""With long polling (no webhook), the monitoring server on WARTA_METRICS_PORT answers the Mini
App under /app/ when WARTA_WEBAPP_URL is set: the menu button's page is served there."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.app import build_application, running
from bot.config import Config
from bot.standin import FeedServer, TelegramStandIn
from tests.inprocess import LOOPBACK_FEEDS, write_feeds
from tests.ops.helpers import free_port
from tests.webapp.helpers import READER, init_data, signed

PAGE = "https://warta.example/app/"


async def test_a_polling_bot_serves_the_mini_app_on_its_monitoring_port(
    tmp_path: Path, telegram: TelegramStandIn, feeds: FeedServer
) -> None:
    feeds.publish("/banten.xml", [])
    port = free_port()
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db",
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, [("B", "/banten.xml", "Banten")]),
        metrics_port=port,
        webapp_address=PAGE,
        fetch_addresses=LOOPBACK_FEEDS,
    )
    app = build_application(config)
    async with (
        running(app),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        (menu,) = telegram.requests_for("setChatMenuButton")
        assert menu.params["menu_button"]["web_app"]["url"] == PAGE
        page = await client.get("/app/")
        assert page.status_code == 200
        assert "telegram-web-app.js" in page.text
        forged = signed(init_data("123:not-the-bots-token"))
        refused = await client.post("/app/api/topics", json={"text": "banjir"}, headers=forged)
        assert refused.status_code == 401
        mine = signed(init_data(telegram.token))
        added = await client.post("/app/api/topics", json={"text": "banjir"}, headers=mine)
        assert added.json() == {"added": "banjir"}
        services = app.bot_data.services
        assert services is not None
        assert [topic.text for topic in await services.storage.list_topics(READER)] == ["banjir"]
        assert (await client.get("/healthz")).status_code == 200
