"""The typed context handlers and jobs receive: the bot's services as properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import httpx
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.chats.channels import ChannelAdminCache
from bot.chats.registry import ChatRegistry
from bot.chats.subscriptions import Subscriptions
from bot.config import Config
from bot.delivery.digests import DigestScheduler
from bot.delivery.sender import Sender
from bot.feeds.extraction import ArticleExtractors
from bot.feeds.poller import FeedPoller
from bot.feeds.push import PushReceiver
from bot.feeds.websub import WebSubscriber
from bot.feeds.workers import WorkerPool
from bot.ops.heartbeat import Heartbeat
from bot.ops.leadership import Leadership
from bot.places.gazetteer import Gazetteer
from bot.topics.registry import TopicRegistry, TopicWatcher
from bot.topics.search import NewsSearch
from bot.webapp.routes import MiniApp
from storage import Storage


@dataclass(slots=True)
class Services:
    """Everything opened at start-up and shared by handlers and jobs.

    A process builds only what its roles need: the poller, sender and scheduler's leadership
    are None in a process without those roles (`warta run --role`).
    """

    config: Config
    storage: Storage
    http: httpx.AsyncClient
    gazetteer: Gazetteer
    topics: TopicRegistry
    chats: ChatRegistry
    subscriptions: Subscriptions
    search: NewsSearch
    poller: FeedPoller | None
    workers: WorkerPool | None  # the processes that parse and clean feeds (the poller's)
    sender: Sender | None
    digests: DigestScheduler
    clock: Callable[[], float]
    heartbeat: Heartbeat
    topic_watcher: TopicWatcher
    leadership: Leadership | None = None
    push_receiver: PushReceiver | None = None  # WebSub callbacks (the webhook's process)
    websub: WebSubscriber | None = None  # asks hubs (the scheduler role, push on)
    # The processes that extract article pages (for whichever poller this process runs).
    extractors: ArticleExtractors | None = None
    # The readers' Mini App (the updates role, WARTA_WEBAPP_URL or a webhook address set).
    webapp: MiniApp | None = None

    def wake_sender(self) -> None:
        """Wake this process's sender, if it runs one (others find new messages themselves)."""
        if self.sender is not None:
            self.sender.wake()

    def poll_soon(self) -> None:
        """Poll the due feeds now in this process, if it polls (a feed was just added; other
        processes' pollers find it at their next look, a few seconds away)."""
        if self.poller is not None:
            self.poller.look()

    def leads_schedule(self) -> bool:
        """Whether this process runs the periodic duties now (it holds the scheduler lease)."""
        return self.leadership is not None and self.leadership.leading


class BotData:
    """Application-wide data: the services, once `post_init` has opened them."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.channel_admins = ChannelAdminCache()


class WartaContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to Warta's services."""

    @property
    def services(self) -> Services:
        """The running bot's services."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("services are used before start-up finished")
        return services

    @property
    def channel_admins(self) -> ChannelAdminCache:
        """Recent confirmations that users still administer the channels they manage."""
        return self.bot_data.channel_admins

    @property
    def config(self) -> Config:
        """The bot's configuration."""
        return self.services.config


WartaApp: TypeAlias = Application[
    ExtBot[None], WartaContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[WartaContext]
]
