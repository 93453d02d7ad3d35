"""The composition root: configuration in, a ready Application out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any, cast

from prometheus_client import CollectorRegistry
from telegram import BotCommand, LinkPreviewOptions, MenuButtonWebApp, WebAppInfo
from telegram.constants import FloodLimit, ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.chats.explain import Explainer
from bot.chats.places import adopt_place_follows
from bot.chats.registry import ChatRegistry
from bot.chats.subscriptions import Subscriptions
from bot.config import Config, ConfigError, Role
from bot.context import BotData, Services, WartaApp, WartaContext
from bot.delivery.digests import DigestScheduler
from bot.delivery.pacing import RateLimiter
from bot.delivery.sender import Sender, SendLimits
from bot.feeds.extraction import ArticleExtractors, default_extractors
from bot.feeds.feedlist import load_feed_list
from bot.feeds.fetch import build_http_client
from bot.feeds.poller import FeedPoller
from bot.feeds.push import PushReceiver
from bot.feeds.stories import StoryMatcher
from bot.feeds.websub import CHECK_SECONDS, HubNotes, WebSubscriber
from bot.feeds.workers import WorkerPool, default_processes
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, text
from bot.jobs import Periodic, ask_hubs, schedule_jobs
from bot.matching.places import load_gazetteer
from bot.ops.clock import ServerClock
from bot.ops.health import MonitoringServer
from bot.ops.heartbeat import Heartbeat, live_process_elsewhere
from bot.ops.leadership import Leadership
from bot.ops.metrics import Metrics
from bot.ops.webhook import WebhookServer
from bot.topics.registry import TopicRegistry, TopicWatcher
from bot.topics.search import NewsSearch
from bot.webapp.routes import MiniApp, MiniAppParts
from handlers import PERIODIC_DUTIES, register_handlers
from storage import Storage, describe, is_postgres_url
from storage.models import BroadcastReport, FeedSeed

log = logging.getLogger(__name__)

# The updates the bot asks Telegram for, polling or by webhook; reactions open "less like this".
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "message_reaction"]

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
    """Build the bot for its roles: storage, HTTP client, jobs and handlers, opened at start.

    `clock` is the application's wall time (a test's may be its own); every time it takes is
    read on the database server's clock (bot.ops.clock), as the real wall time is.
    """
    token = config.require_token()
    server = ServerClock()
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
        .rate_limiter(RateLimiter.for_send_rate(config.send_rate, paid_rule=config.paid_rule))
        .post_init(_starter(config, seeds, server, server.on(clock), limits, monitor))
        .post_stop(_stop_sending)
        .post_shutdown(_closer(monitor, server))
    )
    if Role.UPDATES not in config.roles:
        builder = builder.updater(None)  # updates reach only processes with that role
    # The builder's generics cannot express the custom context reaching the JobQueue type.
    app = cast(WartaApp, builder.build())
    register_handlers(app)
    return app


def _starter(
    config: Config,
    seeds: list[FeedSeed],
    server: ServerClock,
    clock: Callable[[], float],
    limits: SendLimits,
    monitor: MonitoringServer,
) -> Callable[[Application[Any, Any, Any, Any, Any, Any]], Any]:
    async def post_init(app: WartaApp) -> None:
        services = await open_services(
            app, config, seeds, clock, limits, monitor.metrics, server=server
        )
        app.bot_data.services = services
        _share_send_budget(app, services.storage, server)
        await monitor.start(services.storage, services.heartbeat, services.webapp)
        if Role.UPDATES in config.roles:
            await _set_command_menus(app)
            if services.webapp is not None:
                # Every private chat's menu button opens the Mini App (/start labels it in
                # the chat's language).
                button = MenuButtonWebApp("Warta", WebAppInfo(services.webapp.url))
                await app.bot.set_chat_menu_button(menu_button=button)
        periodic = PERIODIC_DUTIES
        if services.websub is not None:
            periodic += (Periodic(ask_hubs, CHECK_SECONDS, 10, "websub"),)
        schedule_jobs(app, config.roles, config.poll_seconds, periodic)
        if services.sender is not None:
            services.sender.start()
        services.topic_watcher.start()

    return post_init


def _share_send_budget(
    app: WartaApp, storage: Storage | None, server: ServerClock | None = None
) -> None:
    """Every call to Telegram from now on draws from the budget all processes share (None: stop)."""
    # The rate limiter is built with the application, before the database is open.
    limiter = app.bot.rate_limiter
    if isinstance(limiter, RateLimiter):
        if storage is None:
            limiter.stop_sharing()
        else:
            limiter.share_budget(storage, clock=server or ServerClock())


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
    *,
    server: ServerClock | None = None,
) -> Services:
    """Open the database and HTTP client and load what matching needs.

    On PostgreSQL, `server` (the clock `clock` and the sender read the server's time on)
    measures this machine's offset from the server first, and every minute after.
    """
    server = server or ServerClock()
    storage = Storage(config.database)
    await storage.open()
    try:
        if is_postgres_url(config.database):
            await server.follow(storage)
        return await _services_on(app, storage, config, seeds, clock, limits, metrics, server)
    except BaseException:
        # A start that fails half-way must not leave the database's threads holding the process.
        await server.stop()
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
    wall: Callable[[], float],
) -> Services:
    roles = config.roles
    if not is_postgres_url(config.database):
        await _refuse_sqlite_shared_across_hosts(storage, config, clock())
    feed_count = await storage.sync_feeds(seeds)
    # Read once per process (the matcher's own copy) and passed to what locates items and
    # resolves follows.
    gazetteer = await asyncio.to_thread(load_gazetteer)
    await adopt_place_follows(storage, gazetteer)
    topics = TopicRegistry()
    topic_watcher = TopicWatcher(storage, topics)
    broken = await topic_watcher.reload()
    for topic in broken:
        log.warning("topic no longer valid, not matched id=%d text=%r", topic.id, topic.text)
    # /addfeed fetches too, so the updates role keeps an HTTP client as well as the poller.
    http = build_http_client(config.fetch_timeout, config.fetch_addresses)
    subscriptions = Subscriptions(storage, topics, clock, gazetteer=gazetteer)
    sender: Sender | None = None

    def wake() -> None:
        # Without a sender here, one in another process finds the new messages in the outbox.
        if sender is not None:
            sender.wake()

    # The sender is built next (in the sender role): resumed chats wake it, migrations come back.
    chats = ChatRegistry(storage, topics, clock, wake)
    heartbeat = Heartbeat(storage, sorted(roles), clock)
    if Role.SENDER in roles:
        sender = _sender(app, storage, clock, limits, chats, metrics, heartbeat.process_id, wall)
    push_base = config.push_callback_base
    poller = None
    workers = None
    extractors = None
    # Large documents and pages are read one at a time across the parser and extraction
    # processes: two of them at their memory caps at once would not fit the machine.
    large_jobs = asyncio.Semaphore(1)
    if Role.POLLER in roles or (push_base and Role.UPDATES in roles):
        # Whichever poller this process runs (its own, or the one ingesting pushes) fetches
        # article pages: never extracted in this process, but in processes started by the
        # first page (a bot whose feeds all send whole articles runs none).
        extractors = ArticleExtractors(
            config.article_workers or default_extractors(), large_jobs=large_jobs
        )
    if Role.POLLER in roles:
        workers = WorkerPool(config.parse_workers or default_processes(), large_jobs=large_jobs)
        poller = FeedPoller(
            storage,
            http,
            topics,
            StoryMatcher(),
            config,
            clock,
            wake,
            metrics=metrics,
            owner=heartbeat.process_id,
            workers=workers,
            extraction=extractors,
            on_fetched=HubNotes(storage, clock).note if push_base else None,
            gazetteer=gazetteer,
        )
        await poller.load_recent_stories()
        await workers.start()
    push_receiver = None
    if push_base and Role.UPDATES in roles:
        # The webhook's process takes the pushes; without the poller role it ingests them with
        # a poller of its own that never claims a feed: the same parse, clean, store and match.
        ingester = poller or FeedPoller(
            storage, http, topics, StoryMatcher(), config, clock, wake, metrics=metrics,
            extraction=extractors, gazetteer=gazetteer,
        )  # fmt: skip
        push_receiver = PushReceiver(
            storage,
            ingester.ingest_pushed,
            clock,
            config.max_feed_bytes,
            # A feed made due instead of a push is polled here at once, when this process polls.
            on_due=poller.look if poller is not None else lambda: None,
        )
    websub = None
    if push_base and Role.SCHEDULER in roles:
        websub = WebSubscriber(storage, http, push_base, clock)
    await heartbeat.start()
    leadership = None
    if Role.SCHEDULER in roles:
        leadership = Leadership(storage, heartbeat.process_id, clock)
        await leadership.start()
    log.info(
        "started feeds=%d topics=%d db=%s poll_seconds=%g roles=%s",
        feed_count,
        len(topics),
        describe(config.database),
        config.poll_seconds,
        ",".join(sorted(roles)),
    )
    search = NewsSearch(storage)
    webapp = None
    if Role.UPDATES in roles and config.webapp_url:
        explainer = Explainer(storage, topics, clock, gazetteer)
        parts = MiniAppParts(storage, subscriptions, chats, gazetteer, search, explainer, clock)
        webapp = MiniApp(parts, app.bot, config.require_token(), config.webapp_url)
    return Services(
        config=config,
        storage=storage,
        http=http,
        gazetteer=gazetteer,
        topics=topics,
        chats=chats,
        subscriptions=subscriptions,
        search=search,
        poller=poller,
        workers=workers,
        sender=sender,
        digests=DigestScheduler(storage, clock, wake),
        clock=clock,
        heartbeat=heartbeat,
        leadership=leadership,
        topic_watcher=topic_watcher,
        push_receiver=push_receiver,
        websub=websub,
        extractors=extractors,
        webapp=webapp,
    )


def _sender(
    app: WartaApp,
    storage: Storage,
    clock: Callable[[], float],
    limits: SendLimits,
    chats: ChatRegistry,
    metrics: Metrics | None,
    process_id: int,
    wall: Callable[[], float],
) -> Sender:
    """The outbox's sender, telling admins of finished broadcasts and chats about migrations.

    `clock` is the application's wall time, `wall` the real one: both on the server's clock.
    """

    async def report_broadcast(report: BroadcastReport) -> None:
        admin_chat = await storage.get_chat(report.admin_chat_id)
        language = admin_chat.language if admin_chat else DEFAULT_LANGUAGE
        await app.bot.send_message(
            report.admin_chat_id,
            text("broadcast_done", language, id=report.id, sent=report.sent, failed=report.failed),
        )

    return Sender(
        app.bot,
        storage,
        clock,
        limits,
        on_chat_migrated=chats.moved,
        on_broadcast_done=report_broadcast,
        metrics=metrics,
        process_id=process_id,
        wall=wall,
    )


async def _refuse_sqlite_shared_across_hosts(storage: Storage, config: Config, now: float) -> None:
    """An SQLite file serves one machine: refuse it while a process elsewhere uses it."""
    other = await live_process_elsewhere(storage, now)
    if other is not None:
        raise ConfigError(
            f"the SQLite database {describe(config.database)} is in use by a Warta process on "
            f"another machine ({other.host}, pid {other.pid}): processes on several machines "
            "need PostgreSQL, set WARTA_DB to a postgresql:// URL (deploy/README.md, "
            "SQLite or PostgreSQL)"
        )


async def _stop_sending(app: WartaApp) -> None:
    # post_stop runs while the bot can still talk to Telegram: let in-flight sends finish.
    services = app.bot_data.services
    if services is not None and services.sender is not None:
        await services.sender.stop()


def _closer(
    monitor: MonitoringServer, server: ServerClock
) -> Callable[[Application[Any, Any, Any, Any, Any, Any]], Any]:
    async def post_shutdown(app: WartaApp) -> None:
        await monitor.stop()
        await server.stop()
        await _close_resources(app)

    return post_shutdown


async def _close_resources(app: WartaApp) -> None:
    services = app.bot_data.services
    if services is not None:
        _share_send_budget(app, None)
        if services.leadership is not None:
            await services.leadership.stop()
        await services.topic_watcher.stop()
        await services.heartbeat.stop()
        if services.poller is not None:
            await services.poller.close()
        if services.workers is not None:
            await services.workers.close()
        if services.websub is not None:
            await services.websub.close()
        if services.extractors is not None:
            await services.extractors.close()
        await services.http.aclose()
        await services.storage.close()
        app.bot_data.services = None
        log.info("stopped")


@contextlib.asynccontextmanager
async def running(
    app: WartaApp,
    before_start: Callable[[WartaApp], None] = lambda app: None,
    *,
    poll_updates: bool = True,
) -> AsyncIterator[WartaApp]:
    """Start the bot as `warta run` does, without its signal handling, and stop it afterwards.

    The same order of steps as Application.run_polling. `before_start` sees the opened services
    and the scheduled jobs before the scheduler and polling start (the tests hold jobs back).
    A process without the updates role has no updater: everything else starts and stops alike;
    in webhook mode (poll_updates False) updates arrive on the update queue instead.
    """
    if app.post_init is None:
        raise RuntimeError("the application was built without its start-up step")
    updater = app.updater if poll_updates else None
    await app.initialize()
    try:
        await app.post_init(app)
        before_start(app)
        if updater is not None:
            await updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        await app.start()
        yield app
    finally:
        if updater is not None and updater.running:
            await updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _serve(app: WartaApp, webhook: WebhookServer, stop: asyncio.Event) -> None:
    """Answer the webhook until stopped, then let pushes already taken finish storing."""
    try:
        await webhook.start(app)
        await stop.wait()
    finally:
        await webhook.stop()
        services = app.bot_data.services
        if services is not None and services.push_receiver is not None:
            await services.push_receiver.wait_for_ingests()


async def run_until_stopped(app: WartaApp, webhook: WebhookServer | None = None) -> None:
    """Run without polling for updates until SIGINT or SIGTERM: no updates role, or a webhook.

    Application.run_polling always starts an updater; this is the rest of it: start, wait for a
    stop signal, then stop in the same order (stop, post_stop, shutdown, post_shutdown). The
    webhook's server (Telegram's updates and WebSub callbacks) stops first.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, stop.set)
    try:
        async with running(app, poll_updates=False):
            if webhook is None:
                log.info("running without receiving updates; SIGINT or SIGTERM stops")
                await stop.wait()
            else:
                await _serve(app, webhook, stop)
    finally:
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
