"""Subscribing and unsubscribing: validate topics, store them, keep the index in step."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.chats.places import places_meant, word_places
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from bot.places.follow import topic_place, where
from bot.places.gazetteer import Gazetteer, Place
from bot.topics.registry import TopicRegistry, exact_word
from storage import Storage
from storage.models import Topic

MAX_TOPICS_PER_CHAT = 20


@dataclass(frozen=True, slots=True)
class Refusal:
    """A topic that was not added, and why (a catalogue code such as "unbalanced_quote")."""

    topic: str
    code: str
    detail: str


@dataclass(slots=True)
class SubscribeOutcome:
    """What a /subscribe did with each topic it was given."""

    added: list[str] = field(default_factory=list)
    # The topics just stored, with how they are read, in the order of `added`.
    new_topics: list[tuple[Topic, TopicQuery]] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    over_limit: list[str] = field(default_factory=list)
    # New topics that are a word and a place's name ("buru"), with the places: which is meant?
    asked: list[tuple[Topic, tuple[Place, ...]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Follow:
    """What /region did: the key stored (None when nothing was), the name shown, whether it
    was new, and the places a name fits when it fits several (Malang)."""

    key: str | None
    shown: str
    added: bool
    choices: tuple[Place, ...] = ()


def split_region(text: str) -> tuple[str, str | None]:
    """Split "banjir @Banten" into the topic and the region it is limited to."""
    topic, marker, region = text.rpartition("@")
    if not marker or not region.strip() or (topic and not topic[-1].isspace()):
        return text, None
    return topic.strip(), " ".join(region.split())


def topic_key(query_key: str, region: str | None) -> str:
    """The per-chat identity of a topic: its canonical words, and its region if limited."""
    return f"{query_key}@{region.casefold()}" if region else query_key


def region_id(region: str) -> str:
    """A short, stable id for a region on buttons (callback data holds at most 64 bytes)."""
    return hashlib.blake2s(region.casefold().encode("utf-8"), digest_size=6).hexdigest()


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
        *,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._gazetteer = gazetteer
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self.limit = limit

    async def subscribe(self, chat_id: int, raw: str) -> SubscribeOutcome:
        """Add each comma-separated topic that is valid, new and within the chat's limit."""
        outcome = SubscribeOutcome()
        count = len(await self._storage.list_topics(chat_id))
        regions = {region.casefold(): region for region in await self._storage.known_regions()}
        for text in split_topics(raw):
            words, wanted_region = split_region(text)
            region = self._limit_named(wanted_region, regions) if wanted_region else None
            if wanted_region and region is None:
                outcome.refused.append(self._refusal(text, wanted_region))
                continue
            try:
                query = None if self._is_place(words, region) else parse_topic(words)
            except TopicSyntaxError as error:
                outcome.refused.append(Refusal(text, error.code, error.detail))
                continue
            key = topic_key(query.key if query else "", region)
            if await self._storage.find_topic(chat_id, key) is not None:
                outcome.existing.append(text)
            elif count >= self.limit:
                outcome.over_limit.append(text)
            elif (topic := await self._add(chat_id, query, words, key, region)) is not None:
                outcome.added.append(topic.label)
                if query is not None:
                    outcome.new_topics.append((topic, query))
                if places := self.readings(topic):
                    outcome.asked.append((topic, places))
                count += 1
            else:
                outcome.existing.append(text)
        return outcome

    def _is_place(self, words: str, region: str | None) -> bool:
        """Whether a topic is a place alone ("@Buru": every story located there)."""
        return not words and region is not None and self._place_named(region) is not None

    def _place_named(self, region: str) -> Place | None:
        """The place a topic's @ names, if it names one."""
        places = places_meant(self._gazetteer, region) if self._gazetteer else []
        return places[0] if len(places) == 1 else None

    def readings(self, topic: Topic) -> tuple[Place, ...]:
        """The places a topic of a word alone may also mean ("buru": Kabupaten Buru), when it
        does not say which ("=buru" and "@Buru" do)."""
        if self._gazetteer is None or topic.region:
            return ()
        return tuple(word_places(self._gazetteer, topic.text))

    def chosen_reading(self, topic: Topic) -> tuple[bool, list[str]]:
        """Which reading a topic says it means: (True, the place) for a place alone ("@Buru"),
        (False, the places it is not) for a word alone that is a place's name ("=buru")."""
        gazetteer = self._gazetteer
        if gazetteer is None:
            return False, []
        if not topic.text and topic.region and (place := self._place_named(topic.region)):
            return True, [where(gazetteer, place)]
        word = exact_word(topic.text)
        places = word_places(gazetteer, word) if word else []
        return False, [where(gazetteer, place) for place in places]

    async def choose_reading(
        self, chat_id: int, topic_id: int, code: str | None
    ) -> tuple[Topic, SubscribeOutcome] | None:
        """Replace a topic that is a word and a place's name by the word alone (no `code`) or
        the place of `code` alone; None if the topic is gone or no longer asks."""
        topic = next(
            (t for t in await self._storage.list_topics(chat_id) if t.id == topic_id), None
        )
        places = self.readings(topic) if topic is not None else ()
        if topic is None or self._gazetteer is None or not places:
            return None
        if code is None:
            wanted = "=" + " ".join(topic.text.split())
        elif (place := next((p for p in places if p.code == code), None)) is not None:
            wanted = "@" + topic_place(self._gazetteer, place)
        else:
            return None
        await self.unsubscribe_id(chat_id, topic.id)
        return topic, await self.subscribe(chat_id, wanted)

    def _limit_named(self, wanted: str, regions: dict[str, str]) -> str | None:
        """The place (as a topic names it) or feed region a topic's @ names, or None."""
        places = places_meant(self._gazetteer, wanted) if self._gazetteer else []
        if len(places) == 1 and self._gazetteer is not None:
            return topic_place(self._gazetteer, places[0])
        return regions.get(wanted.casefold())

    def _refusal(self, topic: str, wanted: str) -> Refusal:
        """Why a topic's @ names no place or region: unknown, or a name of several places."""
        places = places_meant(self._gazetteer, wanted) if self._gazetteer else []
        if self._gazetteer is not None and len(places) > 1:
            shown = " / ".join(where(self._gazetteer, place) for place in places)
            return Refusal(topic, "place_ambiguous", f"{wanted} ({shown})")
        return Refusal(topic, "unknown_region", wanted)

    async def _add(
        self, chat_id: int, query: TopicQuery | None, words: str, key: str, region: str | None
    ) -> Topic | None:
        text = query.source if query else words
        topic = await self._storage.add_topic(chat_id, text, key, self._clock(), region)
        if topic is not None:
            self._registry.add(topic, query)
        return topic

    async def unsubscribe(self, chat_id: int, text: str) -> Topic | None:
        """Remove the chat's topic written like `text` (case-insensitive, region included)."""
        words, wanted = split_region(text)
        region = self._limit_named(wanted, {}) or wanted if wanted else None
        try:
            key = topic_key("" if self._is_place(words, region) else parse_topic(words).key, region)
        except TopicSyntaxError:
            return None
        topic = await self._storage.find_topic(chat_id, key)
        if topic is None:
            return None
        return await self.unsubscribe_id(chat_id, topic.id)

    async def join_words(
        self, chat_id: int, topic_id: int
    ) -> tuple[Topic, SubscribeOutcome] | None:
        """Replace a phrase topic by the AND of its words; None if gone or not such a phrase."""
        topics = await self._storage.list_topics(chat_id)
        topic = next((topic for topic in topics if topic.id == topic_id), None)
        if topic is None:
            return None
        try:
            alternative = parse_topic(topic.text).as_and()
        except TopicSyntaxError:
            return None
        if alternative is None:
            return None
        await self.unsubscribe_id(chat_id, topic.id)
        wanted = f"{alternative} @{topic.region}" if topic.region else alternative
        return topic, await self.subscribe(chat_id, wanted)

    async def unsubscribe_id(self, chat_id: int, topic_id: int) -> Topic | None:
        """Remove one of the chat's topics by id."""
        topic = await self._storage.remove_topic(chat_id, topic_id)
        if topic is not None:
            self._registry.remove(topic.id)
        return topic

    async def topics(self, chat_id: int) -> list[tuple[Topic, TopicQuery | None]]:
        """The chat's topics, each with how it is read (None if it no longer parses)."""
        described: list[tuple[Topic, TopicQuery | None]] = []
        for topic in await self._storage.list_topics(chat_id):
            if not topic.text:  # a place alone
                described.append((topic, None))
                continue
            try:
                described.append((topic, parse_topic(topic.text)))
            except TopicSyntaxError:
                described.append((topic, None))
        return described

    async def follow_region(self, chat_id: int, wanted: str) -> Follow:
        """Follow a place (by name, short form or code) or a feed region that names no place."""
        gazetteer = self._gazetteer
        places = places_meant(gazetteer, wanted) if gazetteer else []
        if len(places) > 1:
            return Follow(None, wanted, False, tuple(places))
        if places and gazetteer is not None:
            key, shown = places[0].code, where(gazetteer, places[0])
        else:
            regions = {r.casefold(): r for r in await self._storage.known_regions()}
            key = shown = regions.get(" ".join(wanted.split()).casefold(), "")
            if not key:
                return Follow(None, wanted, False)
        added = await self._storage.follow_region(chat_id, key, self._clock())
        self._registry.follow_region(chat_id, key)
        return Follow(key, shown, added)

    async def followed(self, chat_id: int) -> list[tuple[str, str]]:
        """The places and regions a chat follows: (stored key, name shown), in order chosen."""
        return [(key, self.shown(key)) for key in await self._storage.chat_regions(chat_id)]

    def shown(self, key: str) -> str:
        """How a followed place or region is shown ("Garut, Jawa Barat", "Nasional")."""
        place = self._gazetteer.by_code(key) if self._gazetteer else None
        return where(self._gazetteer, place) if place and self._gazetteer else key

    async def region_with_id(self, chat_id: int, wanted: str) -> str | None:
        """The known or followed region whose id is `wanted`, or None."""
        for region in await self._region_choices(chat_id):
            if region_id(region) == wanted:
                return region
        return None

    async def region_named(self, chat_id: int, wanted: str) -> str | None:
        """The known or followed region written like `wanted` (any case), or None."""
        folded = " ".join(wanted.split()).casefold()
        for region in await self._region_choices(chat_id):
            if region.casefold() == folded:
                return region
        return None

    async def _region_choices(self, chat_id: int) -> list[str]:
        return [*await self._storage.known_regions(), *await self._storage.chat_regions(chat_id)]

    async def unfollow_region(self, chat_id: int, wanted: str) -> str | None:
        """Stop following a place or region (by key, name or short form); return its name, or
        None if the chat did not follow it."""
        folded = " ".join(wanted.split()).casefold()
        meant = places_meant(self._gazetteer, wanted) if self._gazetteer else []
        codes = {place.code for place in meant} if len(meant) == 1 else set()
        for key, shown in await self.followed(chat_id):
            if folded in (key.casefold(), shown.casefold()) or key in codes:
                await self._storage.unfollow_region(chat_id, key)
                self._registry.unfollow_region(chat_id, key)
                return shown
        return None
