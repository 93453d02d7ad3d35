"""The live set of every chat's topics and regions, compiled for matching.

Every process that matches holds its own copy; a TopicWatcher reads it again whenever the
database says it changed (a topic, a followed region or a chat's activity, in any process).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

from bot.matching import MatchDocument, TopicIndex, TopicQuery, TopicSyntaxError, parse_topic
from storage import DATABASE_ERRORS, Storage
from storage.models import Topic

log = logging.getLogger(__name__)

# How often a process asks whether the topics changed: a change made anywhere reaches every
# process's index within this, plus the time to read them again.
WATCH_SECONDS = 1.0


class TopicRegistry:
    """Finds the chats an item concerns: by a matching topic, or by the region they follow."""

    def __init__(self) -> None:
        self._index = TopicIndex()
        self._topics: dict[int, Topic] = {}
        self._region_followers: defaultdict[str, set[int]] = defaultdict(set)
        # Topics that are a name alone ("Jateng", "Garut"), by that name folded: a topic that
        # is a place's name also takes the items located in that place.
        self._by_name: defaultdict[str, set[int]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._topics)

    def load(self, topics: Iterable[Topic], followers: Iterable[tuple[int, str]]) -> list[Topic]:
        """Index stored topics and region followers; return topics that no longer parse."""
        broken = []
        # Many chats follow the same few topics: parse each distinct text once.
        parsed: dict[str, TopicQuery | None] = {}
        for topic in topics:
            if topic.text not in parsed:
                try:
                    parsed[topic.text] = parse_topic(topic.text)
                except TopicSyntaxError:
                    parsed[topic.text] = None
            query = parsed[topic.text]
            if query is None:
                broken.append(topic)
            else:
                self.add(topic, query)
        for chat_id, region in followers:
            self.follow_region(chat_id, region)
        return broken

    def take_over(self, other: TopicRegistry) -> None:
        """Match with what another registry holds from now on (a fresh copy read in full)."""
        self._index, self._topics = other._index, other._topics
        self._region_followers = other._region_followers
        self._by_name = other._by_name

    def add(self, topic: Topic, query: TopicQuery) -> None:
        """Start matching a topic."""
        self._index.add(topic.id, query)
        self._topics[topic.id] = topic
        if (name := plain_name(topic.text)) is not None:
            self._by_name[name].add(topic.id)

    def remove(self, topic_id: int) -> None:
        """Stop matching a topic."""
        topic = self._topics.pop(topic_id, None)
        if topic is not None:
            self._index.remove(topic_id)
            if (name := plain_name(topic.text)) is not None:
                self._by_name[name].discard(topic_id)

    def follow_region(self, chat_id: int, region: str) -> None:
        """Send the chat every new item from this region."""
        self._region_followers[region.casefold()].add(chat_id)

    def unfollow_region(self, chat_id: int, region: str) -> None:
        """Stop sending the chat a region's items."""
        self._region_followers[region.casefold()].discard(chat_id)

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """Follow a group that became a supergroup."""
        for topic_id, topic in list(self._topics.items()):
            if topic.chat_id == old_chat_id:
                self._topics[topic_id] = Topic(topic.id, new_chat_id, topic.text, topic.region)
        for followers in self._region_followers.values():
            if old_chat_id in followers:
                followers.discard(old_chat_id)
                followers.add(new_chat_id)

    def chats_for(
        self,
        document: MatchDocument,
        region: str,
        places: Mapping[str, str] | None = None,
        place_names: frozenset[str] = frozenset(),
    ) -> dict[int, tuple[str, ...]]:
        """Every chat the item concerns, with the topics (or the region) that matched.

        `places` are the codes of where the item happens, each with the "where" its alert
        shows ("Garut, Jawa Barat"): a follow of a place is stored as its code. `place_names`
        are those places as a topic's @place names them, folded ("garut", "jawa barat").
        """
        matched: defaultdict[int, list[str]] = defaultdict(list)
        region_key = region.casefold()
        for chat_id in sorted(self._region_followers.get(region_key, ())):
            matched[chat_id].append(f"📍 {region}")
        for code, shown in (places or {}).items():
            for chat_id in sorted(self._region_followers.get(code, ())):
                if f"📍 {shown}" not in matched[chat_id]:
                    matched[chat_id].append(f"📍 {shown}")
        matching = set(self._index.match(document))
        for name in place_names:
            matching |= self._by_name.get(name, set())
        for topic_id in sorted(matching):
            topic = self._topics[topic_id]
            limit = topic.region.casefold() if topic.region else None
            if limit is None or limit == region_key or limit in place_names:
                matched[topic.chat_id].append(topic.label)
        return {chat_id: tuple(labels) for chat_id, labels in matched.items()}


def plain_name(text: str) -> str | None:
    """The topic folded, when it is words alone (a name it may be: "Jawa Barat"), else None."""
    words = text.casefold().split()
    if not words or not all(word.isalpha() for word in words):
        return None
    return " ".join(words)


class TopicWatcher:
    """Keeps a registry in step with the database: reads it again when its version moved."""

    def __init__(self, storage: Storage, registry: TopicRegistry) -> None:
        self._storage = storage
        self._registry = registry
        self._version: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def reload(self) -> list[Topic]:
        """Read every topic and region follower again; return topics that no longer parse."""
        # The version first: a change committed while the topics are read moves it again,
        # and the next check reads them once more.
        version = await self._storage.matching_version()
        topics = await self._storage.active_topics()
        followers = await self._storage.region_followers()
        fresh = TopicRegistry()
        # Parsing thousands of topics takes a while: not on the event loop that answers chats.
        broken = await asyncio.to_thread(fresh.load, topics, followers)
        self._registry.take_over(fresh)
        self._version = version
        return broken

    def start(self) -> None:
        """Check for changes every WATCH_SECONDS in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="warta-topic-watcher")

    async def stop(self) -> None:
        """Stop checking."""
        if self._task is not None:
            self._task.cancel()
            # A watcher stopped by the storage closing under it has nothing more to say.
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                if await self._storage.matching_version() != self._version:
                    await self.reload()
                    log.info("topics read again topics=%d", len(self._registry))
            except DATABASE_ERRORS as error:
                # The next check tries again; until then the index matches as it did.
                log.error("topics not read again reason=%s", error)
