"""`warta match`: run one topic over one article exactly as ingestion would; `--where`: its places.

The article is a file, standard input, or an http(s) URL whose page is fetched and extracted
the way the poller does for teaser-only feeds (the network libraries load only then). A saved
HTML page goes through the same extractor (loaded only for a page), so that its title, menus
and headline, which the bot never matches, do not stand before the dateline. Any other text is
read as a feed entry's text.
"""

from __future__ import annotations

import argparse
import re
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
LANGUAGE = "en"  # the command line speaks English, whatever the chats' language

# A whole HTML document (not a fragment such as a feed's <p>…</p>) declares itself early.
_PAGE_RE = re.compile(rb"<!doctype\s+html|<html[\s>]|<body[\s>]", re.IGNORECASE)
_PAGE_SNIFF_BYTES = 4096


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `warta match`."""
    parser = commands.add_parser(
        "match", help="apply Warta's cleaning and matching to an article and report the result"
    )
    parser.add_argument(
        "query", nargs="?", help='a topic, e.g. "banjir AND Serang" (not with --where)'
    )
    parser.add_argument(
        "file",
        nargs="?",
        help="article as HTML or text, or an http(s) URL to fetch (standard input if absent)",
    )
    parser.add_argument(
        "--where",
        action="store_true",
        help="print the places the article happens in, each with its cue, and the names not "
        "taken with the reason (no topic: the only argument is the article)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print the text the topic was matched against"
    )
    parser.add_argument(
        "--region", help="the feed's region, as ingestion knows it (e.g. Banten)", default=None
    )
    parser.set_defaults(handler=lambda args: _dispatch(parser, args))


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`--where` with at most the article; otherwise a topic and the article."""
    if args.where:
        if args.file is not None:
            parser.error("--where takes no topic: only the article (a file or a URL)")
        return run_where(args.query, verbose=args.verbose)
    if args.query is None:
        parser.error("a topic is needed (or --where)")
    return run_match(args.query, args.file, args.region, verbose=args.verbose)


def run_where(path: str | None, *, verbose: bool = False) -> int:
    """Print the places found and the cue of each, then the names not taken and why.

    Exit 0 when the article happens somewhere, 1 when nowhere, 2 when it cannot be read.
    """
    from bot.places.gazetteer import Gazetteer
    from bot.places.locate import read_places

    title, body = _article(path)
    if body is None:
        return EXIT_INVALID
    if verbose:
        print(body, end="\n\n")
    gazetteer = Gazetteer.load()
    reading = read_places(gazetteer, title=title, article=body)
    for found in reading.located:
        place = gazetteer.places[found.code]
        print(f"{place.official} ({place.code}): {found.cue}, {found.name!r}")
    if not reading.located:
        print("no place")
    for passed in reading.passed_over:
        print(f"not taken: {passed.name!r}: {passed.reason}")
    return EXIT_MATCH if reading.located else EXIT_NO_MATCH


def run_match(
    query_text: str, path: str | None, region: str | None = None, *, verbose: bool = False
) -> int:
    """Print the words that matched; exit 0 on a match, 1 on none, 2 on an invalid query."""
    try:
        query = parse_topic(query_text)
    except TopicSyntaxError as error:
        # The catalogue (babel) is read only to explain a refusal: a match need not wait for it.
        from bot.i18n import text

        reason = text(f"topic_error_{error.code}", LANGUAGE, detail=error.detail)
        print(f"warta match: invalid topic {query_text!r}: {reason}", file=sys.stderr)
        return EXIT_INVALID
    title, body = _article(path)
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


def _article(path: str | None) -> tuple[str, str | None]:
    """(title, text) of a file, standard input or a fetched page; None after saying why not."""
    if path and urlsplit(path).scheme in {"http", "https"}:
        return "", _fetched_article(path)
    return _read_article(path)


def _read_article(path: str | None) -> tuple[str, str | None]:
    """(title, text for matching) of a file or standard input; None after saying why not."""
    try:
        article = Path(path).read_bytes() if path else sys.stdin.buffer.read()
    except OSError as error:
        print(f"warta match: cannot read {path}: {error.strerror}", file=sys.stderr)
        return "", None
    if _PAGE_RE.search(article[:_PAGE_SNIFF_BYTES]):
        # The extractor is loaded only for a page: plain text is matched without its cost.
        from bot.feeds.extract import extract_article

        url = Path(path).resolve().as_uri() if path else ""
        if text := extract_article(article, url):
            return "", text
        print(
            "warta match: no article text found on the page; matching all its text", file=sys.stderr
        )
    feed_text = FeedText(article.decode("utf-8", errors="replace"))
    title, body, _ = clean_entry_text(FeedText(""), feed_text, None)
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
