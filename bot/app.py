"""The composition root: configuration in, a ready Application out."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, cast

from prometheus_client import CollectorRegistry
from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import FloodLimit, ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.chats.registry import ChatRegistry
from bot.chats.subscriptions import Subscriptions
from bot.config import Config
from bot.context import BotData, Services, WartaApp, WartaContext
from bot.delivery.digests import DigestScheduler
from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.feeds.feedlist import load_feed_list
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.stories import StoryMatcher
from bot.feeds.workers import WorkerPool, default_processes
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, text
from bot.jobs import schedule_jobs
from bot.matching.search import NewsSearch
from bot.matching.topics import TopicRegistry
from bot.ops.health import MonitoringServer
from bot.ops.heartbeat import Heartbeat
from bot.ops.metrics import Metrics
from handlers import register_handlers
from storage import Storage, describe
from storage.models import BroadcastReport, FeedSeed

log = logging.getLogger(__name__)

# Every message is Telegram HTML; a reply shows no link preview (alerts choose per chat).
DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)


def build_application(
    config: Config,
    *,
    clock: Callable[[], float] = time.time,
    send_limits: SendLimits | None = None,
) -> WartaApp:
    """Build the bot: storage, HTTP client, jobs and handlers, opened when it starts."""
    token = config.require_token()
    seeds = load_feed_list(config.feeds_file)
    context_types = ContextTypes(context=WartaContext, bot_data=BotData)
    # The app owns its metrics registry: no process-wide state shared between instances.
    monitor = MonitoringServer(Metrics(CollectorRegistry(), clock), config)
    paid = config.send_rate > FloodLimit.MESSAGES_PER_SECOND
    limits = replace(send_limits or SendLimits(), paid_broadcast=paid)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        .context_types(context_types)
        .defaults(DEFAULTS)
        .connection_pool_size(32)
        # Replies, edits and alerts alike: one bot-wide budget for everything sent to Telegram.
        .rate_limiter(RateLimiter.for_send_rate(config.send_rate))
        .post_init(_starter(config, seeds, clock, limits, monitor))
        .post_stop(_stop_sending)
        .post_shutdown(_closer(monitor))
    )
    # The builder's generics cannot express the custom context reaching the JobQueue type.
    app = cast(WartaApp, builder.build())
    register_handlers(app)
    return app


def _starter(
    config: Config,
    seeds: list[FeedSeed],
    clock: Callable[[], float],
    limits: SendLimits,
    monitor: MonitoringServer,
) -> Callable[[Application[Any, Any, Any, Any, Any, Any]], Any]:
    async def post_init(app: WartaApp) -> None:
        services = await open_services(app, config, seeds, clock, limits, monitor.metrics)
        app.bot_data.services = services
        await monitor.start(services.storage)
        await _set_command_menus(app)
        schedule_jobs(app, config.poll_seconds)
        services.sender.start()

    return post_init


MENU_COMMANDS = (
    "subscribe",
    "unsubscribe",
    "list",
    "region",
    "latest",
    "settings",
    "test",
    "help",
)


async def _set_command_menus(app: WartaApp) -> None:
    """The command menu in Indonesian for everyone, in English for English-speaking users."""
    for language in LANGUAGES:
        commands = [BotCommand(name, text(f"command_{name}", language)) for name in MENU_COMMANDS]
        code = None if language == DEFAULT_LANGUAGE else language
        await app.bot.set_my_commands(commands, language_code=code)


async def open_services(
    app: WartaApp,
    config: Config,
    seeds: list[FeedSeed],
    clock: Callable[[], float],
    limits: SendLimits,
    metrics: Metrics | None = None,
) -> Services:
    """Open the database and HTTP client and load what matching needs."""
    storage = Storage(config.database)
    await storage.open()
    try:
        return await _services_on(app, storage, config, seeds, clock, limits, metrics)
    except BaseException:
        # A start that fails half-way must not leave the database's threads holding the process.
        await storage.close()
        raise


async def _services_on(
    app: WartaApp,
    storage: Storage,
    config: Config,
    seeds: list[FeedSeed],
    clock: Callable[[], float],
    limits: SendLimits,
    metrics: Metrics | None,
) -> Services:
    feed_count = await storage.sync_feeds(seeds)
    topics = TopicRegistry()
    broken = topics.load(await storage.active_topics(), await storage.region_followers())
    for topic in broken:
        log.warning("topic no longer valid, not matched id=%d text=%r", topic.id, topic.text)
    http = build_http_client(config.fetch_timeout, config.fetch_addresses)
    subscriptions = Subscriptions(storage, topics, clock)
    # The sender is built next: it wakes for resumed chats and reports migrations back here.
    chats = ChatRegistry(storage, topics, clock, lambda: sender.wake())

    async def report_broadcast(report: BroadcastReport) -> None:
        admin_chat = await storage.get_chat(report.admin_chat_id)
        language = admin_chat.language if admin_chat else DEFAULT_LANGUAGE
        await app.bot.send_message(
            report.admin_chat_id,
            text("broadcast_done", language, id=report.id, sent=report.sent, failed=report.failed),
        )

    sender = Sender(
        app.bot,
        storage,
        clock,
        limits,
        on_chat_migrated=chats.moved,
        on_broadcast_done=report_broadcast,
        metrics=metrics,
    )
    workers = WorkerPool(config.parse_workers or default_processes())
    poller = FeedPoller(
        storage, http, topics, StoryMatcher(), config, clock, sender.wake, metrics=metrics,
        workers=workers,
    )  # fmt: skip
    await poller.load_recent_stories()
    await workers.start()
    heartbeat = Heartbeat(storage, sorted(config.roles), clock)
    await heartbeat.start()
    log.info(
        "started feeds=%d topics=%d db=%s poll_seconds=%g",
        feed_count,
        len(topics),
        describe(config.database),
        config.poll_seconds,
    )
    return Services(
        config=config,
        storage=storage,
        http=http,
        topics=topics,
        chats=chats,
        subscriptions=subscriptions,
        search=NewsSearch(storage),
        poller=poller,
        workers=workers,
        sender=sender,
        digests=DigestScheduler(storage, clock, sender.wake),
        clock=clock,
        heartbeat=heartbeat,
    )


async def _stop_sending(app: WartaApp) -> None:
    # post_stop runs while the bot can still talk to Telegram: let in-flight sends finish.
    if app.bot_data.services is not None:
        await app.bot_data.services.sender.stop()


def _closer(
    monitor: MonitoringServer,
) -> Callable[[Application[Any, Any, Any, Any, Any, Any]], Any]:
    async def post_shutdown(app: WartaApp) -> None:
        await monitor.stop()
        await _close_resources(app)

    return post_shutdown


async def _close_resources(app: WartaApp) -> None:
    services = app.bot_data.services
    if services is not None:
        await services.heartbeat.stop()
        await services.poller.close()
        await services.workers.close()
        await services.http.aclose()
        await services.storage.close()
        app.bot_data.services = None
        log.info("stopped")


@contextlib.asynccontextmanager
async def running(
    app: WartaApp, before_start: Callable[[WartaApp], None] = lambda app: None
) -> AsyncIterator[WartaApp]:
    """Start the bot as `warta run` does, without its signal handling, and stop it afterwards.

    The same order of steps as Application.run_polling. `before_start` sees the opened services
    and the scheduled jobs before the scheduler and polling start (the tests hold jobs back).
    """
    if app.updater is None or app.post_init is None:
        raise RuntimeError("the application was built without an updater")
    await app.initialize()
    try:
        await app.post_init(app)
        before_start(app)
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
