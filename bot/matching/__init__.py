"""Topic matching: parse reader topics, find the topics each item matches.

A library that knows no database (the registry and the search over stored items are in
`bot.topics`). May import the shared vocabulary (`bot.i18n`) and the gazetteer's data
(`bot.places.gazetteer`, the one source of place names, short forms and cues); never `storage`,
`handlers`, `bot.feeds` or `bot.delivery`.
"""

from __future__ import annotations

from bot.matching.document import MatchDocument, prepare_document
from bot.matching.index import TopicIndex
from bot.matching.query import TopicQuery, parse_topic
from bot.matching.syntax import TopicSyntaxError

__all__ = [
    "MatchDocument",
    "TopicIndex",
    "TopicQuery",
    "TopicSyntaxError",
    "parse_topic",
    "prepare_document",
]
