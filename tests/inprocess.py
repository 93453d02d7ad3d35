"""The real Application, started in the test's event loop against the loopback stand-ins."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_application, running
from bot.config import Config, WebhookConfig
from bot.context import Services, WartaApp
from bot.delivery.sender import SendLimits
from bot.net.addresses import AddressPolicy
from bot.ops.webhook import WebhookServer
from bot.standin import FeedServer, SentMessage, TelegramStandIn
from bot.wib import wib

ADMIN_ID = 900001
PUBLIC_WEBHOOK = WebhookConfig("https://warta.example/telegram/updates", "hook_secret", 0)
# The feed server listens on 127.0.0.1: allowed as WARTA_ALLOW_PRIVATE_FEEDS=127.0.0.1 allows it.
LOOPBACK_FEEDS = AddressPolicy.allowing("127.0.0.1")


@dataclass
class RunningBot:
    """A started bot and the stand-ins it talks to."""

    app: WartaApp
    telegram: TelegramStandIn
    feeds: FeedServer

    @property
    def services(self) -> Services:
        """The bot's opened services."""
        services = self.app.bot_data.services
        assert services is not None
        return services

    async def say(self, chat_id: int, text: str, **kwargs: object) -> str:
        """Send a message as a user and return the text of the bot's reply."""
        before = len(self.telegram.messages_to(chat_id))
        self.telegram.user_says(chat_id, text, **kwargs)  # type: ignore[arg-type]
        replies = await self.telegram.wait_for_messages(chat_id, before + 1)
        return replies[before].plain_text or ""

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until the outbox holds nothing more to send, and no article page being fetched
        will add to it."""
        async with asyncio.timeout(timeout):
            # A teaser-only feed's alerts are queued once its page is had or given up.
            await self.services.poller.wait_for_articles()
            # The outbox itself is the condition: the sender announces nothing when done.
            while await self.services.storage.outbox_backlog():  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    async def poll(self, *, articles: bool = True) -> None:
        """Run one feed poll now, as if an interval had passed, and wait for it, for a
        scheduled poll still fetching, and (unless articles is False) for the article pages
        its teaser-only items wait for, so their alerts are queued when this returns."""
        await self.services.storage.make_feeds_due()
        await self.services.poller.poll_once()
        # The scheduled poll may have taken a feed first (it runs at start, later under load):
        # that fetch is left out of this poll, so its outcome is awaited here.
        await self.services.poller.wait_for_fetches()
        if articles:
            await self.services.poller.wait_for_articles()


def write_feeds(
    path: Path,
    feeds: FeedServer,
    entries: Sequence[tuple[str, str, str]],
    full_text: Mapping[str, str] | None = None,
) -> Path:
    """A feeds TOML with (name, route on the feed server, region) entries, and the full_text
    setting of the routes that have one."""
    modes = full_text or {}
    path.write_text(
        "".join(
            f'[[feeds]]\nname = "{name}"\nurl = "{feeds.url(route)}"\nregion = "{region}"\n'
            + (f'full_text = "{modes[route]}"\n' if route in modes else "")
            + "\n"
            for name, route, region in entries
        ),
        encoding="utf-8",
    )
    return path


# Where set_wib puts the clock within its minute (see there).
ON_THE_MINUTE = 0.5


class FakeClock:
    """Wall time that moves only when a test moves it."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        # "Today" is fixed when the clock is made: a test running across midnight WIB must not
        # find its 08:00 moved to the next day half-way through.
        self._today = datetime.fromtimestamp(self.now, tz=wib())

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds

    def set_wib(self, hour: int, minute: int = 0, *, days: int = 0) -> None:
        """Move to hour:minute WIB today (plus days), the way a reader's day is counted.

        Half a second past the minute: on PostgreSQL the bot reads the server's clock through
        an offset measured to within half a round trip, so a moment set exactly on an hour
        could read as a hair before it on a busy machine.
        """
        moment = self._today.replace(hour=hour, minute=minute, second=0, microsecond=0)
        self.now = (moment + timedelta(days=days)).timestamp() + ON_THE_MINUTE


