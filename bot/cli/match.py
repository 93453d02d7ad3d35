"""`warta match`: run one topic over one article exactly as ingestion would.

The article is a file, standard input, or an http(s) URL whose page is fetched and extracted
the way the poller does for teaser-only feeds (the network libraries load only then).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.feeds.clean import FeedText, clean_entry_text
from bot.matching import TopicSyntaxError, parse_topic, prepare_document

if TYPE_CHECKING:
    from bot.config import Config
    from bot.feeds.articles import ArticleFailure

EXIT_MATCH, EXIT_NO_MATCH, EXIT_INVALID = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta match`."""
    parser = commands.add_parser(
        "match", help="apply Warta's cleaning and matching to an article and report the result"
    )
    parser.add_argument("query", help='a topic, e.g. "banjir AND Serang"')
    parser.add_argument(
        "file",
        nargs="?",
        help="article as HTML or text, or an http(s) URL to fetch (standard input if absent)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the text the topic was matched against"
    )
    parser.add_argument(
        "--region", help="the feed's region, as ingestion knows it (e.g. Banten)", default=None
    )
    parser.set_defaults(
        handler=lambda args: run_match(args.query, args.file, args.region, verbose=args.verbose)
    )


def run_match(
    query_text: str, path: str | None, region: str | None = None, *, verbose: bool = False
) -> int:
    """Print the words that matched; exit 0 on a match, 1 on none, 2 on an invalid query."""
    try:
        query = parse_topic(query_text)
    except TopicSyntaxError as error:
        # The catalogue (babel) is read only to explain a refusal: a match need not wait for it.
        from bot.i18n import text

        reason = text(f"topic_error_{error.code}", detail=error.detail)
        print(f"warta match: invalid topic {query_text!r}: {reason}", file=sys.stderr)
        return EXIT_INVALID
    if path and urlsplit(path).scheme in {"http", "https"}:
        title, body = "", _fetched_article(path)
    else:
        title, body = _read_article(path)
    if body is None:
        return EXIT_INVALID
    if verbose:
        print(body, end="\n\n")
    document = prepare_document(title, body, region)
    if not query.matches(document):
        print("no match")
        return EXIT_NO_MATCH
    print("match: " + ", ".join(query.matched_terms(document)))
    return EXIT_MATCH


def _read_article(path: str | None) -> tuple[str, str | None]:
    """(title, text for matching) of a file or standard input; None after saying why not."""
    try:
        article = (
            Path(path).read_text(encoding="utf-8", errors="replace") if path else sys.stdin.read()
        )
    except OSError as error:
        print(f"warta match: cannot read {path}: {error.strerror}", file=sys.stderr)
        return "", None
    title, body, _ = clean_entry_text(FeedText(""), FeedText(article), None)
    return title, body


def _fetched_article(url: str) -> str | None:
    """The article text of a page, fetched and extracted as the poller does; None: not had."""
    import asyncio

    from bot.config import ConfigError, load_config
    from bot.feeds.articles import ArticleFailure

    try:
        config = load_config()
    except ConfigError as error:
        print(f"warta match: {error}", file=sys.stderr)
        return None
    text = asyncio.run(_fetch_article(url, config))
    if isinstance(text, ArticleFailure):
        print(f"warta match: cannot use {url}: {text.reason}", file=sys.stderr)
        return None
    return text


async def _fetch_article(url: str, config: Config) -> str | ArticleFailure:
    from bot.feeds.articles import ArticleFetcher
    from bot.feeds.extraction import ExtractionInThread
    from bot.feeds.fetch import build_http_client

    extraction = ExtractionInThread()
    try:
        async with build_http_client(config.fetch_timeout, config.fetch_addresses) as client:
            return await ArticleFetcher(client, extraction).article(url)
    finally:
        extraction.close()
