"""The live set of every chat's topics, compiled for matching."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bot.matching import MatchDocument, TopicIndex, TopicQuery, TopicSyntaxError, parse_topic
from storage.models import Topic


class TopicRegistry:
    """Maps each indexed topic to its chat, and finds the chats an item concerns."""

    def __init__(self) -> None:
        self._index = TopicIndex()
        self._owners: dict[int, tuple[int, str]] = {}

    def __len__(self) -> int:
        return len(self._owners)

    def load(self, topics: Iterable[Topic]) -> list[Topic]:
        """Index stored topics; return those that no longer parse (kept out of the index)."""
        broken = []
        for topic in topics:
            try:
                self.add(topic, parse_topic(topic.text))
            except TopicSyntaxError:
                broken.append(topic)
        return broken

    def add(self, topic: Topic, query: TopicQuery) -> None:
        """Start matching a topic."""
        self._index.add(topic.id, query)
        self._owners[topic.id] = (topic.chat_id, topic.text)

    def remove(self, topic_id: int) -> None:
        """Stop matching a topic."""
        if self._owners.pop(topic_id, None) is not None:
            self._index.remove(topic_id)

    def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """Follow a group that became a supergroup."""
        for topic_id, (chat_id, text) in list(self._owners.items()):
            if chat_id == old_chat_id:
                self._owners[topic_id] = (new_chat_id, text)

    def chats_for(self, document: MatchDocument) -> dict[int, tuple[str, ...]]:
        """Every chat with a matching topic, and which of its topics matched."""
        matched: defaultdict[int, list[str]] = defaultdict(list)
        for topic_id in sorted(self._index.match(document)):
            chat_id, text = self._owners[topic_id]
            matched[chat_id].append(text)
        return {chat_id: tuple(texts) for chat_id, texts in matched.items()}
