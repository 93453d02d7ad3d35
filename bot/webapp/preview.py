"""The live preview: what a topic would have brought in the last week, found as /latest finds.

The stories shown are the newest the same search confirms; the words the topic matched are
given as character offsets into the title and teaser, for the page to mark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.matching import TopicQuery, prepare_document
from bot.matching.normalize import base_text, word_spans
from bot.topics.search import NewsSearch
from bot.wib import local_at
from storage.models import Item, TimeZone

SHOWN = 20
DAYS = 7
# Stories confirmed at most, for the counts: a day above COUNT_CAP shows as "100+".
SCANNED = 200
COUNT_CAP = 100

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class PreviewStory:
    """One story the topic matched, with the spans of the words it matched."""

    item: Item
    title_marks: list[Span]
    teaser_marks: list[Span]


@dataclass(frozen=True, slots=True)
class Preview:
    """The newest stories of the last DAYS days, and how many a day ("100+" above the cap)."""

    stories: list[PreviewStory] = field(default_factory=list)
    per_day: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = True


async def preview(
    search: NewsSearch, query: TopicQuery, now: float, zone: TimeZone, chat_id: int
) -> Preview:
    """Search the stored stories for `query` (SearchBusyError when the chat searches already)."""
    result = await search.latest([query], SCANNED, chat_id=chat_id)
    since = now - DAYS * 86400
    recent = [item for item in result.items if _when(item) >= since]
    days = Counter(local_at(_when(item), zone).date().isoformat() for item in recent)
    per_day = [
        (day, f"{COUNT_CAP}+" if count > COUNT_CAP else str(count))
        for day, count in sorted(days.items(), reverse=True)
    ]
    stories = [_marked(item, query) for item in recent[:SHOWN]]
    return Preview(stories, per_day, result.complete and len(result.items) < SCANNED)


def _when(item: Item) -> float:
    return item.published_at if item.published_at is not None else item.fetched_at


def _marked(item: Item, query: TopicQuery) -> PreviewStory:
    """The story with the spans of its title and teaser where a matched phrase stands."""
    document = prepare_document(item.title, item.summary, item.region)
    variants = query.positive_variants()
    hits: set[int] = set()
    for start in range(len(document.positions)):
        for variant in variants:
            if document.has_at(variant, start):
                hits.update(range(start, start + len(variant)))
    title_words = len(word_spans(base_text(item.title)))
    return PreviewStory(
        item,
        _spans(item.title, {n for n in hits if n < title_words}),
        _spans(item.summary, {n - title_words - 1 for n in hits if n > title_words}),
    )


def _spans(text: str, words: set[int]) -> list[Span]:
    """The character spans of the numbered words of `text` (none where folding moved them)."""
    base = base_text(text)
    if len(base) != len(text):
        return []
    spans = word_spans(base)
    return [spans[n] for n in sorted(words) if n < len(spans)]
