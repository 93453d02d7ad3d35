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
from storage.models import Narrowing, NarrowingKind, Topic

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
        # is a place's name also takes the items located in that place. A place alone ("@Buru")
        # is here by that place's name, and takes nothing else.
        self._by_name: defaultdict[str, set[int]] = defaultdict(set)
        self._queries: dict[int, TopicQuery] = {}
        # "Less like this": a topic's narrowings, and the feeds each chat muted.
        self._narrowings: defaultdict[int, set[Narrowing]] = defaultdict(set)
        self._muted: defaultdict[int, set[int]] = defaultdict(set)
        self._excluded: dict[str, TopicQuery | None] = {}  # excluded words, read as topics
        # Topics of a word alone, said outright ("=buru"): the word, never the place of that
        # name, so not an item located there.
        self._words: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._topics)

    def load(
        self,
        topics: Iterable[Topic],
        followers: Iterable[tuple[int, str]],
        narrowings: Iterable[Narrowing] = (),
    ) -> list[Topic]:
        """Index stored topics, region followers and narrowings; return topics that no longer
        parse."""
        broken = []
        # Many chats follow the same few topics: parse each distinct text once.
        parsed: dict[str, TopicQuery | None] = {}
        for topic in topics:
            if not topic.text:  # a place alone ("@Buru"): nothing to parse
                self.add(topic, None)
                continue
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
        for narrowing in narrowings:
            self.narrow(narrowing)
        return broken

    def take_over(self, other: TopicRegistry) -> None:
        """Match with what another registry holds from now on (a fresh copy read in full)."""
        self._index, self._topics = other._index, other._topics
        self._region_followers = other._region_followers
        self._by_name = other._by_name
        self._queries, self._narrowings = other._queries, other._narrowings
        self._muted, self._excluded = other._muted, other._excluded
        self._words = other._words

    def add(self, topic: Topic, query: TopicQuery | None) -> None:
        """Start matching a topic (a place alone has no query)."""
        if query is not None:
            self._index.add(topic.id, query)
        self._topics[topic.id] = topic
        if query is not None:
            self._queries[topic.id] = query
        if (name := _name_of(topic)) is not None:
            self._by_name[name].add(topic.id)
        if (word := exact_word(topic.text)) is not None:
            self._words[topic.id] = word

    def remove(self, topic_id: int) -> None:
        """Stop matching a topic."""
        topic = self._topics.pop(topic_id, None)
        self._queries.pop(topic_id, None)
        self._narrowings.pop(topic_id, None)
        if topic is not None:
            self._index.remove(topic_id)
            if (name := _name_of(topic)) is not None:
                self._by_name[name].discard(topic_id)
            self._words.pop(topic_id, None)

    def narrow(self, narrowing: Narrowing) -> None:
        """Start applying a narrowing a reader chose."""
        if narrowing.kind == NarrowingKind.FEED:
            self._muted[narrowing.chat_id].add(int(narrowing.value))
        elif narrowing.topic_id is not None:
            self._narrowings[narrowing.topic_id].add(narrowing)
            if narrowing.kind == NarrowingKind.EXCLUDE:
                self._word(narrowing.value)

    def widen(self, narrowing: Narrowing) -> None:
        """Stop applying a narrowing (undone)."""
        if narrowing.kind == NarrowingKind.FEED:
            self._muted[narrowing.chat_id].discard(int(narrowing.value))
        elif narrowing.topic_id is not None:
            self._narrowings[narrowing.topic_id].discard(narrowing)

    def _word(self, word: str) -> TopicQuery | None:
        """An excluded word read as a topic (its forms count too); None if it cannot be."""
        if word not in self._excluded:
            try:
                self._excluded[word] = parse_topic(word)
            except TopicSyntaxError:
                self._excluded[word] = None
        return self._excluded[word]

    def _narrowed_out(self, topic_id: int, item: _NarrowingCheck) -> bool:
        """Whether a narrowing of the topic keeps this item from it."""
        for narrowing in self._narrowings.get(topic_id, ()):
            if narrowing.kind == NarrowingKind.EXCLUDE:
                if item.names(narrowing.value, self._word(narrowing.value)):
                    return True
            elif narrowing.kind == NarrowingKind.TITLE:
                query = self._queries.get(topic_id)
                if query is not None and not item.title_has(query):
                    return True
            elif (
                narrowing.kind == NarrowingKind.PLACE
                and narrowing.value.casefold() not in item.where
            ):
                return True
        return False

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
        place_names: Mapping[str, tuple[str, ...]] | None = None,
        word_names: frozenset[str] = frozenset(),
        feed_id: int | None = None,
    ) -> dict[int, tuple[str, ...]]:
        """Every chat the item concerns, with the topics (or the region) that matched.

        `places` are the codes of where the item happens, each with the "where" its alert
        shows ("Garut, Jawa Barat"): a follow of a place is stored as its code. `place_names`
        are those places as a topic's @place or a place's name names them, folded ("garut",
        "jawa barat"), each with the "where"s of the item's places it names. `word_names` are
        the names of those places that are also words ("buru"): "=buru" does not take the item.
        A place that brought a topic's alert is said in it ("📍 Garut, Jawa Barat").
        Narrowings apply: a topic's excluded words, title-only and place-only, and the chats
        that muted `feed_id`.
        """
        named = place_names or {}
        matched: defaultdict[int, list[str]] = defaultdict(list)
        region_key = region.casefold()
        for chat_id in sorted(self._region_followers.get(region_key, ())):
            matched[chat_id].append(f"📍 {region}")
        for code, shown in (places or {}).items():
            for chat_id in sorted(self._region_followers.get(code, ())):
                if f"📍 {shown}" not in matched[chat_id]:
                    matched[chat_id].append(f"📍 {shown}")
        matching = set(self._index.match(document))
        for name in named:
            matching |= self._by_name.get(name, set())
        located = frozenset({region_key, *named})
        check = _NarrowingCheck(document, located)
        for topic_id in sorted(matching):
            if self._words.get(topic_id) in word_names:
                continue
            topic = self._topics[topic_id]
            limit = topic.region.casefold() if topic.region else None
            if limit is not None and limit != region_key and limit not in named:
                continue
            if self._narrowed_out(topic_id, check):
                continue
            labels = matched[topic.chat_id]
            labels.append(topic.label)
            brought = named.get(limit) if limit is not None else named.get(_name_of(topic) or "")
            for where in brought or ():
                if f"📍 {where}" not in labels:
                    labels.append(f"📍 {where}")
        return {
            chat_id: tuple(labels)
            for chat_id, labels in matched.items()
            if labels and (feed_id is None or feed_id not in self._muted.get(chat_id, ()))
        }


