"""`warta match`: run one topic over one article exactly as ingestion would."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.feeds.clean import FeedText, clean_entry_text
from bot.matching import TopicSyntaxError, parse_topic, prepare_document

EXIT_MATCH, EXIT_NO_MATCH, EXIT_INVALID = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta match`."""
    parser = commands.add_parser(
        "match", help="apply Warta's cleaning and matching to an article and report the result"
    )
    parser.add_argument("query", help='a topic, e.g. "banjir AND Serang"')
    parser.add_argument(
        "file", nargs="?", help="article as HTML or text (standard input if absent)"
    )
    parser.add_argument(
        "--region", help="the feed's region, as ingestion knows it (e.g. Banten)", default=None
    )
    parser.set_defaults(handler=lambda args: run_match(args.query, args.file, args.region))


def run_match(query_text: str, path: str | None, region: str | None = None) -> int:
    """Print the words that matched; exit 0 on a match, 1 on none, 2 on an invalid query."""
    try:
        query = parse_topic(query_text)
    except TopicSyntaxError as error:
        # The catalogue (babel) is read only to explain a refusal: a match need not wait for it.
        from bot.i18n import text

        reason = text(f"topic_error_{error.code}", detail=error.detail)
        print(f"warta match: invalid topic {query_text!r}: {reason}", file=sys.stderr)
        return EXIT_INVALID
    try:
        article = (
            Path(path).read_text(encoding="utf-8", errors="replace") if path else (sys.stdin.read())
        )
    except OSError as error:
        print(f"warta match: cannot read {path}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID
    title, body, _ = clean_entry_text(FeedText(""), FeedText(article), None)
    document = prepare_document(title, body, region)
    if not query.matches(document):
        print("no match")
        return EXIT_NO_MATCH
    print("match: " + ", ".join(query.matched_terms(document)))
    return EXIT_MATCH
