"""Recall on teaser-only feeds: alerted on the teaser alone (before) vs with the article (after).

    python -m bench.bench_fulltext

120 labelled items (bench/data/fulltext/, written by bench/fulltext_pages.py in six outlets'
layouts): each one's topic is a name found only in the article's later paragraphs, and its trap
a word found only in the page's boilerplate. Before: the topic is matched on title + teaser,
as Warta did. After: on title + teaser + the article text `extract_article` gives (trafilatura,
then Warta's boilerplate cleaning). For comparison, two other ways to get the text: the whole
page as text (Warta's own HTML to text, then its cleaning) and jusText with its Indonesian
stoplist (maintained, and trafilatura's own fallback). Extraction time is per page, one page at
a time in this process, after one warm-up page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import justext

from bench.report import append_result
from bot.feeds.clean import FeedText, clean_entry_text, html_to_text
from bot.feeds.clean.boilerplate import clean_article
from bot.feeds.extract import extract_article
from bot.matching import parse_topic, prepare_document

DATA = Path(__file__).with_name("data") / "fulltext"
Extractor = Callable[[bytes, str], str]


def whole_page(page: bytes, url: str) -> str:
    """Every visible word of the page, cleaned as feed text is."""
    return clean_article(html_to_text(page.decode("utf-8"))).for_matching()


def jus_text(page: bytes, url: str) -> str:
    """jusText's good paragraphs, cleaned as feed text is."""
    paragraphs = justext.justext(page, justext.get_stoplist("Indonesian"))
    text = "\n".join(p.text for p in paragraphs if not p.is_boilerplate)
    return clean_article(text).for_matching()


EXTRACTORS: dict[str, Extractor] = {
    "trafilatura (Warta's extract_article)": extract_article,
    "jusText, Indonesian stoplist": jus_text,
    "whole page as text": whole_page,
}


def matches(topic: str, title: str, text: str, region: str) -> bool:
    """Whether the topic matches an item the way the poller matches it."""
    return parse_topic(topic).matches(prepare_document(title, text, region))


def teaser_text(item: dict[str, str]) -> tuple[str, str]:
    """(title, text for matching) of what the feed sent."""
    title, body, _ = clean_entry_text(FeedText(item["title"]), FeedText(item["teaser"]), None)
    return title, body


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(extractor: Extractor, items: list[dict[str, str]]) -> tuple[int, int, list[float]]:
    """(items alerted on their topic, items alerted on their trap, seconds per page)."""
    pages = [(DATA / item["page"]).read_bytes() for item in items]
    extractor(pages[0], items[0]["url"])  # warm-up: first-call set-up is not a page's cost
    hits = traps = 0
    seconds: list[float] = []
    for item, page in zip(items, pages, strict=True):
        started = time.perf_counter()
        article = extractor(page, item["url"])
        seconds.append(time.perf_counter() - started)
        title, teaser = teaser_text(item)
        text = f"{article}\n{teaser}"  # as the poller has it: the dateline opens the text
        hits += matches(item["topic"], title, text, item["region"])
        traps += matches(item["trap"], title, text, item["region"])
    return hits, traps, seconds


def main() -> None:
    """Measure before and after, print the table and append the figures to results.md."""
    items = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    before = sum(matches(i["topic"], *teaser_text(i), i["region"]) for i in items)
    before_traps = sum(matches(i["trap"], *teaser_text(i), i["region"]) for i in items)
    total = len(items)
    paged = sum(bool(item["paged"]) for item in items)
    print(f"{paged} of the {total} stories have their topic on a second page")
    print(f"before (title + teaser): {before}/{total} alerted, {before_traps} trap alerts")
    for name, extractor in EXTRACTORS.items():
        hits, traps, seconds = run(extractor, items)
        p50, p95 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.95) * 1000
        print(
            f"after, {name}: {hits}/{total} alerted, {traps} trap alerts, "
            f"extraction p50 {p50:.1f} ms p95 {p95:.1f} ms"
        )
        append_result(
            f"full text recall, {name} (bench/bench_fulltext.py)",
            f"{hits}/{total} alerted (before: {before}/{total}); {traps} alerted on "
            f"boilerplate-only words (before: {before_traps}); extraction p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms per page",
            "topic words in the fetched article body alert; boilerplate words do not",
            f"{total} teaser-only items ({paged} with the topic on a second page, not fetched), "
            f"6 outlet layouts, pages {_sizes(items)}; one process, busy machine",
        )


def _sizes(items: list[dict[str, str]]) -> str:
    sizes = [(DATA / item["page"]).stat().st_size / 1024 for item in items]
    return f"{min(sizes):.1f}-{max(sizes):.1f} KiB"


if __name__ == "__main__":
    main()