class _NarrowingCheck:
    """One item's answers to the narrowings' questions, each worked out once per item."""

    def __init__(self, document: MatchDocument, where: frozenset[str]) -> None:
        self.where = where
        self._document = document
        self._title: MatchDocument | None = None
        self._excluded: dict[str, bool] = {}
        self._in_title: dict[str, bool] = {}  # by topic key: many chats follow the same few

    def names(self, word: str, query: TopicQuery | None) -> bool:
        """Whether the item names an excluded word (in any of its forms)."""
        if word not in self._excluded:
            self._excluded[word] = query is not None and query.matches(self._document)
        return self._excluded[word]

    def title_has(self, query: TopicQuery) -> bool:
        """Whether the topic holds for the item's title alone."""
        if query.key not in self._in_title:
            if self._title is None:
                self._title = self._document.title_only()
            self._in_title[query.key] = query.matches(self._title)
        return self._in_title[query.key]


def _name_of(topic: Topic) -> str | None:
    """The place name, folded, a topic takes located items by: a place alone's, or the
    topic's own words when they may be a name."""
    if not topic.text:
        return topic.region.casefold() if topic.region else None
    return plain_name(topic.text)


def exact_word(text: str) -> str | None:
    """The words of a topic of words alone said outright ("=buru", "=tanah laut"), folded."""
    return plain_name(text[1:]) if text.startswith("=") else None


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
        narrowings = await self._storage.active_narrowings()
        fresh = TopicRegistry()
        # Parsing thousands of topics takes a while: not on the event loop that answers chats.
        broken = await asyncio.to_thread(fresh.load, topics, followers, narrowings)
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
