"""`warta demo`: the real bot against loopback stand-ins, and a reader's conversation with it."""

from __future__ import annotations

import asyncio
import json
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from importlib import resources
from pathlib import Path

from rich.console import Console

from bot.app import build_application, running
from bot.config import Config
from bot.demo.chat import Conversation
from bot.feeds.clean import FeedText, clean_entry_text
from bot.matching import parse_topic, prepare_document
from bot.net.addresses import AddressPolicy
from bot.standin import FeedItem, FeedServer, TelegramStandIn

DEMO_TOKEN = "777000:WARTA-DEMO"
READER_ID = 7001
READER_NAME = "Siti"
TOPICS = ("banjir", "gempa", "Korea Utara")
SEARCH = "harga beras"
POLL_SECONDS = 1.0
DEADLINE_SECONDS = 50.0
REPLY_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class DemoFeed:
    """One sample news site section."""

    key: str
    name: str
    region: str

    @property
    def path(self) -> str:
        """Where the loopback news site serves it."""
        return f"/{self.key}.xml"


@dataclass(frozen=True, slots=True)
class DemoItem:
    """One sample news item."""

    feed: str
    phase: str  # "before": on the site at start-up; "during": published while the reader waits
    minutes_ago: float
    slug: str
    title: str
    summary: str

    def feed_item(self, now: datetime) -> FeedItem:
        """The item as the news site publishes it."""
        return FeedItem(
            title=self.title,
            link=f"https://berita.example/{self.feed}/{self.slug}",
            description=f"<p>{escape(self.summary)}</p>",
            guid=f"urn:warta-demo:{self.slug}",
            published=now - timedelta(minutes=self.minutes_ago),
        )


def load_demo_news() -> tuple[list[DemoFeed], list[DemoItem]]:
    """The bundled sample feeds and items."""
    source = resources.files("bot") / "data" / "demo-news.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return [DemoFeed(**feed) for feed in data["feeds"]], [DemoItem(**i) for i in data["items"]]


def expected_alerts(items: Sequence[DemoItem], topics: Sequence[str]) -> list[str]:
    """Titles of the items that match a topic: the alerts the reader should get."""
    queries = [parse_topic(topic) for topic in topics]
    titles = []
    for item in items:
        title, body, _ = clean_entry_text(
            FeedText(item.title), FeedText(f"<p>{escape(item.summary)}</p>"), None
        )
        document = prepare_document(title, body)
        if any(query.matches(document) for query in queries):
            titles.append(item.title)
    return titles


async def run_demo(console: Console, deadline: float = DEADLINE_SECONDS) -> None:
    """Run the whole demo; leaves no file and no server behind."""
    feeds, items = load_demo_news()
    with tempfile.TemporaryDirectory(prefix="warta-demo-") as directory:
        async with (
            TelegramStandIn(DEMO_TOKEN, "warta_demo_bot") as telegram,
            FeedServer() as site,
            asyncio.timeout(deadline),
        ):
            publish(site, feeds, items, "before")
            config = Config(
                token=telegram.token,
                api_url=telegram.base_url,
                database=Path(directory) / "warta.db",
                feeds_file=write_feed_list(Path(directory) / "feeds.toml", site, feeds),
                poll_seconds=POLL_SECONDS,
                # The sample news sites are served on loopback, as WARTA_ALLOW_PRIVATE_FEEDS allows.
                fetch_addresses=AddressPolicy.allowing("127.0.0.1"),
            )
            chat = Conversation(console, telegram, READER_ID, READER_NAME, REPLY_TIMEOUT)
            async with running(build_application(config)):
                await _script(chat, site, feeds, items)
    chat.narrate("Demo finished: the bot has stopped and its temporary files are gone.")


async def _script(
    chat: Conversation, site: FeedServer, feeds: list[DemoFeed], items: list[DemoItem]
) -> None:
    """What the reader does, and what the news sites publish meanwhile."""
    chat.narrate(f"Warta runs and polls {len(feeds)} sample news feeds every {POLL_SECONDS:g} s.")
    # The first poll only records each site's back catalogue: no alerts come from it.
    for feed in feeds:
        await site.wait_for_hits(feed.path, 1, timeout=REPLY_TIMEOUT)
    await chat.say("/start")
    await chat.say("/langganan " + ", ".join(TOPICS))
    await chat.say("/topik")
    fresh = [item for item in items if item.phase == "during"]
    chat.narrate(f"The news sites publish {len(fresh)} new stories.")
    publish(site, feeds, items, "during")
    await chat.wait_for_alerts(expected_alerts(fresh, TOPICS))
    chat.narrate(f"{READER_NAME} looks up a subject she does not follow.")
    await chat.say(f"/terbaru {SEARCH}")


def publish(site: FeedServer, feeds: list[DemoFeed], items: list[DemoItem], phase: str) -> None:
    """Add a phase's items to the news site, newest first within each feed."""
    now = datetime.now(UTC)
    for item in sorted(items, key=lambda i: i.minutes_ago, reverse=True):
        if item.phase == phase:
            feed = next(feed for feed in feeds if feed.key == item.feed)
            site.add_item(feed.path, item.feed_item(now))
    for feed in feeds:
        if phase == "before" and not any(i.feed == feed.key for i in items):
            site.publish(feed.path, [])


def write_feed_list(path: Path, site: FeedServer, feeds: list[DemoFeed]) -> Path:
    """The feeds file pointing the bot at the loopback news site."""
    # The sample items link to an invented site that serves no article pages: their summaries
    # are all the text there is, so the bot is told not to fetch pages it could never have.
    blocks = [
        f"[[feeds]]\nname = {json.dumps(feed.name)}\nurl = {json.dumps(site.url(feed.path))}\n"
        f'region = {json.dumps(feed.region)}\nfull_text = "never"\n'
        for feed in feeds
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path
