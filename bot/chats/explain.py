"""Why an alert came, and the narrowings that would have kept it out ("less like this").

The answer is worked out when the reader asks, from the stored item and the chat's topics as
they are now; once retention removed the item there is nothing left to explain.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import text
from bot.matching import TopicQuery, TopicSyntaxError, parse_topic
from bot.matching.document import prepare_document
from bot.matching.readings import plain
from bot.places.follow import topic_place
from bot.places.gazetteer import Gazetteer
from bot.topics.registry import TopicRegistry
from storage import Storage
from storage.models import AlertRecord, Narrowing, NarrowingKind, Topic

# Where in an item words can match, in the order the answer names them.
FIELDS = ("title", "teaser", "article", "dateline")
# A dateline opens an article: "JAKARTA, KOMPAS.com - ..." (the place before the dash).
_DATELINE = re.compile(r"^\s*([^\n]{2,80}?)\s+[-–—]\s")
_WORD = re.compile(r"[^\W\d_]{4,}")
# Excluded words offered per topic: enough to find the one that sets this story apart.
MAX_WORDS_OFFERED = 4


@dataclass(frozen=True, slots=True)
class Reason:
    """One topic (or followed place) that brought the alert: the words found, and where."""

    label: str
    topic: Topic | None  # None: a followed place or region
    found: tuple[tuple[str, tuple[str, ...]], ...]  # (word, fields it is in)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an alert came: its item, its feed and the reasons."""

    alert: AlertRecord
    reasons: tuple[Reason, ...]
    # Places the chat follows where this story did not happen: "only in" one keeps it out.
    elsewhere: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Offer:
    """A narrowing that would have kept the item out."""

    topic: Topic | None
    kind: NarrowingKind
    value: str


def item_fields(alert: AlertRecord) -> dict[str, str]:
    """The item's text by field: title, teaser, article (without its dateline), dateline."""
    teaser = alert.item.summary
    body = alert.body
    article = body[: -len(teaser)].rstrip("\n") if teaser and body.endswith(teaser) else body
    if article == teaser:
        article = ""
    dateline = ""
    opening = _DATELINE.match(article or teaser)
    if opening:
        dateline = opening.group(1)
        if article:
            article = article[opening.end() :]
    return {"title": alert.item.title, "teaser": teaser, "article": article, "dateline": dateline}


