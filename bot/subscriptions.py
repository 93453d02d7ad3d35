"""Subscribing and unsubscribing: validate topics, store them, keep the index in step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.matching import TopicSyntaxError, parse_topic
from bot.topics import TopicRegistry
from storage import Storage
from storage.models import Topic

MAX_TOPICS_PER_CHAT = 20


@dataclass(slots=True)
class SubscribeOutcome:
    """What a /subscribe did with each topic it was given."""

    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: list[tuple[str, TopicSyntaxError]] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)


def split_topics(raw: str) -> list[str]:
    """Split a comma-separated list of topics, leaving commas inside quotes alone."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


class Subscriptions:
    """A chat's topics: the one place that adds and removes them."""

    def __init__(
        self,
        storage: Storage,
        registry: TopicRegistry,
        clock: Callable[[], float],
        limit: int = MAX_TOPICS_PER_CHAT,
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self.limit = limit

    async def subscribe(self, chat_id: int, raw: str) -> SubscribeOutcome:
        """Add each comma-separated topic that is valid, new and within the chat's limit."""
        outcome = SubscribeOutcome()
        count = len(await self._storage.list_topics(chat_id))
        for text in split_topics(raw):
            try:
                query = parse_topic(text)
            except TopicSyntaxError as error:
                outcome.refused.append((text, error))
                continue
            if await self._storage.find_topic(chat_id, query.key) is not None:
                outcome.existing.append(text)
                continue
            if count >= self.limit:
                outcome.over_limit.append(text)
                continue
            topic = await self._storage.add_topic(chat_id, query.source, query.key, self._clock())
            if topic is None:
                outcome.existing.append(text)
                continue
            self._registry.add(topic, query)
            outcome.added.append(query.source)
            count += 1
        return outcome

    async def unsubscribe(self, chat_id: int, text: str) -> Topic | None:
        """Remove the chat's topic written like `text` (case-insensitive)."""
        try:
            key = parse_topic(text).key
        except TopicSyntaxError:
            return None
        topic = await self._storage.find_topic(chat_id, key)
        if topic is None:
            return None
        return await self.unsubscribe_id(chat_id, topic.id)

    async def unsubscribe_id(self, chat_id: int, topic_id: int) -> Topic | None:
        """Remove one of the chat's topics by id."""
        topic = await self._storage.remove_topic(chat_id, topic_id)
        if topic is not None:
            self._registry.remove(topic.id)
        return topic

    async def topics(self, chat_id: int) -> list[tuple[Topic, list[str]]]:
        """The chat's topics, each with the other forms it also covers."""
        described = []
        for topic in await self._storage.list_topics(chat_id):
            try:
                covers = parse_topic(topic.text).also_covers()
            except TopicSyntaxError:
                covers = []
            described.append((topic, covers))
        return described

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Keep matching a group's topics after it became a supergroup."""
        self._registry.move_chat(old_chat_id, new_chat_id)