def _leave_polls_and_digests_to_the_test(app: WartaApp, poll_seconds: float) -> None:
    """Keep the scheduled jobs from racing the test (the scheduler has not started yet).

    The bot polls at once on start: that poll could beat the test's first one, which then
    finds every feed being fetched and returns before the feeds' first fetch is done. The
    first scheduled poll comes one interval after start instead (never within a test at the
    default hour). Digests and WebSub requests run when the test runs them, at the test's clock.
    """
    queue = app.job_queue
    assert queue is not None
    first_poll = datetime.now(UTC) + timedelta(seconds=poll_seconds)
    for job in queue.get_jobs_by_name("poll-feeds"):
        job.job.modify(next_run_time=first_poll)
    for name in ("digests", "websub"):
        for job in queue.get_jobs_by_name(name):
            job.enabled = False


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    telegram: TelegramStandIn,
    feeds: FeedServer,
    feed_entries: Sequence[tuple[str, str, str]] = (),
    *,
    poll_seconds: float = 3600,
    poll_max_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
    send_limits: SendLimits | None = None,
    fetch_timeout: float | None = None,
    fetch_addresses: AddressPolicy = LOOPBACK_FEEDS,
    database: Path | str | None = None,
    send_rate: int = 30,
    webhook_port: int | None = None,
    full_text: Mapping[str, str] | None = None,
    parse_workers: int = 1,
    max_feed_bytes: int | None = None,
    webhook_tls: ssl.SSLContext | None = None,
    metrics_port: int | None = None,
) -> AsyncIterator[RunningBot]:
    """Start the bot as `warta run` would, minus signal handling; stop it afterwards.

    The database is a file in tmp_path unless the test gives one (a PostgreSQL URL, say). With a
    webhook_port the bot serves its webhook there as `warta run --webhook` does (WebSub on), but
    goes on polling the Telegram stand-in for updates. One parsing process is enough for a
    test's feeds, and spares the machine; a benchmark may ask for as many as `warta run` has.
    The webhook's server (and the Mini App on it) speaks HTTPS itself with `webhook_tls`.
    With a metrics_port the bot serves /metrics and /healthz there, as WARTA_METRICS_PORT has it.
    """
    config = Config(
        token=telegram.token,
        api_url=telegram.base_url,
        database=tmp_path / "warta.db" if database is None else database,
        feeds_file=write_feeds(tmp_path / "feeds.toml", feeds, feed_entries, full_text),
        poll_seconds=poll_seconds,
        admins=frozenset({ADMIN_ID}),
        fetch_addresses=fetch_addresses,
        send_rate=send_rate,
        parse_workers=parse_workers,
        article_workers=1,
        metrics_port=metrics_port,
    )
    if fetch_timeout is not None:
        config = replace(config, fetch_timeout=fetch_timeout)
    if max_feed_bytes is not None:
        config = replace(config, max_feed_bytes=max_feed_bytes)
    if poll_max_seconds is not None:
        config = replace(config, poll_max_seconds=poll_max_seconds)
    webhook = None
    if webhook_port is not None:
        webhook = replace(PUBLIC_WEBHOOK, port=webhook_port)
        config = replace(config, webhook_url=webhook.url, webhook_secret=webhook.secret, push=True)
    limits = send_limits or SendLimits(max_backoff=0.5)
    app = build_application(config, clock=clock, send_limits=limits)
    hold_jobs = functools.partial(_leave_polls_and_digests_to_the_test, poll_seconds=poll_seconds)
    async with running(app, before_start=hold_jobs):
        if webhook is None:
            yield RunningBot(app, telegram, feeds)
            return
        server = WebhookServer(config, webhook)
        await server.start(app, register=False, tls=webhook_tls)
        try:
            yield RunningBot(app, telegram, feeds)
        finally:
            await server.stop()
            receiver = app.bot_data.services and app.bot_data.services.push_receiver
            if receiver:
                await receiver.wait_for_ingests()  # nothing half-stored when the bot stops


async def confirmation(telegram: TelegramStandIn, chat_id: int = ADMIN_ID) -> SentMessage:
    """The newest message with buttons in a chat, once there is one."""

    def with_buttons(tg: TelegramStandIn) -> list[SentMessage]:
        return [m for m in tg.messages_to(chat_id) if m.callback_data]

    await telegram.wait_for(lambda tg: bool(with_buttons(tg)))
    return with_buttons(telegram)[-1]


def current_text(telegram: TelegramStandIn, message: SentMessage) -> str:
    """The text a message shows now, after its edits."""
    stored = telegram.message(message.chat_id, message.message_id) or {}
    return str(stored.get("text", ""))


def received(telegram: TelegramStandIn, chat_ids: list[int], text: str) -> dict[int, int]:
    """How many times each chat got a message with exactly this text."""
    counts = dict.fromkeys(chat_ids, 0)
    for message in telegram.sent:
        if message.chat_id in counts and not message.is_edit and message.plain_text == text:
            counts[message.chat_id] += 1
    return counts


def alert_texts(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    """The alerts a chat got (messages opening with the bell), as plain text, in order."""
    sent = (m.plain_text or "" for m in telegram.messages_to(chat_id) if not m.is_edit)
    return [text for text in sent if text.startswith("🔔")]


def alert_titles(telegram: TelegramStandIn, chat_id: int) -> list[str]:
    """The headline of each alert a chat got, in order."""
    return [text.split("\n")[1] for text in alert_texts(telegram, chat_id)]
