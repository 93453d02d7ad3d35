"""The live set of every chat's topics and regions, compiled for matching."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.matching import MatchDocument, TopicIndex, TopicQuery, TopicSyntaxError, parse_topic
from storage.models import Topic


class TopicRegistry:
    """Finds the chats an item concerns: by a matching topic, or by the region they follow."""

    def __init__(self) -> None:
        self._index = TopicIndex()
        self._topics: dict[int, Topic] = {}
        self._region_followers: defaultdict[str, set[int]] = defaultdict(set)

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

    def add(self, topic: Topic, query: TopicQuery) -> None:
        """Start matching a topic."""
        self._index.add(topic.id, query)
        self._topics[topic.id] = topic

    def remove(self, topic_id: int) -> None:
        """Stop matching a topic."""
        if self._topics.pop(topic_id, None) is not None:
            self._index.remove(topic_id)

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

    def chats_for(self, document: MatchDocument, region: str) -> dict[int, tuple[str, ...]]:
        """Every chat the item concerns, with the topics (or the region) that matched."""
        matched: defaultdict[int, list[str]] = defaultdict(list)
        region_key = region.casefold()
        for chat_id in sorted(self._region_followers.get(region_key, ())):
            matched[chat_id].append(f"📍 {region}")
        for topic_id in sorted(self._index.match(document)):
            topic = self._topics[topic_id]
            if topic.region is None or topic.region.casefold() == region_key:
                matched[topic.chat_id].append(topic.label)
        return {chat_id: tuple(labels) for chat_id, labels in matched.items()}