def words_found(
    query: TopicQuery, fields: dict[str, str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The topic's words present in the item, each with the fields that carry it."""
    documents = {name: prepare_document(value, "") for name, value in fields.items() if value}
    found: dict[str, list[str]] = {}
    for variant in query.positive_variants():
        shown = " ".join(map(plain, variant))
        for name, document in documents.items():
            if variant in document and name not in found.setdefault(shown, []):
                found[shown].append(name)
    return tuple((word, tuple(names)) for word, names in found.items() if names)


class Explainer:
    """Answers "why" for a chat's alerts and applies the narrowing a reader picks."""

    def __init__(
        self,
        storage: Storage,
        registry: TopicRegistry,
        clock: Callable[[], float],
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self._gazetteer = gazetteer

    async def explain(self, chat_id: int, delivery_id: int) -> Explanation | None:
        """Why the chat got this alert; None once the item is no longer kept."""
        alert = await self._storage.kept_alert(chat_id, delivery_id)
        return await self._explained(alert) if alert else None

    async def explain_message(self, chat_id: int, message_id: int) -> Explanation | None:
        """Why the chat got the alert that became this message; None if unknown or gone."""
        alert = await self._storage.alert_by_message(chat_id, message_id)
        return await self._explained(alert) if alert else None

    async def digest(self, chat_id: int, digest_id: int) -> list[tuple[int, str]]:
        """A digest's kept items to choose from: (alert id, title)."""
        return await self._storage.digest_alerts(chat_id, digest_id)

    async def _explained(self, alert: AlertRecord) -> Explanation:
        fields = item_fields(alert)
        reasons = []
        labels = set(alert.topics)
        for topic in await self._storage.list_topics(alert.chat_id):
            if topic.label not in labels:
                continue
            labels.discard(topic.label)
            try:
                found = words_found(parse_topic(topic.text), fields)
            except TopicSyntaxError:
                found = ()
            reasons.append(Reason(topic.label, topic, found))
        # Followed places, and topics removed since: named as the alert named them.
        reasons += [Reason(label, None, ()) for label in alert.topics if label in labels]
        return Explanation(alert, tuple(reasons), await self._elsewhere(alert))

    async def _elsewhere(self, alert: AlertRecord) -> tuple[str, ...]:
        """The places the chat follows, as a topic's @place names them, but for the story's."""
        names = []
        for key in await self._storage.chat_regions(alert.chat_id):
            if key in alert.places or key.casefold() == alert.item.region.casefold():
                continue
            place = self._gazetteer.by_code(key) if self._gazetteer else None
            names.append(topic_place(self._gazetteer, place) if self._gazetteer and place else key)
        return tuple(dict.fromkeys(names))

    async def record_why(self, explanation: Explanation) -> None:
        """Count the question for each topic it concerned (operators see it in /stats)."""
        for reason in explanation.reasons:
            await self._storage.record_explain_event("why", reason.label, self._clock())

    @staticmethod
    def offers(explanation: Explanation) -> list[Offer]:
        """The narrowings that would have kept this item out, in a fixed order (buttons name
        them by their place in it)."""
        offers: list[Offer] = []
        title = explanation.alert.item.title
        for reason in explanation.reasons:
            if reason.topic is None:
                continue
            own = {part.casefold() for word, _ in reason.found for part in word.split()}
            own |= {part.casefold() for part in _WORD.findall(reason.topic.text)}
            words = [w.casefold() for w in _WORD.findall(title) if w.casefold() not in own]
            for word in list(dict.fromkeys(words))[:MAX_WORDS_OFFERED]:
                offers.append(Offer(reason.topic, NarrowingKind.EXCLUDE, word))
            if reason.found and not any("title" in where for _, where in reason.found):
                offers.append(Offer(reason.topic, NarrowingKind.TITLE, ""))
            offers += [
                Offer(reason.topic, NarrowingKind.PLACE, place) for place in explanation.elsewhere
            ]
        feed = str(explanation.alert.item.feed_id)
        offers.append(Offer(None, NarrowingKind.FEED, feed))
        return offers

    async def apply(self, chat_id: int, offer: Offer, explanation: Explanation) -> bool:
        """Narrow as offered; False if the chat already had this narrowing."""
        topic_id = offer.topic.id if offer.topic else None
        now = self._clock()
        added = await self._storage.add_narrowing(chat_id, topic_id, offer.kind, offer.value, now)
        if added:
            for narrowing in await self._storage.chat_narrowings(chat_id):
                self._registry.narrow(narrowing)  # at once here; other processes follow
            labels = [offer.topic.label] if offer.topic else [r.label for r in explanation.reasons]
            for label in labels:
                await self._storage.record_explain_event("narrow", label, now)
        return added

    async def narrowings(self, chat_id: int) -> list[Narrowing]:
        """The chat's narrowings, to show and undo."""
        return await self._storage.chat_narrowings(chat_id)

    async def describe(self, narrowing: Narrowing, language: str) -> str:
        """A stored narrowing in words (Telegram HTML), as /list and the Mini App show it."""
        if narrowing.kind == NarrowingKind.FEED:
            name = await self._storage.feed_name(int(narrowing.value)) or narrowing.value
            return text("narrowing_feed", language, feed=html.escape(name))
        topics = {topic.id: topic for topic in await self._storage.list_topics(narrowing.chat_id)}
        topic = topics.get(narrowing.topic_id or 0)
        label = topic.label if topic else ""
        return text(f"narrowing_{narrowing.kind}", language, topic=html.escape(label),
                    value=html.escape(narrowing.value))  # fmt: skip

    async def undo(self, chat_id: int, narrowing_id: int) -> Narrowing | None:
        """Undo one of the chat's narrowings; None if it was already gone."""
        narrowing = await self._storage.remove_narrowing(chat_id, narrowing_id)
        if narrowing is not None:
            self._registry.widen(narrowing)
        return narrowing
